/**
 * SDP (RFC 4566) offer/answer (RFC 3264) for G.711 calls: read a doorbell's offer, answer it
 * with one audio stream in PCMU or PCMA (and telephone-event when offered), reject every other
 * stream with port 0, and say where our RTP goes. Also the offer for calls we place, and
 * reading its answer. Video from a doorbell comes over RTSP, never from here.
 */
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';

export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
export type G711Name = 'PCMU' | 'PCMA';

export interface SdpConnection {
  addressType: 'IP4' | 'IP6';
  /** Without the multicast `/ttl` suffix. */
  address: string;
}

export interface SdpRtpMap {
  encoding: string;
  clockRate: number;
  channels: number | null;
}

export interface SdpAttribute {
  name: string;
  value: string | null;
}

export interface SdpMedia {
  /** `audio`, `video`, `application`... */
  type: string;
  /** 0 for a rejected or disabled stream. */
  port: number;
  protocol: string;
  /** Payload types (for RTP) in the sender's order of preference. */
  formats: string[];
  /** The section's own `c=`, else the session's; null when neither exists. */
  connection: SdpConnection | null;
  rtpmaps: Map<string, SdpRtpMap>;
  fmtps: Map<string, string>;
  /** The section's own direction attribute, else the session's, else sendrecv. */
  direction: SdpDirection;
  ptime: number | null;
  attributes: SdpAttribute[];
}

export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  addressType: string;
  address: string;
}

export interface SessionDescription {
  origin: SdpOrigin;
  sessionName: string;
  connection: SdpConnection | null;
  /** The `t=` value, which an answer repeats. */
  timing: string;
  direction: SdpDirection | null;
  media: SdpMedia[];
}

/**
 * `malformed`: not SDP we can read (answer 400). `not-acceptable`: readable, but no audio
 * stream we can take (answer 488 Not Acceptable Here).
 */
export class SdpError extends Error {
  override readonly name = 'SdpError';
  readonly status: 400 | 488;

  constructor(
    readonly code: 'malformed' | 'not-acceptable',
    message: string,
  ) {
    super(message);
    this.status = code === 'malformed' ? 400 : 488;
  }
}

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
/** No call needs more streams; more is a broken or hostile offer. */
const MAX_MEDIA = 32;
/** RFC 3551 static payload types a G.711 stream may use without an rtpmap. */
const STATIC_G711: Readonly<Record<string, G711Name>> = { '0': 'PCMU', '8': 'PCMA' };
const STATIC_PAYLOAD_TYPE: Readonly<Record<G711Name, number>> = { PCMU: 0, PCMA: 8 };
const TELEPHONE_EVENT = 'telephone-event';

export function parseSdp(input: string | Buffer): SessionDescription {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const lines = text.split(/\r?\n/).filter((line) => line !== '');
  if (lines[0] !== 'v=0') throw malformed('SDP must start with v=0');
  let origin: SdpOrigin | null = null;
  let sessionName = '';
  let connection: SdpConnection | null = null;
  let timing = '0 0';
  let sessionDirection: SdpDirection | null = null;
  const media: Array<SdpMedia & { ownConnection: boolean; ownDirection: boolean }> = [];
  for (const line of lines.slice(1)) {
    const match = /^([a-z])=(.*)$/.exec(line);
    // Control bytes would end up in our answer's rejected m-lines: refuse them here.
    if (!match || /[\x00-\x08\x0a-\x1f\x7f]/.test(line)) throw malformed('bad SDP line');
    const [, type, value] = match as unknown as [string, string, string];
    const current = media[media.length - 1];
    if (type === 'm') {
      if (media.length >= MAX_MEDIA) throw malformed('too many media sections');
      media.push({ ...parseMediaLine(value), ownConnection: false, ownDirection: false });
    } else if (type === 'c') {
      const parsed = parseConnection(value);
      if (current) {
        current.connection = parsed;
        current.ownConnection = true;
      } else connection = parsed;
    } else if (type === 'o') {
      if (current) throw malformed('o= inside a media section');
      origin = parseOrigin(value);
    } else if (type === 's' && !current) sessionName = value;
    else if (type === 't' && !current) timing = value;
    else if (type === 'a') {
      const attribute = parseAttribute(value);
      if (current) addMediaAttribute(current, attribute);
      else if (DIRECTIONS.has(attribute.name)) sessionDirection = attribute.name as SdpDirection;
    }
  }
  if (!origin) throw malformed('SDP without o=');
  for (const each of media) {
    if (!each.ownConnection) each.connection = connection;
    if (!each.ownDirection) each.direction = sessionDirection ?? 'sendrecv';
  }
  return {
    origin,
    sessionName,
    connection,
    timing,
    direction: sessionDirection,
    media: media.map(({ ownConnection: _c, ownDirection: _d, ...rest }) => rest),
  };
}

