/**
 * The simulated device's own clock. Installed cameras often run without NTP, so their time is
 * off by minutes or hours; a device with `clockOffsetMs` reports its shifted time everywhere it
 * stamps something: `System/time` (`localTime`), the `dateTime` of alertStream parts (alarms,
 * heartbeats, doorbell JSON) and the `Date` header of its HTTP and RTSP answers. Timers and
 * lockouts keep running on real time, as they would on the device (they count durations).
 */
import { SimInputError } from './validate.ts';

/** Refused beyond this: ±10 years is more than any wrong device clock seen, and keeps dates valid. */
export const MAX_CLOCK_OFFSET_MS = 10 * 366 * 24 * 3_600_000;

export function validateClockOffset(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !Number.isInteger(value)) {
    throw new SimInputError('clockOffsetMs must be a whole number of milliseconds (negative = behind)');
  }
  if (Math.abs(value) > MAX_CLOCK_OFFSET_MS) {
    throw new SimInputError(`clockOffsetMs must be within ±${MAX_CLOCK_OFFSET_MS} (10 years)`);
  }
  return value;
}

export class DeviceClock {
  private offset: number;

  constructor(offsetMs = 0) {
    this.offset = validateClockOffset(offsetMs);
  }

  /** Device time minus real time, in ms (negative: the device is behind). */
  get offsetMs(): number {
    return this.offset;
  }

  setOffset(offsetMs: unknown): void {
    this.offset = validateClockOffset(offsetMs);
  }

  /** What the device believes the time is. */
  now(): Date {
    return new Date(Date.now() + this.offset);
  }

  /** The device's local time with offset, as in the captures: 2024-11-19T16:53:28+01:00. */
  localDateTime(): string {
    return localDateTime(this.now());
  }
}

/**
 * Minutes east of UTC of the device's time zone at `date`. The simulated device lives in the
 * machine's time zone (TZ), so its local times read naturally next to the machine's logs.
 */
export function zoneOffsetMinutes(date: Date): number {
  return -date.getTimezoneOffset();
}

/** Local time with offset, the form devices write in `dateTime` and `localTime`. */
export function localDateTime(date: Date): string {
  const offset = zoneOffsetMinutes(date);
  const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 19);
  return `${local}${formatOffset(offset)}`;
}

function formatOffset(minutes: number): string {
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * The time zone in the POSIX form devices use in `System/time` (`CST-1:00:00` is UTC+1: the
 * sign is inverted; notes/isapi.md, "Event times"). The zone name `CST` follows that example.
 */
export function posixTimeZone(date: Date): string {
  const offset = zoneOffsetMinutes(date);
  const sign = offset > 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `CST${sign}${Math.floor(abs / 60)}:${String(abs % 60).padStart(2, '0')}:00`;
}
