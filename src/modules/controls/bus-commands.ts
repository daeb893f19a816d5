/**
 * Controls asked on the bus (`controls.command`, from the MQTT module): claimed here and carried
 * out through the same calls as the routes (the detection and output switches, the light, the
 * siren, the strobe and the detections' linkage read back, the reboot that tells the supervisor,
 * the shared PtzControl with its automatic stop).
 * After a change the part it touched is read again, so whoever shows the inventory follows the
 * device.
 */
import type { ControlsCommand } from '../../core/bus.ts';
import { AppError, InputError } from '../../core/errors.ts';
import {
  DetectionInputError,
  DeterrenceInputError,
  isDetectionKind,
  OutputInputError,
  type SirenChange,
  type StrobeChange,
  type SupplementLightChange,
  setDetectionEnabled,
  setDetectionLinkage,
  setOutput,
  setSiren,
  setStrobe,
  setSupplementLight,
} from '../../protocols/isapi/index.ts';
import { channelAccess, deviceAccess, onDevice } from './access.ts';
import type { ControlsInventoryReader } from './inventory.ts';
import { rebootDevice } from './maintenance-routes.ts';
import type { PtzControl } from './ptz.ts';
import type { ControlsContext } from './types.ts';

/** A button press moves the camera a little: half speed for one second, then the automatic stop. */
const NUDGE_SPEED = 50;
const NUDGE_SECONDS = 1;

const NUDGES: Record<string, { pan?: number; tilt?: number; zoom?: number }> = {
  left: { pan: -NUDGE_SPEED },
  right: { pan: NUDGE_SPEED },
  up: { tilt: NUDGE_SPEED },
  down: { tilt: -NUDGE_SPEED },
  'zoom-in': { zoom: NUDGE_SPEED },
  'zoom-out': { zoom: -NUDGE_SPEED },
};

/** Subscribes to `controls.command`; returns the unsubscribe. */
export function claimBusCommands(
  controls: ControlsContext,
  inventory: ControlsInventoryReader,
  ptz: PtzControl,
): () => void {
  return controls.deps.bus.on('controls.command', (command) => {
    command.claim(runCommand(controls, inventory, ptz, command));
  });
}

async function runCommand(
  controls: ControlsContext,
  inventory: ControlsInventoryReader,
  ptz: PtzControl,
  command: ControlsCommand,
): Promise<void> {
  const { deviceId, action } = command;
  switch (action) {
    case 'detection': {
      const kind = command.kind;
      if (!isDetectionKind(kind) || typeof command.value !== 'boolean') {
        throw new InputError('A detection command needs a detection kind and on/off.');
      }
      const { channel, client } = await channelOf(controls, command, 'detections');
      const where = { channel: channel.channelNo, source: channel.source };
      await onDevice(() => setDetectionEnabled(client, kind, where, command.value === true));
      controls.deps.logger.info(
        { channelId: channel.id, deviceId, kind, enabled: command.value, by: 'bus' },
        'detection changed',
      );
      await inventory.refresh(deviceId, { channelId: channel.id });
      return;
    }
    case 'output': {
      const output = Number(command.kind);
      if (!Number.isInteger(output) || output < 1 || typeof command.value !== 'boolean') {
        throw new InputError('An output command needs an output number and on/off.');
      }
      const { client } = await deviceAccess(controls, deviceId);
      const state = command.value ? 'on' : 'off';
      await onDevice(() => setOutput(client, output, state));
      controls.deps.logger.info({ deviceId, output, state, by: 'bus' }, 'alarm output switched');
      await inventory.refresh(deviceId, 'outputs');
      return;
    }
    case 'reboot':
      // Back online, the device is read again by itself.
      await rebootDevice(controls, deviceId, 'bus');
      return;
    case 'ptz-move': {
      const speeds = NUDGES[command.kind ?? ''];
      if (!speeds) throw new InputError(`No PTZ direction "${command.kind}".`);
      await ptz.move(await ptzChannel(controls, command), { ...speeds, seconds: NUDGE_SECONDS });
      return;
    }
    case 'ptz-stop':
      await ptz.stopMove(await ptzChannel(controls, command));
      return;
    case 'ptz-home':
      await ptz.home(await ptzChannel(controls, command), 'goto');
      return;
    case 'ptz-preset': {
      if (typeof command.value !== 'number') throw new InputError('A preset command needs its number.');
      await ptz.gotoPreset(await ptzChannel(controls, command), command.value);
      return;
    }
    case 'ptz-patrol': {
      const { kind, value } = command;
      if ((kind !== 'start' && kind !== 'stop') || typeof value !== 'number') {
        throw new InputError('A patrol command needs start or stop and the patrol number.');
      }
      await ptz.patrol(await ptzChannel(controls, command), value, kind);
      return;
    }
    case 'light-mode':
    case 'light-brightness':
      await changeLight(controls, inventory, command);
      return;
    case 'siren':
      await changeSiren(controls, inventory, command);
      return;
    case 'strobe-frequency':
    case 'strobe-duration':
      await changeStrobe(controls, inventory, command);
      return;
    case 'detection-siren':
    case 'detection-strobe':
      await changeLinkage(controls, inventory, command);
      return;
  }
}

