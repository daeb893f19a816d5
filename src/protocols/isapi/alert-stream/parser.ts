/**
 * The alertStream reader: an incremental multipart/mixed parser that never holds more than one
 * part (bounded by maxPartBytes) plus a small window, whatever the device sends.
 *
 * How it stays fast: chunks are parsed in place; only the unfinished item at a chunk's end is
 * copied (ByteAccumulator), and only as many bytes of the next chunk as that item needs. With a
 * Content-Length the parser jumps to the end of the body and only checks that a delimiter
 * follows there. When it does not (a wrong length), the part is read up to the next delimiter
 * instead, so at most that part is lost.
 *
 * How it stays correct when split anywhere: every decision depends only on the bytes seen and on
 * whether the stream ended; when a decision needs bytes that have not arrived, the parser waits.
 * Offsets kept between chunks (`scanFrom`) only save rescanning.
 *
 * Chunk handling is in chunked.ts, a skipped over-long header line in header-line.ts, the
 * byte-level recognizers in framing.ts; what a framed part becomes (alert, picture,
 * issue) is decided in delivery.ts.
 */
import { ChunkedReader } from './chunked.ts';
import { PartDelivery, WHOLE_IMAGE } from './delivery.ts';
import type { Extracted } from './extract-xml.ts';
import {
  type BoundaryLine,
  delimiterAt,
  delimiterEnd,
  delimiterInside,
  FOUND,
  type Found,
  findDelimiter,
  HEAD_BAD,
  HEAD_LONG_LINE,
  HEAD_MORE,
  isCloseDelimiter,
  LF,
  MAX_GAP_BYTES,
  MAX_HEADER_BYTES,
  MORE,
  matchAt,
  NO,
  NONE,
  type PartHead,
  readBoundaryLine,
  readHead,
  trimEnd,
} from './framing.ts';
import { LongHeaderLine } from './header-line.ts';
import { SkippedBytes } from './skipped.ts';
import type { AlertStreamParserOptions, ParseIssueKind } from './types.ts';

export const DEFAULT_MAX_PART_BYTES = 2 * 1024 * 1024;
/** What may be buffered beyond maxPartBytes: a header block, the gap before a delimiter, slack. */
export const WINDOW_BYTES = MAX_HEADER_BYTES + MAX_GAP_BYTES + 1024;

const SYNC = 0; // looking for a delimiter (stream start, after a close delimiter, after a broken part)
const HEAD = 1; // reading a part's header block
const BODY = 2; // reading a part's body
const SKIP_LINE = 3; // skipping an over-long header line, held nowhere, then back to HEAD

const DASHES = Buffer.from('--');

export class AlertStreamParser extends ChunkedReader {
  private readonly maxPartBytes: number;
  private readonly out: PartDelivery;
  private readonly head: PartHead = {
    bodyStart: 0,
    typeStart: -1,
    typeEnd: -1,
    contentLength: -1,
    lineStart: 0,
    headers: 0,
  };
  private readonly line: BoundaryLine = { token: '' };
  private readonly found: Found = { start: 0, end: 0 };

  /** `--boundary` from the Content-Type header: preferred, but only if the stream uses it. */
  private readonly advertised: Buffer | null;
  /** `--boundary` as it appears in the stream; learnt from the first delimiter line. */
  private needle: Buffer | null = null;
  private state = SYNC;
  /** Where the next delimiter search starts, relative to `at`. */
  private scanFrom = 0;

  private contentLength = -1;
  /** Body start relative to `at` (the part's first header byte). */
  private bodyStart = 0;
  /** The Content-Length was checked and is wrong: the part ends at its delimiter. */
  private mismatch = false;
  /** The alert was already delivered (its body was complete before the delimiter arrived). */
  private emitted = false;

  /** An over-long header line being skipped, and what the lines before it said. */
  private readonly longLine = new LongHeaderLine();

  private readonly skipped = new SkippedBytes();
  /** The byte before `at` while skipping: tells whether a `--` starts a line. */
  private prevByte = LF;

