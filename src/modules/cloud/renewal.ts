/**
 * Keeps each cloud camera's live URL valid by its own expiry, not by a clock: a URL is renewed
 * once a set share of the lifetime the cloud returned has passed (with a little spread, so URLs
 * fetched together do not all come due together), the watched cameras first. Offline cameras
 * back off; an account-wide failure (cloud down, key refused) ends the round and is retried
 * later. Next renewal times are in the store, so a restart picks up exactly where it was.
 */
import type { Logger } from '../../core/logger.ts';
import type { CloudAccountRecord, CloudCameraRecord, Patch, Store } from '../../core/store/types.ts';
import type { HccClient } from '../../protocols/hcc/index.ts';
import { type Clock, HccError } from '../../protocols/hcc/index.ts';
import type { LiveSources } from './live-sources.ts';
import type { CloudSettings } from './types.ts';

/** Cameras whose renewal failed because of the account or the cloud, not the camera. */
export class AccountTrouble extends Error {
  constructor(readonly failure: HccError) {
    super(failure.message);
    this.name = 'AccountTrouble';
  }
}

/** The cloud says the camera or its device is not connected: ask again later, backing off. */
const OFFLINE_CODES = new Set(['OPEN000554', 'EVZ20007', 'EVZ20008']);
/** Random spread of renewal times: 0.9 to 1.0 of the planned delay. */
const SPREAD = 0.1;

export interface RenewalDeps {
  store: Store;
  logger: Logger;
  settings: CloudSettings;
  clock: Clock;
  client: HccClient;
  sources: LiveSources;
  /** Told when cameras changed status (for the bus). */
  onChanged(): void;
  random?: () => number;
}

export interface RenewalProgress {
  total: number;
  done: number;
}

export class Renewer {
  constructor(
    private readonly account: () => CloudAccountRecord,
    private readonly deps: RenewalDeps,
  ) {}

  /** The cameras that need a live URL: active ones with none, or due for renewal. */
  async due(): Promise<CloudCameraRecord[]> {
    const now = this.deps.clock.now();
    return (await this.active()).filter((camera) => dueAt(camera) <= now);
  }

  /**
   * Renews every camera due now, watched ones first; returns when the next one comes due
   * (undefined: none has a URL to renew). Throws AccountTrouble when the account or the cloud
   * failed; the cameras not reached keep their state.
   */
  async runDue(
    progress?: (state: RenewalProgress) => void,
    stopped?: () => boolean,
  ): Promise<number | undefined> {
    // One listing per round: at 1000 cameras a listing (decrypting every URL) is the round's cost.
    const cameras = await this.active();
    const now = this.deps.clock.now();
    const next = new Map(cameras.map((camera) => [camera.id, dueAt(camera)]));
    const due = cameras.filter((camera) => dueAt(camera) <= now);
    if (due.length > 0) {
      const watched = await this.deps.sources
        .watched(due.map((camera) => camera.id))
        .catch(() => new Set<string>());
      due.sort((a, b) => Number(watched.has(b.id)) - Number(watched.has(a.id)) || dueAt(a) - dueAt(b));
      let done = 0;
      progress?.({ total: due.length, done });
      let changed = false;
      try {
        for (const camera of due) {
          if (stopped?.()) break;
          const result = await this.renew(camera);
          changed = result.changed || changed;
          next.set(camera.id, result.nextRenewalAt);
          progress?.({ total: due.length, done: ++done });
        }
      } finally {
        if (changed) this.deps.onChanged();
      }
    }
    return next.size > 0 ? Math.min(...next.values()) : undefined;
  }

  /** When the next active camera comes due (epoch ms), if any. */
  async nextDue(): Promise<number | undefined> {
    const times = (await this.active()).map(dueAt);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /**
   * One camera: a new live URL, or its failure recorded. Says whether its status changed and
   * when it comes due next.
   */
  async renew(camera: CloudCameraRecord): Promise<{ changed: boolean; nextRenewalAt: number }> {
    const { client, settings, clock, store } = this.deps;
    const quality = camera.quality ?? this.account().quality;
    try {
      const address = await client.liveAddress({
        resourceId: camera.resourceId,
        deviceSerial: camera.deviceSerial,
        protocol: 'rtmp',
        quality,
        expireSeconds: settings.urlLifetimeSeconds,
        ...(camera.streamCode ? { code: camera.streamCode } : {}),
      });
      const now = clock.now();
      const lifetime = Math.max(0, address.expiresAt - now);
      const nextRenewalAt = now + lifetime * settings.renewAtFraction * (1 - SPREAD * this.random());
      await store.cloud.updateCamera(camera.id, {
        url: address.url,
        urlExpiresAt: new Date(address.expiresAt).toISOString(),
        nextRenewalAt: new Date(nextRenewalAt).toISOString(),
        status: 'ok',
        lastError: null,
        renewFailures: 0,
        online: true,
      });
      await this.deps.sources.offer(camera.id, address.url);
      return { changed: camera.status !== 'ok', nextRenewalAt };
    } catch (error) {
      if (!(error instanceof HccError)) throw error;
      if (error.kind !== 'device' && error.kind !== 'request' && error.kind !== 'api') {
        throw new AccountTrouble(error);
      }
      const failure = this.failure(camera, error);
      await store.cloud.updateCamera(camera.id, failure);
      return { changed: true, nextRenewalAt: Date.parse(failure.nextRenewalAt!) };
    }
  }

  private failure(camera: CloudCameraRecord, error: HccError): Patch<CloudCameraRecord> {
    const { settings, clock } = this.deps;
    const failures = camera.renewFailures + 1;
    const offline = OFFLINE_CODES.has(error.code);
    // Offline cameras come back by themselves: back off from the minimum. Anything else (stream
    // encryption, a camera the cloud no longer knows) needs the user or the next sync.
    const base = offline ? settings.offlineRetryMinSeconds : settings.offlineRetryMaxSeconds;
    const waitSeconds = Math.min(settings.offlineRetryMaxSeconds, base * 2 ** Math.min(failures - 1, 20));
    const wait = waitSeconds * 1000 * (1 - SPREAD * this.random());
    this.deps.logger.info(
      {
        cameraId: camera.id,
        serial: camera.deviceSerial,
        code: error.code,
        retryInSeconds: Math.round(wait / 1000),
      },
      offline ? 'cloud camera offline' : 'cloud camera has no live URL',
    );
    return {
      status: offline ? 'offline' : 'error',
      ...(offline ? { online: false } : {}),
      lastError: error.message,
      renewFailures: failures,
      nextRenewalAt: new Date(clock.now() + wait).toISOString(),
    };
  }

  private async active(): Promise<CloudCameraRecord[]> {
    const cameras = await this.deps.store.cloud.listCameras(this.account().id);
    return cameras.filter((camera) => camera.enabled && !camera.removedAt);
  }

  private random(): number {
    return (this.deps.random ?? Math.random)();
  }
}

/** A camera without a renewal time is due at once (just imported, or its URL was dropped). */
function dueAt(camera: CloudCameraRecord): number {
  return camera.nextRenewalAt ? Date.parse(camera.nextRenewalAt) : Number.NEGATIVE_INFINITY;
}
