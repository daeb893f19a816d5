/**
 * The bytes of an unfinished item carried from one chunk to the next. Only what is still needed
 * is copied in (a part's tail, a header block), never whole streams; capacity grows by doubling
 * so byte-by-byte input stays linear, and a big buffer is dropped as soon as it is empty.
 */
const EMPTY = Buffer.alloc(0);
/** Capacity kept after the content is consumed; larger buffers are released. */
const KEEP_CAPACITY = 64 * 1024;

export class ByteAccumulator {
  private data: Buffer = EMPTY;
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  /** The content, without copying (valid until the next append/consume). */
  view(): Buffer {
    return this.data.subarray(this.start, this.end);
  }

  /** Appends src[from, to); `expected` is the total length the content will likely reach. */
  append(src: Buffer, from: number, to: number, expected = 0): void {
    const n = to - from;
    if (n <= 0) return;
    if (this.end + n > this.data.length) this.makeRoom(n, expected);
    src.copy(this.data, this.end, from, to);
    this.end += n;
  }

  consume(n: number): void {
    this.start += n;
    if (this.start >= this.end) this.clear();
  }

  clear(): void {
    this.start = 0;
    this.end = 0;
    if (this.data.length > KEEP_CAPACITY) this.data = EMPTY;
  }

  private makeRoom(n: number, expected: number): void {
    const length = this.length;
    const needed = length + n;
    if (needed <= this.data.length) {
      this.data.copyWithin(0, this.start, this.end);
    } else {
      const capacity = Math.max(needed, expected, length * 2, 1024);
      const next = Buffer.allocUnsafe(capacity);
      this.data.copy(next, 0, this.start, this.end);
      this.data = next;
    }
    this.start = 0;
    this.end = length;
  }
}
