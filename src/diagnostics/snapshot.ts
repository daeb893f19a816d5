/**
 * One picture, fetched the way hikbridge fetches it (`fetchPicture` of the ISAPI snapshot code:
 * `Streaming/channels/{id}/picture`, and where the device refuses that path, the
 * `ContentMgmt/StreamingProxy` one), with the direct path's refusal kept for the report. Shared
 * by permission-snapshot and snapshot-path so the device encodes at most two pictures for the
 * whole run.
 */
import type { DeviceError } from '../protocols/http/errors.ts';
import { IsapiStatusError } from '../protocols/isapi/errors.ts';
import { fetchPicture } from '../protocols/isapi/snapshot.ts';
import { describeStatus } from '../protocols/isapi/status.ts';
import { bool, children, int } from '../protocols/isapi/xml.ts';
import type { Channel, DoctorSession, ReadFailure } from './session.ts';

export const CHANNEL_STATUS = '/ISAPI/ContentMgmt/InputProxy/channels/status';

export type PictureResult =
  | { ok: true; bytes: number }
  /** `refused`: the direct path is not how this device serves pictures (statusCode 6 or 404), so StreamingProxy was asked. */
  | { ok: false; reason: ReadFailure | 'refused'; error: DeviceError };

export interface SnapshotProbe {
  channel: Channel;
  streamId: string;
  direct: PictureResult;
  /** Only tried when the direct path refused. */
  proxy?: PictureResult;
}

export function probeSnapshot(session: DoctorSession): Promise<SnapshotProbe | undefined> {
  return session.once('snapshot', async () => {
    const channel = await pictureChannel(session);
    if (!channel) return undefined;
    const streamId = `${channel.id * 100 + 1}`;
    return { channel, streamId, ...(await takePicture(session, streamId)) };
  });
}

/** A recorder's first online camera (an offline one cannot give a picture); else the first channel. */
async function pictureChannel(session: DoctorSession): Promise<Channel | undefined> {
  const channels = session.facts.channels;
  if (!session.isRecorder || channels.length <= 1) return channels[0];
  const status = await session.read(CHANNEL_STATUS);
  if (!status.ok) return channels[0];
  const online = new Set(
    children(status.doc.node, 'InputProxyChannelStatus')
      .filter((node) => bool(node, 'online') === true)
      .map((node) => int(node, 'id')),
  );
  return channels.find((channel) => online.has(channel.id)) ?? channels[0];
}

/** The picture as hikbridge would get it; the direct path's result, and StreamingProxy's when it was asked. */
async function takePicture(
  session: DoctorSession,
  streamId: string,
): Promise<Pick<SnapshotProbe, 'direct' | 'proxy'>> {
  let refusal: PictureResult | undefined;
  const onRefused = (error: DeviceError) => {
    refusal = { ok: false, reason: 'refused', error };
  };
  let result: PictureResult;
  try {
    const picture = await fetchPicture(
      session.client,
      { streamId },
      { timeoutMs: session.timeoutMs, signal: session.budget, onRefused },
    );
    result = { ok: true, bytes: picture.jpeg.length };
  } catch (error) {
    result = session.failure(error);
  }
  return refusal ? { direct: refusal, proxy: result } : { direct: result };
}

/** `a 44 kB JPEG`, `"Invalid XML Content (badXmlContent)"`, or the error in the user's words. */
export function describePicture(result: PictureResult): string {
  if (result.ok) return `a ${Math.max(1, Math.round(result.bytes / 1024))} kB JPEG`;
  const { error } = result;
  if (error instanceof IsapiStatusError && error.status) return `"${describeStatus(error.status)}"`;
  return error.message;
}
