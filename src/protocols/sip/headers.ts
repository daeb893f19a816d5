/**
 * SIP header values (RFC 3261 §19, §20, §25): URIs, name-addr values (From, To, Contact), Via,
 * CSeq, parameters, header lookup by long or compact name, and the random tags, branches and
 * Call-IDs a user agent makes. Every parser here throws SipParseError and nothing else.
 */
import { randomBytes } from 'node:crypto';
import type { CSeq, NameAddr, SipHeader, SipMessage, SipUri, Via } from './types.ts';

export interface SipParseContext {
  /** What the first line said the message was, when it could be told. */
  kind: 'request' | 'response' | null;
  /** The request's method, when it was a request with a readable method. */
  method: string | null;
  /** Via (all, in order), From, To, Call-ID and CSeq as far as they could be read: what a 400 copies. */
  headers: SipHeader[];
  /** The answer RFC 3261 gives for this fault: 400, 505 (version) or 513 (too large). */
  status: 400 | 505 | 513;
}

/**
 * A message or header value that is not valid SIP. `message` is a short reason made of our own
 * words only (never bytes from the peer), so it is safe to log and to put in a Warning header.
 */
export class SipParseError extends Error {
  override readonly name = 'SipParseError';
  readonly kind: SipParseContext['kind'];
  readonly method: string | null;
  readonly headers: readonly SipHeader[];
  readonly status: SipParseContext['status'];

  constructor(reason: string, context: Partial<SipParseContext> = {}, options?: { cause?: unknown }) {
    super(reason, options);
    this.kind = context.kind ?? null;
    this.method = context.method ?? null;
    this.headers = context.headers ?? [];
    this.status = context.status ?? 400;
  }

  get reason(): string {
    return this.message;
  }

  /**
   * Whether the sender can be told what was wrong: a request (never an ACK, which gets no
   * answer) whose Via, From, To, Call-ID and CSeq were all read.
   */
  get answerable(): boolean {
    if (this.kind !== 'request' || this.method === null || this.method === 'ACK') return false;
    const present = new Set(this.headers.map((h) => headerKey(h.name)));
    return ANSWER_HEADERS.every((name) => present.has(name));
  }
}

/** The headers a response copies from its request (RFC 3261 §8.2.6.2), lower case. */
export const ANSWER_HEADERS = ['via', 'from', 'to', 'call-id', 'cseq'] as const;

/** Compact forms (RFC 3261 §7.3.3 and the extensions that registered one). */
const COMPACT_FORMS: Readonly<Record<string, string>> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

/**
 * Headers whose grammar is a comma-separated list, so one line may carry several values. Any
 * other header keeps its commas (Date, Subject, User-Agent, and the authentication headers,
 * whose parameters are themselves separated by commas).
 */
const LIST_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'accept-contact',
  'accept-encoding',
  'accept-language',
  'alert-info',
  'allow',
  'allow-events',
  'call-info',
  'contact',
  'content-encoding',
  'content-language',
  'error-info',
  'in-reply-to',
  'p-asserted-identity',
  'path',
  'proxy-require',
  'reason',
  'record-route',
  'reject-contact',
  'request-disposition',
  'require',
  'route',
  'service-route',
  'supported',
  'unsupported',
  'via',
  'warning',
]);

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
/** Characters no header value, URI or parameter may hold once the line breaks are gone. */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
const MAX_CSEQ = 2 ** 31 - 1;
/** RFC 3261 §10.2.1: expiration values above 2^32-1 are taken as 2^32-1. */
const MAX_DELTA_SECONDS = 2 ** 32 - 1;

export function isToken(text: string): boolean {
  return TOKEN.test(text);
}

export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

/** The long name for a compact one (`v` -> `Via`); any other name is returned as given. */
export function canonicalHeaderName(name: string): string {
  return name.length === 1 ? (COMPACT_FORMS[name.toLowerCase()] ?? name) : name;
}

/** The key headers are matched by: long form, lower case. */
export function headerKey(name: string): string {
  return canonicalHeaderName(name).toLowerCase();
}

export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(headerKey(name));
}

/**
 * Splits a list header's value on the commas that separate values: never inside a quoted string
 * (display names such as "Doe, John") or inside `<...>` (a URI). Returns null when a quote or
 * an angle bracket is left open, because then the boundaries cannot be known.
 */
