/**
 * SIP message codec (RFC 3261 §7, §18.3, §20): bytes to SipMessage and back, a TCP framer, and
 * the request/response builders. Strict and bounded by SIP_LIMITS: anything that is not a
 * well-formed message becomes a SipParseError (never another exception, never a hang), with
 * enough of the request kept for the stack to answer 400.
 */
import {
  ANSWER_HEADERS,
  canonicalHeaderName,
  hasControlCharacters,
  header,
  headerKey,
  isListHeader,
  isToken,
  newTag,
  parseCSeq,
  parseNameAddr,
  parseUri,
  parseVia,
  quote,
  type SipParseContext,
  SipParseError,
  splitHeaderList,
  tagOf,
} from './headers.ts';
import { SIP_LIMITS, type SipHeader, type SipMessage, type SipRequest, type SipResponse } from './types.ts';

/** Bytes as they arrived: over UDP a datagram, over TCP one frame cut by SipStreamFramer. */
export interface ParseOptions {
  /**
   * `udp` (default): without Content-Length the rest of the datagram is the body; bytes past
   * Content-Length are dropped (RFC 3261 §18.3). `tcp`: Content-Length is required and must
   * match the frame exactly.
   */
  transport?: 'udp' | 'tcp';
}

/** A build input that cannot make a valid message (a programming error, not a peer's fault). */
export class SipBuildError extends Error {
  override readonly name = 'SipBuildError';
}

/**
 * Values one message may hold after list headers are split. A 64 KB message of commas would
 * otherwise make tens of thousands of entries; real ones hold a few dozen.
 */
const MAX_HEADER_VALUES = 4 * SIP_LIMITS.maxHeaders;

/** Headers that may appear once only: two of them leave the message ambiguous. */
const SINGLE_HEADERS = ['from', 'to', 'call-id', 'cseq', 'content-length', 'max-forwards'] as const;

const CR = 0x0d;
const LF = 0x0a;

/** A datagram or stream gap made only of line breaks: a keep-alive (RFC 5626 §3.5.1), not a message. */
export function isKeepAlive(data: Uint8Array): boolean {
  if (data.length === 0) return false;
  for (const byte of data) if (byte !== CR && byte !== LF) return false;
  return true;
}

/** Parses one whole message. Throws SipParseError, and only that, on anything else. */
export function parseMessage(data: Buffer, options: ParseOptions = {}): SipMessage {
  try {
    return parseStrict(data, options.transport ?? 'udp');
  } catch (error) {
    // Anything else would be a bug here; the stack must still get the one error type it handles.
    if (!(error instanceof SipParseError))
      throw new SipParseError('unreadable message', {}, { cause: error });
    throw new SipParseError(error.message, { ...safeContextOf(data), status: error.status });
  }
}

function parseStrict(data: Buffer, transport: 'udp' | 'tcp'): SipMessage {
  if (data.length > SIP_LIMITS.maxMessageBytes) throw new SipParseError('message too large', { status: 513 });
  const start = skipLineBreaks(data, 0);
  if (start === data.length) throw new SipParseError(data.length > 0 ? 'keep-alive, not a message' : 'empty');
  const end = findHeadEnd(data, start);
  if (!end) throw new SipParseError('no blank line after the headers');
  const lines = readLines(data, start, end.headEnd);
  const first = lines[0]!;
  const fields = unfold(lines.slice(1));
  const message = parseStartLine(first);
  message.headers = toHeaders(fields);
  checkHeaders(message);
  message.body = readBody(data, end.bodyStart, message.headers, transport);
  return message;
}

function skipLineBreaks(data: Uint8Array, from: number): number {
  let index = from;
  while (index < data.length && (data[index] === CR || data[index] === LF)) index++;
  return index;
}

/**
 * Where the head ends: `headEnd` just after the last header line's LF, `bodyStart` after the
 * empty line. Bare LF line ends are accepted as well as CRLF, in both places alike.
 */
function findHeadEnd(data: Buffer, from: number): { headEnd: number; bodyStart: number } | null {
  let lf = data.indexOf(LF, from);
  while (lf >= 0) {
    if (data[lf + 1] === LF) return { headEnd: lf + 1, bodyStart: lf + 2 };
    if (data[lf + 1] === CR && data[lf + 2] === LF) return { headEnd: lf + 1, bodyStart: lf + 3 };
    lf = data.indexOf(LF, lf + 1);
  }
  return null;
}

