/**
 * The cloud benchmark at toy size: its result line has the documented shape, hikbridge calls the
 * cloud less than the old 2-minute schedule without breaking anyone's playback, and the bench
 * does count broken playback when renewed URLs are applied under viewers (the control run).
 */
import { describe, expect, it } from 'vitest';
import { cloudBench } from '../../bench/cloud.ts';

const TINY = { cameras: 20, viewers: 2, hours: 2, store: 'memory' } as const;

describe('cloud benchmark', () => {
  it('prints the result line with the product defaults: fewer calls, no interruption', async () => {
    const result = await cloudBench(TINY);
    expect(JSON.parse(JSON.stringify(result))).toMatchObject({
      bench: 'cloud',
      cameras: 20,
      devices: 2,
      viewers: 2,
      hours: 2,
      urlLifetimeSeconds: 7 * 86_400,
      renewAtFraction: 0.5,
      callsPerHour: expect.any(Number),
      baselineCallsPerHour: expect.any(Number),
      ratio: expect.any(Number),
      interruptions: 0,
      baselineInterruptionsPerHour: expect.any(Number),
      calls: expect.any(Number),
      renewals: 0,
      syncs: 1,
      refusedCalls: 0,
      maxCallsInAnySecond: expect.any(Number),
      wallSeconds: expect.any(Number),
    });
    // The import: a token, the devices, the cameras (one page), a live URL per camera.
    expect(result.calls).toBe(23);
    expect(result.maxCallsInAnySecond).toBeLessThanOrEqual(5);
    // The old schedule: 30 rounds an hour of the devices, 2 camera lists and 20 live URLs.
    expect(result.baselineCallsPerHour).toBe(30 * 23);
    expect(result.callsPerHour as number).toBeLessThan(result.baselineCallsPerHour as number);
    expect(result.ratio).toBeCloseTo(
      (result.callsPerHour as number) / (result.baselineCallsPerHour as number),
      4,
    );
    expect(result.baselineInterruptionsPerHour as number).toBeGreaterThan(0);
  }, 60_000);

  it('renews short-lived URLs without breaking playback, and counts breaks when it could not tell', async () => {
    const short = { ...TINY, urlLifetimeSeconds: 600 };
    const result = await cloudBench(short);
    // Each URL renewed at 0.45..0.5 of its 600 s: about 12.6 times an hour for each of 20 cameras.
    expect(result.renewals as number).toBeGreaterThan(2 * 20 * 11);
    expect(result).toMatchObject({ interruptions: 0, refusedCalls: 0 });
    expect(result.maxCallsInAnySecond).toBeLessThanOrEqual(5);
    expect(result.callsPerHour as number).toBeLessThan(result.baselineCallsPerHour as number);

    const blind = await cloudBench({ ...short, watchers: 'off' });
    expect(blind.interruptions as number).toBeGreaterThan(0);
    expect(blind.interruptionsBy).toEqual({ 'source changed': blind.interruptions });
  }, 60_000);
});
