/**
 * Writable stream settings, what the stream fix-up changes: `PUT Streaming/channels/{id}`
 * (`StreamingChannel`) changes the stream: the per-stream answer, its entry in the
 * `Streaming/channels` list and the stream facts pictures use all follow. (Motion detection and
 * two-way audio PUTs, which the fix-up also makes, keep state in detections.ts and
 * two-way-audio.ts.)
 *
 * State lives in the profile's answers (`model.isapi`), so GET (served from the same entries),
 * the doctor and the probe see every accepted change, and `setEndpoint` still replaces an answer.
 * A PUT is merged into the stored document: elements sent replace the stored ones, elements left
 * out keep their value (as devices treat a partial document), attributes stay as stored.
 * Checked like a device would: broken XML or a DOCTYPE → 400 statusCode 5 `badXmlFormat`; a wrong
 * root, another stream id, or a value out of range (codec not H.264/H.265/MJPEG, GovLength 1-400,
 * bitrates 32-16384 Kbps, CBR/VBR, maxFrameRate 1-6000, sizes 1-8192, booleans not true/false)
 * → 400 statusCode 6 `badXmlContent`, nothing changed. A stream the profile answers with an error
 * (404, the NVR's 403 for X03) answers the PUT the same way.
 */
import type { RouteRequest } from '../context.ts';
import { asList, clone, dig, isDict, rootOf, text } from '../dict.ts';
import { sendStatus } from '../respond.ts';
import type { XmlDict, XmlValue } from '../types.ts';
import { serveEntry, serveFixture } from './fixture.ts';
import type { Route } from './route.ts';
import { badContent, readXmlBody } from './xml-body.ts';

class BadValue extends Error {}

/** `stored` with `sent` written in: sent elements replace, others and stored attributes stay. */
function merge(stored: XmlDict, sent: XmlDict): XmlDict {
  const out: XmlDict = { ...stored };
  for (const [key, value] of Object.entries(sent)) {
    if (key.startsWith('@')) continue;
    const before = stored[key];
    out[key] = isDict(before) && isDict(value) ? merge(before, value) : leafFrom(before, value);
  }
  return out;
}

/** A sent leaf keeps the stored form: `<a/>` stays null, `{#text, @attr}` keeps its attributes. */
function leafFrom(before: XmlValue | undefined, value: XmlValue): XmlValue {
  if (value === '' && before === null) return null;
  if (isDict(before) && typeof value === 'string' && '#text' in before) return { ...before, '#text': value };
  return value;
}

function check(node: XmlDict, path: string[], rule: (value: string) => boolean): void {
  if (dig(node, ...path) === undefined) return;
  const value = text(dig(node, ...path));
  if (value === undefined || !rule(value)) throw new BadValue(`${path.join('/')} = ${value}`);
}

const isBool = (value: string): boolean => value === 'true' || value === 'false';
const intIn =
  (min: number, max: number) =>
  (value: string): boolean =>
    /^\d{1,6}$/.test(value) && Number(value) >= min && Number(value) <= max;
const oneOf =
  (...allowed: string[]) =>
  (value: string): boolean =>
    allowed.includes(value);

function checkStream(node: XmlDict, id: string): void {
  check(node, ['id'], (value) => value === id);
  check(node, ['enabled'], isBool);
  check(node, ['Video', 'enabled'], isBool);
  check(node, ['Video', 'videoCodecType'], oneOf('H.264', 'H.265', 'MJPEG'));
  check(node, ['Video', 'GovLength'], intIn(1, 400));
  check(node, ['Video', 'videoQualityControlType'], oneOf('CBR', 'VBR'));
  check(node, ['Video', 'vbrUpperCap'], intIn(32, 16384));
  check(node, ['Video', 'constantBitRate'], intIn(32, 16384));
  check(node, ['Video', 'maxFrameRate'], intIn(1, 6000));
  check(node, ['Video', 'videoResolutionWidth'], intIn(1, 8192));
  check(node, ['Video', 'videoResolutionHeight'], intIn(1, 8192));
}

/**
 * The stored document's root when the endpoint answers 200 with a document; otherwise the
 * endpoint's own answer (404, 403...) is sent and undefined returned.
 */
function storedRoot(r: RouteRequest, root: string): XmlDict | undefined {
  const entry = r.device.model.isapi[r.path];
  const stored = entry && 'response' in entry ? entry.response[root] : undefined;
  if (isDict(stored)) return stored;
  serveEntry(r, entry);
  return undefined;
}

/** Validates and merges a PUT into the stored answer; returns what was sent when accepted (200 sent). */
function put(r: RouteRequest, root: string, validate: (node: XmlDict) => void): XmlDict | undefined {
  const stored = storedRoot(r, root);
  if (!stored) return undefined;
  const sent = readXmlBody(r, root, true);
  if (!sent) return undefined;
  try {
    validate(sent);
  } catch (error) {
    if (!(error instanceof BadValue)) throw error;
    badContent(r);
    return undefined;
  }
  const entry = r.device.model.isapi[r.path]!;
  if ('response' in entry) entry.response[root] = merge(stored, sent);
  sendStatus(r, 200);
  return sent;
}

/** The stream list and the stream facts (picture sizes) follow an accepted stream change. */
function followStream(r: RouteRequest, id: number, sent: XmlDict): void {
  const { model } = r.device;
  const list = rootOf(model.isapi, 'Streaming/channels');
  if (list) {
    const items = asList(list.StreamingChannel);
    const index = items.findIndex((item) => isDict(item) && text(item.id) === String(id));
    if (index >= 0) {
      items[index] = merge(items[index] as XmlDict, sent);
      list.StreamingChannel = Array.isArray(list.StreamingChannel) ? items : items[0]!;
    }
  }
  const stored = rootOf(model.isapi, `Streaming/channels/${id}`);
  const info = model.streams.get(id);
  if (stored && info) {
    model.streams.set(id, {
      ...info,
      width: Number(text(dig(stored, 'Video', 'videoResolutionWidth')) ?? info.width),
      height: Number(text(dig(stored, 'Video', 'videoResolutionHeight')) ?? info.height),
      dict: clone(stored),
    });
  }
}

export const streamConfigRoutes: Route[] = [
  {
    pattern: /^Streaming\/channels\/(\d+)$/,
    methods: ['GET', 'PUT'],
    handle(r, match) {
      if (r.req.method !== 'PUT') return serveFixture(r);
      const id = match[1]!;
      const sent = put(r, 'StreamingChannel', (node) => checkStream(node, id));
      if (sent) followStream(r, Number(id), sent);
    },
  },
];
