/**
 * The live benchmark at toy size (2 runs of each, 2 viewers for 3 s, a small stream): every
 * result line has the documented shape, each target got its runs, the ratios are the ones of the
 * reported percentiles, and the viewers received video through the gateway. The latency targets
 * themselves are the benchmark's to report, not this test's: a loaded machine would miss them.
 */
import { describe, expect, it } from 'vitest';
import { liveBench } from '../../bench/live.ts';
import { requireTool } from '../support/system-tools.ts';

describe('live benchmark', () => {
  it('measures hikbridge, a plain MediaMTX and the camera, interleaved, and prints their ratios', async () => {
    requireTool('ffmpeg', 'ffmpeg');
    const results = (await liveBench({
      runs: 2,
      viewers: 2,
      seconds: 3,
      keyframeSeconds: 1,
      stream: { width: 640, height: 360, fps: 15 },
    })) as Array<Record<string, unknown>>;
    const firstFrames = results.filter((result) => result.metric === 'first-frame');
    const targets = ['hikbridge', 'hikbridge-no-key-frame-request', 'mediamtx', 'camera'];
    for (const mode of ['cold', 'warm']) {
      for (const target of targets) {
        const result = firstFrames.find((each) => each.mode === mode && each.target === target);
        expect(result, `${mode} ${target}`).toMatchObject({
          bench: 'live',
          runs: 2,
          stream: '640x360 H.264 15 fps, key frame every 1 s',
          p50Ms: expect.any(Number),
          p95Ms: expect.any(Number),
          maxMs: expect.any(Number),
        });
        expect(result!.p50Ms as number).toBeGreaterThan(0);
        expect(result!.p50Ms as number).toBeLessThanOrEqual(result!.maxMs as number);
      }
      for (const target of ['hikbridge', 'mediamtx', 'camera']) {
        const packet = results.find(
          (each) => each.metric === 'first-packet' && each.mode === mode && each.target === target,
        );
        expect(packet, `${mode} ${target} first packet`).toMatchObject({ bench: 'live', runs: 2 });
        expect(packet!.p50Ms as number).toBeGreaterThan(0);
      }
      const ratio = results.find((each) => each.metric === 'ratio-to-mediamtx' && each.mode === mode)!;
      const p50 = (metric: string, target: string) =>
        results.find((each) => each.metric === metric && each.mode === mode && each.target === target)!
          .p50Ms as number;
      const expectRatio = (name: string, metric: string, target: string) =>
        expect((ratio[name] as { p50: number }).p50).toBeCloseTo(
          p50(metric, target) / p50(metric, 'mediamtx'),
          2,
        );
      expectRatio('firstFrame', 'first-frame', 'hikbridge');
      expectRatio('firstFrameNoKeyFrameRequest', 'first-frame', 'hikbridge-no-key-frame-request');
      expectRatio('firstPacket', 'first-packet', 'hikbridge');
      expect(Object.values(ratio.targets as object).every((met) => typeof met === 'boolean')).toBe(true);
    }
    const viewers = results.find((each) => each.metric === 'viewers');
    expect(viewers).toMatchObject({ bench: 'live', viewers: 2, receiving: 2 });
    expect(viewers!.videoMbitPerSecond as number).toBeGreaterThan(0);
  }, 300_000);
});