/** The head's lines without their line ends; each within the line limit and free of control bytes. */
function readLines(data: Buffer, start: number, headEnd: number): string[] {
  const lines: string[] = [];
  let lineStart = start;
  while (lineStart < headEnd) {
    const lf = data.indexOf(LF, lineStart);
    const contentEnd = lf > lineStart && data[lf - 1] === CR ? lf - 1 : lf;
    if (contentEnd - lineStart > SIP_LIMITS.maxHeaderLineBytes)
      throw new SipParseError('header line too long');
    // A head of more physical lines than headers allowed cannot be valid: stop reading early.
    if (lines.length > SIP_LIMITS.maxHeaders * 2) throw new SipParseError('too many header lines');
    const line = data.toString('utf8', lineStart, contentEnd);
    if (hasControlCharacters(line)) throw new SipParseError('control character in the head');
    lines.push(line);
    lineStart = lf + 1;
  }
  return lines;
}

/** Joins folded lines (obsolete line folding, RFC 3261 §7.3.1): the break and indent become one space. */
function unfold(lines: string[]): string[] {
  const fields: string[] = [];
  let bytes = 0;
  for (const line of lines) {
    const folded = line.startsWith(' ') || line.startsWith('\t');
    if (folded) {
      if (fields.length === 0) throw new SipParseError('continuation line without a header');
      const joined = `${fields[fields.length - 1]!.trimEnd()} ${line.trim()}`;
      bytes += Buffer.byteLength(line);
      if (bytes > SIP_LIMITS.maxHeaderLineBytes) throw new SipParseError('header line too long');
      fields[fields.length - 1] = joined;
      continue;
    }
    if (fields.length >= SIP_LIMITS.maxHeaders) throw new SipParseError('too many headers');
    fields.push(line);
    bytes = Buffer.byteLength(line);
  }
  return fields;
}

function parseStartLine(line: string): SipRequest | SipResponse {
  if (/^SIP\//i.test(line)) return parseStatusLine(line);
  const parts = line.split(' ');
  if (parts.length !== 3 || !isToken(parts[0]!)) throw new SipParseError('bad request line');
  const [method, uri, version] = parts as [string, string, string];
  if (!/^SIP\/2\.0$/i.test(version)) {
    if (/^SIP\/\d+\.\d+$/i.test(version)) throw new SipParseError('unsupported SIP version', { status: 505 });
    throw new SipParseError('bad request line');
  }
  checkRequestUri(uri);
  return { kind: 'request', method, uri, headers: [], body: Buffer.alloc(0) };
}

function parseStatusLine(line: string): SipResponse {
  const match = /^SIP\/(\d+\.\d+) (\d{3})(?: (.*))?$/i.exec(line);
  if (!match) throw new SipParseError('bad status line');
  if (match[1] !== '2.0') throw new SipParseError('unsupported SIP version', { status: 505 });
  const status = Number(match[2]);
  if (status < 100 || status > 699) throw new SipParseError('bad status code');
  return { kind: 'response', status, reason: match[3] ?? '', headers: [], body: Buffer.alloc(0) };
}

/** Any absolute URI; a sip/sips one must be valid (other schemes are the stack's 416). */
function checkRequestUri(uri: string): void {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):./.exec(uri);
  if (!scheme) throw new SipParseError('bad Request-URI');
  if (/^sips?$/i.test(scheme[1]!)) {
    try {
      parseUri(uri);
    } catch {
      throw new SipParseError('bad Request-URI');
    }
  }
}

function toHeaders(fields: string[]): SipHeader[] {
  const result: SipHeader[] = [];
  for (const field of fields) {
    const colon = field.indexOf(':');
    const name = colon < 0 ? '' : field.slice(0, colon).replace(/[ \t]+$/, '');
    if (!isToken(name)) throw new SipParseError('bad header line');
    const longName = canonicalHeaderName(name);
    const value = field.slice(colon + 1).trim();
    if (isListHeader(longName) && value !== '') {
      const values = splitHeaderList(value);
      if (values === null) throw new SipParseError(`unbalanced quotes or brackets in ${longName}`);
      for (const each of values) result.push({ name: longName, value: each });
    } else {
      result.push({ name: longName, value });
    }
    if (result.length > MAX_HEADER_VALUES) throw new SipParseError('too many header values');
  }
  return result;
}

