/**
 * Stream, two-way audio and motion detection settings over ISAPI: what the doctor's stream
 * findings are made of, and what the stream fix-up changes.
 *
 * - `Streaming/channels/{id}` (`StreamingChannel`): `enabled`, `Video/videoCodecType`,
 *   `Video/GovLength` (key-frame interval in frames), `Video/videoQualityControlType` (CBR/VBR),
 *   `Video/vbrUpperCap` / `Video/constantBitRate` (Kbps), `Video/maxFrameRate` (fps x 100),
 *   `Video/videoResolutionWidth|Height` (element names as in the captures, test/fixtures/devices).
 * - `System/TwoWayAudio/channels/{id}` (`TwoWayAudioChannel`): `audioCompressionType`.
 * - `System/Video/inputs/channels/{ch}/motionDetection` (NVR IP channels:
 *   `ContentMgmt/InputProxy/channels/{ch}/video/motionDetection`), `MotionDetection`: `enabled`,
 *   `MotionDetectionLayout/sensitivityLevel`.
 *
 * Pure protocol: typed calls over an IsapiClient. Every write is read-modify-write in the device's
 * own namespace, changing only the elements asked for and keeping every other element the device
 * returned; inputs are checked before anything is sent; each write is read back, and a value the
 * device did not keep is an error in words. `readConfig`/`restoreConfig` keep and put back a
 * resource's exact XML (undo).
 */
import { XMLParser } from 'fast-xml-parser';
import type { IsapiClient } from './client.ts';
import { InvalidResponseError } from './errors.ts';
import { bool, children, int, parseXml, text, type XmlNode, XmlSyntaxError, type XmlValue } from './xml.ts';

export const streamPath = (id: number): string => `/ISAPI/Streaming/channels/${id}`;
export const twoWayAudioPath = (id: number): string => `/ISAPI/System/TwoWayAudio/channels/${id}`;

/** `local`: the device's own input; `proxy`: an IP camera behind an NVR/DVR. */
export type ChannelSource = 'local' | 'proxy';

export function motionDetectionPath(channel: number, source: ChannelSource): string {
  return source === 'proxy'
    ? `/ISAPI/ContentMgmt/InputProxy/channels/${channel}/video/motionDetection`
    : `/ISAPI/System/Video/inputs/channels/${channel}/motionDetection`;
}

// --- errors -------------------------------------------------------------------------------------

/** A value given to a write was refused before anything was sent to the device. */
export class StreamConfigInputError extends RangeError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'StreamConfigInputError';
  }
}

/** The device accepted a write but reads back another value (or lacks the element). */
export class ConfigNotAppliedError extends Error {
  constructor(
    readonly path: string,
    readonly element: string,
    readonly asked: string,
    readonly kept: string | undefined,
    host: string,
  ) {
    super(
      `${host} did not take ${element} = ${asked} on ${path}: it reads back ` +
        `${kept === undefined ? 'no such element' : kept}. The model may not offer that value; ` +
        "set it in the device's web page or leave it.",
    );
    this.name = 'ConfigNotAppliedError';
  }
}

// --- whole resources: read, change, restore --------------------------------------------------------

/** One settings resource as the device sent it: the exact text (for undo) and its parsed form. */
export interface ConfigDocument {
  path: string;
  /** The body exactly as received. */
  xml: string;
  root: string;
  node: XmlNode;
  /** The root's namespace as the device wrote it; a rewrite goes back in it. */
  namespace: string | undefined;
}

export async function readConfig(client: IsapiClient, path: string): Promise<ConfigDocument> {
  const response = await client.call({ method: 'GET', path });
  const xml = response.body.toString('utf8');
  try {
    const doc = parseXml(xml);
    return { path, xml, root: doc.root, node: doc.node, namespace: rootNamespace(xml, doc.root) };
  } catch (error) {
    const detail = error instanceof XmlSyntaxError ? error.message : 'not XML';
    throw new InvalidResponseError(client.host, path, detail);
  }
}

/** The parser drops namespace declarations; the root's is read from the text. */
function rootNamespace(body: string, root: string): string | undefined {
  const open = new RegExp(`<(?:[\\w.-]+:)?${root}(\\s[^>]*)?>`).exec(body);
  return open?.[1] ? /\sxmlns(?::[\w.-]+)?\s*=\s*"([^"]*)"/.exec(open[1])?.[1] : undefined;
}

/** The text at a slash path of element names (`Video/videoCodecType`); undefined when absent. */
export function valueAt(node: XmlNode, element: string): string | undefined {
  return text(node, element);
}

