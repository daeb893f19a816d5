/**
 * One picture, fetched the way hikbridge fetches it: `Streaming/channels/{id}/picture`, and on a
 * recorder that refuses it (ResponseStatus 6 "Invalid XML Content" or 404), the
 * `ContentMgmt/StreamingProxy` path. Shared by permission-snapshot and snapshot-path so the
 * device encodes at most two pictures for the whole run.
 */
import type { DeviceError } from '../protocols/http/errors.ts';
import { InvalidResponseError, IsapiStatusError } from '../protocols/isapi/errors.ts';
import { describeStatus, STATUS_INVALID_XML_CONTENT } from '../protocols/isapi/status.ts';
import { bool, children, int } from '../protocols/isapi/xml.ts';
import type { Channel, DoctorSession, ReadFailure } from './session.ts';

export const CHANNEL_STATUS = '/ISAPI/ContentMgmt/InputProxy/channels/status';
const JPEG_MAGIC = Buffer.from([0xff, 0xd8]);

export type PictureResult =
  | { ok: true; bytes: number }
  /** `refused`: the direct path is not how this recorder serves pictures (statusCode 6 or 404). */
  | { ok: false; reason: ReadFailure | 'refused'; error: DeviceError };

export interface SnapshotProbe {
  channel: Channel;
  streamId: string;
  direct: PictureResult;
  /** Only tried on recorders whose direct path refused. */
  proxy?: PictureResult;
}

export function probeSnapshot(session: DoctorSession): Promise<SnapshotProbe | undefined> {
  return session.once('snapshot', async () => {
    const channel = await pictureChannel(session);
    if (!channel) return undefined;
    const streamId = `${channel.id * 100 + 1}`;
    const direct = await fetchPicture(session, `/ISAPI/Streaming/channels/${streamId}/picture`);
    const refused = !direct.ok && (direct.reason === 'refused' || direct.reason === 'absent');
    if (!session.isRecorder || !refused) return { channel, streamId, direct };
    const proxy = await fetchPicture(
      session,
      `/ISAPI/ContentMgmt/StreamingProxy/channels/${streamId}/picture`,
    );
    return { channel, streamId, direct, proxy };
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

async function fetchPicture(session: DoctorSession, path: string): Promise<PictureResult> {
  try {
    const response = await session.client.call({
      method: 'GET',
      path,
      signal: session.budget,
      timeoutMs: session.timeoutMs,
    });
    if (!response.body.subarray(0, 2).equals(JPEG_MAGIC)) {
      const type = response.headers['content-type'] ?? 'no content type';
      const error = new InvalidResponseError(
        session.client.host,
        path,
        `expected a JPEG picture, got ${type}`,
      );
      return { ok: false, reason: 'failed', error };
    }
    return { ok: true, bytes: response.body.length };
  } catch (error) {
    if (error instanceof IsapiStatusError && error.status?.statusCode === STATUS_INVALID_XML_CONTENT) {
      return { ok: false, reason: 'refused', error };
    }
    return session.failure(error);
  }
}

/** `a 44 kB JPEG`, `"Invalid XML Content (badXmlContent)"`, or the error in the user's words. */
export function describePicture(result: PictureResult): string {
  if (result.ok) return `a ${Math.max(1, Math.round(result.bytes / 1024))} kB JPEG`;
  const { error } = result;
  if (error instanceof IsapiStatusError && error.status) return `"${describeStatus(error.status)}"`;
  return error.message;
}
