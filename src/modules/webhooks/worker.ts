/**
 * Delivers one subscription's queue, head first. A failed head is retried with back-off and
 * blocks the rows behind it (receivers get events in order); other subscriptions have their own
 * worker and are not held up. The queue lives in the store, so a restart (or another gateway
 * on the same PostgreSQL) carries on where this one stopped.
 */
import type { Logger } from '../../core/logger.ts';
import type { WebhookQueueEntry, WebhookQueueRepository } from '../../core/store/types.ts';
import { backoffMs } from './backoff.ts';
import { type DeliveryResult, deliver } from './deliver.ts';
import { type Subscription, safeTarget, type Tuning } from './settings.ts';

export interface WorkerDeps {
  queue: WebhookQueueRepository;
  logger: Logger;
  subscription: Subscription;
  tuning: Tuning;
  /** Names this gateway in leases. */
  owner: string;
}

/** What this process saw of a subscription's deliveries since it started (for the API). */
export interface DeliveryRecord {
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  /** The last failure as `deliver` reports it: `HTTP 503`, `timeout`, `ECONNREFUSED`. */
  lastFailure: string | null;
  delivered: number;
  failed: number;
}

/** Shortest nap, so that a race lost against another gateway never spins. */
const MIN_NAP_MS = 10;

export class SubscriptionWorker {
  private stopped = false;
  private woken = false;
  private wakeNap: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private failing = false;
  private readonly abort = new AbortController();
  private readonly log: Logger;
  private readonly sub: Subscription;
  readonly record: DeliveryRecord = {
    lastSuccessAt: null,
    lastFailureAt: null,
    lastFailure: null,
    delivered: 0,
    failed: 0,
  };

  constructor(private readonly deps: WorkerDeps) {
    this.sub = deps.subscription;
    this.log = deps.logger.child({ subscription: this.sub.id, target: safeTarget(this.sub.url) });
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** New rows were queued: look now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeNap?.();
  }

  /** Stops after aborting the attempt in flight (its row is handed back, not lost). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const worked = await this.step();
        this.recovered();
        if (!worked) await this.nap(await this.idleWait());
      } catch (error) {
        this.storeFailed(error);
        await this.nap(this.deps.tuning.pollIntervalMs);
      }
    }
  }

  /** Works the head of the queue once. False when there was nothing to do yet. */
  private async step(): Promise<boolean> {
    const now = Date.now();
    const leaseMs = this.sub.timeoutMs + this.deps.tuning.leaseMarginMs;
    const entry = await this.deps.queue.claimHead(this.sub.id, this.deps.owner, iso(now), iso(now + leaseMs));
    if (!entry) return false;
    if (Date.parse(entry.createdAt) < now - this.sub.maxAgeMs) {
      await this.dropExpired(now);
      return true;
    }
    const result = await deliver({
      url: this.sub.url,
      secret: this.sub.secret,
      eventId: entry.eventId,
      body: entry.body,
      timeoutMs: this.sub.timeoutMs,
      signal: this.abort.signal,
    });
    await this.settle(entry, result);
    return true;
  }

  private async settle(entry: WebhookQueueEntry, result: DeliveryResult): Promise<void> {
    const { queue, owner, tuning } = this.deps;
    this.remember(result);
    if (result.ok) {
      await queue.remove(entry.seq);
      if (entry.attempts > 1)
        this.log.info({ attempts: entry.attempts }, 'webhook receiver is answering again');
      this.log.debug({ eventId: entry.eventId, status: result.status }, 'webhook delivered');
      return;
    }
    if (result.aborted) {
      // Stopping is not the receiver's fault: the attempt does not count.
      await queue.release(entry.seq, owner, {
        nextAttemptAt: iso(Date.now()),
        attempts: entry.attempts - 1,
        lastError: entry.lastError,
      });
      return;
    }
    const { maxAttempts } = this.sub;
    if (maxAttempts !== undefined && entry.attempts >= maxAttempts) {
      await queue.remove(entry.seq);
      this.log.warn(
        { eventId: entry.eventId, attempts: entry.attempts, error: result.error },
        'webhook delivery given up after the last attempt; the event is dropped',
      );
      return;
    }
    const waitMs = backoffMs(entry.attempts, tuning.minBackoffMs, tuning.maxBackoffMs);
    await queue.release(entry.seq, owner, {
      nextAttemptAt: iso(Date.now() + waitMs),
      attempts: entry.attempts,
      lastError: result.error,
    });
    this.log.warn(
      { eventId: entry.eventId, attempt: entry.attempts, error: result.error, retryInMs: waitMs },
      'webhook delivery failed; retrying (later events wait for this one)',
    );
  }

  private remember(result: DeliveryResult): void {
    if (!result.ok && result.aborted) return;
    const now = new Date().toISOString();
    if (result.ok) {
      this.record.lastSuccessAt = now;
      this.record.delivered += 1;
    } else {
      this.record.lastFailureAt = now;
      this.record.lastFailure = result.error;
      this.record.failed += 1;
    }
  }

  private async dropExpired(now: number): Promise<void> {
    const dropped = await this.deps.queue.dropOlderThan(this.sub.id, iso(now - this.sub.maxAgeMs));
    this.log.warn(
      { dropped, maxAgeHours: this.sub.maxAgeMs / 3600_000 },
      'dropped webhook deliveries older than maxAgeHours',
    );
  }

  /** How long to wait when the head is not ready: until it is due, at most one poll interval. */
  private async idleWait(): Promise<number> {
    const { pollIntervalMs } = this.deps.tuning;
    const head = await this.deps.queue.head(this.sub.id);
    if (!head) return pollIntervalMs;
    const due = Math.max(Date.parse(head.nextAttemptAt), head.leasedUntil ? Date.parse(head.leasedUntil) : 0);
    return Math.min(pollIntervalMs, Math.max(MIN_NAP_MS, due - Date.now()));
  }

  private nap(ms: number): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeNap = undefined;
        self.woken = false;
        resolve();
      }
      this.wakeNap = done;
    });
  }

  /** One error line when the store starts failing, not one per poll. */
  private storeFailed(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.log.error({ err: error }, 'webhook queue unavailable; retrying');
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.log.info('webhook queue available again');
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
