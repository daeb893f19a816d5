/**
 * Event persistence off the hot path: events are announced first and written in small batches,
 * so a slow disk never delays a doorbell ring. The queue is bounded; pictures live as files.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GatewayEvent } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import type { Store } from '../../core/store/types.ts';

let lastMs = 0;
let sequence = 0;

/** Time-ordered unique ids: 12 hex digits of milliseconds, a counter and randomness. */
export function newEventId(now = Date.now()): string {
  if (now === lastMs) sequence++;
  else {
    lastMs = now;
    sequence = 0;
  }
  return `${now.toString(16).padStart(12, '0')}${sequence.toString(16).padStart(4, '0')}${randomBytes(4).toString('hex')}`;
}

export class EventWriter {
  private queue: GatewayEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private dropped = 0;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly maxQueued = 10_000,
    private readonly batchDelayMs = 50,
  ) {}

  add(event: GatewayEvent): void {
    if (this.queue.length >= this.maxQueued) {
      this.queue.shift();
      if (this.dropped++ % 1000 === 0)
        this.logger.warn(
          { maxQueued: this.maxQueued },
          'event store is falling behind; dropping the oldest unsaved events',
        );
    }
    this.queue.push(event);
    this.timer ??= setTimeout(() => void this.flush(), this.batchDelayMs);
  }

  /** Writes everything queued so far. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  private async write(batch: GatewayEvent[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      await this.store.transaction(async (tx) => {
        for (const event of batch) {
          const { channelNo, targets, region, snapshotRef, attributes, ...record } = event;
          await tx.events.insert({
            ...record,
            data: { channelNo, targets, region, snapshotRef, attributes },
          });
        }
      });
    } catch (error) {
      this.logger.error({ err: error, events: batch.length }, 'could not save events');
    }
  }
}

/**
 * True when the bytes start like a JPEG: the start-of-image marker FF D8, then the next marker's
 * FF. Devices label parts `image/jpeg` whatever they hold; what is saved as `.jpg` must be one.
 */
export function isJpeg(data: Buffer): boolean {
  return data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;
}

/** Pictures of events, one JPEG per event id under `<dataDir>/snapshots/`. */
export class SnapshotFiles {
  constructor(readonly dir: string) {}

  refFor(eventId: string): string {
    return `${eventId}.jpg`;
  }

  pathFor(ref: string): string | undefined {
    return /^[0-9a-f]{24}\.jpg$/.test(ref) ? join(this.dir, ref) : undefined;
  }

  /** Written to a temp file and renamed, so a crash never leaves half a picture. */
  async save(eventId: string, jpeg: Buffer): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const ref = this.refFor(eventId);
    const target = join(this.dir, ref);
    const temp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, jpeg);
    await rename(temp, target);
    return ref;
  }

  /** Deletes pictures older than `olderThanMs` (by file time). Returns how many. */
  async prune(olderThanMs: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && info.mtimeMs < olderThanMs) {
        await unlink(path).catch(() => undefined);
        removed++;
      }
    }
    return removed;
  }
}