  constructor(options: AlertStreamParserOptions) {
    super();
    const max = options.maxPartBytes ?? DEFAULT_MAX_PART_BYTES;
    if (!Number.isInteger(max) || max < 1) throw new RangeError('maxPartBytes must be a positive integer');
    this.maxPartBytes = max;
    this.out = new PartDelivery(options);
    this.advertised = options.boundary ? Buffer.from(`--${options.boundary}`, 'latin1') : null;
  }

  get alertsSeen(): number {
    return this.out.alerts;
  }

  protected readingCopy(reused: boolean): void {
    this.out.bufferReused = reused;
  }

  protected reset(): void {
    this.state = SYNC;
    this.scanFrom = 0;
    this.out.forgetAlert();
    this.prevByte = LF;
    this.forgetHead();
  }

  protected wanted(chunk: Buffer, c: number): number {
    if (this.state === HEAD || this.state === SKIP_LINE) return 512;
    if (this.state === SYNC || this.needle === null) return 256;
    if (this.contentLength >= 0 && !this.mismatch) return this.expectedBytes() - this.carried;
    const j = chunk.indexOf(this.needle, c);
    return j < 0 ? chunk.length - c : j - c + this.needle.length + 8;
  }

  protected expectedBytes(): number {
    if (this.state !== BODY || this.contentLength < 0 || this.mismatch) return 0;
    return this.bodyStart + this.contentLength + (this.needle?.length ?? 0) + 8;
  }

  protected run(buf: Buffer, from: number, final: boolean): number {
    this.at = from;
    for (;;) {
      const progressed =
        this.state === BODY
          ? this.readBody(buf, final)
          : this.state === HEAD
            ? this.readHead(buf, final)
            : this.state === SKIP_LINE
              ? this.skipLine(buf)
              : this.sync(buf, final);
      if (!progressed) return this.at;
    }
  }

  // --- SYNC: find the next delimiter, skipping (and counting) whatever comes before it ---

  private sync(buf: Buffer, final: boolean): boolean {
    const p = this.at;
    if (p >= buf.length) return false;
    if (this.needle === null || !this.out.confirmed) return this.detect(buf, final);
    const needle = this.needle;
    let from = p + this.scanFrom;
    for (;;) {
      const j = buf.indexOf(needle, from);
      if (j < 0) break;
      const end = delimiterEnd(buf, j, needle.length, final);
      if (end === MORE) {
        this.skipTo(buf, j);
        return false;
      }
      if (end >= 0) return this.resync(buf, j, end, isCloseDelimiter(buf, j, needle.length));
      from = j + 1;
    }
    // Keep a tail that may hold the start of a delimiter; the rest is gone for good.
    this.skipTo(buf, final ? buf.length : Math.max(p, buf.length - needle.length + 1));
    return false;
  }

  /**
   * Learns the boundary from the first `--token` line: old NVRs advertise one boundary and use
   * `--boundary`, some devices advertise none. The advertised one wins only by appearing first.
   */
  private detect(buf: Buffer, final: boolean): boolean {
    const p = this.at;
    let from = p + this.scanFrom;
    for (;;) {
      const j = buf.indexOf(DASHES, from);
      if (j < 0) break;
      const lineStart = j === p ? this.prevByte === LF : buf[j - 1] === LF;
      const end = lineStart ? this.boundaryLine(buf, j, final) : NO;
      if (end === MORE) {
        this.skipTo(buf, j);
        return false;
      }
      if (end >= 0) return this.resync(buf, j, end, isCloseDelimiter(buf, j, this.needle!.length));
      from = j + 1;
    }
    this.skipTo(buf, final ? buf.length : Math.max(p, buf.length - 1));
    return false;
  }

