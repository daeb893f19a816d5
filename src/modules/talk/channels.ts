/**
 * Which of the device's two-way audio channels a session talks on, and whether it can: the
 * device's own ISAPI list wins over the number remembered when the device was added; the channel
 * must be switched on and speak G.711. The list is read with the device's shared ISAPI client.
 */
import { AppError, InputError } from '../../core/errors.ts';
import type { DeviceRecord } from '../../core/store/types.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import {
  type G711Codec,
  g711CodecOf,
  listTwoWayAudioChannels,
  type TwoWayAudioChannel,
} from '../../protocols/isapi/two-way-audio.ts';
import type { DevicesModule } from '../devices/index.ts';
import { TalkCodecError, TalkDisabledError, TalkUnsupportedError } from './errors.ts';
import { isNotSupported, type LinkTiming } from './links.ts';

type Supervisor = DevicesModule['supervisor'];

/** The device's shared ISAPI client, waiting for the supervisor when it is still connecting. */
export async function deviceClient(supervisor: Supervisor, device: DeviceRecord): Promise<IsapiClient> {
  let client = supervisor.client(device.id);
  if (!client) {
    // Just added or reconfigured: the supervisor is still connecting it.
    await supervisor.settled();
    client = supervisor.client(device.id);
  }
  if (!client) {
    throw new AppError(
      'device_unavailable',
      409,
      `The device "${device.name}" is not connected yet; try again.`,
    );
  }
  return client;
}

/** The device's two-way audio channels; TalkUnsupportedError when it has none (the ONVIF backchannel may still have one). */
export async function listTalkChannels(
  client: IsapiClient,
  device: DeviceRecord,
  timing: LinkTiming,
): Promise<TwoWayAudioChannel[]> {
  let channels: TwoWayAudioChannel[];
  try {
    channels = await listTwoWayAudioChannels(client, timing);
  } catch (error) {
    if (isNotSupported(error)) throw new TalkUnsupportedError(device.name);
    throw error;
  }
  if (channels.length === 0) throw new TalkUnsupportedError(device.name);
  return channels;
}

/**
 * The channel numbered `wanted`. When it is not in the device's list: an error if the caller
 * named it (`explicit`), else the first switched-on channel (or the first at all), since the
 * remembered number may be out of date.
 */
export function pickTalkChannel(
  device: DeviceRecord,
  channels: TwoWayAudioChannel[],
  wanted: number,
  explicit: boolean,
): TwoWayAudioChannel {
  const found = channels.find((channel) => channel.id === wanted);
  if (found) return found;
  if (explicit) {
    throw new InputError(
      `audioChannel: "${device.name}" has no two-way audio channel ${wanted} (it has ${channels.map((c) => c.id).join(', ')})`,
      'audioChannel',
    );
  }
  return channels.find((channel) => channel.enabled) ?? channels[0]!;
}

/** The G.711 flavour the channel talks in; an error saying which setting to change when it cannot talk. */
export function talkCodecOf(device: DeviceRecord, audio: TwoWayAudioChannel): G711Codec {
  if (!audio.enabled) throw new TalkDisabledError(device.name, audio.id);
  const codec = g711CodecOf(audio.codec);
  if (!codec) throw new TalkCodecError(device.name, audio.codec);
  return codec;
}
