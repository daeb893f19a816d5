/**
 * What the events module knows about one device's clock: its offset from ours, measured when
 * its event stream opens (a reboot may have reset a clock without NTP) and again when an alert's
 * time suggests the clock was set. Replays come right after a stream opens, so that stream's
 * alerts wait for the measurement (one request); a clock that is off gets one log line with the
 * fix.
 */
import type { Logger } from '../../core/logger.ts';
import { DeviceError } from '../../protocols/http/errors.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import {
  type DeviceClockReading,
  describeClockOffset,
  offsetFromPosixTz,
  readDeviceClock,
} from '../../protocols/isapi/clock.ts';
import { text } from '../../protocols/isapi/xml.ts';

/** Off by more than this is worth telling (the doctor warns from the same bound). */
const NOTABLE_OFFSET_MS = 60_000;

/**
 * Most parts held while the clock is measured; past it the oldest is judged without waiting.
 * Small: parts may hold pictures, and a measurement takes one request.
 */
const MAX_HELD = 64;

/** Answers that will not change by asking again: said once, at info level. */
const LASTING_FAILURES: ReadonlySet<DeviceError['code']> = new Set([
  'not_supported',
  'permission_denied',
  'invalid_response',
]);

export class DeviceClock {
  /** The latest successful measurement; kept when a later one fails. */
  reading: DeviceClockReading | undefined;
  /** Minutes east of UTC, for device times written without an offset. */
  zoneMinutes: number | undefined;
  private measuring: Promise<void> | undefined;
  private measuredAt = Number.NEGATIVE_INFINITY;
  /** Alerts (and their pictures) wait, in order, while this is set. */
  private holding = false;
  private readonly held: Array<() => void> = [];
  private stopped = false;
  /** The offset last reported in the log, while the clock is off. */
  private reportedOffsetMs: number | undefined;
  private reportedUnreadable = false;

  constructor(
    private readonly client: IsapiClient,
    private readonly log: Logger,
  ) {}

  /**
   * Measures in the background, unless the last measurement began less than `maxAgeMs` ago; a
   * call while one runs joins it. With `holdAlerts`, alerts given to `whenKnown` wait for it.
   */
  refresh(maxAgeMs: number, options: { holdAlerts?: boolean } = {}): void {
    if (this.stopped || (!this.measuring && Date.now() - this.measuredAt < maxAgeMs)) return;
    if (options.holdAlerts) this.holding = true;
    this.measuring ??= this.read().finally(() => {
      this.measuring = undefined;
      this.release();
    });
  }

  /** Runs `judge` now, or once the measurement alerts are waiting for has ended. */
  whenKnown(judge: () => void): void {
    if (!this.holding) {
      judge();
      return;
    }
    // Full: the oldest goes ahead with what is known now, rather than memory growing.
    if (this.held.length >= MAX_HELD) this.held.shift()?.();
    this.held.push(judge);
  }

  /** The device was detached: what still waits is dropped with it, nothing runs later. */
  stop(): void {
    this.stopped = true;
    this.holding = false;
    this.held.length = 0;
  }

  private release(): void {
    this.holding = false;
    for (const judge of this.held.splice(0)) {
      try {
        judge();
      } catch (error) {
        this.log.error({ err: error }, 'a held event could not be handled');
      }
    }
  }

  private async read(): Promise<void> {
    this.measuredAt = Date.now();
    try {
      const reading = await readDeviceClock(this.client);
      this.reading = reading;
      this.zoneMinutes = reading.zoneMinutes;
      this.report(reading);
    } catch (error) {
      this.reportUnreadable(error);
      if (this.zoneMinutes === undefined) this.zoneMinutes = await this.readZoneOnly();
    }
  }

  /** Firmware without System/time may still say its zone, which offset-less alert times need. */
  private async readZoneOnly(): Promise<number | undefined> {
    const doc = await this.client
      .optional(() => this.client.getXml('/ISAPI/System/time/timeZone'))
      .catch(() => undefined);
    const tz = doc
      ? (text(doc.node, 'timeZone') ?? (doc.root === 'timeZone' ? text(doc.node, '#text') : undefined))
      : undefined;
    return tz ? offsetFromPosixTz(tz) : undefined;
  }

  private report(reading: DeviceClockReading): void {
    const off = Math.abs(reading.offsetMs) > NOTABLE_OFFSET_MS;
    const fields = {
      clockOffsetSeconds: Math.round(reading.offsetMs / 1000),
      deviceTime: reading.localTime,
      timeMode: reading.timeMode,
    };
    if (!off) {
      if (this.reportedOffsetMs !== undefined)
        this.log.info(fields, "device clock now agrees with the gateway's");
      this.reportedOffsetMs = undefined;
      return;
    }
    const last = this.reportedOffsetMs;
    if (last !== undefined && Math.abs(reading.offsetMs - last) <= NOTABLE_OFFSET_MS) return;
    this.reportedOffsetMs = reading.offsetMs;
    this.log.warn(
      fields,
      `device clock is ${describeClockOffset(reading.offsetMs)} the gateway's; its events are judged by ` +
        "the device's own clock and still delivered, but their times are off. Set the device's time from " +
        'NTP (Configuration > System > System Settings > Time Settings)',
    );
  }

  private reportUnreadable(error: unknown): void {
    const lasting = error instanceof DeviceError && LASTING_FAILURES.has(error.code);
    const message = error instanceof Error ? error.message : String(error);
    if (!lasting) {
      // Offline or busy: the next (re)connect measures again.
      this.log.debug({ error: message }, 'device time not read');
      return;
    }
    if (this.reportedUnreadable) return;
    this.reportedUnreadable = true;
    this.log.info(
      { error: message },
      'device time unreadable: replayed events are recognised only when the device marks them',
    );
  }
}
