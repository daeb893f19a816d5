/**
 * Device times. Alerts carry `dateTime` with an offset, or (doorbells, access control) local
 * time without one; the device's time zone (`System/time/timeZone`, POSIX style where the sign
 * is inverted: `CST-3:00:00` means UTC+3) fills the gap.
 */

/** Minutes east of UTC from a POSIX TZ string such as `CST-3:00:00` or `EST5EDT` (no DST rules). */
export function offsetFromPosixTz(tz: string): number | undefined {
  const match = /^[A-Za-z]{3,}([+-]?)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?/.exec(tz.trim());
  if (!match) return undefined;
  const sign = match[1] === '-' ? 1 : -1; // POSIX: "-3" means three hours EAST of UTC
  return sign * (Number(match[2]) * 60 + Number(match[3] ?? 0));
}

function formatOffset(minutes: number): string {
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * An ISO time with an offset for the alert's `dateTime`; `fallback` (reception time) when the
 * device sent none or something unreadable.
 */
export function deviceTime(
  dateTime: string | null,
  offsetMinutes: number | undefined,
  fallback: Date,
): string {
  if (!dateTime) return fallback.toISOString();
  const trimmed = dateTime.trim();
  const withOffset = HAS_OFFSET.test(trimmed) ? trimmed : `${trimmed}${formatOffset(offsetMinutes ?? 0)}`;
  return Number.isNaN(Date.parse(withOffset)) ? fallback.toISOString() : withOffset;
}
