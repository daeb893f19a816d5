/**
 * Commands from MQTT (`<base>/<deviceId>/<key>/set`, `<base>/cloud/<cameraId>/<key>/set`):
 * lock/unlock/open a door, take a snapshot, retry the login after the credentials were fixed on
 * the device, and the controls (switches, reboot, PTZ, patrols, the supplement light, the siren,
 * the strobe and what each detection sets off).
 * Anything unknown or malformed is logged and ignored: a door never moves on a guess.
 */

import type { ControlsCommand } from '../../core/bus.ts';
import type { Logger } from '../../core/logger.ts';
import type { CallAction, DoorCommand } from '../devices/index.ts';
import { type DeviceView, type EntitySpec, presetOption } from './entities.ts';
import type { SnapshotPublisher } from './snapshots.ts';
import type { Topics } from './topics.ts';

export type Command =
  | { type: 'door'; door: number; command: DoorCommand }
  | { type: 'snapshot'; channelId: string; channelNo: number }
  | { type: 'retry-login' }
  | { type: 'call'; action: CallAction }
  | { type: 'tamper-reset' }
  /** For the controls module (bus `controls.command`): switches, reboot, PTZ, light, siren, strobe. */
  | { type: 'control'; control: ControlRequest };

/** A `controls.command` without its device (the topic's) and claim (the module's). */
export type ControlRequest = Omit<ControlsCommand, 'deviceId' | 'claim'>;

/** HA lock payloads → ISAPI door commands. `open` unlocks for the door's open time. */
const LOCK_COMMANDS: Record<string, DoorCommand> = { LOCK: 'close', UNLOCK: 'open', OPEN: 'open' };

const MAX_PAYLOAD_BYTES = 64;

/**
 * What LOCK sends, given the door commands the device lists (undefined: it does not say, so
 * `close` is tried and the device decides). A door station may list no `close` (one capture:
 * `open,alwaysOpen,resume`): its lock closes by itself after an `open`, and the only lasting
 * unlocked state it has is `alwaysOpen`, which `resume` ends. So LOCK sends `resume` there; a
 * door with neither is refused rather than sent a command it rejects.
 */
export function lockCommandFor(listed: readonly string[] | undefined): DoorCommand | { refused: string } {
  if (!listed || listed.includes('close')) return 'close';
  if (listed.includes('resume')) return 'resume';
  return {
    refused: `the device lists no close or resume door command (it lists: ${listed.join(', ') || 'none'})`,
  };
}

/** What a command addresses: a device, or a cloud camera (which has a snapshot button only). */
export type CommandTarget = Pick<DeviceView, 'entities'>;

export function parseCommand(view: CommandTarget, key: string, payload: string): Command | string {
  const entity = view.entities.find((candidate) => candidate.key === key);
  if (!entity) return `no entity "${key}" on this device`;
  const text = payload.trim();
  const { role } = entity;
  if (role.type === 'lock') {
    const command = LOCK_COMMANDS[text];
    return command ? { type: 'door', door: role.door, command } : `expected LOCK, UNLOCK or OPEN`;
  }
  if (role.type === 'take-snapshot') {
    return text === 'PRESS'
      ? { type: 'snapshot', channelId: role.channelId, channelNo: role.channelNo }
      : 'expected PRESS';
  }
  if (role.type === 'retry-login') return text === 'PRESS' ? { type: 'retry-login' } : 'expected PRESS';
  if (role.type === 'call')
    return text === 'PRESS' ? { type: 'call', action: role.action } : 'expected PRESS';
  if (role.type === 'tamper-reset') return text === 'PRESS' ? { type: 'tamper-reset' } : 'expected PRESS';
  const control = parseControl(entity.role, text);
  if (control) return typeof control === 'string' ? control : { type: 'control', control };
  return `"${key}" takes no commands`;
}

