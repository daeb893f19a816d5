/**
 * Reading a stream that arrives in chunks, in place: a chunk is parsed where it lies, and only
 * the unfinished item at its end is copied (ByteAccumulator), completed next time with as few
 * bytes of the next chunk as it needs. The state machine that decides what an item is lives in
 * the subclass (parser.ts).
 */
import { ByteAccumulator } from './accumulator.ts';

export abstract class ChunkedReader {
  private readonly acc = new ByteAccumulator();
  /** Position in the buffer being read: everything before it is consumed. */
  protected at = 0;
  private seen = 0;

  get bytesSeen(): number {
    return this.seen;
  }

  /** Bytes held between pushes. */
  get bufferedBytes(): number {
    return this.acc.length;
  }

  /** Reads buf from `from` while it makes progress; returns where it stopped. */
  protected abstract run(buf: Buffer, from: number, final: boolean): number;
  /** How many more bytes the current item probably needs (only affects copying, not results). */
  protected abstract wanted(chunk: Buffer, c: number): number;
  /** The bytes the current item is known to need in all, for sizing the copy (0: unknown). */
  protected abstract expectedBytes(): number;
  /** Whether the buffer being read is the accumulator's (reused: slices of it must be copied). */
  protected abstract readingCopy(reused: boolean): void;
  /** The stream ended; buf holds what was left. */
  protected abstract finishStream(buf: Buffer): void;
  /** Back to the start state after the end of a stream. */
  protected abstract reset(): void;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.seen += chunk.length;
    let from = 0;
    if (this.acc.length > 0) {
      from = this.feedAccumulator(chunk);
      if (from >= chunk.length) return;
    }
    try {
      this.run(chunk, from, false);
    } finally {
      // Also when a callback threw: the reader stays consistent for the next push.
      if (this.at < chunk.length) this.acc.append(chunk, this.at, chunk.length, this.expectedBytes());
    }
  }

  /** The stream ended: delivers or reports what is left. */
  end(): void {
    const buf = this.acc.view();
    this.readingCopy(true);
    try {
      this.run(buf, 0, true);
      this.finishStream(buf);
    } finally {
      this.readingCopy(false);
      this.acc.clear();
      this.at = 0;
      this.reset();
    }
  }

  protected get carried(): number {
    return this.acc.length;
  }

  /**
   * Completes the item carried over from earlier chunks with as few bytes of `chunk` as it
   * needs; returns where direct parsing of `chunk` continues.
   */
  private feedAccumulator(chunk: Buffer): number {
    let c = 0;
    while (c < chunk.length) {
      const before = this.acc.length;
      const take = Math.min(chunk.length - c, Math.max(64, this.wanted(chunk, c)));
      this.acc.append(chunk, c, c + take, this.expectedBytes());
      c += take;
      let at: number;
      this.readingCopy(true);
      try {
        at = this.run(this.acc.view(), 0, false);
      } catch (error) {
        this.acc.consume(this.at);
        this.acc.append(chunk, c, chunk.length);
        throw error;
      } finally {
        this.readingCopy(false);
      }
      if (at >= before) {
        // Everything carried over is consumed: go back to reading the chunk in place.
        const back = this.acc.length - at;
        this.acc.clear();
        return c - back;
      }
      this.acc.consume(at);
    }
    return c;
  }
}
