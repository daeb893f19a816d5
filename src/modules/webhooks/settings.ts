/** What the webhooks module is told: the `webhooks` config section plus a few tuning knobs. */
import type { EventState } from '../../core/events.ts';

export interface EventSelection {
  kinds?: string[] | undefined;
  deviceIds?: string[] | undefined;
  channelIds?: string[] | undefined;
  states?: EventState[] | string[] | undefined;
}

/** One subscription as configured (`webhooks.subscriptions.<id>`). */
export interface SubscriptionSettings {
  /** http(s) URL; may carry a token in its query, so it is never logged whole. */
  url: string;
  /** HMAC-SHA256 key of the signature header. */
  secret: string;
  events?: EventSelection | undefined;
  timeoutMs?: number | undefined;
  /** Attempts before an entry is given up; unset = keep trying until maxAgeHours. */
  maxAttempts?: number | undefined;
  maxAgeHours?: number | undefined;
}

export interface WebhooksSettings {
  /** By subscription id (a slug); the id names the subscription's queue in the store. */
  subscriptions: Record<string, SubscriptionSettings>;
  maxQueuedPerSubscription?: number | undefined;
  minBackoffMs?: number | undefined;
  maxBackoffMs?: number | undefined;
  /** How often an idle worker looks for rows other gateways queued (and expired leases). */
  pollIntervalMs?: number | undefined;
  /** A lease lasts the delivery timeout plus this; covers store latency and clock skew. */
  leaseMarginMs?: number | undefined;
}

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

export const DEFAULTS = {
  timeoutMs: 5000,
  maxAgeHours: 24,
  maxQueuedPerSubscription: 100_000,
  minBackoffMs: 1000,
  maxBackoffMs: 300_000,
  pollIntervalMs: 1000,
  leaseMarginMs: 15_000,
} as const;

export function subscriptionsOf(settings: WebhooksSettings): Subscription[] {
  return Object.entries(settings.subscriptions ?? {}).map(([id, each]) => ({
    id,
    url: each.url,
    secret: each.secret,
    events: each.events ?? {},
    timeoutMs: each.timeoutMs ?? DEFAULTS.timeoutMs,
    maxAttempts: each.maxAttempts,
    maxAgeMs: (each.maxAgeHours ?? DEFAULTS.maxAgeHours) * 3600_000,
  }));
}

export function tuningOf(settings: WebhooksSettings): Tuning {
  const minBackoffMs = settings.minBackoffMs ?? DEFAULTS.minBackoffMs;
  return {
    maxQueued: settings.maxQueuedPerSubscription ?? DEFAULTS.maxQueuedPerSubscription,
    minBackoffMs,
    maxBackoffMs: Math.max(minBackoffMs, settings.maxBackoffMs ?? DEFAULTS.maxBackoffMs),
    pollIntervalMs: settings.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
    leaseMarginMs: settings.leaseMarginMs ?? DEFAULTS.leaseMarginMs,
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
