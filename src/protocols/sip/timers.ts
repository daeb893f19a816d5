/**
 * The timer values of RFC 3261 §17 (table 4 in appendix A) and an injectable timer source, so
 * tests can run transactions with short T1/T2 or on a hand-driven clock.
 */

export interface SipTimerConfig {
  /** Round-trip estimate: first retransmission interval (RFC 3261: 500 ms). */
  t1Ms: number;
  /** Longest retransmission interval for non-INVITE requests and INVITE responses (4 s). */
  t2Ms: number;
  /** Longest time a message stays in the network (5 s): timers I and K over UDP. */
  t4Ms: number;
  /** Timer D: how long an INVITE client transaction absorbs response retransmissions (≥ 32 s over UDP). */
  timerDMs: number;
  /** §17.2.1: an INVITE server transaction sends 100 Trying when the TU has not answered within this (0 = at once). */
  tryingDelayMs: number;
}

export const DEFAULT_SIP_TIMERS: Readonly<SipTimerConfig> = {
  t1Ms: 500,
  t2Ms: 4_000,
  t4Ms: 5_000,
  timerDMs: 32_000,
  tryingDelayMs: 200,
};

export function sipTimers(overrides: Partial<SipTimerConfig> = {}): SipTimerConfig {
  const timers = { ...DEFAULT_SIP_TIMERS, ...overrides };
  for (const [name, value] of Object.entries(timers)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`SIP timer ${name} must be >= 0`);
  }
  if (timers.t1Ms <= 0) throw new RangeError('SIP timer t1Ms must be > 0');
  if (timers.t2Ms < timers.t1Ms) throw new RangeError('SIP timer t2Ms must be >= t1Ms');
  return timers;
}

/** Timer B, F, H, J (UDP), L and M: the 64*T1 give-up of every transaction. */
export function transactionTimeoutMs(timers: SipTimerConfig): number {
  return 64 * timers.t1Ms;
}

/** Timers E (in Trying), G and the UAS 2xx: the interval doubles, capped at T2. */
export function nextRetransmitInterval(currentMs: number, timers: SipTimerConfig): number {
  return Math.min(currentMs * 2, timers.t2Ms);
}

/** Opaque handle of a scheduled callback. */
export type TimerHandle = object;

/** Where transactions get their timers from: the real event loop, or a test's clock. */
export interface TimerSource {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Node's timers, unref'd so a forgotten transaction never keeps a process alive. */
export const realTimers: TimerSource = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/**
 * A hand-driven clock for tests and simulations: callbacks run when `advance` passes their due
 * time, in due order (ties in scheduling order).
 */
export class ManualTimers implements TimerSource {
  private nowMs = 0;
  private nextId = 0;
  private readonly pending = new Map<object, { dueMs: number; id: number; callback: () => void }>();

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const handle = {};
    this.pending.set(handle, { dueMs: this.nowMs + Math.max(0, ms), id: this.nextId++, callback });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle);
  }

  /** Moves the clock forward by `ms`, running every callback that falls due on the way. */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next[1].dueMs > target) break;
      this.pending.delete(next[0]);
      this.nowMs = next[1].dueMs;
      next[1].callback();
    }
    this.nowMs = target;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private earliest(): [object, { dueMs: number; id: number; callback: () => void }] | undefined {
    let best: [object, { dueMs: number; id: number; callback: () => void }] | undefined;
    for (const entry of this.pending) {
      if (
        !best ||
        entry[1].dueMs < best[1].dueMs ||
        (entry[1].dueMs === best[1].dueMs && entry[1].id < best[1].id)
      ) {
        best = entry;
      }
    }
    return best;
  }
}
