/**
 * Stream fix-up: for what the doctor finds about streams, audio and motion detection, the setting
 * that fixes it, shown before it is made and undoable.
 *
 * - `readFixState` + `computeFixes` (pure) give the fixes a device needs now: the resource, the
 *   element, its current and proposed value and why. Fix ids name the resource and the setting
 *   (`stream-101-codec`, `talk-1-codec`, `motion-1-enabled`), so a preview's ids still mean the
 *   same thing when they are applied.
 * - `applyFixes` applies only the chosen fixes: per resource it keeps the exact previous XML,
 *   PUTs the resource with only the chosen elements changed, and reads it back.
 * - `undoFixes` PUTs each previous XML back and checks the device holds it again (compared after
 *   normalising the XML).
 *
 * No I/O besides the ISAPI client, no application state.
 */
import type { IsapiClient } from '../protocols/isapi/client.ts';
import { normalizeCodec } from '../protocols/isapi/discovery.ts';
import {
  type ChannelSource,
  listStreams,
  listTwoWayAudio,
  motionDetectionPath,
  normalizeXml,
  readConfig,
  restoreConfig,
  type StreamSettings,
  streamPath,
  type TwoWayAudioSettings,
  twoWayAudioPath,
  verifyConfig,
  withValues,
  writeConfig,
} from '../protocols/isapi/streaming-config.ts';
import { children, int } from '../protocols/isapi/xml.ts';
import { type MotionSettings, readMotionSettings } from './motion.ts';

export type FixSetting =
  | 'videoCodec'
  | 'streamEnabled'
  | 'keyFrameInterval'
  | 'maxBitrate'
  | 'twoWayAudioCodec'
  | 'motionDetection'
  | 'motionSensitivity';

export interface Fix {
  /** Stable for the same resource and setting: `stream-102-codec`, `talk-1-codec`, `motion-1-enabled`. */
  id: string;
  /** The doctor check this answers (`stream-codec`, `two-way-audio-codec`, `motion-detection`), or
   * `stream-keyframe` / `stream-bitrate` for the stream findings the doctor words in no check. */
  finding: string;
  /** Video channel (two-way audio channel for talk fixes); null when not per channel. */
  channel: number | null;
  setting: FixSetting;
  /** The ISAPI resource written (`/ISAPI/Streaming/channels/101`). */
  resource: string;
  /** The element changed in it (`Video/videoCodecType`). */
  element: string;
  current: string | null;
  proposed: string;
  why: string;
}

/** What the fixes are computed from. */
export interface FixState {
  streams: StreamSettings[];
  talk: TwoWayAudioSettings[];
  motion: MotionState[];
}

export interface MotionState {
  channel: number;
  source: ChannelSource;
  settings: MotionSettings;
}

/** One resource's text before the fix-up changed it. */
export interface UndoEntry {
  path: string;
  xml: string;
}

export interface ApplyResult {
  applied: Fix[];
  /** In the order the resources were changed; undo restores them in reverse. */
  undo: UndoEntry[];
}

// --- errors --------------------------------------------------------------------------------------

/** The chosen ids are not fixes this device needs now; nothing was sent. */
export class FixSelectionError extends Error {
  constructor(
    message: string,
    readonly unknown: string[],
  ) {
    super(message);
    this.name = 'FixSelectionError';
  }
}

/**
 * A fix failed part-way: `cause` says why (the device refused, or kept another value); `applied`
 * and `undo` hold what was changed before (and the resource being changed), so it can be undone.
 */
export class FixApplyError extends Error {
  constructor(
    message: string,
    readonly applied: Fix[],
    readonly undo: UndoEntry[],
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'FixApplyError';
  }
}

/** Undo put every resource back, but some read back differently. */
export class UndoMismatchError extends Error {
  constructor(
    readonly mismatched: string[],
    readonly restored: string[],
  ) {
    super(
      `the device does not read back the previous settings exactly for ${mismatched.join(', ')} ` +
        '(it accepted them; some firmware rewrites values): check those settings in its web page',
    );
    this.name = 'UndoMismatchError';
  }
}

// --- reading what the fixes need --------------------------------------------------------------------

export interface FixOptions {
  /** Only these video channels (default: every channel the device lists). */
  channels?: number[];
}

