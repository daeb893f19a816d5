/**
 * The account's call limit (5 calls/s in the notes) as a sliding window on the simulated
 * cloud's clock: a call is refused when `perSecond` calls were already accepted in the second
 * before it. Refused calls do not take a place in the window, so a client that backs off gets
 * through again; a client that keeps hammering keeps being refused only while it is too fast.
 */

const WINDOW_MS = 1000;

export class SlidingWindowLimit {
  /** Times (ms) of the accepted calls still inside the window, oldest first. */
  private readonly accepted: number[] = [];

  /**
   * @param perSecond calls allowed in any window; 0 = no limit.
   * @param toleranceMs how much shorter than 1 s the window is: calls are timed on arrival, and
   *   arrival jitters on a loaded machine even when the client sends exactly 1/perSecond apart.
   */
  constructor(
    private readonly perSecond: number,
    private readonly toleranceMs: number,
  ) {
    if (!Number.isInteger(perSecond) || perSecond < 0) throw new RangeError('rateLimitPerSecond: 0 or more');
    if (!(toleranceMs >= 0 && toleranceMs < WINDOW_MS))
      throw new RangeError('rateLimitToleranceMs: 0 to 999');
  }

  /** Takes a place for a call at `now`, or says the call is over the limit. */
  tryAcquire(now: number): boolean {
    if (this.perSecond === 0) return true;
    const windowStart = now - (WINDOW_MS - this.toleranceMs);
    while (this.accepted.length > 0 && this.accepted[0]! <= windowStart) this.accepted.shift();
    if (this.accepted.length >= this.perSecond) return false;
    this.accepted.push(now);
    return true;
  }
}

/** The most calls that arrived within any one second of a call log (times in ms, any order). */
export function callsInBusiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let last = 0, first = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= WINDOW_MS) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}
