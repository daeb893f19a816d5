/**
 * Which live URL each cloud camera's MediaMTX path uses. Changing a path's source drops its
 * viewers, and a running RTMP session outlives its URL's expiry (the cloud checks `expire=` when
 * a player connects), so a renewed URL goes to MediaMTX at once only when nobody watches; for a
 * watched camera it waits until the last viewer leaves or the stream breaks.
 */
import type { Logger } from '../../core/logger.ts';

/** What this needs of the media module. */
export interface CloudMedia {
  /** Applies the cameras' current sources soon. */
  requestSync(): void;
  /**
   * Per path name: readers, readiness, and `busy` (readers, or the stream up); empty when unknown.
   */
  watchers(): Promise<Map<string, { ready: boolean; readers: number; busy: boolean }>>;
  /** The path name of a camera's stream, once it has one. */
  pathName(channelId: string): string | undefined;
}

/**
 * How often waiting URLs are checked: a viewer who opens a camera in the moment between the last
 * viewer leaving and the check gets the old URL, which may have expired meanwhile.
 */
export const PENDING_CHECK_MS = 1_000;

export class LiveSources {
  /** The URL MediaMTX has for each camera now (by camera id). */
  private readonly applied = new Map<string, string>();
  /** Renewed URLs waiting for their camera's viewers to leave. */
  private readonly pending = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly media: CloudMedia,
    private readonly logger: Logger,
    private readonly checkEveryMs = PENDING_CHECK_MS,
  ) {}

  /** The source for a camera's path: the applied URL, else the stored one (which becomes applied). */
  sourceFor(cameraId: string, storedUrl: string | null): string | null {
    const pending = this.pending.get(cameraId);
    if (pending !== undefined && !this.applied.has(cameraId)) {
      this.pending.delete(cameraId);
      this.applied.set(cameraId, pending);
    }
    const current = this.applied.get(cameraId);
    if (current !== undefined) return current;
    if (storedUrl) this.applied.set(cameraId, storedUrl);
    return storedUrl;
  }

  /**
   * Whether anyone watches each camera now (by camera id): readers, or its stream still up.
   */
  async watched(cameraIds: Iterable<string>): Promise<Set<string>> {
    const watchers = await this.media.watchers();
    const result = new Set<string>();
    for (const id of cameraIds) {
      const path = this.media.pathName(id);
      if (path && watchers.get(path)?.busy) result.add(id);
    }
    return result;
  }

  /**
   * A renewed URL: applied now, or once the camera's viewers have left. Who watches is asked
   * right here, not at the start of a long renewal round, so a viewer who arrived meanwhile keeps
   * the stream.
   */
  async offer(cameraId: string, url: string): Promise<void> {
    if (this.applied.get(cameraId) === url) return;
    const watched =
      this.applied.has(cameraId) &&
      (await this.watched([cameraId]).catch(() => new Set<string>())).has(cameraId);
    if (watched) {
      this.pending.set(cameraId, url);
      this.scheduleCheck();
      return;
    }
    this.pending.delete(cameraId);
    this.applied.set(cameraId, url);
    this.media.requestSync();
  }

  /** The camera has no path any more (removed, disabled, deleted). */
  forget(cameraId: string): void {
    this.applied.delete(cameraId);
    this.pending.delete(cameraId);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Applies the waiting URLs of cameras nobody watches any more. */
  async applyUnwatched(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const watched = await this.watched(this.pending.keys());
    let applied = 0;
    for (const [id, url] of this.pending) {
      if (watched.has(id)) continue;
      this.pending.delete(id);
      this.applied.set(id, url);
      applied++;
    }
    if (applied > 0) {
      this.logger.debug({ applied }, 'renewed live URLs applied now that nobody watches');
      this.media.requestSync();
    }
    return applied;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private scheduleCheck(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.applyUnwatched()
        .catch((error) => this.logger.debug({ err: error }, 'could not check who watches cloud cameras'))
        .finally(() => {
          if (this.pending.size > 0) this.scheduleCheck();
        });
    }, this.checkEveryMs);
    this.timer.unref();
  }
}
