/**
 * What a user gives to add or change a device, checked before anything touches the network or
 * the store. Rejections name the field and say what is expected.
 */
import { isIP } from 'node:net';
import { InputError } from '../../core/errors.ts';
import {
  checkUserUrl,
  isSha256Fingerprint,
  normalizeFingerprint,
  URL_RULES,
  UrlPolicyError,
} from '../../protocols/http/index.ts';

export interface DeviceInput {
  name?: string;
  host: string;
  /** Web/ISAPI port; default 80, or 443 with https. */
  port?: number;
  https?: boolean;
  username?: string;
  password: string;
  tlsFingerprint?: string | null;
  insecureTls?: boolean;
  httpPortOverride?: number | null;
  /** Device-wide snapshot URL; `{channel}` and `{stream}` are replaced per channel. */
  snapshotUrlOverride?: string | null;
  channelOverride?: number[] | null;
  defaultStream?: number | null;
  enabled?: boolean;
}

export type DevicePatch = Partial<DeviceInput>;

const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Accepts an IPv4/IPv6 address or a DNS name; explains the common mistakes. */
export function checkHost(host: string): string {
  const trimmed = host.trim();
  if (/^[a-z]+:\/\//i.test(trimmed)) {
    throw new InputError(
      `host: give only the address, without "${trimmed.split('://')[0]}://" (e.g. 192.168.1.64)`,
      'host',
    );
  }
  if (trimmed.includes('@'))
    throw new InputError('host: put the username and password in their own fields', 'host');
  const bare = trimmed.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) !== 0 || HOSTNAME.test(bare)) return bare;
  throw new InputError(`host: "${trimmed}" is not an IP address or host name`, 'host');
}

export function checkPort(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new InputError(`${field}: expected a port number 1-65535`, field);
  }
  return value;
}

export function checkFingerprint(value: string): string {
  if (!isSha256Fingerprint(value)) {
    throw new InputError(
      'tlsFingerprint: expected a SHA-256 fingerprint (64 hex digits, colons optional)',
      'tlsFingerprint',
    );
  }
  return normalizeFingerprint(value);
}

/**
 * A snapshot override: http(s) only (protocols/http/url-policy.ts). It may carry its own
 * `user:password`, which go to its own origin only; the device's login never goes to another
 * origin. `{channel}` and `{stream}` are filled in per channel.
 */
export function checkSnapshotUrl(value: string): string {
  try {
    checkUserUrl(value.replaceAll('{channel}', '1').replaceAll('{stream}', '101'), URL_RULES.snapshot);
  } catch (error) {
    if (error instanceof UrlPolicyError) throw new InputError(error.message, 'snapshotUrlOverride');
    throw error;
  }
  return value;
}

/** A URL as it may be shown: a password in it replaced by ***. */
export function maskUrlPassword(value: string | null): string | null {
  if (!value) return value;
  const start = value.indexOf('//') + 2;
  if (start < 2) return value;
  const ends = ['/', '?', '#'].map((mark) => value.indexOf(mark, start)).filter((index) => index >= 0);
  const authorityEnd = ends.length > 0 ? Math.min(...ends) : value.length;
  // The last @ of the authority ends the user info, as URL parsers read it.
  const at = value.lastIndexOf('@', authorityEnd);
  if (at < start) return value;
  const colon = value.indexOf(':', start);
  if (colon < 0 || colon > at) return value;
  return `${value.slice(0, colon + 1)}***${value.slice(at)}`;
}

/**
 * An override sent back as the API showed it (password as ***) keeps the stored password, so
 * editing another part of a form does not wipe it.
 */
export function keepStoredPassword(incoming: string, stored: string | null): string {
  return stored && incoming !== stored && maskUrlPassword(stored) === incoming ? stored : incoming;
}

export function checkChannels(value: number[]): number[] {
  if (value.length === 0 || value.some((n) => !Number.isInteger(n) || n < 1 || n > 512)) {
    throw new InputError('channelOverride: expected channel numbers 1-512, e.g. [1, 2]', 'channelOverride');
  }
  return [...new Set(value)].sort((a, b) => a - b);
}

export function checkStreamNo(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 9) {
    throw new InputError(
      'defaultStream: expected a stream number 1-9 (1 main, 2 sub, 3 third)',
      'defaultStream',
    );
  }
  return value;
}
