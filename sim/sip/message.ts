/**
 * The simulated doorbell's own SIP text handling (RFC 3261 §7): just what a door station needs to
 * read and write. Independent of src/ on purpose: the simulator plays the device the gateway's SIP
 * stack is tested against. Parsing never throws: anything unreadable is `undefined` and ignored.
 */
import { randomInt } from 'node:crypto';

export interface SipHeaderLine {
  /** Lower-case long form (`via`, `call-id`); compact forms are expanded. */
  key: string;
  value: string;
}

interface SipMessageBase {
  headers: SipHeaderLine[];
  body: Buffer;
  callId: string;
  cseq: { seq: number; method: string };
}

export interface SipRequest extends SipMessageBase {
  kind: 'request';
  method: string;
  uri: string;
}

export interface SipResponse extends SipMessageBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

export interface SipUri {
  user: string | null;
  host: string;
  port: number | null;
}

/** 64 KB: the largest datagram; more is not a message a door station takes. */
export const MAX_SIP_MESSAGE_BYTES = 65_535;
const MAX_HEADER_LINES = 100;

const COMPACT: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
  s: 'subject',
  e: 'content-encoding',
  o: 'event',
};

const REQUEST_LINE = /^([A-Z]+) (\S+) SIP\/2\.0$/;
const STATUS_LINE = /^SIP\/2\.0 ([1-6]\d\d)(?: (.*))?$/;

export function headerKey(name: string): string {
  const key = name.trim().toLowerCase();
  return COMPACT[key] ?? key;
}

/** Where the head ends: index of the blank line and of the body; undefined when not there yet. */
export function headEnd(data: Buffer): { head: number; body: number } | undefined {
  const crlf = data.indexOf('\r\n\r\n');
  const lf = data.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { head: crlf, body: crlf + 4 };
  if (lf >= 0) return { head: lf, body: lf + 2 };
  return undefined;
}

/** Header lines of a head (after the start line), continuation lines joined. */
function headerLines(lines: string[]): SipHeaderLine[] | undefined {
  const headers: SipHeaderLine[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      headers[headers.length - 1]!.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    headers.push({ key: headerKey(line.slice(0, colon)), value: line.slice(colon + 1).trim() });
  }
  return headers.length > MAX_HEADER_LINES ? undefined : headers;
}

/**
 * One message from a datagram or a TCP frame; undefined when it is not a SIP/2.0 message with
 * Via, From, To, Call-ID and CSeq (such input is dropped, never answered).
 */
export function parseSipMessage(data: Buffer): SipMessage | undefined {
  if (data.length > MAX_SIP_MESSAGE_BYTES) return undefined;
  let start = 0;
  while (start < data.length && (data[start] === 13 || data[start] === 10)) start++;
  const input = data.subarray(start);
  const end = headEnd(input);
  if (!end) return undefined;
  const text = input.toString('utf8', 0, end.head);
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text)) return undefined;
  const [first = '', ...rest] = text.split(/\r?\n/);
  const headers = headerLines(rest);
  if (!headers) return undefined;
  const one = (key: string): string | undefined => headers.find((h) => h.key === key)?.value;
  const callId = one('call-id');
  const cseq = /^(\d{1,10})\s+([A-Za-z]+)$/.exec(one('cseq') ?? '');
  if (!callId || !cseq || !one('via') || !one('from') || !one('to')) return undefined;
  const body = bodyOf(input.subarray(end.body), one('content-length'));
  if (!body) return undefined;
  const base = { headers, body, callId, cseq: { seq: Number(cseq[1]), method: cseq[2]!.toUpperCase() } };
  const request = REQUEST_LINE.exec(first);
  if (request) return { kind: 'request', method: request[1]!, uri: request[2]!, ...base };
  const status = STATUS_LINE.exec(first);
  if (status) return { kind: 'response', status: Number(status[1]), reason: status[2] ?? '', ...base };
  return undefined;
}