export function splitHeaderList(value: string): string[] | null {
  const parts: string[] = [];
  let inQuotes = false;
  let inAngles = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (inQuotes) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuotes = false;
    } else if (ch === '"') inQuotes = true;
    else if (ch === '<') {
      if (inAngles) return null;
      inAngles = true;
    } else if (ch === '>') {
      if (!inAngles) return null;
      inAngles = false;
    } else if (ch === ',' && !inAngles) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  if (inQuotes || inAngles) return null;
  parts.push(value.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

/** The first value of a header (by long or compact name, any case), trimmed. */
export function header(message: { headers: readonly SipHeader[] }, name: string): string | undefined {
  return headers(message, name)[0];
}

/** Every value of a header in order; a list header's comma-separated values come one by one. */
export function headers(message: { headers: readonly SipHeader[] }, name: string): string[] {
  const key = headerKey(name);
  const list = LIST_HEADERS.has(key);
  const values: string[] = [];
  for (const each of message.headers) {
    if (headerKey(each.name) !== key) continue;
    // A message we built may hold an unbalanced value: then it is one value, not a fault here.
    if (list) values.push(...(splitHeaderList(each.value) ?? [each.value.trim()]));
    else values.push(each.value.trim());
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Parameters

export type SipParams = Record<string, string | null>;

/** A parameter record without a prototype, so a parameter named `__proto__` is just a name. */
function newParams(): SipParams {
  return Object.create(null) as SipParams;
}

/**
 * `;name=value;flag` parameters (the text after the first `;`). Names are lower-cased (they
 * are case-insensitive); values are kept as written, quotes included, so they round-trip.
 */
export function parseParams(text: string): SipParams {
  const params = newParams();
  for (const raw of splitOutsideQuotes(text, ';')) {
    const part = raw.trim();
    if (part === '') throw new SipParseError('empty parameter');
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!isToken(name)) throw new SipParseError('bad parameter name');
    if (eq < 0) {
      params[name] = null;
      continue;
    }
    const value = part.slice(eq + 1).trim();
    if (!isParamValue(value)) throw new SipParseError('bad parameter value');
    params[name] = value;
  }
  return params;
}

/** token, host (IPv6 too) or a quoted string: nothing else may follow an `=`. */
function isParamValue(value: string): boolean {
  if (value.startsWith('"')) return quotedStringEnd(value, 0) === value.length;
  return value.length > 0 && !/[\s;,"<>]/.test(value);
}

export function formatParams(params: Readonly<SipParams>): string {
  let text = '';
  for (const [name, value] of Object.entries(params))
    text += value === null ? `;${name}` : `;${name}=${value}`;
  return text;
}

/** The end (index after the closing quote) of the quoted string starting at `start`, or -1. */
function quotedStringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return -1;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') {
      const end = quotedStringEnd(text, i);
      if (end < 0) throw new SipParseError('unterminated quoted string');
      i = end - 1;
    } else if (text[i] === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

// ---------------------------------------------------------------------------------------------
// URIs

/** A parsed URI also keeps its `?headers` part (raw), which SipUri has no field for. */
export interface ParsedSipUri extends SipUri {
  headers: string | null;
}

/**
 * `sip:user@host:port;params?headers` (RFC 3261 §19.1). The user part is kept as written
 * (escapes and a `:password`, which RFC 3261 advises against, included). An IPv6 host is kept
 * without its brackets, as a socket address is written; formatUri puts them back.
 */
export function parseUri(text: string): ParsedSipUri {
  const value = text.trim();
  const scheme = /^(sips?):/i.exec(value);
  if (!scheme) throw new SipParseError('not a sip or sips URI');
  if (/[\s<>"]/.test(value) || hasControlCharacters(value)) throw new SipParseError('bad character in URI');
  let rest = value.slice(scheme[0].length);
  let user: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    if (user === '') throw new SipParseError('empty user in URI');
    rest = rest.slice(at + 1);
  }
  let headersPart: string | null = null;
  const question = rest.indexOf('?');
  if (question >= 0) {
    headersPart = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  const semicolon = rest.indexOf(';');
  const hostPort = parseHostPort(semicolon < 0 ? rest : rest.slice(0, semicolon));
  const params = semicolon < 0 ? newParams() : parseParams(rest.slice(semicolon + 1));
  return {
    scheme: scheme[1]!.toLowerCase() as 'sip' | 'sips',
    user,
    host: hostPort.host,
    port: hostPort.port,
    params,
    headers: headersPart,
  };
}

export function formatUri(uri: SipUri & { headers?: string | null }): string {
  const user = uri.user === null ? '' : `${uri.user}@`;
  const port = uri.port === null ? '' : `:${uri.port}`;
  const headersPart = uri.headers ? `?${uri.headers}` : '';
  return `${uri.scheme}:${user}${formatHost(uri.host)}${port}${formatParams(uri.params)}${headersPart}`;
}

/** An IPv6 address in brackets, anything else as it is. */
export function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port`. */
export function parseHostPort(text: string): { host: string; port: number | null } {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new SipParseError('unterminated IPv6 address');
    host = text.slice(1, close);
    if (!/^[0-9A-Fa-f:.]+$/.test(host) || !host.includes(':')) throw new SipParseError('bad IPv6 address');
    const after = text.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw new SipParseError('bad host');
      portText = after.slice(1);
    }
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    if (colon >= 0) portText = text.slice(colon + 1);
    if (!/^[A-Za-z0-9._-]+$/.test(host)) throw new SipParseError('bad host');
  }
  if (portText === undefined) return { host, port: null };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new SipParseError('bad port');
  return { host, port: Number(portText) };
}

// ---------------------------------------------------------------------------------------------
// name-addr: From, To, Contact, Route...

/**
 * `"Name" <uri>;params`, `Name <uri>;params`, `<uri>;params` or a bare `uri;params` (where the
 * parameters belong to the header, not the URI: RFC 3261 §20.10). A wildcard Contact (`*`) is
 * not a name-addr: look for it before calling this.
 */
export function parseNameAddr(text: string): NameAddr {
  const value = text.trim();
  if (hasControlCharacters(value)) throw new SipParseError('bad character in address');
  let displayName: string | null = null;
  let index = 0;
  if (value.startsWith('"')) {
    const end = quotedStringEnd(value, 0);
    if (end < 0) throw new SipParseError('unterminated display name');
    displayName = unquote(value.slice(0, end));
    index = end;
    while (value[index] === ' ' || value[index] === '\t') index++;
    if (value[index] !== '<') throw new SipParseError('display name without <URI>');
  } else {
    const open = value.indexOf('<');
    // Before a `<` only a display name of tokens may stand; else the `<` is inside a parameter.
    const before = open < 0 ? '' : value.slice(0, open).trim();
    if (open < 0 || !before.split(/[ \t]+/).every((word) => word === '' || isToken(word))) {
      return parseAddrSpec(value);
    }
    displayName = before === '' ? null : before.replace(/[ \t]+/g, ' ');
    index = open;
  }
  const close = value.indexOf('>', index);
  if (close < 0) throw new SipParseError('unterminated <URI>');
  const uri = parseUri(value.slice(index + 1, close));
  return { displayName, uri, params: headerParams(value.slice(close + 1)) };
}

function parseAddrSpec(value: string): NameAddr {
  const semicolon = value.indexOf(';');
  const uri = parseUri(semicolon < 0 ? value : value.slice(0, semicolon));
  return { displayName: null, uri, params: headerParams(semicolon < 0 ? '' : value.slice(semicolon)) };
}

function headerParams(rest: string): SipParams {
  const text = rest.trim();
  if (text === '') return newParams();
  if (!text.startsWith(';')) throw new SipParseError('text after the address');
  return parseParams(text.slice(1));
}

/** Always the `<...>` form, so URI parameters and header parameters cannot be confused. */
export function formatNameAddr(address: NameAddr): string {
  const name = address.displayName === null ? '' : `${quote(address.displayName)} `;
  return `${name}<${formatUri(address.uri)}>${formatParams(address.params)}`;
}

export function quote(text: string): string {
  return `"${text.replace(/(["\\])/g, '\\$1')}"`;
}