/** The siren's sound, volume or times; read back, then the siren alone is read again. */
async function changeSiren(
  controls: ControlsContext,
  inventory: ControlsInventoryReader,
  command: ControlsCommand,
): Promise<void> {
  const change = sirenChange(command);
  const { device, client } = await deviceAccess(controls, command.deviceId);
  try {
    await onDevice(() => refusedAsInput(() => setSiren(client, change)));
  } finally {
    // Also after a refusal: the entity shows what the device has, not what was asked.
    await inventory.refresh(device.id, 'siren');
  }
  controls.deps.logger.info({ deviceId: device.id, ...change, by: 'bus' }, 'siren changed');
}

function sirenChange(command: ControlsCommand): SirenChange {
  const { kind, value } = command;
  if (typeof value !== 'number') throw new InputError('A siren command needs a number.');
  if (kind === 'sound') return { soundId: value };
  if (kind === 'volume') return { volume: value };
  if (kind === 'times') return { times: value };
  throw new InputError('A siren command needs the setting: sound, volume or times.');
}

/** The strobe's frequency or duration; read back, then the channel is read again. */
async function changeStrobe(
  controls: ControlsContext,
  inventory: ControlsInventoryReader,
  command: ControlsCommand,
): Promise<void> {
  const change = strobeChange(command);
  const { channel, client } = await channelOf(controls, command, 'the strobe');
  if (channel.source === 'proxy') {
    throw new AppError(
      'control_unsupported',
      409,
      `"${channel.name}" is an IP camera behind its recorder: add the camera itself to change its strobe.`,
    );
  }
  try {
    await onDevice(() => refusedAsInput(() => setStrobe(client, channel.channelNo, change)));
  } finally {
    await inventory.refresh(command.deviceId, { channelId: channel.id });
  }
  controls.deps.logger.info({ channelId: channel.id, ...change, by: 'bus' }, 'strobe changed');
}

function strobeChange(command: ControlsCommand): StrobeChange {
  const { kind, value } = command;
  if (command.action === 'strobe-frequency') {
    if (typeof kind !== 'string' || kind === '')
      throw new InputError('A strobe frequency command needs the frequency.');
    return { frequency: kind };
  }
  if (typeof value !== 'number') throw new InputError('A strobe duration command needs the seconds.');
  return { duration: value };
}

/** Whether a detection sounds the siren / flashes the strobe; read back, then the channel again. */
async function changeLinkage(
  controls: ControlsContext,
  inventory: ControlsInventoryReader,
  command: ControlsCommand,
): Promise<void> {
  const { kind, value } = command;
  if (!isDetectionKind(kind) || typeof value !== 'boolean') {
    throw new InputError('A linkage command needs a detection kind and on/off.');
  }
  const linkage = command.action === 'detection-siren' ? 'siren' : 'strobe';
  const { channel, client } = await channelOf(controls, command, 'the linkage of detections');
  const where = { channel: channel.channelNo, source: channel.source };
  try {
    await onDevice(() =>
      refusedAsInput(() => setDetectionLinkage(client, kind, where, { [linkage]: value })),
    );
  } finally {
    await inventory.refresh(command.deviceId, { channelId: channel.id });
  }
  controls.deps.logger.info(
    { channelId: channel.id, kind, [linkage]: value, by: 'bus' },
    'detection linkage changed',
  );
}

/** A value the device's capabilities rule out is the sender's mistake, said in words. */
async function refusedAsInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DeterrenceInputError || error instanceof DetectionInputError) {
      throw new InputError(error.message, error.field);
    }
    throw error;
  }
}

/** The light's mode, or one light's brightness; read back, then the channel is read again. */
async function changeLight(
  controls: ControlsContext,
  inventory: ControlsInventoryReader,
  command: ControlsCommand,
): Promise<void> {
  const change = lightChange(command);
  const { channel, client } = await channelOf(controls, command, 'the supplement light');
  if (channel.source === 'proxy') {
    throw new AppError(
      'control_unsupported',
      409,
      `"${channel.name}" is an IP camera behind its recorder: add the camera itself to change its light.`,
    );
  }
  try {
    await onDevice(() => setSupplementLight(client, channel.channelNo, change));
  } catch (error) {
    if (error instanceof OutputInputError) throw new InputError(error.message, error.field);
    throw error;
  } finally {
    // Also after a refusal: the entity shows what the device has, not what was asked.
    await inventory.refresh(command.deviceId, { channelId: channel.id });
  }
  controls.deps.logger.info({ channelId: channel.id, ...change, by: 'bus' }, 'supplement light changed');
}

function lightChange(command: ControlsCommand): SupplementLightChange {
  const { kind, value } = command;
  if (command.action === 'light-mode') {
    if (typeof kind !== 'string' || kind === '') throw new InputError('A light mode command needs the mode.');
    return { mode: kind };
  }
  if ((kind !== 'white' && kind !== 'ir') || typeof value !== 'number') {
    throw new InputError('A light brightness command needs the light (white or ir) and 0-100.');
  }
  return kind === 'white' ? { whiteBrightness: value } : { irBrightness: value };
}

/** The command's channel, which must belong to its device (a stale entity must not steer another). */
async function channelOf(controls: ControlsContext, command: ControlsCommand, what: string) {
  if (!command.channelId) throw new InputError(`A ${command.action} command needs a channel.`);
  const access = await channelAccess(controls, command.channelId, what);
  if (access.channel.deviceId !== command.deviceId) {
    throw new InputError(`The channel ${command.channelId} is not one of the device ${command.deviceId}.`);
  }
  return access;
}

async function ptzChannel(controls: ControlsContext, command: ControlsCommand): Promise<string> {
  return (await channelOf(controls, command, 'PTZ')).channel.id;
}
