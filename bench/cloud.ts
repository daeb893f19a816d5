/**
 * Cloud cameras (issue 12): API calls and broken playback of hikbridge's renewal by expiry
 * against the old backend's fixed 2-minute schedule, both on simulated time against the
 * simulated HikCentral Connect cloud (in-process, real loopback HTTP). hikbridge runs with the
 * product's defaults (`cloud` section of the configuration) unless `--url-lifetime-seconds`,
 * `--renew-fraction` or `--resync-minutes` say otherwise. The old schedule makes ~30,000 calls an
 * hour at 1000 cameras, so it runs `--baseline-hours` and is reported per hour. docs/benchmarks.md,
 * "cloud", says what the model includes and leaves out.
 */
import { performance } from 'node:perf_hooks';
import { defaultConfig } from '../src/core/config/index.ts';
import type { CloudSettings } from '../src/modules/cloud/types.ts';
import { runBaseline } from './cloud-baseline.ts';
import { runHikbridge } from './cloud-hikbridge.ts';
import { parseOptions, round } from './stats.ts';

export type CloudBenchOptions = {
  cameras: number;
  /** How many devices the cameras spread over; 0 = cameras / 10. */
  devices: number;
  viewers: number;
  hours: number;
  baselineHours: number;
  /** 0 = the product's default. */
  urlLifetimeSeconds: number;
  renewFraction: number;
  resyncMinutes: number;
  /** Simulated time one call of the old backend takes. */
  latencyMs: number;
  seed: number;
  store: string;
  /** `off`: the media module cannot tell who watches (a control run; see cloud-hikbridge.ts). */
  watchers: string;
};

const DEFAULTS: CloudBenchOptions = {
  cameras: 1000,
  devices: 0,
  viewers: 10,
  hours: 24,
  baselineHours: 1,
  urlLifetimeSeconds: 0,
  renewFraction: 0,
  resyncMinutes: -1,
  latencyMs: 100,
  seed: 1,
  store: 'file',
  watchers: 'on',
};

/** 2026-01-05 08:00 UTC, a Monday morning: any fixed start makes runs repeatable. */
const START = Date.UTC(2026, 0, 5, 8);

export async function runCloudBench(args: string[]): Promise<void> {
  const result = await cloudBench(parseOptions(args, DEFAULTS), (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export async function cloudBench(
  given: Partial<CloudBenchOptions>,
  log: (line: string) => void = () => {},
): Promise<Record<string, unknown>> {
  const options = { ...DEFAULTS, ...given };
  if (options.store !== 'file' && options.store !== 'memory') throw new Error('--store is file or memory');
  if (options.watchers !== 'on' && options.watchers !== 'off') throw new Error('--watchers is on or off');
  const devices = options.devices > 0 ? options.devices : Math.max(1, Math.round(options.cameras / 10));
  const settings = cloudSettings(options);
  const run = {
    cameras: options.cameras,
    devices,
    viewers: options.viewers,
    seed: options.seed,
    start: START,
    store: options.store as 'file' | 'memory',
    log,
  };
  const started = performance.now();
  const ours = await runHikbridge(settings, {
    ...run,
    hours: options.hours,
    watchersKnown: options.watchers === 'on',
  });
  const hikbridgeSeconds = (performance.now() - started) / 1000;
  log(`cloud: hikbridge done in ${round(hikbridgeSeconds, 1)} s; the old schedule next`);
  const old = await runBaseline({ ...run, hours: options.baselineHours, latencyMs: options.latencyMs });
  const callsPerHour = ours.calls / options.hours;
  const baselineCallsPerHour = old.calls / old.hours;
  const baselineInterruptionsPerHour = old.interruptions / old.hours;
  return {
    bench: 'cloud',
    cameras: options.cameras,
    devices,
    viewers: options.viewers,
    hours: options.hours,
    urlLifetimeSeconds: settings.urlLifetimeSeconds,
    renewAtFraction: settings.renewAtFraction,
    resyncMinutes: settings.resyncMinutes,
    seed: options.seed,
    ...(options.watchers === 'off' ? { watchers: 'off' } : {}),
    callsPerHour: round(callsPerHour, 1),
    baselineCallsPerHour: round(baselineCallsPerHour, 1),
    ratio: round(callsPerHour / baselineCallsPerHour, 5),
    interruptions: ours.interruptions,
    interruptionsBy: ours.interruptionsBy,
    baselineInterruptionsPerHour: round(baselineInterruptionsPerHour, 1),
    baselineInterruptions: Math.round(baselineInterruptionsPerHour * options.hours),
    calls: ours.calls,
    refusedCalls: ours.refusedCalls,
    importCalls: ours.importCalls,
    importSeconds: round(ours.importSeconds, 1),
    renewals: ours.renewals,
    syncs: ours.syncs,
    pendingApplied: ours.pendingApplied,
    sessions: ours.sessions,
    maxCallsInAnySecond: ours.maxCallsInAnySecond,
    baselineHours: old.hours,
    baselineCalls: old.calls,
    baselineRefusedCalls: old.refusedCalls,
    baselineRounds: old.rounds,
    baselineOverlappingRounds: old.overlappingRounds,
    baselineMaxCallsInAnySecond: old.maxCallsInAnySecond,
    latencyMs: options.latencyMs,
    hikbridgeWallSeconds: round(hikbridgeSeconds, 1),
    wallSeconds: round((performance.now() - started) / 1000, 1),
  };
}

/** The product's defaults (the configuration schema's), with the options given. */
function cloudSettings(options: CloudBenchOptions): CloudSettings {
  const settings = { ...defaultConfig().cloud };
  if (options.urlLifetimeSeconds > 0) settings.urlLifetimeSeconds = options.urlLifetimeSeconds;
  if (options.renewFraction > 0) settings.renewAtFraction = options.renewFraction;
  if (options.resyncMinutes >= 0) settings.resyncMinutes = options.resyncMinutes;
  return settings;
}
