/**
 * Time as the client sees it. The real clock in production; a simulated one lets a benchmark
 * run a day of renewals in seconds, with the rate limit's waits passing in simulated time.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};
