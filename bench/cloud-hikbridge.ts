/**
 * hikbridge's side of the cloud benchmark, with the product's own code: the store, the account's
 * client (token, 5 calls/s limiter), syncAccount, the Renewer and LiveSources. What the account
 * runner and the media module do around them (timers, MediaMTX) is played by the event loop
 * here, on simulated time: the import at t0, renewal rounds when Renewer.nextDue() says, a
 * resync every `resyncMinutes`, the pending-URL check every 5 s while a renewed URL waits, and
 * the viewers. Sources are read the way the media module reads them (LiveSources.sourceFor for
 * every served camera) after anything asked for a media sync.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimCloud, startSimCloud } from '../sim/cloud.ts';
import { callsInBusiestSecond } from '../sim/cloud-rate.ts';
import { createLogger, type Logger } from '../src/core/logger.ts';
import { createStore, type Store } from '../src/core/store/index.ts';
import { accountClient } from '../src/modules/cloud/account.ts';
// LiveSources' check of waiting URLs, run here on simulated time.
import { type CloudMedia, LiveSources, PENDING_CHECK_MS } from '../src/modules/cloud/live-sources.ts';
import { Renewer } from '../src/modules/cloud/renewal.ts';
import { syncAccount } from '../src/modules/cloud/sync.ts';
import type { CloudSettings } from '../src/modules/cloud/types.ts';
import {
  Audience,
  cameraKey,
  checkUrl,
  fleet,
  HOUR,
  MINUTE,
  SimulatedClock,
  seededRandom,
  type ViewerEvent,
  viewerEvents,
} from './cloud-model.ts';

export interface CloudRunOptions {
  cameras: number;
  devices: number;
  viewers: number;
  hours: number;
  seed: number;
  start: number;
  /** `memory` or `file` (a temp SQLite file, as the product has). */
  store: 'memory' | 'file';
  log: (line: string) => void;
}

export interface HikbridgeOptions extends CloudRunOptions {
  /**
   * false: the media module cannot say who watches (MediaMTX's API not answering), which the
   * cloud module takes as "nobody": a control run that shows what the bench counts when renewed
   * URLs are applied under viewers.
   */
  watchersKnown: boolean;
}

export interface HikbridgeResult {
  calls: number;
  refusedCalls: number;
  importCalls: number;
  importSeconds: number;
  renewals: number;
  syncs: number;
  maxCallsInAnySecond: number;
  interruptions: number;
  interruptionsBy: Record<string, number>;
  sessions: number;
  pendingApplied: number;
}

const LIVE_ADDRESS_PATH = '/api/hccgw/video/v1/live/address/get';
/** LiveSources' own timer must never fire during a run: the loop does its checks. */
const NEVER_MS = 2 ** 31 - 1;
const APP_KEY = 'BenchAppKey-hikbridge';
const SECRET_KEY = 'BenchSecret-hikbridge';

/** LiveSources telling the loop when a renewed URL starts waiting for its viewers to leave. */
class ObservedLiveSources extends LiveSources {
  constructor(
    media: CloudMedia,
    logger: Logger,
    private readonly onPending: () => void,
  ) {
    super(media, logger, NEVER_MS);
  }

  override async offer(cameraId: string, url: string): Promise<void> {
    await super.offer(cameraId, url);
    if (this.pendingCount > 0) this.onPending();
  }
}

