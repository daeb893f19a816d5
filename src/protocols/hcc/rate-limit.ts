/**
 * Keeps one account under the cloud's limit of `perSecond` calls per second, token calls
 * included. Calls are spaced evenly, and no more than `perSecond` are ever let out within one
 * second plus a guard, measured on the times they were actually let out: a caller the event loop
 * woke late must not let the next one follow too closely. Callers go in arrival order; the line
 * of waiting callers is bounded.
 */
import { type Clock, realClock } from './clock.ts';

/**
 * Room for the cloud timing calls on arrival, which jitters with load and the network on either
 * side: a call that waited 200 ms longer on its way than the fifth after it still does not make
 * six in one second. It costs a sixth of the throughput (about 4.2 calls/s sustained).
 */
const WINDOW_GUARD_MS = 200;

export class RateLimiter {
  private readonly spacingMs: number;
  private readonly perWindow: number;
  /** When the latest calls were let out (epoch ms), oldest first; at most `perWindow`. */
  private readonly sent: number[] = [];
  private line: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(
    perSecond: number,
    private readonly maxWaiting: number,
    private readonly clock: Clock = realClock,
  ) {
    if (!(perSecond > 0)) throw new RangeError('perSecond must be positive');
    this.spacingMs = 1000 / perSecond;
    this.perWindow = Math.max(1, Math.floor(perSecond));
  }

  /** Calls let out per second over a long run (what an estimate of the time left should use). */
  get sustainedPerSecond(): number {
    return Math.min(1000 / this.spacingMs, (this.perWindow * 1000) / (1000 + WINDOW_GUARD_MS));
  }

  /** Resolves when the caller may send; throws `tooMany()` when the waiting line is full. */
  acquire(tooMany: () => Error): Promise<void> {
    if (this.waiting >= this.maxWaiting) return Promise.reject(tooMany());
    this.waiting++;
    const turn = this.line.then(() => this.waitForSlot());
    this.line = turn;
    return turn.finally(() => {
      this.waiting--;
    });
  }

  private async waitForSlot(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const wait = this.earliest() - now;
      if (wait <= 0) break;
      await this.clock.sleep(wait);
    }
    this.sent.push(this.clock.now());
    if (this.sent.length > this.perWindow) this.sent.shift();
  }

  private earliest(): number {
    const last = this.sent.at(-1);
    const spaced = last === undefined ? Number.NEGATIVE_INFINITY : last + this.spacingMs;
    const windowFull = this.sent.length >= this.perWindow;
    const windowed = windowFull ? this.sent[0]! + 1000 + WINDOW_GUARD_MS : Number.NEGATIVE_INFINITY;
    return Math.max(spaced, windowed);
  }
}