/** Reads the streams, two-way audio channels and motion detection settings of a device. */
export async function readFixState(client: IsapiClient, options: FixOptions = {}): Promise<FixState> {
  const local = await channelIds(client, '/ISAPI/System/Video/inputs/channels', 'VideoInputChannel');
  const proxy = await channelIds(client, '/ISAPI/ContentMgmt/InputProxy/channels', 'InputProxyChannel');
  const known = [...new Set([...local, ...proxy])].sort((a, b) => a - b);
  const streams = await listStreams(client, known.length > 0 ? known : [1]);
  const channels = new Set(known);
  for (const stream of streams) if (stream.channel > 0) channels.add(stream.channel);
  const wanted = [...channels]
    .filter((channel) => !options.channels || options.channels.includes(channel))
    .sort((a, b) => a - b);
  const motion: MotionState[] = [];
  for (const channel of wanted) {
    // The device's own input wins over a proxied one with the same number (hybrid DVRs).
    const source: ChannelSource = !local.includes(channel) && proxy.includes(channel) ? 'proxy' : 'local';
    const doc = await client.optional(() => client.getXml(motionDetectionPath(channel, source)));
    if (doc) motion.push({ channel, source, settings: readMotionSettings(doc.node) });
  }
  return {
    streams: streams.filter((stream) => wanted.includes(stream.channel)),
    talk: await listTwoWayAudio(client),
    motion,
  };
}

async function channelIds(client: IsapiClient, path: string, element: string): Promise<number[]> {
  const doc = await client.optional(() => client.getXml(path));
  return children(doc?.node, element).flatMap((node) => {
    const id = int(node, 'id');
    return id === undefined ? [] : [id];
  });
}

// --- what to propose ----------------------------------------------------------------------------------

/** Key frames further apart than this make a stream slow to start and to recover. */
const MAX_KEYFRAME_SECONDS = 4;
/** What a key-frame interval is set to: 2 s, the devices' own default (GovLength 50 at 25 fps). */
const PROPOSED_KEYFRAME_SECONDS = 2;
/** A sub stream's peak above this many times the usual rate for its size is "too high". */
const BITRATE_FACTOR = 2;

/** A usual sub stream peak for a picture size, in Kbps. */
function subStreamKbps(width: number | undefined, height: number | undefined): number {
  const pixels = (width ?? 640) * (height ?? 480);
  if (pixels <= 640 * 480) return 512;
  if (pixels <= 1280 * 720) return 1024;
  return 2048;
}

/** The fixes a device needs now, in a stable order (channel by channel, then two-way audio). */
export function computeFixes(state: FixState): Fix[] {
  const fixes: Fix[] = [];
  const channels = [
    ...new Set([...state.streams.map((s) => s.channel), ...state.motion.map((m) => m.channel)]),
  ];
  for (const channel of channels.sort((a, b) => a - b)) {
    const main = state.streams.find((s) => s.id === channel * 100 + 1);
    const sub = state.streams.find((s) => s.id === channel * 100 + 2);
    if (main) fixes.push(...mainStreamFixes(main));
    if (sub) fixes.push(...subStreamFixes(sub));
    const motion = state.motion.find((m) => m.channel === channel);
    if (motion) fixes.push(...motionFixes(motion));
  }
  for (const talk of state.talk) fixes.push(...talkFixes(talk));
  return fixes;
}

function streamFix(stream: StreamSettings, fix: Omit<Fix, 'resource' | 'channel'>): Fix {
  return { ...fix, channel: stream.channel, resource: streamPath(stream.id) };
}

function mainStreamFixes(main: StreamSettings): Fix[] {
  const fixes: Fix[] = [];
  const codec = normalizeCodec(main.codec);
  if (codec !== null && codec !== 'H.264') {
    fixes.push(
      streamFix(main, {
        id: `stream-${main.id}-codec`,
        finding: 'stream-codec',
        setting: 'videoCodec',
        element: 'Video/videoCodecType',
        current: main.codec ?? null,
        proposed: 'H.264',
        why:
          `main stream ${main.id} is ${main.codec}: browsers (WebRTC) and HomeKit cannot play it, so they get the ` +
          'sub stream at its lower resolution; H.264 plays everywhere at full resolution (it takes more bandwidth ' +
          'and recording space than H.265)',
      }),
    );
  }
  const keyframe = keyframeFix(main, 'main');
  if (keyframe) fixes.push(keyframe);
  return fixes;
}