function malformed(message: string): SdpError {
  return new SdpError('malformed', message);
}

function parseOrigin(value: string): SdpOrigin {
  const parts = value.split(' ');
  if (parts.length !== 6) throw malformed('bad o= line');
  const [username, sessionId, sessionVersion, , addressType, address] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { username, sessionId, sessionVersion, addressType, address };
}

function parseConnection(value: string): SdpConnection {
  const match = /^IN (IP4|IP6) ([^\s/]+)(?:\/\d+){0,2}$/.exec(value);
  if (!match) throw malformed('bad c= line');
  return { addressType: match[1] as 'IP4' | 'IP6', address: match[2]! };
}

function parseMediaLine(value: string): SdpMedia {
  const parts = value.split(' ');
  const [type = '', portText = '', protocol = '', ...formats] = parts;
  const port = /^(\d{1,5})(?:\/\d{1,5})?$/.exec(portText);
  if (!/^[a-z][a-z0-9_-]*$/i.test(type) || !port || Number(port[1]) > 65535) throw malformed('bad m= line');
  if (protocol === '' || formats.length === 0 || formats.some((f) => f === ''))
    throw malformed('bad m= line');
  return {
    type: type.toLowerCase(),
    port: Number(port[1]),
    protocol,
    formats,
    connection: null,
    rtpmaps: new Map(),
    fmtps: new Map(),
    direction: 'sendrecv',
    ptime: null,
    attributes: [],
  };
}

function parseAttribute(value: string): SdpAttribute {
  const colon = value.indexOf(':');
  if (colon < 0) return { name: value.trim(), value: null };
  return { name: value.slice(0, colon).trim(), value: value.slice(colon + 1).trim() };
}

function addMediaAttribute(media: SdpMedia & { ownDirection: boolean }, attribute: SdpAttribute): void {
  media.attributes.push(attribute);
  const { name, value } = attribute;
  if (DIRECTIONS.has(name)) {
    media.direction = name as SdpDirection;
    media.ownDirection = true;
  } else if (name === 'rtpmap' && value !== null) {
    const map = /^(\d{1,3}) ([^/\s]+)\/(\d{1,9})(?:\/(\d{1,2}))?$/.exec(value);
    if (!map) throw malformed('bad a=rtpmap');
    media.rtpmaps.set(map[1]!, {
      encoding: map[2]!,
      clockRate: Number(map[3]),
      channels: map[4] === undefined ? null : Number(map[4]),
    });
  } else if (name === 'fmtp' && value !== null) {
    const space = value.indexOf(' ');
    if (space > 0) media.fmtps.set(value.slice(0, space), value.slice(space + 1).trim());
  } else if (name === 'ptime' && value !== null && /^\d{1,4}$/.test(value)) {
    media.ptime = Number(value);
  }
}

/** The G.711 flavour a payload type carries in a section (8 kHz mono only), by rtpmap or static number. */
export function g711Of(media: SdpMedia, payloadType: string): G711Name | null {
  if (!/^\d{1,3}$/.test(payloadType) || Number(payloadType) > 127) return null;
  const map = media.rtpmaps.get(payloadType);
  if (!map) return STATIC_G711[payloadType] ?? null;
  const encoding = map.encoding.toUpperCase();
  if ((encoding !== 'PCMU' && encoding !== 'PCMA') || map.clockRate !== 8000) return null;
  return (map.channels ?? 1) === 1 ? encoding : null;
}

function telephoneEventOf(media: SdpMedia): string | null {
  for (const format of media.formats) {
    const map = media.rtpmaps.get(format);
    if (map && map.encoding.toLowerCase() === TELEPHONE_EVENT && map.clockRate === 8000) return format;
  }
  return null;
}

function isRtpAudio(media: SdpMedia): boolean {
  return media.type === 'audio' && media.port > 0 && media.protocol.toUpperCase() === 'RTP/AVP';
}

// ---------------------------------------------------------------------------------------------
// Answering an offer

export interface RemoteRtp {
  address: string;
  port: number;
  payloadType: number;
}

export interface AudioAnswerOptions {
  /** Our RTP address (an IP, written in o= and c=) and port. */
  address: string;
  port: number;
  /** The codec to send, or several in order of preference. */
  codec: G711Name | readonly G711Name[];
  sessionId?: string;
  sessionVersion?: string;
  /** What we do with audio: `sendrecv` (default) or only `sendonly`. */
  direction?: 'sendrecv' | 'sendonly';
  /** Packet time we send, in ms (20 for 160-byte G.711 frames). */
  ptime?: number;
}

