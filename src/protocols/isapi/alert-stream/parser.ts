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
 */
import { ByteAccumulator } from './accumulator.ts';
import { imageType, kindOfType, type PartKind, sniffKind } from './content-type.ts';
import { extractBody } from './decode.ts';
import type { Extracted } from './extract-xml.ts';
import {
  type BoundaryLine,
  delimiterEnd,
  HEAD_BAD,
  HEAD_MORE,
  isCloseDelimiter,
  isSpace,
  LF,
  MAX_GAP_BYTES,
  MAX_HEADER_BYTES,
  MORE,
  matchAt,
  NO,
  type PartHead,
  readBoundaryLine,
  readHead,
  skipGap,
} from './framing.ts';
import type { AlertImage, AlertStreamParserOptions, ParseIssue, ParseIssueKind, RawAlert } from './types.ts';

export const DEFAULT_MAX_PART_BYTES = 2 * 1024 * 1024;
/** What may be buffered beyond maxPartBytes: a header block, the gap before a delimiter, slack. */
export const WINDOW_BYTES = MAX_HEADER_BYTES + MAX_GAP_BYTES + 1024;

const SYNC = 0; // looking for a delimiter (stream start, after a close delimiter, after a broken part)
const HEAD = 1; // reading a part's header block
const BODY = 2; // reading a part's body

const FOUND = 1;
const NONE = 0;

const DASHES = Buffer.from('--');
const GT = 0x3e;
const RBRACE = 0x7d;
const ROOT_END = Buffer.from('EventNotificationAlert>');

export class AlertStreamParser {
  private readonly maxPartBytes: number;
  private readonly onAlert: (alert: RawAlert) => void;
  private readonly onImage: ((image: AlertImage, previous: RawAlert | null) => void) | undefined;
  private readonly onIssue: ((issue: ParseIssue) => void) | undefined;
  private readonly acc = new ByteAccumulator();
  private readonly head: PartHead = { bodyStart: 0, typeStart: -1, typeEnd: -1, contentLength: -1 };
  private readonly line: BoundaryLine = { token: '' };

  /** `--boundary` from the Content-Type header: preferred, but only if the stream uses it. */
  private readonly advertised: Buffer | null;
  /** `--boundary` as it appears in the stream; learnt from the first delimiter line. */
  private needle: Buffer | null = null;
  /** A part framed by `needle` was read: it is the real boundary, stop re-learning it. */
  private confirmed = false;
  private state = SYNC;
  /** Position in the buffer being read: everything before it is consumed. */
  private at = 0;
  /** Where the next delimiter search starts, relative to `at`. */
  private scanFrom = 0;

  /** The Content-Type value, relative to `at` (typeStart -1: none). */
  private typeStart = -1;
  private typeEnd = -1;
  /** Where the part being delivered starts (`at` has already moved past it). */
  private partStart = 0;
  private contentLength = -1;
  /** Body start relative to `at` (the part's first header byte). */
  private bodyStart = 0;
  /** The Content-Length was checked and is wrong: the part ends at its delimiter. */
  private mismatch = false;
  /** The alert was already delivered (its body was complete before the delimiter arrived). */
  private emitted = false;

  private skipKind: ParseIssueKind = 'garbage';
  private skipDetail = '';
  private skipped = 0;
  private skippedText = false;
  /** The byte before `at` while skipping: tells whether a `--` starts a line. */
  private prevByte = LF;

  /** The buffer being read is the accumulator (reused later), not a chunk the caller pushed. */
  private inAccumulator = false;
  private foundStart = 0;
  private foundEnd = 0;
  private lastAlert: RawAlert | null = null;
  private seen = 0;
  private alerts = 0;

  constructor(options: AlertStreamParserOptions) {
    const max = options.maxPartBytes ?? DEFAULT_MAX_PART_BYTES;
    if (!Number.isInteger(max) || max < 1) throw new RangeError('maxPartBytes must be a positive integer');
    this.maxPartBytes = max;
    this.onAlert = options.onAlert;
    this.onImage = options.onImage;
    this.onIssue = options.onIssue;
    this.advertised = options.boundary ? Buffer.from(`--${options.boundary}`, 'latin1') : null;
  }