/**
 * The document with the leaves at `values` (slash paths) set; every other element, attribute and
 * the order stay. A missing leaf is added at the end of its parent (a missing parent too).
 */
export function withValues(doc: ConfigDocument, values: Record<string, string>): ConfigDocument {
  let node = doc.node;
  for (const [element, value] of Object.entries(values)) node = setLeaf(node, element.split('/'), value);
  return { ...doc, node };
}

function setLeaf(node: XmlNode, names: string[], value: string): XmlNode {
  const [name, ...rest] = names as [string, ...string[]];
  const existing = node[name];
  const first = Array.isArray(existing) ? existing[0] : existing;
  let next: XmlValue;
  if (rest.length === 0) {
    // Keep attributes of a leaf written as {#text, @attr}.
    next = first && typeof first === 'object' && !Array.isArray(first) ? { ...first, '#text': value } : value;
  } else {
    const inner = first && typeof first === 'object' && !Array.isArray(first) ? (first as XmlNode) : {};
    next = setLeaf(inner, rest, value);
  }
  const replaced = Array.isArray(existing) ? [next, ...existing.slice(1)] : next;
  return { ...node, [name]: replaced };
}

/** PUTs the (changed) document back in the device's namespace. */
export async function writeConfig(client: IsapiClient, doc: ConfigDocument): Promise<void> {
  const node: XmlNode = doc.namespace ? { ...doc.node, '@xmlns': doc.namespace } : doc.node;
  await client.sendXml('PUT', doc.path, doc.root, node);
}

/** PUTs back a resource's exact previous text (undo). */
export async function restoreConfig(client: IsapiClient, path: string, xml: string): Promise<void> {
  await client.call({
    method: 'PUT',
    path,
    body: xml,
    headers: { 'content-type': 'application/xml; charset="UTF-8"' },
  });
}

/**
 * Reads `doc.path` back and checks each of `values`; throws ConfigNotAppliedError for the first
 * the device did not keep. Returns what was read.
 */
export async function verifyConfig(
  client: IsapiClient,
  path: string,
  values: Record<string, string>,
): Promise<ConfigDocument> {
  const after = await readConfig(client, path);
  for (const [element, asked] of Object.entries(values)) {
    const kept = valueAt(after.node, element);
    if (!sameValue(kept, asked)) throw new ConfigNotAppliedError(path, element, asked, kept, client.host);
  }
  return after;
}

/** Device values are compared as the device would: case-insensitively (`true`/`TRUE`, `h.264`). */
function sameValue(kept: string | undefined, asked: string): boolean {
  return kept !== undefined && kept.trim().toLowerCase() === asked.toLowerCase();
}

/** Read-modify-write of one resource, read back: the shared path of the typed writers below. */
async function change(client: IsapiClient, path: string, values: Record<string, string>): Promise<XmlNode> {
  const doc = await readConfig(client, path);
  await writeConfig(client, withValues(doc, values));
  return (await verifyConfig(client, path, values)).node;
}

// --- normalised comparison ------------------------------------------------------------------------

const orderedParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  preserveOrder: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: '#comment',
});

type Ordered = Array<Record<string, unknown>>;

/**
 * A canonical form of an XML document for comparing two versions of a resource: the same
 * elements in the same order, attributes sorted, whitespace between elements and around text
 * dropped, `<a/>` equal to `<a></a>`, comments and the declaration left out. Namespace
 * declarations (`xmlns`, `xmlns:x`) are left out too: ISAPI is read by local name, and a
 * device that stores a document may drop a redundant declaration on an inner element.
 */