/** The body by Content-Length (RFC 3261 §18.3: extra bytes dropped, missing bytes = broken). */
function bodyOf(rest: Buffer, contentLength: string | undefined): Buffer | undefined {
  if (contentLength === undefined) return rest;
  if (!/^\d{1,6}$/.test(contentLength)) return undefined;
  const length = Number(contentLength);
  return length > rest.length ? undefined : rest.subarray(0, length);
}

export function header(message: SipMessage, key: string): string | undefined {
  return message.headers.find((h) => h.key === key)?.value;
}

export function headerValues(message: SipMessage, key: string): string[] {
  return message.headers.filter((h) => h.key === key).map((h) => h.value);
}

/** Splits a list header value on commas outside quotes and `<...>`. */
export function splitList(value: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && c === '<') depth++;
    else if (!quoted && c === '>') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && c === ',') {
      parts.push(value.slice(from, i).trim());
      from = i + 1;
    }
  }
  parts.push(value.slice(from).trim());
  return parts.filter((p) => p !== '');
}

/** The URI and the header parameters of a From/To/Contact value (`"n" <sip:..>;tag=x` or `sip:..;tag=x`). */
export function splitAddress(value: string): { uri: string; params: Record<string, string> } {
  const open = value.indexOf('<');
  const close = value.indexOf('>', open);
  let uri: string;
  let rest: string;
  if (open >= 0 && close > open) {
    uri = value.slice(open + 1, close).trim();
    rest = value.slice(close + 1);
  } else {
    const semi = value.indexOf(';');
    uri = (semi < 0 ? value : value.slice(0, semi)).trim();
    rest = semi < 0 ? '' : value.slice(semi);
  }
  return { uri, params: parseParams(rest) };
}

export function parseParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const part of text.split(';')) {
    const [name, ...value] = part.split('=');
    const key = name?.trim().toLowerCase();
    if (key)
      params[key] = value
        .join('=')
        .trim()
        .replace(/^"(.*)"$/, '$1');
  }
  return params;
}

export function tagOf(value: string | undefined): string | undefined {
  return value === undefined ? undefined : splitAddress(value).params.tag;
}

/** `sip:user@host:port;params` (IPv6 in brackets); undefined for other schemes or broken ones. */
export function parseUri(text: string): SipUri | undefined {
  const match = /^sips?:(?:([^@;?]*)@)?(\[[0-9a-fA-F:.]+\]|[^:;?\s]+)(?::(\d{1,5}))?(?:[;?].*)?$/i.exec(
    text.trim(),
  );
  if (!match) return undefined;
  const port = match[3] === undefined ? null : Number(match[3]);
  if (port !== null && (port < 1 || port > 65535)) return undefined;
  return { user: match[1] ?? null, host: match[2]!.replace(/^\[|\]$/g, ''), port };
}

/** `host` for a URI or Via: IPv6 in brackets. */
export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The top Via's branch (its first comma-separated value). */
export function topBranch(message: SipMessage): string | undefined {
  const via = header(message, 'via');
  if (via === undefined) return undefined;
  return parseParams(splitList(via)[0]?.split(';').slice(1).join(';') ?? '').branch;
}

/** Serializes a start line, headers in the given order, Content-Length last, and the body. */
export function serialize(startLine: string, headers: Array<[string, string]>, body?: Buffer): Buffer {
  const content = body ?? Buffer.alloc(0);
  const lines = [startLine, ...headers.map(([name, value]) => `${name}: ${value}`)];
  lines.push(`Content-Length: ${content.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), content]);
}

/**
 * A decimal number like the captured doorbell's tags, branches and Call-IDs
 * (`tag=1247335934`, `branch=z9hG4bK1804739393`, `Call-ID: 651024374`).
 */
export function deviceNumber(): string {
  return String(randomInt(100_000_000, 2 ** 31 - 1));
}

/** Reason phrases of the answers the doorbell sends. */
export const REASONS: Record<number, string> = {
  200: 'OK',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  501: 'Not Implemented',
};