export interface AudioAnswer {
  /** The answer, to send as the 200's body (Content-Type: application/sdp). */
  sdp: string;
  codec: G711Name;
  payloadType: number;
  /** The telephone-event payload type accepted, or null when the offer had none. */
  telephoneEvent: number | null;
  /** Our direction in the answer: `sendrecv`/`sendonly` mean we may send. */
  direction: SdpDirection;
  /** Where to send our RTP, with the payload type to mark it with. */
  remoteRtp: RemoteRtp;
}

/**
 * The answer taking the first audio stream that offers one of our codecs (in our order of
 * preference) and rejecting every other stream with port 0, keeping the offer's number and
 * order of m-lines (RFC 3264 §6). Throws SdpError: `malformed` for an unreadable offer,
 * `not-acceptable` (488) when no audio stream carries PCMU or PCMA as asked.
 */
export function answerAudio(
  offer: string | Buffer | SessionDescription,
  options: AudioAnswerOptions,
): AudioAnswer {
  const session = isParsed(offer) ? offer : parseSdp(offer);
  const local = localAddress(options.address, options.port);
  const preference = typeof options.codec === 'string' ? [options.codec] : [...options.codec];
  const choice = chooseAudio(session, preference);
  const { media, index, codec, format } = choice;
  if (!media.connection) throw new SdpError('malformed', 'the audio stream has no connection address');
  const telephoneEvent = telephoneEventOf(media);
  const direction = answerDirection(media.direction, options.direction ?? 'sendrecv');
  const lines = sessionLines(local, options, session.timing);
  session.media.forEach((each, i) => {
    if (i !== index) {
      lines.push(`m=${each.type} 0 ${each.protocol} ${each.formats.join(' ')}`);
      return;
    }
    const formats = telephoneEvent === null ? [format] : [format, telephoneEvent];
    lines.push(`m=audio ${local.port} RTP/AVP ${formats.join(' ')}`, `a=rtpmap:${format} ${codec}/8000`);
    if (telephoneEvent !== null) {
      lines.push(`a=rtpmap:${telephoneEvent} ${TELEPHONE_EVENT}/8000`);
      const fmtp = media.fmtps.get(telephoneEvent);
      if (fmtp !== undefined) lines.push(`a=fmtp:${telephoneEvent} ${fmtp}`);
    }
    lines.push(`a=ptime:${options.ptime ?? 20}`, `a=${direction}`);
  });
  const payloadType = Number(format);
  return {
    sdp: `${lines.join('\r\n')}\r\n`,
    codec,
    payloadType,
    telephoneEvent: telephoneEvent === null ? null : Number(telephoneEvent),
    direction,
    remoteRtp: { address: media.connection.address, port: media.port, payloadType },
  };
}

function isParsed(offer: string | Buffer | SessionDescription): offer is SessionDescription {
  return typeof offer === 'object' && !Buffer.isBuffer(offer);
}

function chooseAudio(
  session: SessionDescription,
  preference: readonly G711Name[],
): { media: SdpMedia; index: number; codec: G711Name; format: string } {
  for (const [index, media] of session.media.entries()) {
    if (!isRtpAudio(media)) continue;
    for (const codec of preference) {
      const format = media.formats.find((f) => g711Of(media, f) === codec);
      if (format !== undefined) return { media, index, codec, format };
    }
  }
  throw new SdpError(
    'not-acceptable',
    `no acceptable audio: offered ${describeAudio(session)}; we accept ${preference.join(', ')}`,
  );
}

/** The offered audio formats, in safe words only (the peer's text is not echoed as is). */
function describeAudio(session: SessionDescription): string {
  const names: string[] = [];
  for (const media of session.media) {
    if (media.type !== 'audio') continue;
    if (media.port === 0) continue;
    if (media.protocol.toUpperCase() !== 'RTP/AVP') {
      names.push('audio over another protocol');
      continue;
    }
    for (const format of media.formats.slice(0, 8)) {
      const map = media.rtpmaps.get(format);
      const staticName = STATIC_G711[format];
      const name = map
        ? `${map.encoding}/${map.clockRate}${map.channels ? `/${map.channels}` : ''}`
        : staticName
          ? `${staticName}/8000`
          : '';
      names.push(
        /^[A-Za-z0-9._+-]{1,24}\/\d+(\/\d+)?$/.test(name) ? name : `payload type ${safeFormat(format)}`,
      );
    }
  }
  return names.length === 0 ? 'no audio stream' : names.join(', ');
}