export function normalizeXml(xml: string): string {
  const parsed = orderedParser.parse(xml.replace(/<!DOCTYPE[^[>]*(\[[\s\S]*?\])?\s*>/gi, '')) as Ordered;
  return canonical(parsed);
}

function canonical(items: Ordered): string {
  let out = '';
  for (const item of items) {
    for (const [key, value] of Object.entries(item)) {
      if (key === ':@' || key === '#comment') continue;
      if (key === '#text') {
        out += escapeXml(String(value));
        continue;
      }
      const attrs = (item[':@'] ?? {}) as Record<string, unknown>;
      const attrText = Object.keys(attrs)
        .filter((name) => name !== 'xmlns' && !name.startsWith('xmlns:'))
        .sort()
        .map((name) => ` ${name}="${escapeXml(String(attrs[name]))}"`)
        .join('');
      out += `<${key}${attrText}>${canonical(value as Ordered)}</${key}>`;
    }
  }
  return out;
}

function escapeXml(value: string): string {
  return value.replace(/&(?![a-zA-Z]+;|#\d+;|#x[0-9a-fA-F]+;)/g, '&amp;').replace(/</g, '&lt;');
}

// --- streams --------------------------------------------------------------------------------------

export interface StreamSettings {
  /** Stream id: channel x 100 + stream number (101 main, 102 sub). */
  id: number;
  channel: number;
  enabled: boolean | undefined;
  /** `videoCodecType` as the device writes it (`H.264`, `H.265`, `MJPEG`...). */
  codec: string | undefined;
  width: number | undefined;
  height: number | undefined;
  /** Frames per second (`maxFrameRate` / 100). */
  fps: number | undefined;
  /** `GovLength`: frames between key frames. */
  govLength: number | undefined;
  /** `CBR` or `VBR`. */
  bitrateControl: string | undefined;
  constantBitrateKbps: number | undefined;
  vbrUpperCapKbps: number | undefined;
}

export function readStreamSettings(node: XmlNode): StreamSettings {
  const id = int(node, 'id') ?? 0;
  const frameRate = int(node, 'Video/maxFrameRate');
  return {
    id,
    channel: Math.floor(id / 100),
    enabled: bool(node, 'enabled'),
    codec: text(node, 'Video/videoCodecType'),
    width: int(node, 'Video/videoResolutionWidth'),
    height: int(node, 'Video/videoResolutionHeight'),
    fps: frameRate !== undefined && frameRate > 0 ? frameRate / 100 : undefined,
    govLength: int(node, 'Video/GovLength'),
    bitrateControl: text(node, 'Video/videoQualityControlType')?.toUpperCase(),
    constantBitrateKbps: int(node, 'Video/constantBitRate'),
    vbrUpperCapKbps: int(node, 'Video/vbrUpperCap'),
  };
}

/**
 * Every stream the device lists (`Streaming/channels`); on firmware without the list, streams
 * 101 and 102 of `channels` one by one (a missing stream is left out).
 */
export async function listStreams(client: IsapiClient, channels: number[] = [1]): Promise<StreamSettings[]> {
  const list = await client.optional(() => client.getXml('/ISAPI/Streaming/channels'));
  if (list) {
    return children(list.node, 'StreamingChannel')
      .map(readStreamSettings)
      .filter((stream) => stream.id > 0);
  }
  const streams: StreamSettings[] = [];
  for (const channel of channels) {
    for (const number of [1, 2]) {
      const doc = await client.optional(() => client.getXml(streamPath(channel * 100 + number)));
      if (doc) streams.push(readStreamSettings(doc.node));
    }
  }
  return streams;
}

export const VIDEO_CODECS = ['H.264', 'H.265', 'MJPEG'] as const;
export const BITRATE_CONTROLS = ['CBR', 'VBR'] as const;

/** What to change on a stream; anything left out keeps the device's value. */
export interface StreamChange {
  enabled?: boolean;
  codec?: (typeof VIDEO_CODECS)[number];
  /** Frames between key frames (`GovLength`), 1-400. */
  govLength?: number;
  bitrateControl?: (typeof BITRATE_CONTROLS)[number];
  /** Kbps, 32-16384: `vbrUpperCap` (the cap under VBR). */
  vbrUpperCapKbps?: number;
  /** Kbps, 32-16384: `constantBitRate` (the rate under CBR). */
  constantBitrateKbps?: number;
  width?: number;
  height?: number;
  /** Frames per second, 1-60 (written as `maxFrameRate` x 100). */
  fps?: number;
}

function fail(field: string, message: string): never {
  throw new StreamConfigInputError(field, message);
}

function checkInt(value: unknown, field: string, min: number, max: number): string {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `${field} must be a whole number ${min}-${max} (got ${JSON.stringify(value)})`);
  }
  return String(value);
}

function checkOneOf(value: unknown, field: string, allowed: readonly string[]): string {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    fail(field, `${field} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** The element values for a stream change; StreamConfigInputError before any request. */
export function streamChangeValues(change: StreamChange): Record<string, string> {
  const values: Record<string, string> = {};
  if (change.enabled !== undefined) {
    if (typeof change.enabled !== 'boolean') fail('enabled', 'enabled must be true or false');
    values.enabled = String(change.enabled);
  }
  if (change.codec !== undefined)
    values['Video/videoCodecType'] = checkOneOf(change.codec, 'codec', VIDEO_CODECS);
  if (change.govLength !== undefined)
    values['Video/GovLength'] = checkInt(change.govLength, 'govLength', 1, 400);
  if (change.bitrateControl !== undefined) {
    values['Video/videoQualityControlType'] = checkOneOf(
      change.bitrateControl,
      'bitrateControl',
      BITRATE_CONTROLS,
    );
  }
  if (change.vbrUpperCapKbps !== undefined) {
    values['Video/vbrUpperCap'] = checkInt(change.vbrUpperCapKbps, 'vbrUpperCapKbps', 32, 16384);
  }
  if (change.constantBitrateKbps !== undefined) {
    values['Video/constantBitRate'] = checkInt(change.constantBitrateKbps, 'constantBitrateKbps', 32, 16384);
  }
  if (change.width !== undefined)
    values['Video/videoResolutionWidth'] = checkInt(change.width, 'width', 1, 8192);
  if (change.height !== undefined)
    values['Video/videoResolutionHeight'] = checkInt(change.height, 'height', 1, 8192);
  if (change.fps !== undefined)
    values['Video/maxFrameRate'] = String(Number(checkInt(change.fps, 'fps', 1, 60)) * 100);
  if (Object.keys(values).length === 0) fail('change', 'nothing to change');
  return values;
}

function checkStreamId(id: number): void {
  if (!Number.isInteger(id) || id < 101 || id % 100 < 1) {
    fail('id', `a stream id is channel x 100 + stream number, e.g. 101 or 102 (got ${id})`);
  }
}

/** Changes a stream (read-modify-write, read back); returns the settings read back. */
export async function writeStream(
  client: IsapiClient,
  id: number,
  wanted: StreamChange,
): Promise<StreamSettings> {
  checkStreamId(id);
  const values = streamChangeValues(wanted);
  return readStreamSettings(await change(client, streamPath(id), values));
}

// --- two-way audio ----------------------------------------------------------------------------------

export interface TwoWayAudioSettings {
  id: number;
  enabled: boolean | undefined;
  codec: string | undefined;
}

export const TALK_CODECS = ['G.711ulaw', 'G.711alaw', 'G.726', 'AAC', 'MP2L2', 'PCM'] as const;

/** The device's two-way audio channels; empty when it has none. */
export async function listTwoWayAudio(client: IsapiClient): Promise<TwoWayAudioSettings[]> {
  const list = await client.optional(() => client.getXml('/ISAPI/System/TwoWayAudio/channels'));
  return children(list?.node, 'TwoWayAudioChannel').flatMap((node) => {
    const id = int(node, 'id');
    return id === undefined
      ? []
      : [{ id, enabled: bool(node, 'enabled'), codec: text(node, 'audioCompressionType') }];
  });
}

export async function writeTwoWayAudioCodec(
  client: IsapiClient,
  id: number,
  codec: (typeof TALK_CODECS)[number],
): Promise<TwoWayAudioSettings> {
  if (!Number.isInteger(id) || id < 1) fail('id', `a two-way audio channel is numbered from 1 (got ${id})`);
  const value = checkOneOf(codec, 'codec', TALK_CODECS);
  const node = await change(client, twoWayAudioPath(id), { audioCompressionType: value });
  return { id, enabled: bool(node, 'enabled'), codec: text(node, 'audioCompressionType') };
}

// --- motion detection ---------------------------------------------------------------------------------

export interface MotionDetectionChange {
  enabled?: boolean;
  /** 0-100. */
  sensitivity?: number;
}

export function motionChangeValues(motion: MotionDetectionChange): Record<string, string> {
  const values: Record<string, string> = {};
  if (motion.enabled !== undefined) {
    if (typeof motion.enabled !== 'boolean') fail('enabled', 'enabled must be true or false');
    values.enabled = String(motion.enabled);
  }
  if (motion.sensitivity !== undefined) {
    values['MotionDetectionLayout/sensitivityLevel'] = checkInt(motion.sensitivity, 'sensitivity', 0, 100);
  }
  if (Object.keys(values).length === 0) fail('change', 'nothing to change');
  return values;
}

/** Switches motion detection and/or sets its sensitivity on one channel; returns what was read back. */
export async function writeMotionDetection(
  client: IsapiClient,
  channel: number,
  source: ChannelSource,
  motion: MotionDetectionChange,
): Promise<{ enabled: boolean | undefined; sensitivity: number | undefined }> {
  if (!Number.isInteger(channel) || channel < 1)
    fail('channel', `channels are numbered from 1 (got ${channel})`);
  const values = motionChangeValues(motion);
  const node = await change(client, motionDetectionPath(channel, source), values);
  return { enabled: bool(node, 'enabled'), sensitivity: int(node, 'MotionDetectionLayout/sensitivityLevel') };
}
