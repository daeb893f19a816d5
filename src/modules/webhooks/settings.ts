/** What the webhooks module is told: the `webhooks` config section plus two internal timings. */
import type { Config } from '../../core/config/index.ts';
import type { EventState } from '../../core/events.ts';

export interface EventSelection {
  kinds?: string[] | undefined;
  deviceIds?: string[] | undefined;
  channelIds?: string[] | undefined;
  states?: EventState[] | string[] | undefined;
}

/** One subscription as configured (`webhooks.subscriptions.<id>`), defaults filled in by the schema. */
export type SubscriptionSettings = Config['webhooks']['subscriptions'][string];

/**
 * The `webhooks` config section, plus two internal timings that only tests change: how often an
 * idle worker looks for rows other gateways queued (and expired leases), and how long a lease
 * outlasts the delivery timeout (store latency and clock skew).
 */
export type WebhooksSettings = Config['webhooks'] & { pollIntervalMs?: number; leaseMarginMs?: number };

export interface Subscription {
  id: string;
  url: string;
  secret: string;
  events: EventSelection;
  timeoutMs: number;
  maxAttempts: number | undefined;
  maxAgeMs: number;
}

export interface Tuning {
  maxQueued: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  pollIntervalMs: number;
  leaseMarginMs: number;
}

const POLL_INTERVAL_MS = 1000;
const LEASE_MARGIN_MS = 15_000;

export function subscriptionsOf(settings: WebhooksSettings): Subscription[] {
  return Object.entries(settings.subscriptions ?? {}).map(([id, each]) => ({
    id,
    url: each.url,
    secret: each.secret,
    events: each.events,
    timeoutMs: each.timeoutMs,
    maxAttempts: each.maxAttempts,
    maxAgeMs: each.maxAgeHours * 3600_000,
  }));
}

export function tuningOf(settings: WebhooksSettings): Tuning {
  return {
    maxQueued: settings.maxQueuedPerSubscription,
    minBackoffMs: settings.minBackoffMs,
    maxBackoffMs: Math.max(settings.minBackoffMs, settings.maxBackoffMs),
    pollIntervalMs: settings.pollIntervalMs ?? POLL_INTERVAL_MS,
    leaseMarginMs: settings.leaseMarginMs ?? LEASE_MARGIN_MS,
  };
}

/** Origin and path only: queries and user info may hold tokens. */
export function safeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