/** The checks every message must pass before the stack may trust its routing headers. */
function checkHeaders(message: SipRequest | SipResponse): void {
  const count = new Map<string, number>();
  for (const each of message.headers) {
    const key = headerKey(each.name);
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  for (const name of SINGLE_HEADERS) {
    if ((count.get(name) ?? 0) > 1) throw new SipParseError(`more than one ${displayName(name)}`);
  }
  for (const name of ANSWER_HEADERS) {
    if (!count.has(name)) throw new SipParseError(`missing ${displayName(name)}`);
  }
  for (const via of headersOf(message, 'via')) guard(() => parseVia(via), 'bad Via');
  guard(() => parseNameAddr(header(message, 'From')!), 'bad From');
  guard(() => parseNameAddr(header(message, 'To')!), 'bad To');
  const callId = header(message, 'Call-ID')!;
  if (callId === '' || /\s/.test(callId)) throw new SipParseError('bad Call-ID');
  const cseq = guard(() => parseCSeq(header(message, 'CSeq')!), 'bad CSeq');
  if (message.kind === 'request' && cseq.method !== message.method) {
    throw new SipParseError('CSeq method differs from the request method');
  }
  const maxForwards = header(message, 'Max-Forwards');
  if (maxForwards !== undefined && !(/^\d{1,3}$/.test(maxForwards) && Number(maxForwards) <= 255)) {
    throw new SipParseError('bad Max-Forwards');
  }
  for (const contact of headersOf(message, 'contact')) {
    if (contact !== '*') guard(() => parseNameAddr(contact), 'bad Contact');
  }
}

function headersOf(message: SipMessage, key: string): string[] {
  return message.headers.filter((h) => headerKey(h.name) === key).map((h) => h.value);
}

/** Runs a header parser, replacing its detailed reason by the header's name. */
function guard<T>(parse: () => T, reason: string): T {
  try {
    return parse();
  } catch {
    throw new SipParseError(reason);
  }
}

const DISPLAY_NAMES: Readonly<Record<string, string>> = {
  via: 'Via',
  from: 'From',
  to: 'To',
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'content-length': 'Content-Length',
  'max-forwards': 'Max-Forwards',
};

function displayName(key: string): string {
  return DISPLAY_NAMES[key] ?? key;
}

function readBody(data: Buffer, bodyStart: number, fields: SipHeader[], transport: 'udp' | 'tcp'): Buffer {
  const available = data.length - bodyStart;
  const declared = header({ headers: fields }, 'Content-Length');
  if (declared === undefined) {
    if (transport === 'tcp') throw new SipParseError('missing Content-Length (required over TCP)');
    return Buffer.from(data.subarray(bodyStart));
  }
  const length = contentLength(declared);
  if (length > available) throw new SipParseError('body shorter than Content-Length');
  if (length < available && transport === 'tcp') throw new SipParseError('bytes after the body');
  // Copied: the caller's receive buffer may be reused for the next datagram.
  return Buffer.from(data.subarray(bodyStart, bodyStart + length));
}

function contentLength(value: string): number {
  if (!/^\d{1,10}$/.test(value)) throw new SipParseError('bad Content-Length');
  const length = Number(value);
  if (length > SIP_LIMITS.maxMessageBytes)
    throw new SipParseError('Content-Length too large', { status: 513 });
  return length;
}

function safeContextOf(data: Buffer): Partial<SipParseContext> {
  try {
    return contextOf(data);
  } catch {
    return {}; // the error is still reported, only without the headers to answer it
  }
}

/**
 * What can still be read from a message that failed: its kind, method and the headers a 400
 * copies. Tolerant on purpose, and bounded by the same limits as the strict parse.
 */
function contextOf(whole: Buffer): Partial<SipParseContext> {
  const data = whole.subarray(0, SIP_LIMITS.maxMessageBytes);
  const start = skipLineBreaks(data, 0);
  const end = findHeadEnd(data, start);
  const stop = end ? end.headEnd : data.length;
  const lines = data.toString('utf8', start, stop).split(/\r?\n/, SIP_LIMITS.maxHeaders * 2);
  const context: Partial<SipParseContext> = { headers: readAnswerHeaders(lines.slice(1)) };
  const first = lines[0] ?? '';
  if (/^SIP\//i.test(first)) context.kind = 'response';
  else {
    const method = first.split(' ')[0] ?? '';
    if (isToken(method) && first.includes(' ')) {
      context.kind = 'request';
      context.method = method;
    }
  }
  return context;
}

function readAnswerHeaders(lines: string[]): SipHeader[] {
  const found: SipHeader[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    if (line === '') break;
    if (line.length > SIP_LIMITS.maxHeaderLineBytes || hasControlCharacters(line)) continue;
    if (line.startsWith(' ') || line.startsWith('\t')) continue; // folded parts of headers we skip
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = canonicalHeaderName(line.slice(0, colon).trim());
    const key = name.toLowerCase();
    if (!(ANSWER_HEADERS as readonly string[]).includes(key)) continue;
    const value = line.slice(colon + 1).trim();
    if (key === 'via') {
      for (const via of splitHeaderList(value) ?? []) found.push({ name, value: via });
    } else if (!seen.has(key)) {
      seen.add(key);
      found.push({ name, value });
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// TCP framing

export interface FramerOutput {
  /** Whole messages, each ready for `parseMessage(frame, { transport: 'tcp' })`. */
  frames: Buffer[];
  /** Double-CRLF pings seen (RFC 5626 §3.5.1): a server answers each with one CRLF. */
  pings: number;
  /** Set when the stream cannot be framed any more: close the connection. */
  error: SipParseError | null;
}

/**
 * Cuts a TCP byte stream into messages by Content-Length. It reads only what framing needs;
 * a frame with a bad head still comes out whole, so the stack can answer it 400 and go on.
 * The stream is lost (error, connection to be closed) when a head has no usable Content-Length,
 * or a message or the buffer outgrows SIP_LIMITS.
 */
export class SipStreamFramer {
  private buffer: Buffer = Buffer.alloc(0);
  /** Where to look for the end of the head next, so a trickling head is not rescanned. */
  private scanFrom = 0;
  /** The current frame's total length, once its head has been read. */
  private frameLength: number | null = null;
  /** Line feeds seen between messages: two make a ping. */
  private gapLineFeeds = 0;
  private failure: SipParseError | null = null;

  push(chunk: Uint8Array): FramerOutput {
    const output: FramerOutput = { frames: [], pings: 0, error: this.failure };
    if (this.failure) return output;
    if (this.buffer.length + chunk.length > SIP_LIMITS.maxTcpBufferBytes) {
      return this.fail(output, 'TCP receive buffer over its limit');
    }
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    try {
      this.drain(output);
    } catch (error) {
      const reason = error instanceof SipParseError ? error.message : 'unreadable stream';
      return this.fail(output, reason);
    }
    return output;
  }

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.buffer.length;
  }

  private drain(output: FramerOutput): void {
    for (;;) {
      if (this.frameLength === null) {
        this.skipGap(output);
        if (this.buffer.length === 0) return;
        this.frameLength = this.readFrameLength();
        if (this.frameLength === null) return;
      }
      if (this.buffer.length < this.frameLength) return;
      output.frames.push(Buffer.from(this.buffer.subarray(0, this.frameLength)));
      this.buffer = this.buffer.subarray(this.frameLength);
      this.frameLength = null;
      this.scanFrom = 0;
    }
  }

  private skipGap(output: FramerOutput): void {
    let index = 0;
    while (index < this.buffer.length && (this.buffer[index] === CR || this.buffer[index] === LF)) {
      if (this.buffer[index] === LF && ++this.gapLineFeeds === 2) {
        output.pings++;
        this.gapLineFeeds = 0;
      }
      index++;
    }
    if (index < this.buffer.length) this.gapLineFeeds = 0;
    this.buffer = this.buffer.subarray(index);
  }

  private readFrameLength(): number | null {
    const end = findHeadEnd(this.buffer, this.scanFrom);
    if (!end) {
      if (this.buffer.length > SIP_LIMITS.maxMessageBytes) throw new SipParseError('message head too large');
      // The blank line may straddle chunks: look again from just before the end.
      this.scanFrom = Math.max(0, this.buffer.length - 3);
      return null;
    }
    const length = end.bodyStart + framingContentLength(this.buffer, end.headEnd);
    if (length > SIP_LIMITS.maxMessageBytes) throw new SipParseError('message too large');
    return length;
  }

  private fail(output: FramerOutput, reason: string): FramerOutput {
    this.failure = new SipParseError(reason);
    this.buffer = Buffer.alloc(0);
    output.error = this.failure;
    return output;
  }
}

/** The one Content-Length of a head (long or compact name, folded or not); throws when none or several. */
function framingContentLength(data: Buffer, headEnd: number): number {
  const values = new Set<string>();
  const lines = data.toString('utf8', 0, headEnd).split(/\r?\n/);
  for (let i = 1; i < lines.length; i++) {
    // A continuation line belongs to the header above it, whatever it looks like.
    if (/^[ \t]/.test(lines[i]!)) continue;
    const colon = lines[i]!.indexOf(':');
    if (colon <= 0) continue;
    if (headerKey(lines[i]!.slice(0, colon).trim()) !== 'content-length') continue;
    let value = lines[i]!.slice(colon + 1);
    while (i + 1 < lines.length && /^[ \t]/.test(lines[i + 1]!)) value += lines[++i];
    values.add(value.trim());
  }
  if (values.size === 0) throw new SipParseError('missing Content-Length (required over TCP)');
  if (values.size > 1) throw new SipParseError('conflicting Content-Length');
  return contentLength([...values][0]!);
}

// ---------------------------------------------------------------------------------------------
// Serializing and building

/** Request-line or status-line, headers in order (Content-Length from the body), CRLF ends. */
export function serializeMessage(message: SipMessage): Buffer {
  const lines = [startLine(message)];
  for (const each of message.headers) {
    if (headerKey(each.name) === 'content-length') continue;
    checkHeader(each);
    lines.push(`${each.name}: ${each.value}`);
  }
  lines.push(`Content-Length: ${message.body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  if (head.length + message.body.length > SIP_LIMITS.maxMessageBytes) {
    throw new SipBuildError(`message over ${SIP_LIMITS.maxMessageBytes} bytes`);
  }
  return Buffer.concat([head, message.body]);
}

function startLine(message: SipMessage): string {
  if (message.kind === 'request') {
    checkRequestLine(message.method, message.uri);
    return `${message.method} ${message.uri} SIP/2.0`;
  }
  if (!Number.isInteger(message.status) || message.status < 100 || message.status > 699) {
    throw new SipBuildError('status must be an integer from 100 to 699');
  }
  if (hasControlCharacters(message.reason)) throw new SipBuildError('control character in the reason phrase');
  return `SIP/2.0 ${message.status} ${message.reason}`;
}

function checkRequestLine(method: string, uri: string): void {
  if (!isToken(method)) throw new SipBuildError('method must be a token');
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(uri) || hasControlCharacters(uri)) {
    throw new SipBuildError('Request-URI must be an absolute URI without spaces');
  }
}

/** A name or value that would break the line structure could forge headers: refused. */
function checkHeader(each: SipHeader): void {
  if (!isToken(each.name)) throw new SipBuildError('header name must be a token');
  if (hasControlCharacters(each.value)) throw new SipBuildError(`control character in ${each.name}`);
}

/** Headers as a list (order kept) or a record (a string array gives the header several times). */
export type HeaderInput =
  | readonly SipHeader[]
  | Readonly<Record<string, string | number | readonly string[] | undefined>>;

function toHeaderList(input: HeaderInput | undefined): SipHeader[] {
  if (input === undefined) return [];
  const list: SipHeader[] = Array.isArray(input)
    ? (input as readonly SipHeader[]).map((h) => ({ name: h.name, value: h.value }))
    : Object.entries(input as Record<string, string | number | readonly string[] | undefined>).flatMap(
        ([name, value]) => {
          if (value === undefined) return [];
          const values = Array.isArray(value) ? value : [String(value)];
          return values.map((each) => ({ name, value: each }));
        },
      );
  const result = list.filter((h) => headerKey(h.name) !== 'content-length');
  for (const each of result) checkHeader(each);
  return result;
}

function toBody(body: Buffer | string | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

export interface RequestInit {
  method: string;
  uri: string;
  headers?: HeaderInput;
  body?: Buffer | string;
}

/** A request; Max-Forwards: 70 is added when absent (RFC 3261 §8.1.1.6). */
export function buildRequest(init: RequestInit): SipRequest {
  checkRequestLine(init.method, init.uri);
  const list = toHeaderList(init.headers);
  if (header({ headers: list }, 'Max-Forwards') === undefined)
    list.push({ name: 'Max-Forwards', value: '70' });
  return { kind: 'request', method: init.method, uri: init.uri, headers: list, body: toBody(init.body) };
}

export interface ResponseInit {
  /** Added after the copied ones. */
  headers?: HeaderInput;
  body?: Buffer | string;
  /** Put on To when the request's To has no tag yet (the UAS's side of the dialog). */
  toTag?: string;
}

/** Methods whose 1xx/2xx answers can make a dialog, so Record-Route is copied (RFC 3261 §12.1.1). */
const DIALOG_METHODS = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);

/**
 * A response to `request` (RFC 3261 §8.2.6): every Via in order, From, To (with `toTag` added
 * when To has none), Call-ID and CSeq copied; Timestamp copied on 100; Record-Route copied on
 * answers that can create a dialog.
 */
export function buildResponse(
  request: SipRequest,
  status: number,
  reason?: string,
  init: ResponseInit = {},
): SipResponse {
  const copied: SipHeader[] = [];
  const copy = (key: string) => {
    for (const each of request.headers) if (headerKey(each.name) === key) copied.push({ ...each });
  };
  copy('via');
  copy('from');
  const to = request.headers.find((h) => headerKey(h.name) === 'to');
  if (to) copied.push({ name: to.name, value: withToTag(to.value, init.toTag) });
  copy('call-id');
  copy('cseq');
  if (status === 100) copy('timestamp');
  if (status > 100 && status < 300 && DIALOG_METHODS.has(request.method)) copy('record-route');
  const response: SipResponse = {
    kind: 'response',
    status,
    reason: reason ?? reasonPhrase(status),
    headers: [...copied, ...toHeaderList(init.headers)],
    body: toBody(init.body),
  };
  startLine(response); // a bad status or reason fails here, not when it is sent
  return response;
}

function withToTag(value: string, tag: string | undefined): string {
  if (tag === undefined) return value;
  if (!isToken(tag)) throw new SipBuildError('To tag must be a token');
  let existing: string | null = null;
  try {
    existing = tagOf(value);
  } catch {
    // An unreadable To (built by hand): the tag is still appended, as the header's parameter.
  }
  return existing === null ? `${value};tag=${tag}` : value;
}

/**
 * The answer to a request that failed to parse (400, 505 or 513), from what the error kept;
 * null when it cannot be answered (see SipParseError.answerable). Our reason goes in a Warning.
 */
export function answerToMalformed(error: SipParseError, toTag: string = newTag()): SipResponse | null {
  if (!error.answerable) return null;
  const pseudoRequest: SipRequest = {
    kind: 'request',
    method: error.method!,
    uri: 'sip:invalid',
    headers: error.headers.filter((h) => !hasControlCharacters(h.value)),
    body: Buffer.alloc(0),
  };
  return buildResponse(pseudoRequest, error.status, undefined, {
    toTag,
    headers: [{ name: 'Warning', value: `399 hikbridge ${quote(error.message)}` }],
  });
}

const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  600: 'Busy Everywhere',
  603: 'Decline',
};

/** Reason phrases by class, for a status without its own (RFC 3261 §21: the class is what counts). */
const CLASS_PHRASES = ['Provisional', 'OK', 'Redirect', 'Client Error', 'Server Error', 'Failure'];

/** The RFC 3261 reason phrase for a status, or a generic one for its class. */
export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? CLASS_PHRASES[Math.floor(status / 100) - 1] ?? 'Unknown';
}
