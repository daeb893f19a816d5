/**
 * Which alerts are replays of the past rather than news. Devices resend old events: access
 * control history at connect (`currentEvent: false`), buffered smart events after a network
 * outage (`isDataRetransmission`), and some firmware whatever it kept while the stream was down.
 * Times are judged by the device's own clock (its measured offset from ours): many installed
 * cameras run without NTP, and judging their times by our clock would drop every event.
 */
import type { RawAlert } from '../../protocols/isapi/alert-stream/index.ts';
import type { DeviceClockReading } from '../../protocols/isapi/clock.ts';

export const DROP_REASONS = ['retransmitted', 'before-stream', 'too-old'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Why each reason means a replay, for the log line. */
export function explainDrop(reason: DropReason, maxAgeSeconds: number): string {
  switch (reason) {
    case 'retransmitted':
      return 'the device marked it as sent before (currentEvent false or isDataRetransmission true)';
    case 'before-stream':
      return "its time, by the device's own clock, is before the event stream opened";
    case 'too-old':
      return `its time, by the device's own clock, is more than ${maxAgeSeconds} s ago (events.maxEventAgeSeconds)`;
  }
}

export interface AlertTiming {
  /** The alert's time by the device's clock (epoch ms); undefined when it sent none. */
  deviceMs: number | undefined;
  /** The device clock's measured offset; undefined when it could not be read. */
  clock: Pick<DeviceClockReading, 'offsetMs' | 'uncertaintyMs'> | undefined;
  /** When the stream the alert came on opened, on our clock; undefined for pushed alerts. */
  streamOpenedAt: number | undefined;
  now: number;
  maxAgeMs: number;
}

/**
 * Margin on top of the offset's own uncertainty: alert times are whole seconds (up to 1 s
 * early), and an event may be stamped while the stream's request is still being answered.
 */
const SLACK_MS = 2000;

/** The reason the alert is a replay, or undefined when it is news. */
export function replayReason(alert: RawAlert, timing: AlertTiming): DropReason | undefined {
  if (isMarkedReplay(alert)) return 'retransmitted';
  const { deviceMs, clock } = timing;
  // Without the device's time or its clock there is nothing to judge by: deliver.
  if (deviceMs === undefined || clock === undefined) return undefined;
  const happenedAt = deviceMs - clock.offsetMs;
  const slack = SLACK_MS + clock.uncertaintyMs;
  if (timing.streamOpenedAt !== undefined && happenedAt < timing.streamOpenedAt - slack)
    return 'before-stream';
  if (timing.now - happenedAt > timing.maxAgeMs + slack) return 'too-old';
  return undefined;
}

function isMarkedReplay(alert: RawAlert): boolean {
  return alert.access?.currentEvent === false || alert.extra.isDataRetransmission?.toLowerCase() === 'true';
}
