/** Response body helpers: bounded buffering and the idle-watched stream handed to callers. */
import { PassThrough, type Readable } from 'node:stream';
import type { DeviceError } from './errors.ts';
import { once } from './once.ts';

const noop = () => {};

/**
 * Buffers a whole body, or fails as soon as it passes `limit`: the rest is never read, the
 * connection is destroyed instead, so a runaway device cannot fill our memory.
 */
export async function readLimited(body: Readable, limit: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      discard(body);
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Best-effort read of a small body (an error page). Returns what arrived within `limit` bytes
 * and `timeoutMs`; never throws, because the status line already said what matters.
 */
export function readSome(body: Readable, limit: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      clearTimeout(timer);
      body.off('data', onData);
      resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) {
        discard(body);
        finish();
      }
    };
    const timer = setTimeout(() => {
      discard(body);
      finish();
    }, timeoutMs);
    body.on('data', onData);
    body.once('end', finish);
    body.once('error', finish);
    body.once('close', finish);
  });
}

/** Destroys a body without an unhandled 'error' event (undici reports its own abort as one). */
export function discard(body: Readable): void {
  body.on('error', noop);
  body.destroy();
}

export interface WatchedBodyOptions {
  /** Abort when the device sends nothing for this long; 0 or undefined = never. */
  idleTimeoutMs?: number;
  idleError: () => DeviceError;
  mapError: (error: unknown) => DeviceError;
  /** Runs once, as soon as either the connection or the returned stream is done. */
  onClose: () => void;
}

/**
 * Re-emits `source` through a stream we control: transport errors come out as DeviceErrors,
 * device silence becomes an idle TimeoutError, and destroying it tears down the connection.
 * The idle clock pauses while the consumer applies back-pressure, since then the silence is ours.
 */
export function watchBody(source: Readable, options: WatchedBodyOptions): Readable {
  const out = new PassThrough();
  const onClose = once(options.onClose);
  const idle = new IdleTimer(options.idleTimeoutMs, () => out.destroy(options.idleError()));
  source.on('data', (chunk: Buffer) => {
    idle.restart();
    if (!out.write(chunk)) {
      source.pause();
      idle.stop();
    }
  });
  out.on('drain', () => {
    idle.restart();
    source.resume();
  });
  source.once('end', () => out.end());
  source.on('error', (error) => out.destroy(options.mapError(error)));
  source.once('close', () => {
    idle.dispose();
    if (!source.readableEnded) out.destroy(options.mapError(connectionClosed()));
    onClose();
  });
  out.once('close', () => {
    idle.dispose();
    discard(source);
    onClose();
  });
  idle.restart();
  return out;
}

function connectionClosed(): Error {
  return Object.assign(new Error('the connection closed mid-stream'), { code: 'ECONNRESET' });
}

class IdleTimer {
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private readonly ms: number | undefined,
    private readonly onIdle: () => void,
  ) {}

  restart(): void {
    if (!this.ms || this.disposed) return;
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(this.onIdle, this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The device has nothing more to send: silence from now on is expected. */
  dispose(): void {
    this.disposed = true;
    this.stop();
  }
}
