/**
 * Bytes lost between parts: counted while the parser looks for the next delimiter (garbage
 * before it, or a part that was dropped), reported once, when the delimiter is found.
 */
import { isSpace } from './framing.ts';
import type { ParseIssue, ParseIssueKind } from './types.ts';

export class SkippedBytes {
  private count = 0;
  /** Anything but blank lines was skipped: blank lines around delimiters are normal. */
  private text = false;
  private kind: ParseIssueKind = 'garbage';
  private detail = '';

  /** buf[from, to) is skipped. */
  add(buf: Buffer, from: number, to: number): void {
    this.count += to - from;
    if (this.text) return;
    for (let i = from; i < to; i++) {
      if (!isSpace(buf[i]!)) {
        this.text = true;
        return;
      }
    }
  }

  /**
   * A part is dropped: what is skipped from here on, plus `alreadyLost` bytes of it consumed
   * before, is reported as `kind`.
   */
  dropPart(kind: ParseIssueKind, detail: string, alreadyLost = 0): void {
    this.count = alreadyLost;
    this.text = true;
    this.kind = kind;
    this.detail = detail;
  }

  /** The issue to report for what was skipped (undefined: nothing worth a word); counting restarts. */
  take(): ParseIssue | undefined {
    const { count, text, kind, detail } = this;
    this.count = 0;
    this.text = false;
    this.kind = 'garbage';
    if (count === 0 || !text) return undefined;
    return {
      kind,
      detail: kind === 'garbage' ? `${count} bytes outside any part` : detail,
      bytesSkipped: count,
    };
  }
}