function subStreamFixes(sub: StreamSettings): Fix[] {
  const fixes: Fix[] = [];
  if (sub.enabled === false) {
    fixes.push(
      streamFix(sub, {
        id: `stream-${sub.id}-enabled`,
        finding: 'stream-codec',
        setting: 'streamEnabled',
        element: 'enabled',
        current: 'false',
        proposed: 'true',
        why: `sub stream ${sub.id} is switched off: phones, browsers and grids of cameras need a small stream`,
      }),
    );
  }
  const codec = normalizeCodec(sub.codec);
  if (codec !== null && codec !== 'H.264') {
    fixes.push(
      streamFix(sub, {
        id: `stream-${sub.id}-codec`,
        finding: 'stream-codec',
        setting: 'videoCodec',
        element: 'Video/videoCodecType',
        current: sub.codec ?? null,
        proposed: 'H.264',
        why:
          `sub stream ${sub.id} is ${sub.codec}: browsers (WebRTC) and HomeKit need an H.264 stream, and the sub ` +
          'stream is the one they get when the main stream is too large',
      }),
    );
  }
  const keyframe = keyframeFix(sub, 'sub');
  if (keyframe) fixes.push(keyframe);
  const bitrate = bitrateFix(sub);
  if (bitrate) fixes.push(bitrate);
  return fixes;
}

function keyframeFix(stream: StreamSettings, which: 'main' | 'sub'): Fix | undefined {
  const { fps, govLength } = stream;
  if (fps === undefined || govLength === undefined || normalizeCodec(stream.codec) === 'MJPEG')
    return undefined;
  if (govLength <= fps * MAX_KEYFRAME_SECONDS) return undefined;
  const proposed = Math.max(1, Math.round(fps * PROPOSED_KEYFRAME_SECONDS));
  return streamFix(stream, {
    id: `stream-${stream.id}-keyframe`,
    finding: 'stream-keyframe',
    setting: 'keyFrameInterval',
    element: 'Video/GovLength',
    current: String(govLength),
    proposed: String(proposed),
    why:
      `${which} stream ${stream.id} sends a key frame every ${govLength} frames (${seconds(govLength / fps)} at ` +
      `${fps} fps): a viewer waits that long for the picture to start and after a lost packet; every ` +
      `${proposed} frames (${seconds(PROPOSED_KEYFRAME_SECONDS)}) starts fast for a little more bandwidth`,
  });
}

function bitrateFix(sub: StreamSettings): Fix | undefined {
  const usual = subStreamKbps(sub.width, sub.height);
  const vbr = sub.bitrateControl !== 'CBR';
  const current = vbr ? sub.vbrUpperCapKbps : sub.constantBitrateKbps;
  if (current === undefined || current <= usual * BITRATE_FACTOR) return undefined;
  const size = sub.width && sub.height ? `${sub.width}x${sub.height}` : 'its size';
  return streamFix(sub, {
    id: `stream-${sub.id}-bitrate`,
    finding: 'stream-bitrate',
    setting: 'maxBitrate',
    element: vbr ? 'Video/vbrUpperCap' : 'Video/constantBitRate',
    current: String(current),
    proposed: String(usual),
    why:
      `sub stream ${sub.id} may peak at ${current} Kbps (${vbr ? 'variable' : 'constant'} bitrate), far above the ` +
      `usual ${usual} Kbps for ${size}: the sub stream is the one for mobile data and slow Wi-Fi, where such peaks ` +
      'stall the picture',
  });
}

const SENSITIVITY = 50;

function motionFixes(motion: MotionState): Fix[] {
  const resource = motionDetectionPath(motion.channel, motion.source);
  const base = { finding: 'motion-detection', channel: motion.channel, resource };
  const fixes: Fix[] = [];
  if (motion.settings.enabled !== true) {
    const area = motion.settings.areaDrawn
      ? ''
      : ' (no detection area is drawn: draw one in the web page, or it never triggers)';
    fixes.push({
      ...base,
      id: `motion-${motion.channel}-enabled`,
      setting: 'motionDetection',
      element: 'enabled',
      current: motion.settings.enabled === undefined ? null : String(motion.settings.enabled),
      proposed: 'true',
      why: `motion detection is off on channel ${motion.channel}, so it sends no motion events${area}`,
    });
  }
  if (motion.settings.sensitivity === 0) {
    fixes.push({
      ...base,
      id: `motion-${motion.channel}-sensitivity`,
      setting: 'motionSensitivity',
      element: 'MotionDetectionLayout/sensitivityLevel',
      current: '0',
      proposed: String(SENSITIVITY),
      why: `motion sensitivity is 0 on channel ${motion.channel}, the lowest: little or no motion is reported`,
    });
  }
  return fixes;
}