  /** A delimiter line at j: the advertised boundary, else any plausible one (adopted as `needle`). */
  private boundaryLine(buf: Buffer, j: number, final: boolean): number {
    const advertised = this.advertised;
    if (advertised !== null) {
      const match = matchAt(buf, j, advertised);
      if (match === MORE && !final) return MORE;
      const end = match === 1 ? delimiterEnd(buf, j, advertised.length, final) : NO;
      if (end === MORE) return MORE;
      if (end >= 0) {
        this.needle = advertised;
        return end;
      }
    }
    const end = readBoundaryLine(buf, j, final, this.line);
    if (end >= 0) this.needle = Buffer.from(`--${this.line.token}`, 'latin1');
    return end;
  }

  private skipTo(buf: Buffer, to: number): void {
    const from = this.at;
    if (to > from) {
      this.skipped.add(buf, from, to);
      this.prevByte = buf[to - 1]!;
    }
    this.at = to;
    this.scanFrom = 0;
  }

  /** A delimiter at j: report what was skipped, then read the part (or the epilogue after a close). */
  private resync(buf: Buffer, j: number, end: number, close: boolean): boolean {
    this.skipTo(buf, j);
    this.at = end;
    this.prevByte = buf[end - 1] ?? LF;
    this.state = close ? SYNC : HEAD;
    this.reportSkipped();
    return true;
  }

  /** Drops the current part: SYNC skips it (from its first header byte) to the next delimiter. */
  private enterSync(kind: ParseIssueKind, detail: string): boolean {
    this.state = SYNC;
    // Header bytes already consumed (before and of a skipped line) are lost with the part.
    this.skipped.dropPart(kind, detail, this.longLine.lost);
    this.forgetHead();
    this.prevByte = LF;
    this.emitted = false;
    this.mismatch = false;
    this.out.forgetAlert();
    return true;
  }

  // --- HEAD ---

  private readHead(buf: Buffer, final: boolean): boolean {
    const p = this.at;
    if (p >= buf.length) return false;
    const result = readHead(buf, p, final, this.head, this.longLine.headersBefore);
    if (result === HEAD_MORE || (final && result === HEAD_BAD)) return false;
    if (result === HEAD_LONG_LINE) return this.startSkippingLine(buf);
    if (result === HEAD_BAD) {
      this.scanFrom = 0;
      return this.enterSync('malformed-part', 'a part without readable headers was skipped');
    }
    const head = this.head;
    this.out.typeStart = head.typeStart < 0 ? -1 : head.typeStart - p;
    this.out.typeEnd = head.typeEnd - p;
    this.contentLength = head.contentLength;
    const skippedLine = this.longLine.headersBefore > 0 ? this.useCarriedHead() : 0;
    this.bodyStart = head.bodyStart - p;
    this.scanFrom = this.bodyStart;
    this.mismatch = false;
    this.emitted = false;
    if (this.contentLength > this.maxPartBytes) {
      return this.enterSync(
        'part-too-large',
        `a part of ${this.contentLength} bytes (limit ${this.maxPartBytes}) was skipped`,
      );
    }
    this.state = BODY;
    if (skippedLine > 0) {
      const detail = `an over-long header line (${skippedLine} bytes) was skipped; the part was read`;
      this.out.issue('malformed-part', detail, skippedLine);
    }
    return true;
  }

  /**
   * An over-long header line starts at head.lineStart: keep what the lines before it said, then
   * skip it byte-free (SKIP_LINE) instead of dropping a part whose body may be fine.
   */
  private startSkippingLine(buf: Buffer): boolean {
    this.at = this.longLine.begin(buf, this.head, this.at);
    this.scanFrom = 0;
    this.state = SKIP_LINE;
    return true;
  }

  private skipLine(buf: Buffer): boolean {
    if (this.at >= buf.length) return false;
    const next = this.longLine.skip(buf, this.at);
    this.at = next < 0 ? -next - 1 : next;
    if (next < 0) return false;
    this.state = HEAD;
    return true;
  }

