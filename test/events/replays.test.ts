/**
 * The replay rules alone: what the device marks as sent before, what predates the stream by the
 * device's own clock, what is older than the age limit by that clock; and what cannot be judged
 * (no time, no clock) is delivered.
 */
import { describe, expect, it } from 'vitest';
import { type AlertTiming, replayReason } from '../../src/modules/events/replays.ts';
import { emptyAlert } from '../../src/protocols/isapi/alert-stream/fields.ts';
import type { RawAlert } from '../../src/protocols/isapi/alert-stream/index.ts';

const NOW = Date.parse('2025-03-01T12:00:00Z');
const HOUR = 3_600_000;
const BEHIND = -2 * HOUR;

function alert(change: Partial<RawAlert> = {}): RawAlert {
  return { ...emptyAlert('xml'), eventType: 'VMD', channelId: 1, activePostCount: 1, ...change };
}

/** A camera 2 h behind whose stream opened a minute ago; `realMs` is when the alert happened. */
function timing(realMs: number, change: Partial<AlertTiming> = {}): AlertTiming {
  return {
    deviceMs: realMs + BEHIND,
    clock: { offsetMs: BEHIND, uncertaintyMs: 500 },
    streamOpenedAt: NOW - 60_000,
    now: NOW,
    maxAgeMs: 300_000,
    ...change,
  };
}

describe('replayReason', () => {
  it('a current alert from a clock 2 hours behind is news', () => {
    expect(replayReason(alert(), timing(NOW))).toBeUndefined();
    // Stamped in the second the stream opened, with the device's whole-second rounding.
    expect(replayReason(alert(), timing(NOW - 60_000 - 999))).toBeUndefined();
  });

  it('what the device marks as sent before is a replay whatever its time', () => {
    const access = {
      major: 5,
      minor: 25,
      door: 1,
      serialNo: 3,
      currentEvent: false,
      cardNo: null,
      name: null,
    };
    expect(replayReason(alert({ access }), timing(NOW))).toBe('retransmitted');
    expect(replayReason(alert({ extra: { isDataRetransmission: 'true' } }), timing(NOW))).toBe(
      'retransmitted',
    );
    expect(replayReason(alert({ extra: { isDataRetransmission: 'false' } }), timing(NOW))).toBeUndefined();
    expect(replayReason(alert({ access }), timing(NOW, { clock: undefined }))).toBe('retransmitted');
  });

  it('an alert from before the stream opened, by the device clock, is a replay; the margin grows with the uncertainty', () => {
    expect(replayReason(alert(), timing(NOW - 60_000 - 3000))).toBe('before-stream');
    expect(replayReason(alert(), timing(NOW - 60_000 - 10 * 60_000))).toBe('before-stream');
    const unsure = { offsetMs: BEHIND, uncertaintyMs: 4000 };
    expect(replayReason(alert(), timing(NOW - 60_000 - 3000, { clock: unsure }))).toBeUndefined();
  });

  it('pushed alerts (no stream) are judged by age, by the device clock', () => {
    const pushed = { streamOpenedAt: undefined };
    expect(replayReason(alert(), timing(NOW - 10 * 60_000, pushed))).toBe('too-old');
    expect(replayReason(alert(), timing(NOW - 4 * 60_000, pushed))).toBeUndefined();
  });

  it('a late alert on a stream open for long is too old past the age limit', () => {
    const longOpen = { streamOpenedAt: NOW - 24 * HOUR };
    expect(replayReason(alert(), timing(NOW - 6 * 60_000, longOpen))).toBe('too-old');
    expect(replayReason(alert(), timing(NOW - 4 * 60_000, longOpen))).toBeUndefined();
  });

  it('without a device time or a measured clock there is nothing to judge by: delivered', () => {
    expect(replayReason(alert(), timing(NOW - 10 * HOUR, { clock: undefined }))).toBeUndefined();
    expect(replayReason(alert(), timing(NOW, { deviceMs: undefined }))).toBeUndefined();
  });
});