function talkFixes(talk: TwoWayAudioSettings): Fix[] {
  if (!talk.codec || /711.?u|ulaw|mulaw|pcmu/i.test(talk.codec)) return [];
  return [
    {
      id: `talk-${talk.id}-codec`,
      finding: 'two-way-audio-codec',
      channel: talk.id,
      setting: 'twoWayAudioCodec',
      resource: twoWayAudioPath(talk.id),
      element: 'audioCompressionType',
      current: talk.codec,
      proposed: 'G.711ulaw',
      why: `two-way audio uses ${talk.codec}; G.711ulaw is the codec that reliably works for talk-back`,
    },
  ];
}

function seconds(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return `${rounded} s`;
}

// --- preview, apply, undo ------------------------------------------------------------------------------

export async function previewFixes(client: IsapiClient, options: FixOptions = {}): Promise<Fix[]> {
  return computeFixes(await readFixState(client, options));
}

/** The chosen ids checked against what the device needs now; FixSelectionError before any write. */
export function selectFixes(offered: Fix[], ids: string[]): Fix[] {
  if (ids.length === 0) throw new FixSelectionError('choose at least one fix (ids from the preview)', []);
  const unknown = [...new Set(ids.filter((id) => !offered.some((fix) => fix.id === id)))];
  if (unknown.length > 0) {
    const list = offered.length > 0 ? offered.map((fix) => fix.id).join(', ') : 'none: nothing needs fixing';
    throw new FixSelectionError(
      `not a fix this device needs now: ${unknown.join(', ')} (offered: ${list}); nothing was changed`,
      unknown,
    );
  }
  return offered.filter((fix) => ids.includes(fix.id));
}

/**
 * Applies the chosen fixes (and nothing else): one read-modify-write per resource with only the
 * chosen elements changed, each read back. FixSelectionError (nothing sent) for ids the device
 * does not need; FixApplyError when the device refused or kept another value part-way.
 */
export async function applyFixes(
  client: IsapiClient,
  ids: string[],
  options: FixOptions = {},
): Promise<ApplyResult> {
  const chosen = selectFixes(await previewFixes(client, options), ids);
  const byResource = new Map<string, Fix[]>();
  for (const fix of chosen) byResource.set(fix.resource, [...(byResource.get(fix.resource) ?? []), fix]);
  const result: ApplyResult = { applied: [], undo: [] };
  for (const [path, fixes] of byResource) {
    const values = Object.fromEntries(fixes.map((fix) => [fix.element, fix.proposed]));
    let before: Awaited<ReturnType<typeof readConfig>> | undefined;
    try {
      before = await readConfig(client, path);
      result.undo.push({ path, xml: before.xml });
      await writeConfig(client, withValues(before, values));
      await verifyConfig(client, path, values);
    } catch (error) {
      // Past the read, the resource may be changed in part: its previous text stays in undo.
      const what = fixes.map((fix) => fix.id).join(', ');
      const reason = error instanceof Error ? error.message : String(error);
      const done =
        result.applied.length > 0 ? `; applied before: ${result.applied.map((f) => f.id).join(', ')}` : '';
      throw new FixApplyError(`${what} failed: ${reason}${done}`, result.applied, result.undo, error);
    }
    result.applied.push(...fixes);
  }
  return result;
}

/**
 * Puts every resource back as it was (last changed first) and checks that the device reads back
 * the same document after normalising the XML. UndoMismatchError after restoring all when some do
 * not; a device error stops at once (what is left to restore is in the error's message).
 */
export async function undoFixes(client: IsapiClient, undo: UndoEntry[]): Promise<{ restored: string[] }> {
  const restored: string[] = [];
  const mismatched: string[] = [];
  for (const entry of [...undo].reverse()) {
    await restoreConfig(client, entry.path, entry.xml);
    const after = await readConfig(client, entry.path);
    if (normalizeXml(after.xml) !== normalizeXml(entry.xml)) mismatched.push(entry.path);
    restored.push(entry.path);
  }
  if (mismatched.length > 0) throw new UndoMismatchError(mismatched, restored);
  return { restored };
}
