/**
 * What a framed part becomes: an alert, a picture linked to the alert before it, or an issue.
 * The parser (parser.ts) finds where parts start and end; this decides what a part holds (by
 * sniffing its first bytes, else by its Content-Type), whether a body is visibly whole before its
 * delimiter has arrived, and hands the result to the caller's callbacks.
 */
import { imageType, kindOfType, type PartKind, sniffKind } from './content-type.ts';
import { extractBody } from './decode.ts';
import type { Extracted } from './extract-xml.ts';
import { trimEnd } from './framing.ts';
import type { AlertImage, AlertStreamParserOptions, ParseIssueKind, RawAlert } from './types.ts';

const GT = 0x3e;
const RBRACE = 0x7d;
const ROOT_END = Buffer.from('EventNotificationAlert>');

/** wholeBody's answer for a complete JPEG. */
export const WHOLE_IMAGE = 'image';

export class PartDelivery {
  /** A part was delivered: the boundary that framed it is the stream's real one. */
  confirmed = false;
  alerts = 0;
  /** Where the part being delivered starts in the buffer being read (its first header byte). */
  partStart = 0;
  /** Its Content-Type value, relative to partStart (typeStart -1: none). */
  typeStart = -1;
  typeEnd = -1;
  /** With typeStart -1: the Content-Type read before an over-long header line ('' none). */
  typeText = '';
  /** The buffer being read is reused after the call (the accumulator): pictures are copied. */
  bufferReused = false;
  private lastAlert: RawAlert | null = null;
  private readonly onAlert: (alert: RawAlert) => void;
  private readonly onImage: ((image: AlertImage, previous: RawAlert | null) => void) | undefined;
  private readonly onIssue: AlertStreamParserOptions['onIssue'];

  constructor(options: AlertStreamParserOptions) {
    this.onAlert = options.onAlert;
    this.onImage = options.onImage;
    this.onIssue = options.onIssue;
  }

  /**
   * A part read up to its delimiter. `mismatch`: its Content-Length (`contentLength`) was checked
   * and did not end where the delimiter is.
   */
  deliver(buf: Buffer, bodyStart: number, bodyEnd: number, mismatch: boolean, contentLength: number): void {
    const kind = this.kindOf(buf, bodyStart, bodyEnd);
    if (kind === 'xml' || kind === 'json') {
      this.alert(extractBody(buf, bodyStart, bodyEnd, kind), bodyEnd - bodyStart);
    } else if (kind === 'image') {
      this.image(buf, bodyStart, bodyEnd, mismatch, contentLength);
    } else {
      this.lastAlert = null;
      const type = this.contentType(buf) || 'none';
      this.issue('unknown-content-type', `a part of type "${type}" was skipped`, bodyEnd - bodyStart);
    }
  }

  /** The stream ended inside a body: an alert if it is readable, else a truncated part. */
  deliverUnterminated(buf: Buffer, bodyStart: number, bodyEnd: number): void {
    const kind = this.kindOf(buf, bodyStart, bodyEnd);
    const result: Extracted =
      kind === 'xml' || kind === 'json'
        ? extractBody(buf, bodyStart, bodyEnd, kind)
        : { failure: 'truncated', detail: 'the stream ended inside a part' };
    this.alert(result, bodyEnd - bodyStart);
  }

  /**
   * Devices write a part's delimiter only with the next part, seconds later: an alert whose body
   * is visibly complete (closed root element / valid JSON) is to be delivered now, not then.
   * The alert when it is, else null.
   */
  earlyAlert(buf: Buffer, bodyStart: number, end: number): Extracted | null {
    const bodyEnd = trimEnd(buf, bodyStart, end);
    if (bodyEnd === bodyStart) return null;
    const last = buf[bodyEnd - 1];
    if (last !== GT && last !== RBRACE) return null;
    const kind = this.kindOf(buf, bodyStart, bodyEnd);
    if (kind === 'xml' && !endsWithRoot(buf, bodyStart, bodyEnd)) return null;
    if (kind !== 'xml' && kind !== 'json') return null;
    const result = extractBody(buf, bodyStart, bodyEnd, kind);
    return 'alert' in result ? result : null;
  }

