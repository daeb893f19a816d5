/**
 * First-in first-out concurrency limiter with a bounded waiting line. Devices have only a handful
 * of HTTP workers, so callers queue here instead of opening more connections.
 */
import { AbortedError, QueueFullError } from './errors.ts';
import { once } from './once.ts';

export interface LimiterOptions {
  maxConcurrent: number;
  /** Callers allowed to wait; the next one is rejected with QueueFullError. */
  maxQueued: number;
  /** Names the device in error messages. */
  label: string;
}

/** Gives the slot back. Calling it more than once has no further effect. */
export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  reject: (error: Error) => void;
  detachAbort: () => void;
}

export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly options: LimiterOptions) {
    if (!(options.maxConcurrent >= 1)) throw new RangeError('maxConcurrent must be at least 1');
    if (!(options.maxQueued >= 0)) throw new RangeError('maxQueued must not be negative');
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Waits for a slot. Rejects with QueueFullError when the line is full, AbortedError on abort. */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(new AbortedError(this.options.label));
    if (this.running < this.options.maxConcurrent) return Promise.resolve(this.take());
    if (this.waiting.length >= this.options.maxQueued) {
      return Promise.reject(new QueueFullError(this.options.label, this.options.maxQueued));
    }
    return new Promise<Release>((resolve, reject) => this.enqueue(resolve, reject, signal));
  }

  /** Runs `task` once a slot is free and frees the slot when it settles. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await task();
    } finally {
      release();
    }
  }

  /** Rejects everyone still waiting, e.g. on shutdown. Slots already granted stay granted. */
  rejectWaiting(error: Error): void {
    for (const waiter of this.waiting.splice(0)) {
      waiter.detachAbort();
      waiter.reject(error);
    }
  }

  private enqueue(
    grant: (release: Release) => void,
    reject: (error: Error) => void,
    signal?: AbortSignal,
  ): void {
    const onAbort = () => {
      const index = this.waiting.indexOf(waiter);
      if (index >= 0) this.waiting.splice(index, 1);
      reject(new AbortedError(this.options.label));
    };
    const waiter: Waiter = {
      grant,
      reject,
      detachAbort: () => signal?.removeEventListener('abort', onAbort),
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    this.waiting.push(waiter);
  }

  private take(): Release {
    this.running++;
    return once(() => {
      this.running--;
      this.grantNext();
    });
  }

  private grantNext(): void {
    const next = this.waiting.shift();
    if (!next) return;
    next.detachAbort();
    next.grant(this.take());
  }
}
