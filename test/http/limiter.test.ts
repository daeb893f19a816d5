import { describe, expect, it } from 'vitest';
import { AbortedError, QueueFullError } from '../../src/protocols/http/errors.ts';
import { ConcurrencyLimiter } from '../../src/protocols/http/limiter.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('ConcurrencyLimiter', () => {
  it('runs at most maxConcurrent tasks, in arrival order', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 2, maxQueued: 10, label: 'cam' });
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    const runs = gates.map((gate, i) =>
      limiter.run(async () => {
        started.push(i);
        await gate.promise;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(limiter.queued).toBe(3);
    gates[1]!.resolve();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(limiter.active).toBe(0);
  });

  it('rejects with QueueFullError when the waiting line is full', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueued: 1, label: 'cam' });
    const release = await limiter.acquire();
    const waiting = limiter.acquire();
    const error = await limiter.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect((error as QueueFullError).code).toBe('queue_full');
    release();
    const next = await waiting;
    next();
    next(); // releasing twice must not free a second slot
    expect(limiter.active).toBe(0);
  });

  it('removes an aborted waiter from the line', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueued: 5, label: 'cam' });
    const release = await limiter.acquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    const after = limiter.acquire();
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortedError);
    expect(limiter.queued).toBe(1);
    release();
    (await after)();
    await expect(limiter.acquire(AbortSignal.abort())).rejects.toMatchObject({ code: 'aborted' });
  });
});
