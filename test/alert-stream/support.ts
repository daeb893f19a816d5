/**
 * Alert bodies from the real captures, the framing variants devices use (notes/isapi.md, "Event
 * stream"), and a parse helper whose result has a compact signature, so that thousands of split
 * runs can be compared cheaply (the full diff is only computed when a signature differs).
 */
import { readdirSync, readFileSync } from 'node:fs';
import {
  type AlertImage,
  AlertStreamParser,
  boundaryFromContentType,
  type ParseIssue,
  type RawAlert,
} from '../../src/protocols/isapi/alert-stream/index.ts';
import { ALERT_FIXTURES, DOORBELL_FIXTURES } from '../support/fixtures.ts';

export const XML_TYPE = 'application/xml; charset="UTF-8"';
export const JSON_TYPE = 'application/json; charset="UTF-8"';

export interface Body {
  name: string;
  type: string;
  body: Buffer;
  /** Smart events are followed by their detection picture. */
  picture: boolean;
}

/** Every EventNotificationAlert capture in fixtures/alerts (not the ResponseStatus ones). */
export function xmlCaptures(): Body[] {
  const dir = ALERT_FIXTURES;
  return readdirSync(dir)
    .filter((name) => name.endsWith('.xml'))
    .map((name) => ({ name, body: readFileSync(new URL(name, dir)) }))
    .filter(({ body }) => body.includes('<EventNotificationAlert'))
    .map(({ name, body }) => ({
      name,
      type: XML_TYPE,
      body,
      picture: body.includes('<DetectionRegionList>'),
    }));
}

/** Every alert payload of the doorbell alertStream captures (their `payload` arrays), deduplicated. */
export function jsonCaptures(): Body[] {
  const dir = DOORBELL_FIXTURES;
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) =>
    /(^|\/)(historical_)?alert_stream\.json$/.test(path),
  );
  const seen = new Set<string>();
  const out: Body[] = [];
  for (const file of files.sort()) {
    const capture = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as { payload: unknown[] };
    capture.payload.forEach((payload, i) => {
      const text = JSON.stringify(payload);
      if (seen.has(text)) return;
      seen.add(text);
      out.push({ name: `${file}#${i}`, type: JSON_TYPE, body: Buffer.from(text), picture: false });
    });
  }
  return out;
}

/** A small JPEG-shaped picture: SOI, data, EOI. */
export const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.alloc(200, 7),
  Buffer.from([0xff, 0xd9]),
]);

/** A short heartbeat after the body under test: proves the part after it is still read. */
export const HEARTBEAT = Buffer.from(
  '<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"><channelID>1</channelID>' +
    '<eventType>videoloss</eventType><eventState>inactive</eventState></EventNotificationAlert>',
);

export interface Part {
  type: string;
  body: Buffer;
}

/** The parts a device sends for one capture: the alert, its picture, then a heartbeat. */
export function partsFor(capture: Body): Part[] {
  const parts: Part[] = [{ type: capture.type, body: capture.body }];
  if (capture.picture) parts.push({ type: 'image/jpeg', body: JPEG });
  parts.push({ type: XML_TYPE, body: HEARTBEAT });
  return parts;
}

export interface Framed {
  stream: Buffer;
  /** The Content-Type header of the response. */
  contentType: string;
}

interface FrameOptions {
  literal?: string;
  header?: string | null;
  eol?: string;
  /** Content-Length per part index: the true length, none, or off by some bytes. */
  length?: (index: number) => 'true' | 'none' | number;
  blankLines?: number;
  oneLine?: boolean;
  close?: boolean;
  preamble?: string;
}

/** Frames parts the way a device would, with the given quirks. */
export function frame(parts: Part[], options: FrameOptions = {}): Framed {
  const literal = options.literal ?? 'boundary';
  const eol = options.eol ?? '\r\n';
  const header = options.header === undefined ? literal : options.header;
  const pieces: Buffer[] = [];
  if (options.preamble) pieces.push(Buffer.from(options.preamble));
  parts.forEach((part, index) => {
    const body = options.oneLine && part.type !== 'image/jpeg' ? oneLine(part.body) : part.body;
    const length = options.length?.(index) ?? 'true';
    const lines = [`--${literal}`, `Content-Type: ${part.type}`];
    if (length !== 'none') lines.push(`Content-Length: ${body.length + (length === 'true' ? 0 : length)}`);
    const gap = index > 0 ? eol.repeat(options.blankLines ?? 0) : '';
    pieces.push(Buffer.from(`${gap}${lines.join(eol)}${eol}${eol}`), body);
    // A whole part on one line: not even a line break before the next delimiter.
    if (!options.oneLine) pieces.push(Buffer.from(eol));
  });
  if (options.close) pieces.push(Buffer.from(`--${literal}--${eol}`));
  const contentType = header === null ? 'multipart/mixed' : `multipart/mixed; boundary=${header}`;
  return { stream: Buffer.concat(pieces), contentType };
}

/** The body without line breaks and the indentation after them. */
export function oneLine(body: Buffer): Buffer {
  return Buffer.from(body.toString('utf8').replace(/\r?\n\s*/g, ''));
}

export interface Variant {
  name: string;
  options: FrameOptions;
  /** Issue kinds the variant must report (in order); everything else must be issue-free. */
  issues: string[];
}

