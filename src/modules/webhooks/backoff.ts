/**
 * Wait before attempt `failures + 1`: doubling from `min`, capped at `max`, with jitter so that
 * many gateways (or subscriptions) failing together do not retry in lockstep.
 */
export function backoffMs(failures: number, min: number, max: number, random = Math.random): number {
  const exponent = Math.min(Math.max(0, failures - 1), 30);
  const ceiling = Math.min(max, min * 2 ** exponent);
  // "Equal jitter": at least half the ceiling, so waits still grow; never below min.
  const wait = ceiling / 2 + random() * (ceiling / 2);
  return Math.round(Math.min(max, Math.max(min, wait)));
}
