/**
 * Gateway events → entity states. Pure functions: the module decides how to publish.
 */
import type { ControlsChannelInventory, ControlsInventory, DoorbellCallEvent } from '../../core/bus.ts';
import type { EventKind, EventState, GatewayEvent } from '../../core/events.ts';
import { redactDeep } from '../../core/logger/redact.ts';
import type { ChannelRecord } from '../../core/store/types.ts';
import {
  type ChannelSensor,
  channelKey,
  type DeviceView,
  diskHasProblem,
  type LightKind,
  sirenSoundOptions,
} from './entities.ts';

export interface StateUpdate {
  key: string;
  payload: string;
}

export interface EventEffects {
  /** Entity states to publish; each also gets the event as its attributes. */
  states: StateUpdate[];
  /** Fire the doorbell `ring` event entity. */
  ring: boolean;
  /** Frigate-style `<base>/<device>/<channelNo>/motion`. */
  motion?: { channelNo: number; payload: 'ON' | 'OFF' };
  /** Channel to take a picture of for the snapshot topic. */
  snapshot?: ChannelRecord;
}

const CHANNEL_SENSOR_OF: Partial<Record<EventKind, ChannelSensor>> = {
  motion: 'motion',
  pir: 'motion',
  'line-crossing': 'line_crossing',
  intrusion: 'intrusion',
  tamper: 'tamper',
  'video-loss': 'video_loss',
};

/** Starts worth a picture: something (or someone) is in front of the camera. */
const SNAPSHOT_KINDS: ReadonlySet<EventKind> = new Set<EventKind>([
  'motion',
  'pir',
  'line-crossing',
  'intrusion',
  'region-entrance',
  'region-exit',
  'face',
  'doorbell-ring',
]);

const CONTACT_OF: Partial<Record<EventKind, 'ON' | 'OFF'>> = {
  'door-open': 'ON',
  'door-forced': 'ON',
  'door-open-too-long': 'ON',
  'door-closed': 'OFF',
};

const LOCK_OF: Partial<Record<EventKind, string>> = {
  'lock-open': 'UNLOCKED',
  'lock-closed': 'LOCKED',
  'lock-exception': 'JAMMED',
};

const TAMPER_OF: Partial<Record<EventKind, 'ON' | 'OFF'>> = {
  'access-tamper': 'ON',
  'access-tamper-restored': 'OFF',
};

/** Lasting events: on while they last. A pulse has no "off", so it sets no binary state. */
function onOff(state: EventState): 'ON' | 'OFF' | undefined {
  if (state === 'start' || state === 'update') return 'ON';
  if (state === 'end') return 'OFF';
  return undefined;
}

export function effectsOf(event: GatewayEvent, view: DeviceView): EventEffects {
  const effects: EventEffects = { states: [], ring: false };
  const channel = channelOf(event, view);
  const sensor = CHANNEL_SENSOR_OF[event.kind];
  const value = onOff(event.state);
  if (sensor && channel && value) {
    effects.states.push({ key: channelKey(channel.channelNo, sensor), payload: value });
    if (sensor === 'motion') effects.motion = { channelNo: channel.channelNo, payload: value };
  }
  if (event.kind === 'doorbell-ring') addRing(event.state, effects);
  addAccess(event, effects);
  if (event.kind === 'alarm-input' && value) {
    effects.states.push({ key: `alarm_input_${event.region ?? 1}`, payload: value });
  }
  if (channel && event.state === 'start' && SNAPSHOT_KINDS.has(event.kind)) effects.snapshot = channel;
  // Only entities the device really has: a stray region number must not invent topics.
  effects.states = effects.states.filter((update) => view.keys.has(update.key));
  effects.ring &&= view.keys.has('ring');
  return effects;
}

function addRing(state: EventState, effects: EventEffects): void {
  if (state === 'start' || state === 'pulse') effects.ring = true;
  const value = onOff(state);
  if (value) effects.states.push({ key: 'ringing', payload: value });
}

function addAccess(event: GatewayEvent, effects: EventEffects): void {
  const door = event.region ?? 1;
  const contact = CONTACT_OF[event.kind];
  if (contact) effects.states.push({ key: `door_${door}_contact`, payload: contact });
  const lock = LOCK_OF[event.kind];
  if (lock) effects.states.push({ key: `door_${door}`, payload: lock });
  const tamper = TAMPER_OF[event.kind];
  if (tamper) effects.states.push({ key: 'tamper', payload: tamper });
}

function channelOf(event: GatewayEvent, view: DeviceView): ChannelRecord | undefined {
  if (event.channelId) {
    const byId = view.channels.find((channel) => channel.id === event.channelId);
    if (byId) return byId;
  }
  if (event.channelNo !== null) return view.channels.find((channel) => channel.channelNo === event.channelNo);
  // Device-wide events of a single-camera device (doorbell ring) belong to its one channel.
  return view.channels.length === 1 ? view.channels[0] : undefined;
}

/** The `.../attributes` JSON: the last event, with anything secret-looking masked. */
export function eventAttributes(event: GatewayEvent): Record<string, unknown> {
  return {
    event_id: event.id,
    kind: event.kind,
    state: event.state,
    at: event.at,
    received_at: event.receivedAt,
    channel: event.channelNo,
    region: event.region,
    targets: event.targets,
    snapshot_ref: event.snapshotRef,
    details: boundedDetails(event.attributes),
  };
}

