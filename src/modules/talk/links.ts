/**
 * The two links to a device's speaker, and what their failures mean to someone who only wanted
 * to talk:
 *
 * - ISAPI two-way audio (the usual one): close, open, one long audioData upload.
 * - The ONVIF RTSP backchannel: DESCRIBE with the backchannel requirement (which tells whether
 *   there is one and its codec), then SETUP and PLAY, RTP over the RTSP connection, TEARDOWN.
 *
 * Both take the same paced G.711 frames; only opening them and their errors differ.
 */
import { AppError, DeviceOperationError } from '../../core/errors.ts';
import type { ChannelRecord, DeviceRecord } from '../../core/store/types.ts';
import { DeviceError } from '../../protocols/http/errors.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import { buildRtspUrl } from '../../protocols/isapi/rtsp.ts';
import { openTwoWayAudio, TwoWayAudioBusyError } from '../../protocols/isapi/two-way-audio.ts';
import {
  openBackchannel,
  type RtspBackchannel,
  RtspBackchannelCodecError,
  RtspNoBackchannelError,
  RtspStatusError,
  RtspTimeoutError,
} from '../../protocols/rtsp/index.ts';
import {
  TalkCodecError,
  TalkNoBackchannelError,
  TalkSpeakerBusyError,
  TalkUnsupportedError,
} from './errors.ts';

/** The open link to the device's speaker: an ISAPI talk session or an RTSP backchannel. */
export interface SpeakerLink {
  send(
    frames: AsyncIterable<Uint8Array>,
    options: { signal: AbortSignal; onSent: (bytes: number) => void },
  ): Promise<'source-ended' | 'device-ended' | 'aborted'>;
  /** Ends the device side (ISAPI close / RTSP TEARDOWN); never throws, returns what failed. */
  close(): Promise<Error | undefined>;
}

/** Each device request's time limit (also the stall limit of the upload), and the session's signal. */
export interface LinkTiming {
  timeoutMs: number;
  signal: AbortSignal;
}

/** The device's answer meant "this model has no such thing" (HTTP 404, ISAPI notSupport). */
export function isNotSupported(error: unknown): boolean {
  return error instanceof DeviceError && error.code === 'not_supported';
}

/**
 * Opens ISAPI two-way audio on the device's channel `audioChannel`. On failure nothing is left
 * half-open on the device.
 */
export function openIsapiLink(
  client: IsapiClient,
  audioChannel: number,
  timing: LinkTiming,
): Promise<SpeakerLink> {
  return openTwoWayAudio(client, audioChannel, {
    ...timing,
    stallTimeoutMs: timing.timeoutMs,
    uploadTimeoutMs: timing.timeoutMs,
  });
}

/**
 * Describes the device's ONVIF backchannel (its codec is then known; the speaker is not taken
 * yet). `fallback`: ISAPI had no two-way audio, so "no backchannel either" means the device
 * cannot talk at all. Whatever is resolved must be closed.
 */
export function describeBackchannel(
  device: DeviceRecord,
  channel: ChannelRecord | null,
  timing: LinkTiming,
  fallback: boolean,
): Promise<RtspBackchannel> {
  return openBackchannel({
    url: backchannelUrl(device, channel),
    credentials: { username: device.username, password: device.password },
    timeoutMs: timing.timeoutMs,
    stallTimeoutMs: timing.timeoutMs,
    signal: timing.signal,
  }).catch((error: unknown) => {
    throw backchannelFailure(device, error, fallback);
  });
}

/** SETUP and PLAY: from here the backchannel holds the device's speaker. */
export async function playBackchannel(
  device: DeviceRecord,
  link: RtspBackchannel,
  signal: AbortSignal,
): Promise<void> {
  await link.play({ signal }).catch((error: unknown) => {
    throw playFailure(device, error);
  });
}

/**
 * Where the backchannel is asked for: the channel's main stream, which is where Hikvision
 * devices answer a backchannel DESCRIBE (`/Streaming/Channels/101` for a camera).
 */
function backchannelUrl(device: DeviceRecord, channel: ChannelRecord | null): string {
  return buildRtspUrl({ host: device.host, port: device.rtspPort, streamId: `${channel?.channelNo ?? 1}01` });
}

/** Why the backchannel cannot be used, in the words of someone who only wanted to talk. */
function backchannelFailure(device: DeviceRecord, error: unknown, fallback: boolean): unknown {
  const deviceName = device.name;
  if (error instanceof RtspNoBackchannelError) {
    return fallback
      ? new TalkUnsupportedError(deviceName, 'no ISAPI two-way audio, and no ONVIF audio backchannel on RTSP')
      : new TalkNoBackchannelError(deviceName, error.detail);
  }
  if (error instanceof RtspBackchannelCodecError)
    return new TalkCodecError(deviceName, error.codecs.join(', '));
  // Trying the backchannel was our idea (auto): an RTSP port that is not there only means the
  // device has no way to talk we know of. Everything else (a refused password...) is said as is.
  if (fallback && error instanceof DeviceError) {
    const timedOut = error instanceof RtspTimeoutError && error.step === 'connect';
    if (error.code === 'unreachable' || timedOut) {
      const what = timedOut ? 'did not answer in time' : 'could not be reached';
      return new TalkUnsupportedError(
        deviceName,
        `no ISAPI two-way audio, and its RTSP port ${device.rtspPort}, where an ONVIF backchannel would be, ${what}`,
      );
    }
  }
  return error;
}

/** SETUP refused for lack of room: on a backchannel that means someone else has the speaker. */
function playFailure(device: DeviceRecord, error: unknown): unknown {
  if (error instanceof RtspStatusError && error.code === 'device_busy') {
    return new TalkSpeakerBusyError(
      `The speaker of "${device.name}" is in use: its RTSP server refused the audio backchannel (${error.status}). ` +
        'Another app (Hik-Connect, an NVR, another gateway) may be talking; try again when it is done.',
    );
  }
  return error;
}

/** Device failures in the user's words, with the busy speaker as its own conflict. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof TwoWayAudioBusyError) return new TalkSpeakerBusyError(error.message);
  if (error instanceof DeviceError) return new DeviceOperationError(error.code, error.message);
  return new AppError('internal', 500, 'Two-way audio failed unexpectedly.');
}

export function messageOf(error: unknown): string {
  if (error instanceof AppError || error instanceof DeviceError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
