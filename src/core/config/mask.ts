/** The configuration as it may be shown (the settings endpoint): every secret replaced by ***. */
import { MASK, redactSecretsInText } from '../logger.ts';
import { listConfigKeys } from './docs.ts';
import type { Config } from './load.ts';

/**
 * Secret keys of the schema are masked; webhook subscriptions sit below a map of ids, so their
 * secrets are masked here by name, and their URLs lose query and user info (receivers often take
 * a token there).
 */
export function maskSecrets(config: Config): unknown {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const key of listConfigKeys()) {
    if (!key.secret) continue;
    const path = key.path.split('.');
    let node: Record<string, unknown> | undefined = copy;
    for (const part of path.slice(0, -1)) node = node?.[part] as Record<string, unknown> | undefined;
    const last = path[path.length - 1]!;
    if (node && node[last] !== undefined && node[last] !== null) node[last] = MASK;
  }
  const subscriptions = (
    copy.webhooks as { subscriptions?: Record<string, { secret?: unknown; url?: string }> }
  )?.subscriptions;
  for (const subscription of Object.values(subscriptions ?? {})) {
    subscription.secret = MASK;
    if (subscription.url) subscription.url = redactSecretsInText(withoutQuery(subscription.url));
  }
  return copy;
}

function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.search = parsed.search ? '?***' : '';
    return parsed.toString();
  } catch {
    return MASK;
  }
}
