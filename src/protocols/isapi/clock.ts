/**
 * A device's clock and the times it writes. Installed cameras often run without NTP, so their
 * clock is off by minutes or hours; what the device stamps (alert `dateTime`, `System/time`) is
 * only comparable with ours once that offset is known.
 *
 * `GET /ISAPI/System/time` answers `<Time><timeMode>NTP|manual</timeMode>
 * <localTime>2024-11-19T16:53:28+01:00</localTime><timeZone>CST-1:00:00</timeZone></Time>`;
 * some firmware writes local times without an offset, which the POSIX time zone fills in (its
 * sign is inverted: `CST-1:00:00` means UTC+1; notes/isapi.md).
 */
import type { RequestOptions } from '../http/types.ts';
import type { IsapiClient } from './client.ts';
import { InvalidResponseError } from './errors.ts';
import { text } from './xml.ts';

export const SYSTEM_TIME_PATH = '/ISAPI/System/time';

export interface DeviceClockReading {
  /** Device time minus our time, in ms: negative when the device is behind. */
  offsetMs: number;
  /**
   * How far `offsetMs` may be from the truth: half the request's round trip, plus half a second
   * when the device wrote whole seconds (it drops the fraction).
   */
  uncertaintyMs: number;
  /** `localTime` as the device wrote it. */
  localTime: string;
  /** `NTP`, `manual`... as written; null when absent. */
  timeMode: string | null;
  /** The device's time zone in minutes east of UTC, when it said. */
  zoneMinutes: number | undefined;
}

/**
 * Reads the device's clock and measures its offset from ours. Throws the client's DeviceError
 * when the device does not answer, and InvalidResponseError when the answer holds no usable time.
 */
export async function readDeviceClock(
  client: IsapiClient,
  options: Pick<RequestOptions, 'signal' | 'timeoutMs'> = {},
): Promise<DeviceClockReading> {
  const sentAt = Date.now();
  const doc = await client.getXml(SYSTEM_TIME_PATH, options);
  const answeredAt = Date.now();
  const localTime = text(doc.node, 'localTime');
  const timeZone = text(doc.node, 'timeZone');
  const zoneFromPosix = timeZone ? offsetFromPosixTz(timeZone) : undefined;
  const unreadable = (detail: string) => new InvalidResponseError(client.host, SYSTEM_TIME_PATH, detail);
  if (!localTime) throw unreadable('no localTime');
  const explicitZone = zoneOfTime(localTime);
  if (explicitZone === undefined && zoneFromPosix === undefined)
    throw unreadable(`localTime "${localTime}" has no offset and there is no readable timeZone`);
  const deviceMs = parseDeviceTime(localTime, zoneFromPosix);
  if (deviceMs === undefined) throw unreadable(`localTime "${localTime}" is not a time`);
  // The device read its clock somewhere between sending and answering: take the middle.
  const wholeSeconds = !/T\d{2}:\d{2}:\d{2}[.,]\d/.test(localTime);
  const truncation = wholeSeconds ? 500 : 0;
  return {
    offsetMs: Math.round(deviceMs + truncation - (sentAt + answeredAt) / 2),
    uncertaintyMs: Math.ceil((answeredAt - sentAt) / 2) + truncation,
    localTime,
    timeMode: text(doc.node, 'timeMode') ?? null,
    zoneMinutes: explicitZone ?? zoneFromPosix,
  };
}

/** Minutes east of UTC from a POSIX TZ string such as `CST-3:00:00` or `EST5EDT` (no DST rules). */
export function offsetFromPosixTz(tz: string): number | undefined {
  const match = /^[A-Za-z]{3,}([+-]?)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?/.exec(tz.trim());
  if (!match) return undefined;
  const sign = match[1] === '-' ? 1 : -1; // POSIX: "-3" means three hours EAST of UTC
  return sign * (Number(match[2]) * 60 + Number(match[3] ?? 0));
}

const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;

/** The offset a time string carries, in minutes east of UTC; undefined when it has none. */
function zoneOfTime(value: string): number | undefined {
  const match = /(Z|([+-])(\d{2}):?(\d{2}))$/i.exec(value.trim());
  if (!match) return undefined;
  if (match[1]!.toUpperCase() === 'Z') return 0;
  const minutes = Number(match[3]) * 60 + Number(match[4]);
  return match[2] === '-' ? -minutes : minutes;
}

function formatOffset(minutes: number): string {
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * A device time (alert `dateTime`, `localTime`) as an ISO string with an offset: its own when
 * it has one, else the device's zone (`zoneMinutes`, UTC when unknown). Undefined when absent
 * or unreadable.
 */
export function withDeviceZone(value: string | null, zoneMinutes: number | undefined): string | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  const withOffset = HAS_OFFSET.test(trimmed) ? trimmed : `${trimmed}${formatOffset(zoneMinutes ?? 0)}`;
  return Number.isNaN(Date.parse(withOffset)) ? undefined : withOffset;
}

/** The same as epoch ms (by the device's clock). */
export function parseDeviceTime(value: string | null, zoneMinutes: number | undefined): number | undefined {
  const iso = withDeviceZone(value, zoneMinutes);
  return iso === undefined ? undefined : Date.parse(iso);
}

/** `2 h 5 min behind`, `40 s ahead`, `3 days 2 h behind`: an offset in the user's words. */
export function describeClockOffset(offsetMs: number): string {
  const direction = offsetMs < 0 ? 'behind' : 'ahead';
  let seconds = Math.round(Math.abs(offsetMs) / 1000);
  const days = Math.floor(seconds / 86_400);
  seconds -= days * 86_400;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const parts =
    days > 0
      ? [`${days} day${days === 1 ? '' : 's'}`, `${hours} h`]
      : hours > 0
        ? [`${hours} h`, `${minutes} min`]
        : minutes > 0
          ? [`${minutes} min`, `${seconds} s`]
          : [`${seconds} s`];
  return `${parts.join(' ')} ${direction}`;
}
