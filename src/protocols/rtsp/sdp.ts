/**
 * SDP (RFC 4566) as far as an RTSP client needs it: the media sections, their formats and
 * rtpmaps, direction and control URL; and finding the ONVIF audio backchannel among them.
 */
import type { G711Codec } from '../audio/g711.ts';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface RtpMap {
  encoding: string;
  clockRate: number;
  channels?: number;
}

export interface SdpMedia {
  /** `video`, `audio`, `application`... */
  type: string;
  protocol: string;
  /** Payload types as listed on the m= line, in the server's order of preference. */
  formats: string[];
  rtpmaps: Map<string, RtpMap>;
  /** The media's own direction attribute, else the session's, else sendrecv. */
  direction: Direction;
  control?: string;
  attributes: Array<{ name: string; value: string }>;
}

export interface SdpSession {
  control?: string;
  direction?: Direction;
  media: SdpMedia[];
}

/** Media sections beyond this are ignored: no real stream has that many. */
const MAX_MEDIA = 32;
const DIRECTIONS = new Set<string>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

/** Static payload types of RFC 3551 that a backchannel may use without an rtpmap. */
const STATIC_PAYLOADS: Record<string, RtpMap> = {
  '0': { encoding: 'PCMU', clockRate: 8000, channels: 1 },
  '8': { encoding: 'PCMA', clockRate: 8000, channels: 1 },
};

export function parseSdp(text: string): SdpSession {
  const session: SdpSession = { media: [] };
  let media: SdpMedia | undefined;
  let sessionDirection: Direction | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const match = /^([a-z])=(.*)$/.exec(line);
    if (!match) continue;
    const [, type, value] = match as unknown as [string, string, string];
    if (type === 'm') {
      if (session.media.length >= MAX_MEDIA) {
        media = undefined;
        continue;
      }
      const [kind = '', , protocol = '', ...formats] = value.split(/\s+/);
      media = {
        type: kind.toLowerCase(),
        protocol,
        formats,
        rtpmaps: new Map(),
        direction: 'sendrecv',
        attributes: [],
      };
      session.media.push(media);
      continue;
    }
    if (type !== 'a') continue;
    const colon = value.indexOf(':');
    const name = (colon < 0 ? value : value.slice(0, colon)).trim();
    const attribute = colon < 0 ? '' : value.slice(colon + 1).trim();
    if (!media) {
      if (session.media.length >= MAX_MEDIA) continue; // attributes of an ignored section
      if (name === 'control') session.control = attribute;
      else if (DIRECTIONS.has(name)) sessionDirection = name as Direction;
      continue;
    }
    media.attributes.push({ name, value: attribute });
    if (name === 'control') media.control = attribute;
    else if (name === 'rtpmap') {
      const map = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(attribute);
      if (map) {
        media.rtpmaps.set(map[1]!, {
          encoding: map[2]!,
          clockRate: Number(map[3]),
          ...(map[4] ? { channels: Number(map[4]) } : {}),
        });
      }
    }
  }
  if (sessionDirection) session.direction = sessionDirection;
  for (const each of session.media) {
    const own = each.attributes.find((a) => DIRECTIONS.has(a.name))?.name as Direction | undefined;
    each.direction = own ?? sessionDirection ?? 'sendrecv';
  }
  return session;
}

/** The rtpmap of a payload type, falling back to the static assignments. */
export function rtpMapOf(media: SdpMedia, payloadType: string): RtpMap | undefined {
  return media.rtpmaps.get(payloadType) ?? STATIC_PAYLOADS[payloadType];
}

/**
 * A control attribute as an absolute URL (RFC 2326 C.1.1): absolute stays, `*` is the base, a
 * relative one is appended to the base with one slash (what cameras expect, whether or not the
 * base ends in a slash, which a plain URL resolution would get wrong for `.../101` bases).
 */
export function resolveControl(control: string | undefined, base: string): string {
  if (!control || control === '*') return base;
  if (/^rtsps?:\/\//i.test(control)) return control;
  return `${base.replace(/\/+$/, '')}/${control.replace(/^\/+/, '')}`;
}

export type G711Encoding = 'PCMU' | 'PCMA';

export interface BackchannelTrack {
  /** Absolute URL to SETUP. */
  control: string;
  payloadType: number;
  encoding: G711Encoding;
  /** The same flavour in ffmpeg's raw format names. */
  codec: G711Codec;
  clockRate: number;
}

export type BackchannelSearch =
  | { kind: 'found'; track: BackchannelTrack }
  /** A backchannel exists, but in codecs we cannot send (as the SDP names them). */
  | { kind: 'codec'; codecs: string[] }
  /** No send-only audio section at all. */
  | { kind: 'none'; media: string[] };

/**
 * The ONVIF backchannel: an audio section the server marks `sendonly` (ONVIF writes the SDP from
 * the client's side: the client sends on it). The first G.711 8 kHz mono format in the server's
 * order is taken.
 */
export function findBackchannel(sdp: SdpSession, base: string): BackchannelSearch {
  const candidates = sdp.media.filter((m) => m.type === 'audio' && m.direction === 'sendonly');
  if (candidates.length === 0) {
    return { kind: 'none', media: sdp.media.map((m) => `${m.type} ${m.direction}`) };
  }
  const codecs: string[] = [];
  for (const media of candidates) {
    for (const format of media.formats) {
      const map = rtpMapOf(media, format);
      const payloadType = Number(format);
      if (!map || !Number.isInteger(payloadType) || payloadType < 0 || payloadType > 127) {
        codecs.push(map ? `${map.encoding}/${map.clockRate}` : `payload type ${format}`);
        continue;
      }
      const encoding = map.encoding.toUpperCase();
      if (
        (encoding === 'PCMU' || encoding === 'PCMA') &&
        map.clockRate === 8000 &&
        (map.channels ?? 1) === 1
      ) {
        return {
          kind: 'found',
          track: {
            control: resolveControl(media.control, base),
            payloadType,
            encoding,
            codec: encoding === 'PCMU' ? 'mulaw' : 'alaw',
            clockRate: map.clockRate,
          },
        };
      }
      codecs.push(`${map.encoding}/${map.clockRate}${map.channels ? `/${map.channels}` : ''}`);
    }
  }
  return { kind: 'codec', codecs };
}