  /** The head after a skipped line: facts from before it fill what the rest did not say. */
  private useCarriedHead(): number {
    const { type, length, bytesSkipped } = this.longLine;
    this.forgetHead();
    if (this.out.typeStart < 0) this.out.typeText = type;
    if (this.contentLength < 0) this.contentLength = length;
    return bytesSkipped;
  }

  private forgetHead(): void {
    this.longLine.forget();
    this.out.typeText = '';
  }

  // --- BODY ---

  private readBody(buf: Buffer, final: boolean): boolean {
    const p = this.at;
    const bodyStart = p + this.bodyStart;
    if (this.contentLength >= 0 && !this.mismatch) {
      const bodyEnd = bodyStart + this.contentLength;
      if (bodyEnd <= buf.length) {
        const found = delimiterAt(buf, bodyEnd, this.needle!, final, this.found);
        if (found === FOUND && !delimiterInside(buf, bodyStart, bodyEnd, this.needle!))
          return this.finishPart(buf, bodyStart, bodyEnd);
        if (found === MORE) {
          this.tryEarly(buf, bodyStart, bodyEnd);
          this.tryEarlyImage(buf, bodyStart, bodyEnd);
          return false;
        }
        const stray = this.strayAfterWholeBody(buf, bodyStart, bodyEnd, final);
        if (stray === MORE) return false;
        if (stray === FOUND) return true;
      } else if (!final) {
        // Still arriving. A delimiter inside the announced length means the length is too long.
        const found = findDelimiter(buf, p + this.scanFrom, this.needle!, false, this.found);
        if (found !== FOUND) {
          this.scanFrom = this.resumeAt(buf, p, found);
          this.tryEarly(buf, bodyStart, found === MORE ? this.found.start : buf.length);
          return false;
        }
      }
      this.mismatch = true;
      this.scanFrom = this.bodyStart;
    }
    return this.scanBody(buf, p, bodyStart, final);
  }

  /**
   * No delimiter where Content-Length says the body ends. If the announced body holds no
   * delimiter and is whole by itself (a closed root element, a JSON object, a JPEG up to its end
   * marker), the length was right and what follows is stray bytes: deliver the part, skip those.
   * Otherwise the length is wrong and the part is read up to its delimiter.
   */
  private strayAfterWholeBody(buf: Buffer, bodyStart: number, bodyEnd: number, final: boolean): number {
    const needle = this.needle!;
    // A delimiter starting inside the announced body (the length is too long) may reach past
    // its end: decide only once a whole delimiter's length past the end is there.
    if (!final && buf.length < bodyEnd + needle.length) return MORE;
    const inside = buf.indexOf(needle, bodyStart);
    if (inside >= 0 && inside < bodyEnd) return NO;
    let whole: Extracted | typeof WHOLE_IMAGE | null = null;
    if (!this.emitted) {
      whole = this.out.wholeBody(buf, bodyStart, bodyEnd);
      if (whole === null) return NO;
    }
    // Move on first (callbacks may throw): SYNC skips the stray bytes as garbage.
    const emitted = this.emitted;
    this.out.partStart = this.at;
    this.at = bodyEnd;
    this.state = SYNC;
    this.scanFrom = 0;
    this.prevByte = buf[bodyEnd - 1]!;
    this.emitted = false;
    if (emitted) return FOUND;
    if (whole === WHOLE_IMAGE) this.out.image(buf, bodyStart, bodyEnd, false, -1);
    else if (whole) this.out.alert(whole, bodyEnd - bodyStart);
    return FOUND;
  }

  /** No (trusted) length: the body ends where the next delimiter starts. */
  private scanBody(buf: Buffer, p: number, bodyStart: number, final: boolean): boolean {
    const needleLength = this.needle!.length;
    const found = findDelimiter(buf, p + this.scanFrom, this.needle!, final, this.found);
    if (found !== NONE && this.found.start - bodyStart > this.maxPartBytes) return this.tooLarge(found);
    if (found === FOUND) return this.finishPart(buf, bodyStart, trimEnd(buf, bodyStart, this.found.start));
    if (found === NONE && buf.length - bodyStart - needleLength > this.maxPartBytes)
      return this.tooLarge(found);
    if (final) return this.finishUnterminated(buf, bodyStart);
    this.scanFrom = this.resumeAt(buf, p, found);
    this.tryEarly(buf, bodyStart, found === MORE ? this.found.start : buf.length);
    return false;
  }