/** Commands of the controls entities; undefined for other entities. */
function parseControl(role: EntitySpec['role'], text: string): ControlRequest | string | undefined {
  switch (role.type) {
    case 'detection':
    case 'output': {
      if (text !== 'ON' && text !== 'OFF') return 'expected ON or OFF';
      const value = text === 'ON';
      return role.type === 'detection'
        ? { action: 'detection', channelId: role.channelId, kind: role.kind, value }
        : { action: 'output', channelId: null, kind: String(role.output), value };
    }
    case 'reboot':
      return text === 'PRESS' ? { action: 'reboot', channelId: null } : 'expected PRESS';
    case 'ptz': {
      if (text !== 'PRESS') return 'expected PRESS';
      const { channelId, button } = role;
      if (button === 'stop') return { action: 'ptz-stop', channelId };
      if (button === 'home') return { action: 'ptz-home', channelId };
      return { action: 'ptz-move', channelId, kind: button };
    }
    case 'ptz-preset': {
      // An option as listed (`3: Gate`), or the preset's number alone.
      const preset = role.presets.find(
        (candidate) => presetOption(candidate) === text || String(candidate.id) === text,
      );
      return preset
        ? { action: 'ptz-preset', channelId: role.channelId, value: preset.id }
        : 'expected one of the listed presets';
    }
    case 'ptz-patrol':
      return text === 'PRESS'
        ? { action: 'ptz-patrol', channelId: role.channelId, kind: role.command, value: role.patrol }
        : 'expected PRESS';
    case 'light-mode':
      // Only a listed mode: anything else would reach the camera as a guess.
      return role.modes.includes(text)
        ? { action: 'light-mode', channelId: role.channelId, kind: text }
        : `expected one of ${role.modes.join(', ')}`;
    case 'light-brightness': {
      const value = wholeNumber(text, 0, 100);
      return typeof value === 'number'
        ? { action: 'light-brightness', channelId: role.channelId, kind: role.light, value }
        : value;
    }
    case 'detection-linkage':
      if (text !== 'ON' && text !== 'OFF') return 'expected ON or OFF';
      return {
        action: role.linkage === 'siren' ? 'detection-siren' : 'detection-strobe',
        channelId: role.channelId,
        kind: role.kind,
        value: text === 'ON',
      };
    case 'siren-sound': {
      // Only a listed sound: anything else would reach the device as a guess.
      const sound = role.sounds.find((candidate) => candidate.option === text);
      return sound
        ? { action: 'siren', channelId: null, kind: 'sound', value: sound.id }
        : `expected one of ${role.sounds.map((candidate) => candidate.option).join(', ')}`;
    }
    case 'siren-level': {
      const value = wholeNumber(text, role.min, role.max);
      return typeof value === 'number'
        ? { action: 'siren', channelId: null, kind: role.level, value }
        : value;
    }
    case 'strobe-frequency':
      return role.frequencies.includes(text)
        ? { action: 'strobe-frequency', channelId: role.channelId, kind: text }
        : `expected one of ${role.frequencies.join(', ')}`;
    case 'strobe-duration': {
      const value = wholeNumber(text, role.min, role.max);
      return typeof value === 'number'
        ? { action: 'strobe-duration', channelId: role.channelId, value }
        : value;
    }
    default:
      return undefined;
  }
}

/**
 * A whole number within the range, or what was expected. Home Assistant sends a number as text
 * (`40` or `40.0`).
 */
function wholeNumber(text: string, min: number, max: number): number | string {
  const value = Number(text);
  return text !== '' && Number.isInteger(value) && value >= min && value <= max
    ? value
    : `expected a whole number ${min}-${max}`;
}