function unquote(text: string): string {
  return text.slice(1, -1).replace(/\\(.)/g, '$1');
}

// ---------------------------------------------------------------------------------------------
// Via, CSeq, tags

/** `SIP/2.0/UDP host:port;branch=...;rport` (RFC 3261 §20.42). */
export function parseVia(text: string): Via {
  const value = text.trim();
  if (hasControlCharacters(value)) throw new SipParseError('bad character in Via');
  const semicolon = value.indexOf(';');
  const head = (semicolon < 0 ? value : value.slice(0, semicolon)).trim();
  // Whitespace may surround the slashes (LWS in the grammar); \S+\s+\S+ cannot backtrack badly.
  const match = /^SIP\s*\/\s*2\.0\s*\/\s*(\S+)\s+(\S+)$/i.exec(head);
  if (!match || !isToken(match[1]!)) throw new SipParseError('bad Via');
  const sentBy = parseHostPort(match[2]!);
  const params = semicolon < 0 ? newParams() : parseParams(value.slice(semicolon + 1));
  return {
    transport: match[1]!.toUpperCase(),
    host: sentBy.host,
    port: sentBy.port,
    branch: params.branch ?? null,
    params,
  };
}

export function formatVia(via: Via): string {
  const port = via.port === null ? '' : `:${via.port}`;
  const params = { ...via.params };
  if (via.branch !== null) params.branch = via.branch;
  return `SIP/2.0/${via.transport} ${formatHost(via.host)}${port}${formatParams(params)}`;
}