function safeFormat(format: string): string {
  return /^\d{1,3}$/.test(format) ? format : '?';
}

/** RFC 3264 §6.1: the answer's direction from the offer's and what we want to do. */
function answerDirection(offered: SdpDirection, wanted: 'sendrecv' | 'sendonly'): SdpDirection {
  if (offered === 'inactive') return 'inactive';
  if (offered === 'recvonly') return 'sendonly';
  if (offered === 'sendonly') return wanted === 'sendrecv' ? 'recvonly' : 'inactive';
  return wanted;
}

function localAddress(address: string, port: number): { type: 'IP4' | 'IP6'; address: string; port: number } {
  const family = isIP(address);
  if (family === 0) throw new TypeError('SDP address must be an IP address');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError('RTP port must be 1-65535');
  return { type: family === 4 ? 'IP4' : 'IP6', address, port };
}

function sessionLines(
  local: { type: 'IP4' | 'IP6'; address: string },
  options: { sessionId?: string; sessionVersion?: string },
  timing: string,
): string[] {
  const id = options.sessionId ?? String(randomInt(1, 2 ** 47));
  const version = options.sessionVersion ?? id;
  if (!/^\d{1,20}$/.test(id) || !/^\d{1,20}$/.test(version))
    throw new TypeError('SDP session id/version: digits');
  return [
    'v=0',
    `o=hikbridge ${id} ${version} IN ${local.type} ${local.address}`,
    's=hikbridge',
    `c=IN ${local.type} ${local.address}`,
    `t=${timing}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Calls we place

export interface AudioOfferOptions {
  address: string;
  port: number;
  /** Offered in this order (default PCMU then PCMA). */
  codecs?: readonly G711Name[];
  /** Payload type for telephone-event (default 101), or false for none. */
  telephoneEvent?: number | false;
  sessionId?: string;
  sessionVersion?: string;
  direction?: 'sendrecv' | 'sendonly';
  ptime?: number;
}

/** An offer of one audio stream in G.711 (static payload types 0 and 8). */
export function offerAudio(options: AudioOfferOptions): string {
  const local = localAddress(options.address, options.port);
  const codecs = options.codecs ?? ['PCMU', 'PCMA'];
  if (codecs.length === 0) throw new TypeError('offer at least one codec');
  const event = options.telephoneEvent ?? 101;
  if (event !== false && !(Number.isInteger(event) && event >= 96 && event <= 127)) {
    throw new TypeError('telephone-event payload type must be dynamic (96-127)');
  }
  const formats = codecs.map((codec) => String(STATIC_PAYLOAD_TYPE[codec]));
  if (event !== false) formats.push(String(event));
  const lines = sessionLines(local, options, '0 0');
  lines.push(`m=audio ${local.port} RTP/AVP ${formats.join(' ')}`);
  for (const codec of codecs) lines.push(`a=rtpmap:${STATIC_PAYLOAD_TYPE[codec]} ${codec}/8000`);
  if (event !== false) lines.push(`a=rtpmap:${event} ${TELEPHONE_EVENT}/8000`, `a=fmtp:${event} 0-15`);
  lines.push(`a=ptime:${options.ptime ?? 20}`, `a=${options.direction ?? 'sendrecv'}`);
  return `${lines.join('\r\n')}\r\n`;
}

export interface AudioAnswerReading {
  codec: G711Name;
  payloadType: number;
  telephoneEvent: number | null;
  /** The answerer's direction for the stream. */
  direction: SdpDirection;
  remoteRtp: RemoteRtp;
}

/**
 * What the peer accepted of our audio offer: the first audio stream it kept (port not 0) and
 * the first G.711 format it listed there. Throws SdpError when it kept none.
 */
export function readAudioAnswer(
  answer: string | Buffer | SessionDescription,
  codecs: readonly G711Name[] = ['PCMU', 'PCMA'],
): AudioAnswerReading {
  const session = isParsed(answer) ? answer : parseSdp(answer);
  for (const media of session.media) {
    if (!isRtpAudio(media) || !media.connection) continue;
    const format = media.formats.find((f) => {
      const codec = g711Of(media, f);
      return codec !== null && codecs.includes(codec);
    });
    if (format === undefined) continue;
    const event = telephoneEventOf(media);
    return {
      codec: g711Of(media, format)!,
      payloadType: Number(format),
      telephoneEvent: event === null ? null : Number(event),
      direction: media.direction,
      remoteRtp: { address: media.connection.address, port: media.port, payloadType: Number(format) },
    };
  }
  throw new SdpError('not-acceptable', `the answer accepted no audio: ${describeAudio(session)}`);
}
