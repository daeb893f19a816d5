/**
 * What both sides of the cloud benchmark share: simulated time, the seeded viewers, the fleet in
 * the simulated cloud, and the audience that counts broken playback. Only one actor runs at a
 * time (a discrete-event loop), so simulated time can jump from one event to the next.
 */
import type { PlayVerdict, SimCloud, SimCloudDevice } from '../sim/index.ts';
import type { Clock } from '../src/protocols/hcc/index.ts';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/**
 * Time that passes only when told. `sleep` moves it forward at once, after letting `onPass` run
 * whatever happens meanwhile (viewers come and go while the renewer waits for the rate limit).
 */
export class SimulatedClock implements Clock {
  onPass: ((until: number) => Promise<void>) | undefined;
  private time: number;

  constructor(start: number) {
    this.time = start;
  }

  readonly now = (): number => this.time;

  readonly sleep = async (ms: number): Promise<void> => {
    const target = this.time + Math.max(0, ms);
    if (this.onPass) await this.onPass(target);
    this.set(target);
  };

  /** Moves to `time`; never backwards (an actor that ran late keeps its own later time). */
  set(time: number): void {
    this.time = Math.max(this.time, time);
  }
}

/** mulberry32: small, fast and the same on every machine, so a seed names a run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface ViewerEvent {
  /** Offset from when viewing starts, ms. */
  offset: number;
  kind: 'start' | 'stop';
  viewer: number;
  /** Index into the fleet's cameras. */
  camera: number;
}

export interface ViewerPlan {
  minWatchMinutes: number;
  maxWatchMinutes: number;
  maxPauseMinutes: number;
}

export const VIEWER_PLAN: ViewerPlan = { minWatchMinutes: 5, maxWatchMinutes: 60, maxPauseMinutes: 30 };

/**
 * Every viewer pauses 0..30 min, watches a random camera 5..60 min, pauses again, and so on until
 * `durationMs`; the events of all viewers in time order. The same seed gives the same sessions
 * to both sides.
 */
export function viewerEvents(
  viewers: number,
  cameras: number,
  durationMs: number,
  seed: number,
  plan: ViewerPlan = VIEWER_PLAN,
): ViewerEvent[] {
  const events: ViewerEvent[] = [];
  for (let viewer = 0; viewer < viewers; viewer++) {
    const random = seededRandom(seed * 1000 + viewer);
    const between = (min: number, max: number) => (min + random() * (max - min)) * MINUTE;
    let at = between(0, plan.maxPauseMinutes);
    while (at < durationMs) {
      const camera = Math.floor(random() * cameras);
      const end = at + between(plan.minWatchMinutes, plan.maxWatchMinutes);
      events.push({ offset: at, kind: 'start', viewer, camera });
      // A session still running at the end stops at the end (the run ends; nobody is cut).
      if (end < durationMs) events.push({ offset: end, kind: 'stop', viewer, camera });
      at = end + between(0, plan.maxPauseMinutes);
    }
  }
  return events.sort((a, b) => a.offset - b.offset || (a.kind === 'stop' ? -1 : 1));
}

export interface FleetCamera {
  serial: string;
  channelNo: number;
}

/** `cameras` cameras spread evenly over `devices` devices, none encrypted, all online. */
export function fleet(
  cameras: number,
  devices: number,
): { devices: SimCloudDevice[]; cameras: FleetCamera[] } {
  const list: SimCloudDevice[] = Array.from({ length: devices }, (_, i) => ({
    serialNumber: `BENCH${String(i + 1).padStart(6, '0')}`,
    name: `Site ${i + 1}`,
    category: 'NVR',
    cameras: [],
  }));
  const all: FleetCamera[] = [];
  for (let i = 0; i < cameras; i++) {
    const device = list[i % devices]!;
    const channelNo = device.cameras.length + 1;
    device.cameras.push({ name: `${device.name} camera ${channelNo}`, channelNo });
    all.push({ serial: device.serialNumber, channelNo });
  }
  return { devices: list, cameras: all };
}

export function cameraKey(camera: FleetCamera): string {
  return `${camera.serial}/${camera.channelNo}`;
}

/** What the simulated cloud's RTMP origin says about a live URL at this moment. */
export function checkUrl(sim: SimCloud, url: string): PlayVerdict {
  const parsed = new URL(url);
  return sim.explainPlay(parsed.pathname.replace(/^\/+/, ''), parsed.search);
}

/**
 * Who watches which path, and every time a viewer's playback broke: the path's source changed
 * under it (MediaMTX drops the path's readers), or the path had to connect to the cloud and the
 * URL was missing or refused. A viewer joining a path others already read shares the running
 * session, so the URL is checked only when the path opens (the origin checks at connect only).
 */
export class Audience {
  private readonly watching = new Map<number, string>();
  private readonly readers = new Map<string, number>();
  readonly broken = new Map<string, number>();

  get interruptions(): number {
    let total = 0;
    for (const count of this.broken.values()) total += count;
    return total;
  }

  /** Camera key -> readers, for the cameras someone watches. */
  get watched(): ReadonlyMap<string, number> {
    return this.readers;
  }

  start(
    viewer: number,
    path: string,
    source: () => string | null,
    check: (url: string) => PlayVerdict,
  ): void {
    if (!this.readers.has(path)) {
      const url = source();
      const verdict = url ? check(url) : { accepted: false, reason: 'no live URL' };
      if (!verdict.accepted) {
        this.count(verdict.reason);
        return;
      }
    }
    this.watching.set(viewer, path);
    this.readers.set(path, (this.readers.get(path) ?? 0) + 1);
  }

  stop(viewer: number): void {
    const path = this.watching.get(viewer);
    if (path === undefined) return;
    this.watching.delete(viewer);
    const left = (this.readers.get(path) ?? 1) - 1;
    if (left > 0) this.readers.set(path, left);
    else this.readers.delete(path);
  }

  /** The path's source changed: each of its readers broke once (their players reconnect). */
  sourceChanged(path: string, reason: string): void {
    const readers = this.readers.get(path) ?? 0;
    for (let i = 0; i < readers; i++) this.count(reason);
  }

  private count(reason: string): void {
    this.broken.set(reason, (this.broken.get(reason) ?? 0) + 1);
  }
}
