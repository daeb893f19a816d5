/**
 * Module settings for tests that build a module by hand: a section of the configuration with
 * every default from the schema, some keys replaced. Not validated, so a test may go below the
 * schema's bounds (a 1 s session limit) to stay fast.
 */
import { type Config, defaultConfig, loadConfig } from '../../src/core/config/index.ts';

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

export function settingsOf<K extends keyof Config>(
  key: K,
  overrides: DeepPartial<Config[K]> = {},
): Config[K] {
  return mergeDeep(defaultConfig()[key], overrides) as Config[K];
}

/** Webhook subscriptions completed by the schema (timeouts, max age, event selection). */
export function webhookSubscriptions(
  subscriptions: Record<string, Record<string, unknown>>,
): Config['webhooks']['subscriptions'] {
  return loadConfig({ env: {}, overrides: { webhooks: { subscriptions } } }).webhooks.subscriptions;
}

function mergeDeep(base: unknown, overrides: unknown): unknown {
  if (!isObject(base) || !isObject(overrides)) return overrides === undefined ? base : overrides;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) merged[key] = mergeDeep(base[key], value);
  return merged;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
