/**
 * Byte-level pieces of multipart framing: delimiter lines, part header blocks, boundary lines.
 * Pure functions of the bytes they are given; "need more" answers let the parser wait for the
 * next chunk without guessing, so a stream split anywhere is read the same way.
 */

export const CR = 0x0d;
export const LF = 0x0a;
const DASH = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;

/** Not decided yet: the answer depends on bytes that have not arrived. */
export const MORE = -2;
/** Not a delimiter / not what was expected. */
export const NO = -1;

/**
 * Header bytes held at once. A header line still open when this window is full is over-long:
 * it is skipped (not held) and the headers are read on after it (see readHead).
 */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Longest run of blank lines / spaces accepted between a body and the next delimiter. */
export const MAX_GAP_BYTES = 1024;
/** RFC 2046 caps boundaries at 70 characters. */
const MAX_BOUNDARY = 70;

export function isSpace(byte: number): boolean {
  return byte === LF || byte === CR || byte === SPACE || byte === TAB;
}

/**
 * At buf[i] starts `needle` (`--boundary`, already matched): where the delimiter line ends.
 * After the needle: `--` (close delimiter, ends the line at once), else optional spaces and a
 * line break (CRLF or LF). NO when other text follows (`--boundaryX` is another token).
 * At `final` (end of stream) an unfinished line counts as complete.
 */
export function delimiterEnd(buf: Buffer, i: number, needleLength: number, final: boolean): number {
  const len = buf.length;
  let k = i + needleLength;
  if (k + 1 < len && buf[k] === DASH && buf[k + 1] === DASH) return skipLineBreak(buf, k + 2);
  if (k + 1 >= len && (k === len || buf[k] === DASH)) return final ? len : MORE;
  while (k < len && (buf[k] === SPACE || buf[k] === TAB)) k++;
  if (k === len) return final ? len : MORE;
  if (buf[k] === LF) return k + 1;
  if (buf[k] !== CR) return NO;
  if (k + 1 === len) return final ? len : MORE;
  return buf[k + 1] === LF ? k + 2 : k + 1;
}

/** True when the delimiter at buf[i] is the closing `--boundary--`. */
export function isCloseDelimiter(buf: Buffer, i: number, needleLength: number): boolean {
  const k = i + needleLength;
  return buf[k] === DASH && buf[k + 1] === DASH;
}

/** Past one line break at k, if there is one (a close delimiter does not wait for it). */
function skipLineBreak(buf: Buffer, k: number): number {
  if (buf[k] === CR && buf[k + 1] === LF) return k + 2;
  if (buf[k] === LF) return k + 1;
  return k;
}

/**
 * Index of the first byte after blank lines / spaces at `from` (buf.length when the data ends
 * inside them), or NO when the run is longer than MAX_GAP_BYTES.
 */
export function skipGap(buf: Buffer, from: number): number {
  const len = buf.length;
  const limit = Math.min(len, from + MAX_GAP_BYTES + 1);
  let i = from;
  while (i < limit && isSpace(buf[i]!)) i++;
  return i === limit && limit < len ? NO : i;
}

/** Does `needle` start at buf[i]? 1 yes, NO, or MORE when the data ends while still matching. */
export function matchAt(buf: Buffer, i: number, needle: Buffer): number {
  const n = needle.length;
  const len = buf.length;
  for (let k = 0; k < n; k++) {
    if (i + k === len) return MORE;
    if (buf[i + k] !== needle[k]) return NO;
  }
  return 1;
}

/** A delimiter line was found (where: a Found). */
export const FOUND = 1;
/** No delimiter in the bytes given. */
export const NONE = 0;

/** Where findDelimiter / delimiterAt found a delimiter line: [start, end). */
export interface Found {
  start: number;
  end: number;
}

/**
 * The first delimiter line (`needle` followed by a line end or `--`) at or after `from`: FOUND
 * (into `out`), NONE, or MORE when one may start at `out.start` but its line has not ended yet.
 */
export function findDelimiter(buf: Buffer, from: number, needle: Buffer, final: boolean, out: Found): number {
  for (let at = from; ; ) {
    const j = buf.indexOf(needle, at);
    if (j < 0) return NONE;
    const end = delimiterEnd(buf, j, needle.length, final);
    if (end === MORE) {
      out.start = j;
      return MORE;
    }
    if (end >= 0) return found(out, j, end);
    at = j + 1;
  }
}