  /**
   * The same for a picture whose announced length is complete and which ends like a whole JPEG:
   * it must not wait seconds for the next part (the event it belongs to is already out). Only
   * with a trusted Content-Length: without one, an end marker at a chunk boundary proves nothing.
   */
  isEarlyImage(buf: Buffer, bodyStart: number, bodyEnd: number): boolean {
    if (this.kindOf(buf, bodyStart, bodyEnd) !== 'image') return false;
    return isJpeg(buf, bodyStart) && endsWithJpegEnd(buf, bodyEnd);
  }

  /**
   * Is the body announced by Content-Length whole by itself (an alert that reads, a JPEG up to
   * its end marker)? The alert, WHOLE_IMAGE, or null when it is not.
   */
  wholeBody(buf: Buffer, bodyStart: number, bodyEnd: number): Extracted | typeof WHOLE_IMAGE | null {
    const kind = this.kindOf(buf, bodyStart, bodyEnd);
    if (kind === 'xml' || kind === 'json') {
      const result = extractBody(buf, bodyStart, bodyEnd, kind);
      return 'alert' in result ? result : null;
    }
    if (kind === 'image' && isJpeg(buf, bodyStart) && endsWithJpegEnd(buf, bodyEnd)) return WHOLE_IMAGE;
    return null;
  }

  alert(result: Extracted, size: number): void {
    if ('alert' in result) {
      this.confirmed = true;
      this.alerts++;
      this.lastAlert = result.alert;
      this.onAlert(result.alert);
      return;
    }
    this.lastAlert = null;
    this.issue(result.failure === 'truncated' ? 'truncated-part' : 'malformed-part', result.detail, size);
  }

  image(buf: Buffer, bodyStart: number, end: number, mismatch: boolean, contentLength: number): void {
    let bodyEnd = end;
    if (mismatch && isJpeg(buf, bodyStart)) {
      // The length check failed. Stray bytes after a whole JPEG: its announced length was right.
      const announced = bodyStart + contentLength;
      if (contentLength >= 0 && announced <= end && endsWithJpegEnd(buf, announced)) bodyEnd = announced;
      else if (!endsWithJpegEnd(buf, end)) {
        // Read up to its delimiter and still without an end marker: it was cut short.
        this.issue('truncated-part', 'a JPEG part was cut short', end - bodyStart);
        return;
      }
    }
    this.confirmed = true;
    if (!this.onImage) return;
    // Zero-copy from the caller's chunk; the accumulator is reused, so its bytes are copied.
    let data = buf.subarray(bodyStart, bodyEnd);
    if (this.bufferReused) data = Buffer.from(data);
    this.onImage({ contentType: imageType(this.contentType(buf)), data }, this.lastAlert);
  }

  /** The part before the next one was no alert (or was dropped): a picture then belongs to none. */
  forgetAlert(): void {
    this.lastAlert = null;
  }

  issue(kind: ParseIssueKind, detail: string, bytesSkipped: number): void {
    this.onIssue?.({ kind, detail, bytesSkipped });
  }

  private kindOf(buf: Buffer, bodyStart: number, bodyEnd: number): PartKind {
    return sniffKind(buf, bodyStart, bodyEnd) ?? kindOfType(this.contentType(buf));
  }

  /** The part's Content-Type, read from its header (still in `buf` at `partStart`). */
  private contentType(buf: Buffer): string {
    if (this.typeStart < 0) return this.typeText;
    return buf.toString('latin1', this.partStart + this.typeStart, this.partStart + this.typeEnd);
  }
}

function endsWithRoot(buf: Buffer, start: number, end: number): boolean {
  const from = end - ROOT_END.length;
  return from >= start && buf.compare(ROOT_END, 0, ROOT_END.length, from, end) === 0;
}

function isJpeg(buf: Buffer, start: number): boolean {
  return buf[start] === 0xff && buf[start + 1] === 0xd8;
}

function endsWithJpegEnd(buf: Buffer, end: number): boolean {
  return buf[end - 2] === 0xff && buf[end - 1] === 0xd9;
}
