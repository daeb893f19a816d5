/**
 * From the bus to the store queue. Bus handlers must be quick, so matching events are batched
 * in memory for a moment and written in one transaction, in the order they were announced.
 * The in-memory part is bounded; while the store is failing, batches are kept and retried.
 */
import type { GatewayEvent } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import type { Store } from '../../core/store/types.ts';
import { selects } from './filter.ts';
import type { Subscription, Tuning } from './settings.ts';

interface Pending {
  subscriptionId: string;
  eventId: string;
  body: string;
}

const BATCH_DELAY_MS = 10;
const MAX_BATCH = 500;
const MAX_PENDING = 10_000;
const RETRY_MS = 1000;

export class Enqueuer {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private dropped = 0;
  private stopped = false;
  /** Rows queued per subscription since its last trim. */
  private readonly sinceTrim = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly subscriptions: readonly Subscription[],
    private readonly tuning: Tuning,
    private readonly onQueued: (subscriptionIds: ReadonlySet<string>) => void,
  ) {}

  add(event: GatewayEvent): void {
    if (this.stopped) return;
    const wanted = this.subscriptions.filter((subscription) => selects(subscription.events, event));
    if (wanted.length === 0) return;
    // One body for every subscription: what is signed is exactly what is stored and sent.
    const body = JSON.stringify({ id: event.id, type: 'event', data: event });
    for (const subscription of wanted) {
      this.pending.push({ subscriptionId: subscription.id, eventId: event.id, body });
    }
    this.bound();
    this.timer ??= setTimeout(() => void this.flush(), BATCH_DELAY_MS);
  }

  /** Writes everything pending so far. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.chain = this.chain.then(() => this.writeAll());
    return this.chain;
  }

  /** Writes what is pending once more, then takes no more events. */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) {
      this.logger.error(
        { lost: this.pending.length },
        'webhook deliveries lost at shutdown: the store failed',
      );
      this.pending = [];
    }
  }

  private async writeAll(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, MAX_BATCH);
      try {
        await this.store.webhooks.enqueue(batch, new Date().toISOString());
      } catch (error) {
        this.logger.error({ err: error, pending: this.pending.length }, 'could not queue webhook deliveries');
        if (!this.stopped) this.timer ??= setTimeout(() => void this.flush(), RETRY_MS);
        return;
      }
      this.pending.splice(0, batch.length);
      this.reportDropped();
      const ids = new Set(batch.map((entry) => entry.subscriptionId));
      await this.trim(batch);
      this.onQueued(ids);
    }
  }

  /** Keeps each queue near its bound without counting rows on every insert. */
  private async trim(batch: Pending[]): Promise<void> {
    const every = Math.min(1000, Math.max(1, Math.floor(this.tuning.maxQueued / 100)));
    for (const entry of batch) {
      const count = (this.sinceTrim.get(entry.subscriptionId) ?? 0) + 1;
      this.sinceTrim.set(entry.subscriptionId, count);
    }
    for (const [id, count] of this.sinceTrim) {
      if (count < every) continue;
      this.sinceTrim.set(id, 0);
      await this.trimQueue(id);
    }
  }

  async trimQueue(subscriptionId: string): Promise<void> {
    const dropped = await this.store.webhooks.trim(subscriptionId, this.tuning.maxQueued).catch((error) => {
      this.logger.error({ err: error, subscription: subscriptionId }, 'could not trim a webhook queue');
      return 0;
    });
    if (dropped > 0) {
      this.logger.warn(
        { subscription: subscriptionId, dropped, maxQueued: this.tuning.maxQueued },
        'webhook queue full; dropped the oldest deliveries',
      );
    }
  }

  private reportDropped(): void {
    if (this.dropped === 0) return;
    this.logger.warn({ dropped: this.dropped }, 'webhook deliveries were dropped while the store lagged');
    this.dropped = 0;
  }

  /** Memory stays bounded while the store is down: the oldest pending rows go first. */
  private bound(): void {
    const excess = this.pending.length - MAX_PENDING;
    if (excess <= 0) return;
    this.pending.splice(0, excess);
    if (this.dropped === 0) {
      this.logger.warn(
        { maxPending: MAX_PENDING },
        'the store is not keeping up; dropping webhook deliveries',
      );
    }
    this.dropped += excess;
  }
}
