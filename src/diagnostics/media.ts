/**
 * Media settings that decide whether things play: the video codec per channel (browsers and
 * HomeKit need H.264), the two-way audio codec (G.711ulaw is the one that reliably works), and on
 * recorders the path pictures come from.
 */
import { normalizeCodec } from '../protocols/isapi/discovery.ts';
import { bool, children, text, type XmlNode } from '../protocols/isapi/xml.ts';
import { TWO_WAY_AUDIO } from './permissions.ts';
import {
  type ChannelFinding,
  combineChannels,
  type DoctorCheck,
  fail,
  findingOf,
  pass,
  skip,
  warn,
} from './report.ts';
import {
  type Channel,
  type DoctorSession,
  type Failed,
  OUT_OF_TIME,
  type ReadResult,
  unreadable,
  unreadableFinding,
} from './session.ts';
import { describePicture, type PictureResult, probeSnapshot } from './snapshot.ts';

// --- video codec ---------------------------------------------------------------------------

const VIDEO_SETTINGS = 'Configuration > Video/Audio > Video > Video Encoding';

/** What is known about one stream id. */
export type StreamFact =
  | { kind: 'codec'; codec: string | null }
  | { kind: 'missing' }
  | { kind: 'unreadable'; result: Failed };

/** Codec by stream id: from the stream list in one request, else stream by stream (main and sub). */
async function streamFacts(session: DoctorSession): Promise<Map<string, StreamFact>> {
  const facts = new Map<string, StreamFact>();
  const list = await session.read('/ISAPI/Streaming/channels');
  if (list.ok) {
    for (const stream of children(list.doc.node, 'StreamingChannel')) {
      const id = text(stream, 'id');
      if (id) facts.set(id, { kind: 'codec', codec: codecOf(stream) });
    }
    return facts;
  }
  for (const channel of session.facts.channels) {
    for (const streamNo of [1, 2]) {
      const id = `${channel.id * 100 + streamNo}`;
      facts.set(id, streamFact(await session.read(`/ISAPI/Streaming/channels/${id}`)));
    }
  }
  return facts;
}

/** A missing stream answers 400/403/404/500 depending on the model: all mean "no such stream". */
function streamFact(result: ReadResult): StreamFact {
  if (result.ok) return { kind: 'codec', codec: codecOf(result.doc.node) };
  const noSuchStream =
    result.reason === 'absent' || result.reason === 'forbidden' || result.error.code === 'device_error';
  return noSuchStream ? { kind: 'missing' } : { kind: 'unreadable', result };
}

function codecOf(stream: XmlNode): string | null {
  return normalizeCodec(text(stream, 'Video/videoCodecType'));
}

export function judgeCodec(label: string, channel: number, streams: Map<string, StreamFact>): ChannelFinding {
  const mainId = `${channel * 100 + 1}`;
  const subId = `${channel * 100 + 2}`;
  const main = streams.get(mainId) ?? { kind: 'missing' };
  const finding = findingOf(label);
  if (main.kind === 'unreadable') return unreadableFinding(label, `main stream ${mainId}`, main.result);
  if (main.kind === 'missing') return finding('skip', `no main stream ${mainId} found`, null);
  if (main.codec === 'H.264') return finding('pass', `main stream ${mainId} is H.264`, null);
  const sub = streams.get(subId);
  const subCodec = sub?.kind === 'codec' ? sub.codec : undefined;
  const subText =
    sub?.kind === 'unreadable'
      ? `; sub stream ${subId} could not be read`
      : subCodec !== undefined
        ? `; sub stream ${subId} is ${subCodec ?? 'of unknown codec'}`
        : '; no sub stream';
  const what = main.codec ?? 'of unknown codec';
  if (subCodec === 'H.264') {
    return finding(
      'warn',
      `main stream ${mainId} is ${what}${subText}`,
      `Browsers (WebRTC) and HomeKit cannot play ${main.codec ?? 'that codec'}, so hikbridge gives them the H.264 ` +
        `sub stream, at its lower resolution. For full resolution there, set the main stream to H.264 (${VIDEO_SETTINGS}).`,
    );
  }
  return finding(
    'warn',
    `main stream ${mainId} is ${what}${subText}${sub?.kind === 'unreadable' ? '' : ': no H.264 stream on this channel'}`,
    `Browsers (WebRTC) and HomeKit need H.264: set the sub stream (or the main stream) to H.264 (${VIDEO_SETTINGS}).`,
  );
}

