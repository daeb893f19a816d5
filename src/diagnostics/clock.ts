/**
 * The device's clock against this machine's. Many installed cameras have no NTP: their clock
 * was never set or drifts, so the times of their events and recordings are off. hikbridge still
 * delivers their events (it judges them by the device's own clock), but a clock off by more than
 * a minute is worth fixing on the device.
 */
import { describeClockOffset, readDeviceClock } from '../protocols/isapi/clock.ts';
import { type DoctorCheck, pass, warn } from './report.ts';
import { type DoctorSession, unreadable } from './session.ts';

/** Further off than this is a warning (the gateway logs the same bound). */
const CLOCK_LIMIT_MS = 60_000;

const NTP_FIX =
  "Set the device's time from NTP: web page Configuration > System > System Settings > Time Settings, " +
  'Time Sync "NTP", with a server the device can reach (your router or pool.ntp.org), and the right time ' +
  'zone; without any NTP server in reach, use "Sync with computer time" once. If this machine\'s clock is ' +
  'the wrong one, set NTP on this machine instead.';

export async function deviceClockCheck(session: DoctorSession): Promise<DoctorCheck> {
  const id = 'device-clock';
  let reading: Awaited<ReturnType<typeof readDeviceClock>>;
  try {
    reading = await readDeviceClock(session.client, { signal: session.budget, timeoutMs: session.timeoutMs });
  } catch (error) {
    return unreadable(id, 'device time (System/time)', session.failure(error));
  }
  const mode = reading.timeMode ? `, time mode ${reading.timeMode}` : '';
  const seen = `device time ${reading.localTime}${mode}`;
  const seconds = Math.round(Math.abs(reading.offsetMs) / 1000);
  if (Math.abs(reading.offsetMs) <= CLOCK_LIMIT_MS) {
    const agreement = seconds === 0 ? 'agrees with' : `is ${seconds} s from`;
    return pass(id, `${seen}: ${agreement} this machine's clock`);
  }
  const ntpFailing =
    reading.timeMode?.toUpperCase() === 'NTP'
      ? ' although it is set to NTP (its NTP server does not answer or is wrong)'
      : '';
  return warn(
    id,
    `${seen}: the device clock is ${describeClockOffset(reading.offsetMs)} this machine's${ntpFailing}; ` +
      'event and recording times are off by as much (hikbridge still delivers the events)',
    NTP_FIX,
  );
}
