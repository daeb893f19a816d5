/**
 * Beats the camera's key-frame interval: when a viewer joins a camera path, the camera is asked
 * over ISAPI for a key frame at once (src/protocols/isapi/keyframe.ts), so the viewer's first
 * picture does not wait up to a whole GOP (2-4 s on cameras as shipped).
 *
 * When: a key frame is only any use once it can reach the new reader. The auth hook sees the
 * read before MediaMTX has the reader (and, on a cold on-demand path, before MediaMTX has even
 * connected to the camera), so the request goes out when MediaMTX shows the path ready with a
 * reader it did not have at the read: right after the reader's SETUP on a warm path, right after
 * the camera connection plus SETUP on a cold one. One request per join, whatever the protocol.
 *
 * Never in the viewer's way: the auth hook answers at once, all of this runs beside it. Bounded:
 * one watch per path at a time (viewers who join meanwhile share it), at most one request per
 * path per `minIntervalMs` (a wall of viewers costs the camera one request a second at most;
 * later joiners get a trailing one), a short timeout, and at most MAX_WATCHES paths watched.
 * A device that answers "not supported" (404, notSupport, 405) or "not allowed" (403) is
 * remembered and not asked again until it is changed or removed.
 */
import type { Logger } from '../../core/logger.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import { lacksKeyFrameRequest, requestKeyFrame } from '../../protocols/isapi/keyframe.ts';

/** The camera stream behind a MediaMTX path. */
export interface KeyFrameTarget {
  path: string;
  deviceId: string;
  /** ISAPI stream id (101, 102, 1201...). */
  streamId: number;
}

export interface KeyFrameDeps {
  logger: Logger;
  /** The path as MediaMTX shows it now; null when it does not (yet) exist. */
  livePath: (name: string) => Promise<{ ready: boolean; readers: Array<{ id?: string }> } | null>;
  /** The device's ISAPI client; undefined when it is not supervised or must not be contacted. */
  client: (deviceId: string) => IsapiClient | undefined;
  /** How long a watch waits for the reader (MediaMTX's source start timeout plus a margin). */
  watchMs: number;
  /** At most one request per path this often (default 1000 ms). */
  minIntervalMs?: number;
  /** The request's own timeout (default 2000 ms). */
  timeoutMs?: number;
}

/** MediaMTX is polled this often while a reader is expected. */
const POLL_MS = 20;
/**
 * Once the path is ready, how long a new reader may take to show: a read that brings none (a
 * second auth check of the same RTSP session, an HLS segment of a muxer already reading) ends.
 */
const READER_GRACE_MS = 1500;
const MAX_WATCHES = 256;
/** Reader ids remembered per path (at most). */
const KNOWN_KEPT = 256;

export class KeyFrameRequester {
  private readonly lacking = new Set<string>();
  private readonly watching = new Set<string>();
  private readonly lastSent = new Map<string, number>();
  /**
   * The readers each path had when last looked at. A new watch compares with these rather than
   * with a fresh look, which on a warm path may come after MediaMTX has already added the very
   * reader the watch is for (the reader's SETUP follows the auth answer by a round trip).
   */
  private readonly known = new Map<string, string[]>();
  private inFlight = 0;
  private stopped = false;

  constructor(private readonly deps: KeyFrameDeps) {}

  /** A viewer was let in to read `target.path`: ask for a key frame once its reader is there. */
  viewerJoining(target: KeyFrameTarget): void {
    if (this.stopped || this.lacking.has(target.deviceId)) return;
    if (this.watching.has(target.path) || this.watching.size >= MAX_WATCHES) return;
    if (!this.deps.client(target.deviceId)) return;
    this.watching.add(target.path);
    this.watch(target)
      .catch((error: unknown) =>
        this.deps.logger.debug({ err: error, path: target.path }, 'key-frame watch failed'),
      )
      .finally(() => this.watching.delete(target.path));
  }

  /** Watches and requests not finished yet (tests wait for none). */
  pending(): number {
    return this.watching.size + this.inFlight;
  }

  /** Whether the device said it has no key-frame request (tests, status). */
  lacks(deviceId: string): boolean {
    return this.lacking.has(deviceId);
  }

  /** The device changed (firmware, account, address) or is gone: ask it again next time. */
  forgetDevice(deviceId: string): void {
    this.lacking.delete(deviceId);
  }

  stop(): void {
    this.stopped = true;
  }

  private async watch(target: KeyFrameTarget): Promise<void> {
    const started = Date.now();
    const remembered = this.known.get(target.path);
    const first = remembered ? undefined : await this.deps.livePath(target.path);
    const before = new Set(remembered ?? idsOf(first?.readers ?? []));
    let readySince: number | undefined;
    try {
      while (!this.stopped && Date.now() - started < this.deps.watchMs) {
        await sleep(POLL_MS);
        const live = await this.deps.livePath(target.path);
        if (!live?.ready) continue;
        const ids = idsOf(live.readers);
        this.known.set(target.path, ids.slice(-KNOWN_KEPT));
        if (ids.some((id) => !before.has(id))) {
          await this.send(target);
          return;
        }
        readySince ??= Date.now();
        if (Date.now() - readySince > READER_GRACE_MS) return;
      }
    } finally {
      if (!this.known.has(target.path)) this.known.set(target.path, [...before].slice(-KNOWN_KEPT));
    }
  }

  private async send(target: KeyFrameTarget): Promise<void> {
    const minInterval = this.deps.minIntervalMs ?? 1000;
    const wait = (this.lastSent.get(target.path) ?? Number.NEGATIVE_INFINITY) + minInterval - Date.now();
    if (wait > 0) await sleep(wait);
    const client = this.deps.client(target.deviceId);
    if (this.stopped || !client || this.lacking.has(target.deviceId)) return;
    this.lastSent.set(target.path, Date.now());
    this.inFlight += 1;
    // The watch ends here; the answer only tells whether to ask this device next time.
    void requestKeyFrame(client, target.streamId, { timeoutMs: this.deps.timeoutMs ?? 2000 })
      .catch((error: unknown) => {
        if (lacksKeyFrameRequest(error)) {
          this.lacking.add(target.deviceId);
          this.deps.logger.info(
            { deviceId: target.deviceId },
            'the camera has no key-frame request: viewers wait for its next key frame',
          );
        } else this.deps.logger.debug({ err: error, path: target.path }, 'key-frame request failed');
      })
      .finally(() => {
        this.inFlight -= 1;
      });
  }
}

function idsOf(readers: Array<{ id?: string }>): string[] {
  return readers.flatMap((reader) => (reader.id === undefined ? [] : [reader.id]));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