  private resumeAt(buf: Buffer, p: number, found: number): number {
    if (found === MORE) return this.found.start - p;
    return Math.max(this.bodyStart, buf.length - p - this.needle!.length + 1);
  }

  private tooLarge(found: number): boolean {
    // SYNC resumes where the body scan stopped; the skipped count still starts at the part.
    // (While the boundary is still being learnt, SYNC looks for any `--` line: from the start.)
    const resume = found === NONE ? this.scanFrom : this.found.start - this.at;
    this.enterSync('part-too-large', `a part over the ${this.maxPartBytes}-byte limit was skipped`);
    this.scanFrom = this.out.confirmed ? resume : 0;
    return true;
  }

  /** The part is framed: move on first (callbacks may throw), then deliver it. */
  private finishPart(buf: Buffer, bodyStart: number, bodyEnd: number): boolean {
    const close = isCloseDelimiter(buf, this.found.start, this.needle!.length);
    const { mismatch, emitted, contentLength } = this;
    this.out.partStart = this.at;
    this.at = this.found.end;
    this.state = close ? SYNC : HEAD;
    this.prevByte = LF;
    this.scanFrom = 0;
    this.mismatch = false;
    this.emitted = false;
    if (!emitted) this.out.deliver(buf, bodyStart, bodyEnd, mismatch, contentLength);
    if (mismatch) {
      const detail = `Content-Length ${contentLength} did not match the part (${bodyEnd - bodyStart} bytes up to its delimiter); it was read up to the delimiter`;
      this.out.issue('malformed-part', detail, 0);
    }
    return true;
  }

  /** The stream ended inside a body. */
  private finishUnterminated(buf: Buffer, bodyStart: number): boolean {
    const bodyEnd = trimEnd(buf, bodyStart, buf.length);
    const emitted = this.emitted;
    this.out.partStart = this.at;
    this.at = buf.length;
    this.state = SYNC;
    this.emitted = false;
    this.mismatch = false;
    if (!emitted && bodyEnd > bodyStart) this.out.deliverUnterminated(buf, bodyStart, bodyEnd);
    return true;
  }

  /** A visibly complete alert goes out before its delimiter arrives (see earlyAlert). */
  private tryEarly(buf: Buffer, bodyStart: number, end: number): void {
    if (this.emitted) return;
    this.out.partStart = this.at;
    const alert = this.out.earlyAlert(buf, bodyStart, end);
    if (alert === null) return;
    this.emitted = true; // first: the callback may throw, and the alert must not come twice
    this.out.alert(alert, 0);
  }

  private tryEarlyImage(buf: Buffer, bodyStart: number, bodyEnd: number): void {
    if (this.emitted) return;
    this.out.partStart = this.at;
    if (!this.out.isEarlyImage(buf, bodyStart, bodyEnd)) return;
    this.emitted = true;
    this.out.image(buf, bodyStart, bodyEnd, false, -1);
  }

  private reportSkipped(): void {
    const lost = this.skipped.take();
    if (lost) this.out.issue(lost.kind, lost.detail, lost.bytesSkipped);
  }

  protected finishStream(buf: Buffer): void {
    if (this.state === SYNC) {
      this.skipTo(buf, buf.length);
      this.reportSkipped();
      return;
    }
    const rest = buf.length - this.at;
    const lost = this.longLine.lost + rest;
    if (this.state === SKIP_LINE || (this.state === HEAD && trimEnd(buf, this.at, buf.length) > this.at)) {
      this.out.issue('truncated-part', 'the stream ended inside a part header', lost);
    }
  }
}
