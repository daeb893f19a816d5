/**
 * Spaces calls evenly, `perSecond` at most in any second: the cloud's limit is per account, so
 * every call of one client (token calls included) takes a slot. Waiting callers are bounded.
 */
export class RateLimiter {
  private readonly spacingMs: number;
  /** When the latest granted slot starts (epoch ms). */
  private lastSlotAt = Number.NEGATIVE_INFINITY;
  private waiting = 0;

  constructor(
    perSecond: number,
    private readonly maxWaiting: number,
  ) {
    if (!(perSecond > 0)) throw new RangeError('perSecond must be positive');
    this.spacingMs = 1000 / perSecond;
  }

  /** Resolves when the caller may send; throws `tooMany()` when the waiting line is full. */
  async acquire(tooMany: () => Error): Promise<void> {
    const now = Date.now();
    const slot = Math.max(now, this.lastSlotAt + this.spacingMs);
    if (slot <= now) {
      this.lastSlotAt = now;
      return;
    }
    if (this.waiting >= this.maxWaiting) throw tooMany();
    this.lastSlotAt = slot;
    this.waiting++;
    try {
      await new Promise((resolve) => setTimeout(resolve, slot - now));
    } finally {
      this.waiting--;
    }
  }
}