export async function runHikbridge(
  settings: CloudSettings,
  options: HikbridgeOptions,
): Promise<HikbridgeResult> {
  const clock = new SimulatedClock(options.start);
  const end = options.start + options.hours * HOUR;
  const { devices, cameras } = fleet(options.cameras, options.devices);
  const sim = await startSimCloud({ appKey: APP_KEY, secretKey: SECRET_KEY, devices, now: clock.now });
  const dir = options.store === 'file' ? mkdtempSync(join(tmpdir(), 'hikbridge-bench-cloud-')) : undefined;
  const store = await createStore({
    url: dir ? join(dir, 'store.db') : ':memory:',
    secretKey: randomBytes(32),
  });
  try {
    return await new HikbridgeRun(sim, store, { ...settings, defaultBaseUrl: sim.url }, clock, options).run(
      end,
      cameras.map(cameraKey),
    );
  } finally {
    await store.close();
    await sim.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

class HikbridgeRun {
  private readonly audience = new Audience();
  private readonly logger = createLogger({ level: 'silent' });
  private readonly sources: ObservedLiveSources;
  private readonly media: CloudMedia;
  /** The source each camera's path has now (camera id -> URL), as MediaMTX would. */
  private readonly paths = new Map<string, string | null>();
  private syncRequested = false;
  private nextPendingCheck: number | undefined;
  private pendingApplied = 0;
  private events: ViewerEvent[] = [];
  private nextEvent = 0;
  private viewersFrom = Number.POSITIVE_INFINITY;
  /** Fleet index -> store camera id. */
  private cameraIds: string[] = [];

  constructor(
    private readonly sim: SimCloud,
    private readonly store: Store,
    private readonly settings: CloudSettings,
    private readonly clock: SimulatedClock,
    private readonly options: HikbridgeOptions,
  ) {
    this.media = {
      requestSync: () => {
        this.syncRequested = true;
      },
      // A watched path's source runs while it has readers and stops with the last one.
      watchers: async () =>
        new Map(
          options.watchersKnown
            ? [...this.audience.watched].map(([id, readers]) => [id, { ready: true, readers, busy: true }])
            : [],
        ),
      pathName: (id) => id,
    };
    this.sources = new ObservedLiveSources(this.media, this.logger, () => {
      this.nextPendingCheck ??= this.clock.now() + PENDING_CHECK_MS;
    });
    // Viewers and the pending check go on while the renewer waits for its rate limit.
    clock.onPass = (until) => this.passUntil(until);
  }

  async run(end: number, keys: string[]): Promise<HikbridgeResult> {
    const { store, settings, clock } = this;
    let account = await store.cloud.insertAccount({ name: 'Bench', appKey: APP_KEY, appSecret: SECRET_KEY });
    const client = accountClient(account, { settings, clock });
    const renewer = new Renewer(() => account, {
      store,
      logger: this.logger,
      settings,
      clock,
      client,
      sources: this.sources,
      onChanged: () => this.media.requestSync(),
      random: seededRandom(this.options.seed + 7),
    });
    let syncs = 0;
    const sync = async () => {
      syncs++;
      const outcome = await syncAccount(account, {
        store,
        clock,
        client,
        renewer,
        sources: this.sources,
        callsPerSecond: 5,
        onProgress: () => {},
        stopped: () => false,
      });
      if (!outcome.ok) throw new Error(`sync failed: ${outcome.error}`);
      account = (await store.cloud.updateAccount(account.id, { lastSync: outcome })) ?? account;
      await this.reconcile(true);
    };

    await sync();
    const importCalls = this.sim.calls.length;
    const importSeconds = (clock.now() - this.options.start) / 1000;
    await this.startViewers(keys, end);
    this.options.log(`cloud: hikbridge imported ${keys.length} cameras with ${importCalls} calls`);

    const resyncEvery = settings.resyncMinutes * MINUTE;
    let nextResync = resyncEvery > 0 ? clock.now() + resyncEvery : Number.POSITIVE_INFINITY;
    let nextDue = (await renewer.nextDue()) ?? Number.POSITIVE_INFINITY;
    let nextReport = this.options.start + HOUR;
    for (;;) {
      const next = Math.min(nextDue, nextResync);
      await this.passUntil(Math.min(next, end));
      if (next >= end) break;
      clock.set(next);
      if (next === nextResync) {
        await sync();
        nextResync = clock.now() + resyncEvery;
        nextDue = (await renewer.nextDue()) ?? Number.POSITIVE_INFINITY;
      } else {
        nextDue = (await renewer.runDue()) ?? Number.POSITIVE_INFINITY;
        await this.reconcile();
      }
      if (clock.now() >= nextReport) {
        this.options.log(
          `cloud: hikbridge ${Math.floor((clock.now() - this.options.start) / HOUR)}/${this.options.hours} h, ${this.sim.calls.length} calls`,
        );
        nextReport += HOUR;
      }
    }
    this.sources.stop();

    const calls = this.sim.calls.filter((call) => call.at < end);
    return {
      calls: calls.length,
      refusedCalls: calls.filter((call) => call.errorCode !== '0').length,
      importCalls,
      importSeconds,
      renewals: calls.filter((call) => call.path === LIVE_ADDRESS_PATH).length - keys.length,
      syncs,
      maxCallsInAnySecond: callsInBusiestSecond(calls.map((call) => call.at)),
      interruptions: this.audience.interruptions,
      interruptionsBy: Object.fromEntries(this.audience.broken),
      sessions: this.events.filter((event) => event.kind === 'start').length,
      pendingApplied: this.pendingApplied,
    };
  }

  /** Viewing starts once the import is done (a site watches its cameras once they are there). */
  private async startViewers(keys: string[], end: number): Promise<void> {
    const idByKey = new Map(
      (await this.store.cloud.listCameras()).map((camera) => [
        `${camera.deviceSerial}/${camera.channelNo}`,
        camera.id,
      ]),
    );
    this.cameraIds = keys.map((key) => {
      const id = idByKey.get(key);
      if (!id) throw new Error(`camera ${key} was not imported`);
      return id;
    });
    this.viewersFrom = this.clock.now();
    const { viewers, seed } = this.options;
    this.events = viewerEvents(viewers, keys.length, end - this.viewersFrom, seed);
  }

  /** Runs the viewers' events and pending checks due up to `until`, each at its own time. */
  private async passUntil(until: number): Promise<void> {
    for (;;) {
      const viewerAt = this.viewersFrom + (this.events[this.nextEvent]?.offset ?? Number.POSITIVE_INFINITY);
      const checkAt = this.nextPendingCheck ?? Number.POSITIVE_INFINITY;
      const at = Math.min(viewerAt, checkAt);
      if (at > until) return;
      this.clock.set(at);
      // The media module applies what was asked before anything else happens.
      await this.reconcile();
      if (checkAt <= viewerAt) await this.pendingCheck();
      else this.viewerEvent(this.events[this.nextEvent++]!);
    }
  }

  private viewerEvent(event: ViewerEvent): void {
    const id = this.cameraIds[event.camera]!;
    if (event.kind === 'stop') this.audience.stop(event.viewer);
    else
      this.audience.start(
        event.viewer,
        id,
        () => this.paths.get(id) ?? null,
        (url) => checkUrl(this.sim, url),
      );
  }

  private async pendingCheck(): Promise<void> {
    this.pendingApplied += await this.sources.applyUnwatched();
    this.nextPendingCheck = this.sources.pendingCount > 0 ? this.clock.now() + PENDING_CHECK_MS : undefined;
    await this.reconcile();
  }

  /**
   * What the media module does after a sync request: every served camera's source, read again.
   * The store is read only after a sync (the served list may change) or when LiveSources has no
   * URL of its own for a camera: otherwise sourceFor answers from the URL it applied and ignores
   * the stored one, and listing (and decrypting) 1000 cameras costs ~27 ms, once per renewal.
   */
  private async reconcile(full = false): Promise<void> {
    if (!this.syncRequested && !full) return;
    this.syncRequested = false;
    if (!full) {
      const known = [...this.paths.keys()].map((id) => [id, this.sources.sourceFor(id, null)] as const);
      if (known.length > 0 && known.every(([, source]) => source !== null)) {
        for (const [id, source] of known) this.follow(id, source);
        return;
      }
    }
    const served = (await this.store.cloud.listCameras()).filter(
      (camera) => camera.enabled && !camera.removedAt,
    );
    const ids = new Set(served.map((camera) => camera.id));
    for (const id of [...this.paths.keys()]) if (!ids.has(id)) this.paths.delete(id);
    for (const camera of served) this.follow(camera.id, this.sources.sourceFor(camera.id, camera.url));
  }

  private follow(id: string, source: string | null): void {
    const before = this.paths.get(id);
    if (before !== undefined && before !== source) this.audience.sourceChanged(id, 'source changed');
    this.paths.set(id, source);
  }
}