/**
 * Blank lines, then a delimiter line, right at `from` (where a Content-Length says the body
 * ends)? FOUND (into `out`), NO, or MORE. At the end of the stream, what is there counts.
 */
export function delimiterAt(buf: Buffer, from: number, needle: Buffer, final: boolean, out: Found): number {
  const i = skipGap(buf, from);
  if (i === NO) return NO;
  if (i === buf.length) return final ? found(out, i, i) : MORE;
  const match = matchAt(buf, i, needle);
  if (match === NO) return NO;
  if (match === MORE) return final ? found(out, i, buf.length) : MORE;
  const end = delimiterEnd(buf, i, needle.length, final);
  return end < 0 ? end : found(out, i, end);
}

function found(out: Found, start: number, end: number): number {
  out.start = start;
  out.end = end;
  return FOUND;
}

/**
 * A delimiter line inside [bodyStart, bodyEnd)? Then a Content-Length that seemed right is
 * wrong and only by chance ends where a later part ends. The search stops at bodyEnd, so each
 * body is read once.
 */
export function delimiterInside(buf: Buffer, bodyStart: number, bodyEnd: number, needle: Buffer): boolean {
  for (let j = buf.indexOf(needle, bodyStart); j >= 0 && j < bodyEnd; j = buf.indexOf(needle, j + 1)) {
    if (buf[j - 1] === LF && delimiterEnd(buf, j, needle.length, true) >= 0) return true;
  }
  return false;
}

/** End of the body without the line break(s) before its delimiter. */
export function trimEnd(buf: Buffer, start: number, end: number): number {
  let e = end;
  while (e > start && isSpace(buf[e - 1]!)) e--;
  return e;
}

/**
 * What readHead found. The Content-Type value is only located (typeStart/typeEnd, -1 when
 * absent): most parts are sniffed and never need it as a string. `contentLength` is -1 when
 * absent or not a plain number.
 */
export interface PartHead {
  bodyStart: number;
  typeStart: number;
  typeEnd: number;
  contentLength: number;
  /** HEAD_LONG_LINE: where the over-long line starts, and how many header lines came before it. */
  lineStart: number;
  headers: number;
}

export const HEAD_OK = 1;
export const HEAD_MORE = 0;
export const HEAD_BAD = -1;
/** A header line (`Name:` ...) does not end within MAX_HEADER_BYTES: the caller skips it. */
export const HEAD_LONG_LINE = 2;

const LT_BYTE = 0x3c;
const LBRACE = 0x7b;
const COLON = 0x3a;
const CONTENT_TYPE = Buffer.from('content-type:');
const CONTENT_LENGTH = Buffer.from('content-length:');

/**
 * The header block of a part starting at `start` (just after its delimiter line, or just after
 * an over-long line when `headersBefore` lines were read before it), read as bytes (no string
 * per line). Tolerates LF line ends, blank lines before the headers, and a body that starts
 * without any header or blank line (its first line begins with `<` or `{`). A `Name:` line still
 * open at the end of the MAX_HEADER_BYTES window is HEAD_LONG_LINE: a device may send one huge
 * header (a cookie, a description) before a perfectly good body.
 */
export function readHead(
  buf: Buffer,
  start: number,
  final: boolean,
  out: PartHead,
  headersBefore = 0,
): number {
  out.typeStart = -1;
  out.typeEnd = -1;
  out.contentLength = -1;
  const limit = Math.min(buf.length, start + MAX_HEADER_BYTES);
  // Out of bytes: wait, unless the stream ended or the window is full.
  const full = limit - start >= MAX_HEADER_BYTES;
  const short = limit === buf.length && !final && !full ? HEAD_MORE : HEAD_BAD;
  let i = start;
  let headers = headersBefore;
  for (;;) {
    if (i >= limit) return full ? longLine(buf, i, limit, headers, out) : short;
    const c = buf[i];
    if (c === LT_BYTE || c === LBRACE) {
      out.bodyStart = i; // the body, with no blank line before it
      return HEAD_OK;
    }
    const nl = buf.indexOf(LF, i);
    if (nl < 0 || nl >= limit) return full ? longLine(buf, i, limit, headers, out) : short;
    const lineEnd = nl > i && buf[nl - 1] === CR ? nl - 1 : nl;
    if (lineEnd === i) {
      const padding = headers === 0 ? looksLikeHeader(buf, nl + 1, limit) : HEAD_BAD;
      if (padding === HEAD_MORE) return short;
      if (padding === HEAD_BAD) {
        out.bodyStart = nl + 1;
        return HEAD_OK;
      }
      i = nl + 1; // blank line(s) between the delimiter and the headers
      continue;
    }
    if (!readHeaderLine(buf, i, lineEnd, out)) return HEAD_BAD;
    headers++;
    i = nl + 1;
  }
}

