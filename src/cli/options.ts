/**
 * Parsers for command-line option values, shared by every subcommand. Each accepts only plain
 * decimal digits: `Number()` alone would also take "1e3", "0x10", "1.0" or " 5 " and quietly
 * turn a typo into a different value.
 */
import { InvalidArgumentError } from 'commander';
import { isSha256Fingerprint } from '../protocols/http/tls.ts';

/** Highest channel number a Hikvision recorder uses (NVR channels are numbered from 1). */
const MAX_CHANNEL = 512;
/** The longest delay setTimeout honours; a larger one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function wholeNumber(value: string): number | undefined {
  return /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** A number of milliseconds, at least 1 (a timeout of 0 would fail every request). */
export function parseTimeoutMs(value: string): number {
  const n = wholeNumber(value);
  if (n === undefined || n < 1 || n > MAX_TIMER_MS)
    throw new InvalidArgumentError(`expected milliseconds, a whole number 1-${MAX_TIMER_MS}`);
  return n;
}

export function parsePort(value: string): number {
  const n = wholeNumber(value);
  if (n === undefined || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

export function parseCount(value: string): number {
  const n = wholeNumber(value);
  if (n === undefined || n < 1 || n > 5000) throw new InvalidArgumentError('expected a number 1-5000');
  return n;
}

/** "1,2,5" → [1, 2, 5]. An empty list, an empty item or a repeated channel is a mistake. */
export function parseChannelList(value: string): number[] {
  const ids = value.split(',').map((part) => wholeNumber(part.trim()));
  if (ids.some((id) => id === undefined || id < 1 || id > MAX_CHANNEL)) {
    throw new InvalidArgumentError(`expected channel numbers 1-${MAX_CHANNEL} like 1,2,5`);
  }
  const channels = ids as number[];
  if (new Set(channels).size !== channels.length) {
    throw new InvalidArgumentError('a channel is listed twice');
  }
  return channels;
}

export function parseFingerprint(value: string): string {
  if (!isSha256Fingerprint(value)) {
    throw new InvalidArgumentError('expected a SHA-256 fingerprint (64 hex digits, e.g. AB:CD:...)');
  }
  return value;
}