export async function streamCodecCheck(session: DoctorSession): Promise<DoctorCheck> {
  const streams = await streamFacts(session);
  const findings = session.facts.channels.map((channel: Channel) =>
    judgeCodec(session.channelLabel(channel), channel.id, streams),
  );
  return combineChannels('stream-codec', findings, 'no video channel to check');
}

// --- two-way audio codec --------------------------------------------------------------------

const AUDIO_FIX =
  'Set Audio Encoding to G.711ulaw (web page: Configuration > Video/Audio > Audio; two-way audio uses that ' +
  'codec) and save.';

export function judgeTalkCodec(codec: string): DoctorCheck {
  const id = 'two-way-audio-codec';
  if (/711.?u|ulaw|mulaw|pcmu/i.test(codec)) return pass(id, `two-way audio uses ${codec}`);
  if (/711.?a|alaw|pcma/i.test(codec)) {
    return warn(
      id,
      `two-way audio uses ${codec}, which works on some firmware only`,
      `If talk-back stays silent: ${AUDIO_FIX}`,
    );
  }
  return fail(
    id,
    `two-way audio uses ${codec}, which does not work for talk-back`,
    `${AUDIO_FIX} G.711ulaw is the codec that reliably works; G.726, AAC and MP2L2 do not.`,
  );
}

export async function twoWayAudioCodecCheck(session: DoctorSession): Promise<DoctorCheck> {
  const id = 'two-way-audio-codec';
  const result = await session.read(TWO_WAY_AUDIO);
  if (!result.ok) {
    if (result.reason === 'absent') return skip(id, 'no two-way audio on this device');
    return unreadable(id, 'two-way audio settings', result);
  }
  const channels = children(result.doc.node, 'TwoWayAudioChannel');
  const channel = channels.find((node) => bool(node, 'enabled') !== false) ?? channels[0];
  const codec = text(channel, 'audioCompressionType');
  if (!channel) return skip(id, 'the device lists no two-way audio channel');
  if (!codec) return skip(id, 'the two-way audio channel names no codec');
  const check = judgeTalkCodec(codec);
  const off =
    bool(channel, 'enabled') === false
      ? ' (the channel is switched off; hikbridge switches it on to talk)'
      : '';
  return { ...check, detail: `${check.detail}${off}` };
}

// --- where recorder pictures come from -----------------------------------------------------

export async function snapshotPathCheck(session: DoctorSession): Promise<DoctorCheck> {
  const id = 'snapshot-path';
  if (!session.isRecorder)
    return skip(id, 'not a recorder (NVR/DVR): pictures come straight from the camera');
  const probe = await probeSnapshot(session);
  if (!probe) return skip(id, 'no channel to take a picture from');
  const { direct, proxy, streamId } = probe;
  if (direct.ok) return pass(id, `the direct path gave ${describePicture(direct)} for stream ${streamId}`);
  const results: PictureResult[] = [direct, ...(proxy ? [proxy] : [])];
  if (results.some((r) => !r.ok && r.reason === 'forbidden')) {
    return skip(id, 'pictures were refused to this user (see permission-snapshot)');
  }
  if (results.some((r) => !r.ok && r.reason === 'out-of-time')) return skip(id, OUT_OF_TIME);
  if (proxy?.ok) {
    return pass(
      id,
      `the direct path refused stream ${streamId} with ${describePicture(direct)}; the StreamingProxy path gave ` +
        `${describePicture(proxy)}, and hikbridge falls back to it by itself`,
    );
  }
  return fail(
    id,
    `no picture for stream ${streamId} (${session.channelLabel(probe.channel)}): direct path: ${describePicture(direct)}` +
      (proxy ? `; StreamingProxy path: ${describePicture(proxy)}` : ''),
    'Check that the camera is online in the recorder (Camera Management) and shows video there. If it does, ' +
      "give hikbridge the camera's own address as the snapshot URL for this channel; as a last resort hikbridge " +
      'can take a frame from the RTSP stream.',
  );
}