/** Framing quirks of the delimiter lines and around them (notes/isapi.md, "Event stream"). */
export const BOUNDARY_VARIANTS: Variant[] = [
  { name: 'boundary from the header, Content-Length on every part', options: {}, issues: [] },
  {
    name: 'header boundary differs from the literal one (old NVRs)',
    options: { header: 'hikvision_boundary' },
    issues: [],
  },
  {
    name: 'MIME_boundary, quoted in the header (doorbells)',
    options: { literal: 'MIME_boundary', header: '"MIME_boundary"' },
    issues: [],
  },
  {
    name: 'no boundary in the header, a preamble before the first delimiter',
    options: { header: null, preamble: 'hello\r\n' },
    issues: ['garbage'],
  },
  {
    name: 'blank CRLF lines between parts, a closing delimiter at the end',
    options: { blankLines: 2, close: true },
    issues: [],
  },
  { name: 'whole body on one line, no break before the delimiter', options: { oneLine: true }, issues: [] },
];

/** Quirks of part lengths and line endings. */
export const LENGTH_VARIANTS: Variant[] = [
  { name: 'no Content-Length at all', options: { length: () => 'none' }, issues: [] },
  {
    name: 'Content-Length on some parts only',
    options: { length: (i) => (i % 2 ? 'none' : 'true') },
    issues: [],
  },
  {
    name: 'Content-Length 10 bytes short',
    options: { length: (i) => (i === 0 ? -10 : 'true') },
    issues: ['malformed-part'],
  },
  {
    name: 'Content-Length 10 bytes too long',
    options: { length: (i) => (i === 0 ? 10 : 'true') },
    issues: ['malformed-part'],
  },
  {
    name: 'LF-only line endings and blank lines, Content-Length on some parts',
    options: { eol: '\n', blankLines: 1, length: (i) => (i % 2 ? 'true' : 'none') },
    issues: [],
  },
];

export interface Parsed {
  alerts: RawAlert[];
  images: Array<{ image: AlertImage; previous: number }>;
  issues: ParseIssue[];
  maxBuffered: number;
  parser: AlertStreamParser;
}

export interface ParseOptions {
  /** The response's Content-Type (its boundary parameter is handed to the parser). */
  contentType?: string;
  maxPartBytes?: number;
}

/**
 * Parses `stream` pushed in chunks cut at the given offsets, then end(). The stream must not
 * change afterwards: pictures are views of it.
 */
export function parse(stream: Buffer, options: ParseOptions, splits: readonly number[] = []): Parsed {
  const alerts: RawAlert[] = [];
  const images: Parsed['images'] = [];
  const issues: ParseIssue[] = [];
  const parser = new AlertStreamParser({
    boundary: boundaryFromContentType(options.contentType),
    maxPartBytes: options.maxPartBytes,
    onAlert: (alert) => alerts.push(alert),
    onImage: (image, previous) =>
      images.push({ image, previous: previous ? alerts.lastIndexOf(previous) : -1 }),
    onIssue: (issue) => issues.push(issue),
  });
  let maxBuffered = 0;
  let from = 0;
  for (let k = 0; k <= splits.length; k++) {
    const at = k < splits.length ? splits[k]! : stream.length;
    parser.push(stream.subarray(from, at));
    if (parser.bufferedBytes > maxBuffered) maxBuffered = parser.bufferedBytes;
    from = at;
  }
  parser.end();
  return { alerts, images, issues, maxBuffered, parser };
}

/**
 * Exact equality of two results (alerts, pictures and their links, issues), cheap enough to run
 * on every split point; stops at the first difference.
 */
export function sameResult(a: Parsed, b: Parsed): boolean {
  if (a.alerts.length !== b.alerts.length || a.issues.length !== b.issues.length) return false;
  if (a.images.length !== b.images.length) return false;
  for (let i = 0; i < a.alerts.length; i++) if (!sameAlert(a.alerts[i]!, b.alerts[i]!)) return false;
  for (let i = 0; i < a.issues.length; i++) {
    const x = a.issues[i]!;
    const y = b.issues[i]!;
    if (x.kind !== y.kind || x.detail !== y.detail || x.bytesSkipped !== y.bytesSkipped) return false;
  }
  return a.images.every((x, i) => {
    const y = b.images[i]!;
    return (
      x.previous === y.previous &&
      x.image.contentType === y.image.contentType &&
      x.image.data.equals(y.image.data)
    );
  });
}

const SCALARS = [
  'format',
  'eventType',
  'relationEvent',
  'eventState',
  'channelId',
  'inputPortId',
  'dateTime',
  'activePostCount',
  'description',
  'channelName',
  'ipAddress',
  'macAddress',
] as const;

/** Field-by-field equality of two alerts (every field of RawAlert). */
function sameAlert(a: RawAlert, b: RawAlert): boolean {
  for (const key of SCALARS) if (a[key] !== b[key]) return false;
  if (a.detections.length !== b.detections.length) return false;
  for (let i = 0; i < a.detections.length; i++) {
    const x = a.detections[i]!;
    const y = b.detections[i]!;
    if (x.regionId !== y.regionId || x.target !== y.target) return false;
    if (x.rect !== y.rect && (!x.rect || !y.rect || JSON.stringify(x.rect) !== JSON.stringify(y.rect)))
      return false;
  }
  if (
    a.access !== b.access &&
    (!a.access || !b.access || JSON.stringify(a.access) !== JSON.stringify(b.access))
  ) {
    return false;
  }
  const keys = Object.keys(a.extra);
  if (keys.length !== Object.keys(b.extra).length) return false;
  for (const key of keys) if (a.extra[key] !== b.extra[key]) return false;
  return true;
}

/** The fields sameAlert compares: a new RawAlert field must be added there (a test checks it). */
export const COMPARED_FIELDS = [...SCALARS, 'detections', 'access', 'extra'];
