/**
 * What a user gives to add or change a device, checked before anything touches the network or
 * the store. Rejections name the field and say what is expected.
 */
import { isIP } from 'node:net';
import { InputError } from '../../core/errors.ts';
import { isSha256Fingerprint, normalizeFingerprint } from '../../protocols/http/index.ts';

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

export function checkSnapshotUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.replaceAll('{channel}', '1').replaceAll('{stream}', '101'));
  } catch {
    throw new InputError(
      'snapshotUrlOverride: not a URL (expected http://host[:port]/path)',
      'snapshotUrlOverride',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(
      'snapshotUrlOverride: only http:// and https:// URLs are supported',
      'snapshotUrlOverride',
    );
  }
  return value;
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