export interface CommandDeps {
  topics: Topics;
  logger: Logger;
  /** The entities of a node: a device id, or `cloud/<cameraId>` (Topics.parseCommand). */
  view: (deviceId: string) => CommandTarget | undefined;
  doorCommand: (deviceId: string, door: number, command: DoorCommand) => Promise<void>;
  /** The door commands the device lists, undefined when it does not say (DevicesModule.doorCommands). */
  doorCommands: (deviceId: string) => Promise<readonly string[] | undefined>;
  /** Lifts the device's login hold and tries once (DevicesModule.retryLogin). */
  retryLogin: (deviceId: string) => Promise<unknown>;
  /** Doorbell call control (DevicesModule.callAction). */
  callAction: (deviceId: string, action: CallAction) => Promise<unknown>;
  /** Turns the tamper latch off (DevicesModule.resetTamper). */
  resetTamper: (deviceId: string) => Promise<unknown>;
  /** Hands a control to the controls module (bus `controls.command`); rejects when nobody claims it. */
  control: (deviceId: string, control: ControlRequest) => Promise<void>;
  snapshots: SnapshotPublisher;
  /** Deletes a retained message from the broker (an empty retained payload). */
  clearRetained: (topic: string) => void;
}

export class CommandHandler {
  constructor(private readonly deps: CommandDeps) {}

  /** Returns once the command is carried out (or refused); never throws. */
  async handle(topic: string, payload: Buffer, retained: boolean): Promise<void> {
    const address = this.deps.topics.parseCommand(topic);
    if (!address) return;
    // An empty payload is how a retained message is deleted (ours below, or someone else's).
    if (payload.length === 0) return;
    if (retained) {
      // A retained command is replayed by the broker on every (re)subscribe: acting on it would
      // open a door each time hikbridge or the broker restarts. Real commands arrive live.
      this.deps.logger.warn({ topic }, 'ignored a retained MQTT command and removed it from the broker');
      this.deps.clearRetained(topic);
      return;
    }
    const command = this.parse(address.deviceId, address.key, payload);
    if (command) await this.run(address.deviceId, command, topic);
  }

  private parse(deviceId: string, key: string, payload: Buffer): Command | undefined {
    const view = this.deps.view(deviceId);
    const problem =
      payload.length > MAX_PAYLOAD_BYTES
        ? 'payload too long'
        : view
          ? parseCommand(view, key, payload.toString('utf8'))
          : 'unknown device';
    if (typeof problem !== 'string') return problem;
    this.deps.logger.warn({ deviceId, key, problem }, 'ignored an invalid MQTT command');
    return undefined;
  }

  private async run(deviceId: string, command: Command, topic: string): Promise<void> {
    try {
      if (command.type === 'door') {
        await this.door(deviceId, command.door, command.command);
        return;
      }
      if (command.type === 'retry-login') {
        await this.deps.retryLogin(deviceId);
        return;
      }
      if (command.type === 'call') {
        await this.deps.callAction(deviceId, command.action);
        return;
      }
      if (command.type === 'tamper-reset') {
        await this.deps.resetTamper(deviceId);
        return;
      }
      if (command.type === 'control') {
        await this.deps.control(deviceId, command.control);
        return;
      }
      const result = await this.deps.snapshots.request(
        { deviceId, channelId: command.channelId, channelNo: command.channelNo },
        'button',
      );
      if (result === 'busy') this.deps.logger.debug({ topic }, 'snapshot already in progress');
    } catch (error) {
      this.deps.logger.warn({ topic, err: error }, 'MQTT command failed');
    }
  }

  private async door(deviceId: string, door: number, command: DoorCommand): Promise<void> {
    if (command !== 'close') {
      await this.deps.doorCommand(deviceId, door, command);
      return;
    }
    const lock = lockCommandFor(await this.deps.doorCommands(deviceId));
    if (typeof lock !== 'string') {
      this.deps.logger.warn(
        { deviceId, door, problem: lock.refused },
        'LOCK refused: the door cannot be locked remotely',
      );
      return;
    }
    if (lock !== 'close') {
      this.deps.logger.info(
        { deviceId, door, command: lock },
        'LOCK sent as resume: the door has no close command; resume ends a remain-open, and its lock closes by itself after an open',
      );
    }
    await this.deps.doorCommand(deviceId, door, lock);
  }
}
