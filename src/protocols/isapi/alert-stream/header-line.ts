/**
 * A part header with one line too long to hold (some firmware writes huge custom headers): the
 * line is skipped as its bytes arrive, and what the lines before it said (their bytes are gone
 * by then) is carried to the end of the head, so a part whose body is fine is still read.
 */
import { LF, type PartHead } from './framing.ts';

export class LongHeaderLine {
  /** Content-Type and Content-Length said before the line; '' and -1 when not said. */
  type = '';
  length = -1;
  /** Header lines before the head's end, the skipped one included; 0 while none is skipped. */
  headersBefore = 0;
  /** Head bytes consumed before the line, and bytes of the line skipped so far. */
  private headBytes = 0;
  bytesSkipped = 0;

  /** Remembers what the head said up to the long line; returns where skipping starts. */
  begin(buf: Buffer, head: PartHead, at: number): number {
    if (head.typeStart >= 0) this.type = buf.toString('latin1', head.typeStart, head.typeEnd);
    if (head.contentLength >= 0) this.length = head.contentLength;
    this.headersBefore = head.headers + 1; // the skipped line counts: a blank line now ends the head
    this.headBytes += head.lineStart - at;
    return head.lineStart;
  }

  /**
   * Skips from p up to and with the line break that ends the line, keeping nothing. Returns the
   * new position, negated minus one while the line has not ended yet.
   */
  skip(buf: Buffer, p: number): number {
    const nl = buf.indexOf(LF, p);
    const end = nl < 0 ? buf.length : nl + 1;
    this.bytesSkipped += end - p;
    return nl < 0 ? -end - 1 : end;
  }

  /** Head bytes that are lost if the part is dropped now. */
  get lost(): number {
    return this.headBytes + this.bytesSkipped;
  }

  forget(): void {
    this.type = '';
    this.length = -1;
    this.headersBefore = 0;
    this.headBytes = 0;
    this.bytesSkipped = 0;
  }
}