/** The window is full inside the line at i: over-long if it is a header line, else no headers. */
function longLine(buf: Buffer, i: number, limit: number, headers: number, out: PartHead): number {
  if (i >= limit || looksLikeHeader(buf, i, limit) !== HEAD_OK) return HEAD_BAD;
  out.lineStart = i;
  out.headers = headers;
  return HEAD_LONG_LINE;
}

/** `Name: value`; only Content-Type and Content-Length matter. False when it is no header. */
function readHeaderLine(buf: Buffer, start: number, end: number, out: PartHead): boolean {
  if (startsWithName(buf, start, end, CONTENT_TYPE)) {
    const from = skipBlanks(buf, start + CONTENT_TYPE.length, end);
    out.typeStart = from;
    out.typeEnd = trimBlanks(buf, from, end);
    return true;
  }
  if (startsWithName(buf, start, end, CONTENT_LENGTH)) {
    out.contentLength = readDigits(buf, skipBlanks(buf, start + CONTENT_LENGTH.length, end), end);
    return true;
  }
  const colon = buf.indexOf(COLON, start);
  return colon > start && colon < end;
}

/** Case-insensitive `name:` (given in lower case) at buf[start]. */
function startsWithName(buf: Buffer, start: number, end: number, name: Buffer): boolean {
  const n = name.length;
  if (end - start < n) return false;
  for (let k = 0; k < n; k++) if ((buf[start + k]! | 0x20) !== name[k]) return false;
  return true;
}

function skipBlanks(buf: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end && (buf[i] === SPACE || buf[i] === TAB)) i++;
  return i;
}

function trimBlanks(buf: Buffer, from: number, end: number): number {
  let e = end;
  while (e > from && (buf[e - 1] === SPACE || buf[e - 1] === TAB)) e--;
  return e;
}

/** A plain decimal number filling [from, end) (trailing blanks allowed), else -1. */
function readDigits(buf: Buffer, from: number, end: number): number {
  const stop = trimBlanks(buf, from, end);
  if (stop === from || stop - from > 15) return -1;
  let value = 0;
  for (let i = from; i < stop; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Does a header line (`Token:`) start at i? HEAD_OK, HEAD_BAD (no) or HEAD_MORE. */
function looksLikeHeader(buf: Buffer, i: number, limit: number): number {
  for (let k = i; k < limit; k++) {
    const c = buf[k]!;
    if (c === COLON) return k > i ? HEAD_OK : HEAD_BAD;
    const lower = c | 0x20;
    const token = (lower >= 0x61 && lower <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === DASH;
    if (!token) return HEAD_BAD;
  }
  return HEAD_MORE;
}

/** A `--token` line starting at buf[i]: the token, and where the line ends (or NO / MORE). */
export interface BoundaryLine {
  token: string;
}

const BOUNDARY_CHARS = /^[0-9A-Za-z'()+_,\-./:=? ]+$/;

/**
 * Reads a possible delimiter line `--token` at buf[i] (used to learn the boundary a device really
 * uses). NO when the line is too long or holds characters a boundary cannot have.
 */
export function readBoundaryLine(buf: Buffer, i: number, final: boolean, out: BoundaryLine): number {
  const len = buf.length;
  const limit = Math.min(len, i + 2 + MAX_BOUNDARY + 4);
  let k = i + 2;
  while (k < limit && buf[k] !== LF) k++;
  if (k === limit) {
    if (limit - i >= MAX_BOUNDARY + 6) return NO;
    if (!final) return MORE;
  }
  const end = k < len ? k + 1 : len;
  let token = buf.toString('latin1', i + 2, k).trimEnd();
  // `--token--` closes a stream; the boundary is the token without the dashes.
  if (token.length > 2 && token.endsWith('--')) token = token.slice(0, -2);
  if (token.length === 0 || token.length > MAX_BOUNDARY || !BOUNDARY_CHARS.test(token)) return NO;
  out.token = token;
  return end;
}