/** Source details can be large (rectangles, raw alerts); retained attributes must stay small. */
const MAX_DETAILS_BYTES = 8192;

function boundedDetails(attributes: Record<string, unknown>): Record<string, unknown> {
  const details = redactDeep(attributes);
  const size = Buffer.byteLength(JSON.stringify(details) ?? '');
  return size <= MAX_DETAILS_BYTES ? details : { truncated: true, bytes: size };
}

/**
 * States that cannot be known after a (re)start: the episode tracking that would send their
 * "end" starts empty, so a retained ON from before would stay on forever. They start OFF (a
 * doorbell call `idle`: whoever follows the call says when it rings again).
 */
export function initialStates(view: DeviceView): StateUpdate[] {
  const updates: StateUpdate[] = [];
  for (const entity of view.entities) {
    const { type } = entity.role;
    if (type === 'channel-sensor' || type === 'ringing' || type === 'alarm-input') {
      updates.push({ key: entity.key, payload: 'OFF' });
    } else if (type === 'call-state') {
      updates.push({ key: entity.key, payload: 'idle' });
    }
  }
  return updates;
}

/** The `.../attributes` JSON of the call sensor: who saw the change, and why a call ended. */
export function callAttributes(call: DoorbellCallEvent): Record<string, unknown> {
  return { state: call.state, source: call.source, reason: call.reason };
}

/**
 * The states of the entities made from the controls inventory: switches as the device reported
 * them, detections that do not notify the center and what each sets off, the supplement light,
 * the siren, the strobe, and the disks. Only for entities in the view.
 */
export function controlStates(view: DeviceView, inventory: ControlsInventory): StateUpdate[] {
  const updates: StateUpdate[] = [];
  const onOff = (on: boolean) => (on ? 'ON' : 'OFF');
  for (const entity of view.entities) {
    const { role } = entity;
    if (role.type === 'detection' || role.type === 'detection-unreported') {
      const channel = inventory.channels.find((candidate) => candidate.channelNo === role.channelNo);
      const detection = channel?.detections.find((candidate) => candidate.kind === role.kind);
      if (!detection) continue;
      const on = role.type === 'detection' ? detection.enabled : detection.notifiesCenter !== true;
      updates.push({ key: entity.key, payload: onOff(on) });
    } else if (role.type === 'detection-linkage') {
      const channel = inventory.channels.find((candidate) => candidate.channelNo === role.channelNo);
      const linked = channel?.detections.find((candidate) => candidate.kind === role.kind)?.[role.linkage];
      if (typeof linked === 'boolean') updates.push({ key: entity.key, payload: onOff(linked) });
    } else if (role.type === 'siren-sound' || role.type === 'siren-level') {
      const payload = inventory.siren ? sirenPayload(inventory.siren, role) : undefined;
      if (payload !== undefined) updates.push({ key: entity.key, payload });
    } else if (role.type === 'strobe-frequency' || role.type === 'strobe-duration') {
      const strobe = inventory.channels.find((candidate) => candidate.channelNo === role.channelNo)?.strobe;
      const value = role.type === 'strobe-frequency' ? strobe?.frequency : strobe?.duration;
      if (value !== null && value !== undefined) updates.push({ key: entity.key, payload: String(value) });
    } else if (role.type === 'output') {
      const output = inventory.outputs.find((candidate) => candidate.id === role.output);
      if (output) updates.push({ key: entity.key, payload: onOff(output.state === 'on') });
    } else if (role.type === 'light-mode' || role.type === 'light-brightness') {
      const light = inventory.channels.find((candidate) => candidate.channelNo === role.channelNo)?.light;
      const payload = light ? lightPayload(light, role) : undefined;
      if (payload !== undefined) updates.push({ key: entity.key, payload });
    } else if (role.type === 'disk') {
      const disk = inventory.storage.find((candidate) => candidate.id === role.disk);
      const payload = disk && diskPayload(disk, role.reading);
      if (payload !== undefined) updates.push({ key: entity.key, payload });
    }
  }
  return updates;
}

function lightPayload(
  light: NonNullable<ControlsChannelInventory['light']>,
  role: { type: 'light-mode' } | { type: 'light-brightness'; light: LightKind },
): string | undefined {
  if (role.type === 'light-mode') return light.mode;
  const brightness = role.light === 'white' ? light.whiteBrightness : light.irBrightness;
  return brightness === null ? undefined : String(brightness);
}

function sirenPayload(
  siren: NonNullable<ControlsInventory['siren']>,
  role: { type: 'siren-sound' } | { type: 'siren-level'; level: 'volume' | 'times' },
): string | undefined {
  if (role.type === 'siren-sound') {
    return sirenSoundOptions(siren.sounds).find((sound) => sound.id === siren.soundId)?.option;
  }
  const value = role.level === 'volume' ? siren.volume : siren.times;
  return value === null ? undefined : String(value);
}

function diskPayload(
  disk: ControlsInventory['storage'][number],
  reading: 'status' | 'free' | 'capacity' | 'problem',
): string | undefined {
  switch (reading) {
    case 'status':
      return disk.status;
    case 'problem':
      return diskHasProblem(disk.status) ? 'ON' : 'OFF';
    case 'free':
      return disk.freeMb === null ? undefined : String(disk.freeMb);
    case 'capacity':
      return disk.capacityMb === null ? undefined : String(disk.capacityMb);
  }
}