/** `20 INVITE`: a sequence number below 2^31 and a method. */
export function parseCSeq(text: string): CSeq {
  const match = /^(\d{1,10})[ \t]+(\S+)$/.exec(text.trim());
  if (!match || !isToken(match[2]!)) throw new SipParseError('bad CSeq');
  const seq = Number(match[1]);
  if (seq > MAX_CSEQ) throw new SipParseError('CSeq number too large');
  return { seq, method: match[2]! };
}

/** The `tag` of a From or To value (or of a parsed one); null when it has none. */
export function tagOf(value: string | NameAddr | undefined): string | null {
  if (value === undefined) return null;
  const address = typeof value === 'string' ? parseNameAddr(value) : value;
  return address.params.tag ?? null;
}

/** RFC 3261 §19.3: tags need at least 32 random bits; 64 make a clash across calls unthinkable. */
export function newTag(): string {
  return randomBytes(8).toString('hex');
}

/** The RFC 3261 magic cookie tells peers the branch is unique per transaction (§8.1.1.7). */
export const BRANCH_COOKIE = 'z9hG4bK';

export function newBranch(): string {
  return `${BRANCH_COOKIE}${randomBytes(10).toString('hex')}`;
}

/** A globally unique Call-ID: random word, `@`, the host that made it. */
export function newCallId(host: string): string {
  if (host === '' || /[\s"<>]/.test(host) || hasControlCharacters(host)) {
    throw new TypeError('Call-ID host must be a plain host name or address');
  }
  return `${randomBytes(12).toString('hex')}@${host}`;
}

// ---------------------------------------------------------------------------------------------
// Message helpers

/** The top Via of a message, parsed; undefined when it has none. */
export function topVia(message: { headers: readonly SipHeader[] }): Via | undefined {
  const value = header(message, 'Via');
  return value === undefined ? undefined : parseVia(value);
}

/** A REGISTER's Contacts: a wildcard (`Contact: *`, remove all bindings) or a list of addresses. */
export function contactsOf(message: { headers: readonly SipHeader[] }): NameAddr[] | '*' {
  const values = headers(message, 'Contact');
  if (values.length === 1 && values[0] === '*') return '*';
  return values.map(parseNameAddr);
}

/**
 * How long a registration should last, in seconds (RFC 3261 §10.2.1.1, §10.3): the Contact's
 * `expires` parameter (the given contact's, else the first Contact's), else the Expires header.
 * null when neither is there or readable: the caller applies its default.
 */
export function expiresOf(message: SipMessage, contact?: NameAddr): number | null {
  const address = contact ?? firstContact(message);
  const param = address?.params.expires;
  const fromParam = param === undefined || param === null ? null : deltaSeconds(param);
  if (fromParam !== null) return fromParam;
  const value = header(message, 'Expires');
  return value === undefined ? null : deltaSeconds(value);
}

function firstContact(message: SipMessage): NameAddr | undefined {
  const value = header(message, 'Contact');
  if (value === undefined || value === '*') return undefined;
  try {
    return parseNameAddr(value);
  } catch {
    return undefined;
  }
}

function deltaSeconds(text: string): number | null {
  const value = text.trim();
  if (!/^\d{1,12}$/.test(value)) return null;
  return Math.min(Number(value), MAX_DELTA_SECONDS);
}

/** parseVia that answers undefined for an unreadable value (peers' messages are not trusted). */
export function viaOrUndefined(value: string): Via | undefined {
  try {
    return parseVia(value);
  } catch {
    return undefined;
  }
}

/** topVia that answers undefined for an unreadable top Via. */
export function topViaOrUndefined(message: { headers: readonly SipHeader[] }): Via | undefined {
  try {
    return topVia(message);
  } catch {
    return undefined;
  }
}