  get bytesSeen(): number {
    return this.seen;
  }

  get alertsSeen(): number {
    return this.alerts;
  }

  /** Bytes held between pushes (never above maxPartBytes + WINDOW_BYTES). */
  get bufferedBytes(): number {
    return this.acc.length;
  }

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
      // Also when a callback threw: the parser stays consistent for the next push.
      if (this.at < chunk.length) this.acc.append(chunk, this.at, chunk.length, this.expectedBytes());
    }
  }

  /** The stream ended: delivers or reports what is left. */
  end(): void {
    const buf = this.acc.view();
    this.inAccumulator = true;
    try {
      this.run(buf, 0, true);
      this.finishStream(buf);
    } finally {
      this.inAccumulator = false;
      this.acc.clear();
      this.state = SYNC;
      this.at = 0;
      this.scanFrom = 0;
      this.lastAlert = null;
      this.prevByte = LF;
    }
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
      this.inAccumulator = true;
      try {
        at = this.run(this.acc.view(), 0, false);
      } catch (error) {
        this.acc.consume(this.at);
        this.acc.append(chunk, c, chunk.length);
        throw error;
      } finally {
        this.inAccumulator = false;
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

  /** How many more bytes the current item probably needs (only affects copying, not results). */
  private wanted(chunk: Buffer, c: number): number {
    if (this.state === HEAD) return 512;
    if (this.state === SYNC || this.needle === null) return 256;
    if (this.contentLength >= 0 && !this.mismatch) return this.expectedBytes() - this.acc.length;
    const j = chunk.indexOf(this.needle, c);
    return j < 0 ? chunk.length - c : j - c + this.needle.length + 8;
  }

  private expectedBytes(): number {
    if (this.state !== BODY || this.contentLength < 0 || this.mismatch) return 0;
    return this.bodyStart + this.contentLength + (this.needle?.length ?? 0) + 8;
  }

  private run(buf: Buffer, from: number, final: boolean): number {
    this.at = from;
    for (;;) {
      const progressed =
        this.state === BODY
          ? this.readBody(buf, final)
          : this.state === HEAD
            ? this.readHead(buf, final)
            : this.sync(buf, final);
      if (!progressed) return this.at;
    }
  }

  // --- SYNC: find the next delimiter, skipping (and counting) whatever comes before it ---

  private sync(buf: Buffer, final: boolean): boolean {
    const p = this.at;
    if (p >= buf.length) return false;
    if (this.needle === null || !this.confirmed) return this.detect(buf, final);
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
      this.skipped += to - from;
      if (!this.skippedText) {
        for (let i = from; i < to; i++) {
          if (!isSpace(buf[i]!)) {
            this.skippedText = true;
            break;
          }
        }
      }
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
    const { skipped, skipKind, skipDetail, skippedText } = this;
    this.skipped = 0;
    this.skippedText = false;
    this.skipKind = 'garbage';
    // Blank lines around delimiters are normal; only real bytes outside parts are worth a word.
    if (skipped > 0 && skippedText) {
      const detail = skipKind === 'garbage' ? `${skipped} bytes outside any part` : skipDetail;
      this.issue(skipKind, detail, skipped);
    }
    return true;
  }

  /** Drops the current part: SYNC skips it (from its first header byte) to the next delimiter. */
  private enterSync(kind: ParseIssueKind, detail: string): boolean {
    this.state = SYNC;
    this.skipKind = kind;
    this.skipDetail = detail;
    this.skipped = 0;
    this.skippedText = true;
    this.prevByte = LF;
    this.emitted = false;
    this.mismatch = false;
    this.lastAlert = null;
    return true;
  }

  // --- HEAD ---

  private readHead(buf: Buffer, final: boolean): boolean {
    const p = this.at;
    if (p >= buf.length) return false;
    const result = readHead(buf, p, final, this.head);
    if (result === HEAD_MORE || (final && result === HEAD_BAD)) return false;
    if (result === HEAD_BAD) {
      this.scanFrom = 0;
      return this.enterSync('malformed-part', 'a part without readable headers was skipped');
    }
    const head = this.head;
    this.typeStart = head.typeStart < 0 ? -1 : head.typeStart - p;
    this.typeEnd = head.typeEnd - p;
    this.contentLength = head.contentLength;
    this.bodyStart = head.bodyStart - p;
    this.scanFrom = this.bodyStart;
    this.mismatch = false;
    this.emitted = false;
    if (head.contentLength > this.maxPartBytes) {
      return this.enterSync(
        'part-too-large',
        `a part of ${head.contentLength} bytes (limit ${this.maxPartBytes}) was skipped`,
      );
    }
    this.state = BODY;
    return true;
  }

  // --- BODY ---

  private readBody(buf: Buffer, final: boolean): boolean {
    const p = this.at;
    const bodyStart = p + this.bodyStart;
    if (this.contentLength >= 0 && !this.mismatch) {
      const bodyEnd = bodyStart + this.contentLength;
      if (bodyEnd <= buf.length) {
        const found = this.delimiterAt(buf, bodyEnd, final);
        if (found === FOUND && !this.delimiterInside(buf, bodyStart, bodyEnd))
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
        const found = this.findDelimiter(buf, p + this.scanFrom, false);
        if (found !== FOUND) {
          this.scanFrom = this.resumeAt(buf, p, found);
          this.tryEarly(buf, bodyStart, found === MORE ? this.foundStart : buf.length);
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
    let result: Extracted | undefined;
    if (!this.emitted) {
      const kind = this.kindOf(buf, bodyStart, bodyEnd);
      if (kind === 'xml' || kind === 'json') {
        result = extractBody(buf, bodyStart, bodyEnd, kind);
        if (!('alert' in result)) return NO;
      } else if (kind !== 'image' || !isJpeg(buf, bodyStart) || !endsWithJpegEnd(buf, bodyEnd)) {
        return NO;
      }
    }
    // Move on first (callbacks may throw): SYNC skips the stray bytes as garbage.
    const emitted = this.emitted;
    this.partStart = this.at;
    this.at = bodyEnd;
    this.state = SYNC;
    this.scanFrom = 0;
    this.prevByte = buf[bodyEnd - 1]!;
    this.emitted = false;
    if (emitted) return FOUND;
    if (result) this.deliverAlert(result, bodyEnd - bodyStart);
    else this.deliverImage(buf, bodyStart, bodyEnd, false);
    return FOUND;
  }

  /**
   * A delimiter line inside a body framed by its Content-Length: the length is wrong, and only
   * by chance ends where a later part ends (a delimiter follows it). Reading up to the first
   * delimiter then loses nothing but the broken part. The search stops at the delimiter that
   * closes the body, so it reads each body once.
   */
  private delimiterInside(buf: Buffer, bodyStart: number, bodyEnd: number): boolean {
    const needle = this.needle!;
    for (let j = buf.indexOf(needle, bodyStart); j >= 0 && j < bodyEnd; j = buf.indexOf(needle, j + 1)) {
      if (buf[j - 1] === LF && delimiterEnd(buf, j, needle.length, true) >= 0) return true;
    }
    return false;
  }

  /** No (trusted) length: the body ends where the next delimiter starts. */
  private scanBody(buf: Buffer, p: number, bodyStart: number, final: boolean): boolean {
    const needleLength = this.needle!.length;
    const found = this.findDelimiter(buf, p + this.scanFrom, final);
    if (found !== NONE && this.foundStart - bodyStart > this.maxPartBytes) return this.tooLarge(found);
    if (found === FOUND) return this.finishPart(buf, bodyStart, trimEnd(buf, bodyStart, this.foundStart));
    if (found === NONE && buf.length - bodyStart - needleLength > this.maxPartBytes)
      return this.tooLarge(found);
    if (final) return this.finishUnterminated(buf, bodyStart);
    this.scanFrom = this.resumeAt(buf, p, found);
    this.tryEarly(buf, bodyStart, found === MORE ? this.foundStart : buf.length);
    return false;
  }

  private resumeAt(buf: Buffer, p: number, found: number): number {
    if (found === MORE) return this.foundStart - p;
    return Math.max(this.bodyStart, buf.length - p - this.needle!.length + 1);
  }

  private tooLarge(found: number): boolean {
    // SYNC resumes where the body scan stopped; the skipped count still starts at the part.
    // (While the boundary is still being learnt, SYNC looks for any `--` line: from the start.)
    const resume = found === NONE ? this.scanFrom : this.foundStart - this.at;
    this.enterSync('part-too-large', `a part over the ${this.maxPartBytes}-byte limit was skipped`);
    this.scanFrom = this.confirmed ? resume : 0;
    return true;
  }

  /** Blank lines, then a delimiter, at `from` (where Content-Length says the body ends)? */
  private delimiterAt(buf: Buffer, from: number, final: boolean): number {
    const i = skipGap(buf, from);
    if (i === NO) return NO;
    if (i === buf.length) return final ? this.foundAt(i, i) : MORE;
    const needle = this.needle!;
    const match = matchAt(buf, i, needle);
    if (match === NO) return NO;
    if (match === MORE) return final ? this.foundAt(i, buf.length) : MORE;
    const end = delimiterEnd(buf, i, needle.length, final);
    return end < 0 ? end : this.foundAt(i, end);
  }

  private findDelimiter(buf: Buffer, from: number, final: boolean): number {
    const needle = this.needle!;
    for (;;) {
      const j = buf.indexOf(needle, from);
      if (j < 0) return NONE;
      const end = delimiterEnd(buf, j, needle.length, final);
      if (end === MORE) {
        this.foundStart = j;
        return MORE;
      }
      if (end >= 0) return this.foundAt(j, end);
      from = j + 1;
    }
  }

  private foundAt(start: number, end: number): number {
    this.foundStart = start;
    this.foundEnd = end;
    return FOUND;
  }

  /** The part is framed: move on first (callbacks may throw), then deliver it. */
  private finishPart(buf: Buffer, bodyStart: number, bodyEnd: number): boolean {
    const close = isCloseDelimiter(buf, this.foundStart, this.needle!.length);
    const { mismatch, emitted, contentLength } = this;
    this.partStart = this.at;
    this.at = this.foundEnd;
    this.state = close ? SYNC : HEAD;
    this.prevByte = LF;
    this.scanFrom = 0;
    this.mismatch = false;
    this.emitted = false;
    if (!emitted) this.deliver(buf, bodyStart, bodyEnd, mismatch);
    if (mismatch) {
      const detail = `Content-Length ${contentLength} did not match the part (${bodyEnd - bodyStart} bytes up to its delimiter); it was read up to the delimiter`;
      this.issue('malformed-part', detail, 0);
    }
    return true;
  }

  /** The stream ended inside a body. */
  private finishUnterminated(buf: Buffer, bodyStart: number): boolean {
    const bodyEnd = trimEnd(buf, bodyStart, buf.length);
    const emitted = this.emitted;
    this.partStart = this.at;
    this.at = buf.length;
    this.state = SYNC;
    this.emitted = false;
    this.mismatch = false;
    if (emitted || bodyEnd === bodyStart) return true;
    const kind = this.kindOf(buf, bodyStart, bodyEnd);
    const result: Extracted =
      kind === 'xml' || kind === 'json'
        ? extractBody(buf, bodyStart, bodyEnd, kind)
        : { failure: 'truncated', detail: 'the stream ended inside a part' };
    this.deliverAlert(result, bodyEnd - bodyStart);
    return true;
  }

  /**
   * Devices write a part's delimiter only with the next part, seconds later: an alert whose body
   * is visibly complete (closed root element / valid JSON) is delivered now, not then.
   */
  private tryEarly(buf: Buffer, bodyStart: number, end: number): void {
    if (this.emitted) return;
    this.partStart = this.at;
    const bodyEnd = trimEnd(buf, bodyStart, end);
    if (bodyEnd === bodyStart) return;
    const last = buf[bodyEnd - 1];
    if (last !== GT && last !== RBRACE) return;
    const kind = this.kindOf(buf, bodyStart, bodyEnd);
    if (kind === 'xml' && !endsWithRoot(buf, bodyStart, bodyEnd)) return;
    if (kind !== 'xml' && kind !== 'json') return;
    const result = extractBody(buf, bodyStart, bodyEnd, kind);
    if (!('alert' in result)) return;
    this.emitted = true;
    this.deliverAlert(result, bodyEnd - bodyStart);
  }

  /**
   * The same for a picture whose announced length is complete and which ends like a whole JPEG:
   * it must not wait seconds for the next part (the event it belongs to is already out). Only
   * with a trusted Content-Length: without one, an end marker at a chunk boundary proves nothing.
   */
  private tryEarlyImage(buf: Buffer, bodyStart: number, bodyEnd: number): void {
    if (this.emitted || this.kindOf(buf, bodyStart, bodyEnd) !== 'image') return;
    if (!isJpeg(buf, bodyStart) || !endsWithJpegEnd(buf, bodyEnd)) return;
    this.partStart = this.at;
    this.emitted = true;
    this.deliverImage(buf, bodyStart, bodyEnd, false);
  }

  private deliver(buf: Buffer, bodyStart: number, bodyEnd: number, mismatch: boolean): void {
    const kind = this.kindOf(buf, bodyStart, bodyEnd);
    if (kind === 'xml' || kind === 'json') {
      this.deliverAlert(extractBody(buf, bodyStart, bodyEnd, kind), bodyEnd - bodyStart);
    } else if (kind === 'image') {
      this.deliverImage(buf, bodyStart, bodyEnd, mismatch);
    } else {
      this.lastAlert = null;
      const type = this.contentType(buf) || 'none';
      this.issue('unknown-content-type', `a part of type "${type}" was skipped`, bodyEnd - bodyStart);
    }
  }

  private kindOf(buf: Buffer, bodyStart: number, bodyEnd: number): PartKind {
    return sniffKind(buf, bodyStart, bodyEnd) ?? kindOfType(this.contentType(buf));
  }

  /** The part's Content-Type, read from its header (still in `buf` at `partStart`). */
  private contentType(buf: Buffer): string {
    if (this.typeStart < 0) return '';
    return buf.toString('latin1', this.partStart + this.typeStart, this.partStart + this.typeEnd);
  }

  private deliverAlert(result: Extracted, size: number): void {
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

  private deliverImage(buf: Buffer, bodyStart: number, end: number, mismatch: boolean): void {
    let bodyEnd = end;
    if (mismatch && isJpeg(buf, bodyStart)) {
      // The length check failed. Stray bytes after a whole JPEG: its announced length was right.
      const announced = bodyStart + this.contentLength;
      if (this.contentLength >= 0 && announced <= end && endsWithJpegEnd(buf, announced)) bodyEnd = announced;
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
    if (this.inAccumulator) data = Buffer.from(data);
    this.onImage({ contentType: imageType(this.contentType(buf)), data }, this.lastAlert);
  }

  private finishStream(buf: Buffer): void {
    if (this.state === SYNC) {
      this.skipTo(buf, buf.length);
      if (this.skipped > 0 && this.skippedText) {
        const detail =
          this.skipKind === 'garbage' ? `${this.skipped} bytes outside any part` : this.skipDetail;
        this.issue(this.skipKind, detail, this.skipped);
      }
      this.skipped = 0;
      this.skippedText = false;
      this.skipKind = 'garbage';
      return;
    }
    const rest = buf.length - this.at;
    if (this.state === HEAD && trimEnd(buf, this.at, buf.length) > this.at) {
      this.issue('truncated-part', 'the stream ended inside a part header', rest);
    }
  }

  private issue(kind: ParseIssueKind, detail: string, bytesSkipped: number): void {
    this.onIssue?.({ kind, detail, bytesSkipped });
  }
}

/** End of the body without the line break(s) before its delimiter. */
function trimEnd(buf: Buffer, start: number, end: number): number {
  let e = end;
  while (e > start && isSpace(buf[e - 1]!)) e--;
  return e;
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
