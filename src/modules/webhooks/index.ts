/**
 * The webhooks module: every bus `event` a subscription selects is queued in the store (one
 * FIFO per subscription) and POSTed, signed, to the subscription's URL; failures are retried
 * with back-off, in order, until the entry is older than maxAgeHours. See README.md.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Bus } from '../../core/bus.ts';
import type { Logger } from '../../core/logger.ts';
import { defineModule, type Module } from '../../core/module.ts';
import type { Store } from '../../core/store/types.ts';
import { Enqueuer } from './enqueuer.ts';
import { failureInWords, maskedUrl, type WebhookViewType, webhooksRoutes } from './routes.ts';
import {
  type Subscription,
  safeTarget,
  subscriptionsOf,
  type Tuning,
  tuningOf,
  type WebhooksSettings,
} from './settings.ts';
import { SubscriptionWorker } from './worker.ts';

export { signature } from './deliver.ts';
export type { SubscriptionSettings, WebhooksSettings } from './settings.ts';

const REMOVED_SUBSCRIPTION_GRACE_MS = 24 * 3600_000;

export interface WebhooksModuleDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  /** The `webhooks` config section (two internal timings optional, for tests). */
  settings: WebhooksSettings;
}

export class WebhooksModule implements Module {
  readonly name = 'webhooks';
  /** Names this gateway in queue leases: unique per process start. */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly subscriptions: Subscription[];
  private readonly tuning: Tuning;
  private readonly workers = new Map<string, SubscriptionWorker>();
  private readonly enqueuer: Enqueuer;
  private unsubscribe: (() => void) | undefined;
  readonly routes = webhooksRoutes(() => this.list());

  constructor(private readonly deps: WebhooksModuleDeps) {
    this.subscriptions = subscriptionsOf(deps.settings);
    this.tuning = tuningOf(deps.settings);
    this.enqueuer = new Enqueuer(deps.store, deps.logger, this.subscriptions, this.tuning, (ids) => {
      for (const id of ids) this.workers.get(id)?.wake();
    });
  }

  async start(): Promise<void> {
    await this.fadeOutRemovedSubscriptions();
    if (this.subscriptions.length === 0) return;
    for (const subscription of this.subscriptions) {
      // The bound may have been lowered since the rows were queued.
      await this.enqueuer.trimQueue(subscription.id);
      const worker = new SubscriptionWorker({
        queue: this.deps.store.webhooks,
        logger: this.deps.logger,
        subscription,
        tuning: this.tuning,
        owner: this.owner,
      });
      this.workers.set(subscription.id, worker);
      worker.start();
    }
    this.unsubscribe = this.deps.bus.on('event', (event) => this.enqueuer.add(event));
    this.deps.logger.info(
      { subscriptions: this.subscriptions.map((each) => ({ id: each.id, target: safeTarget(each.url) })) },
      'webhooks started',
    );
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    // Events announced before stopping are still queued, and delivered after the next start.
    await this.enqueuer.stop();
    await Promise.all([...this.workers.values()].map((worker) => worker.stop()));
    this.workers.clear();
  }

  /** Each configured subscription with its delivery state, secrets left out (for the API). */
  async list(): Promise<WebhookViewType[]> {
    const counts = new Map(
      (await this.deps.store.webhooks.counts()).map(({ subscriptionId, count }) => [subscriptionId, count]),
    );
    return Promise.all(
      this.subscriptions.map(async (subscription) => {
        const head = await this.deps.store.webhooks.head(subscription.id);
        const record = this.workers.get(subscription.id)?.record;
        const words = (error: string | null) => failureInWords(error, subscription.timeoutMs);
        // A failed head keeps its error in the store, so a restart still says why it waits.
        const retrying =
          head && head.lastError !== null
            ? { attempts: head.attempts, nextAttemptAt: head.nextAttemptAt, error: words(head.lastError) }
            : null;
        return {
          id: subscription.id,
          url: maskedUrl(subscription.url),
          events: {
            kinds: subscription.events.kinds ?? null,
            deviceIds: subscription.events.deviceIds ?? null,
            channelIds: subscription.events.channelIds ?? null,
            states: subscription.events.states ?? null,
          },
          timeoutMs: subscription.timeoutMs,
          maxAttempts: subscription.maxAttempts ?? null,
          maxAgeHours: subscription.maxAgeMs / 3600_000,
          delivery: {
            queued: counts.get(subscription.id) ?? 0,
            lastSuccessAt: record?.lastSuccessAt ?? null,
            lastFailureAt: record?.lastFailureAt ?? null,
            lastFailure: words(record?.lastFailure ?? null) ?? retrying?.error ?? null,
            retrying,
            delivered: record?.delivered ?? 0,
            failed: record?.failed ?? 0,
          },
        };
      }),
    );
  }

  /**
   * Rows of subscriptions no longer configured are dropped once older than a day (a
   * subscription's default max age), not at once: during a rolling update another gateway may
   * already serve them.
   */
  private async fadeOutRemovedSubscriptions(): Promise<void> {
    const configured = new Set(this.subscriptions.map((each) => each.id));
    const cutoff = new Date(Date.now() - REMOVED_SUBSCRIPTION_GRACE_MS).toISOString();
    for (const { subscriptionId, count } of await this.deps.store.webhooks.counts()) {
      if (configured.has(subscriptionId)) continue;
      const dropped = await this.deps.store.webhooks.dropOlderThan(subscriptionId, cutoff);
      this.deps.logger.warn(
        { subscription: subscriptionId, queued: count - dropped, dropped },
        'webhook deliveries queued for a subscription that is not configured',
      );
    }
  }
}

export const webhooksModule = defineModule({
  name: 'webhooks',
  settings: (config) => config.webhooks,
  create: (context) => new WebhooksModule(context),
});
