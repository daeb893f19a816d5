/**
 * Minimal HTTP/1.1 request parsing. The simulator speaks HTTP itself instead of using node:http
 * because devices do things node:http cannot express: two-way audio uploads are a PUT whose raw
 * body follows `Content-Length: 0` (or no length at all) on the same socket, and faults need to
 * stall or cut a response at an exact byte.
 */

export const MAX_HEAD_BYTES = 16 * 1024;

export interface RequestHead {
  method: string;
  target: string;
  path: string;
  rawQuery: string;
  httpVersion: string;
  headers: Record<string, string>;
}

export class HttpParseError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Index just past the blank line ending the head, or -1 when the head is incomplete. */
export function headEnd(buffer: Buffer): number {
  const index = buffer.indexOf('\r\n\r\n');
  return index < 0 ? -1 : index + 4;
}

function splitTarget(target: string): { path: string; rawQuery: string } {
  let pathAndQuery = target;
  if (/^https?:\/\//i.test(target)) {
    const url = new URL(target);
    pathAndQuery = url.pathname + url.search;
  }
  const q = pathAndQuery.indexOf('?');
  if (q < 0) return { path: pathAndQuery, rawQuery: '' };
  return { path: pathAndQuery.slice(0, q), rawQuery: pathAndQuery.slice(q + 1) };
}

export function parseHead(head: string): RequestHead {
  const lines = head.split('\r\n');
  const requestLine = lines.shift() ?? '';
  const match = /^([A-Z]+) (\S+) HTTP\/(1\.[01])$/.exec(requestLine);
  if (!match) throw new HttpParseError(400, `bad request line: ${JSON.stringify(requestLine.slice(0, 80))}`);
  const [, method, target, httpVersion] = match as unknown as [string, string, string, string];
  const headers: Record<string, string> = {};
  for (const line of lines) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpParseError(400, `bad header line: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  let split: { path: string; rawQuery: string };
  try {
    split = splitTarget(target);
  } catch {
    throw new HttpParseError(400, 'bad request target');
  }
  return { method, target, httpVersion, headers, ...split };
}

/**
 * Incremental decoder for `Transfer-Encoding: chunked` bodies. `push` returns the decoded bytes;
 * once the last chunk and trailers are read, `done` is set and `leftover` holds what followed.
 */
export class ChunkedDecoder {
  done = false;
  leftover: Buffer = Buffer.alloc(0);
  private pending: Buffer = Buffer.alloc(0);
  private remaining = 0; // bytes left in the current chunk's data
  private state: 'size' | 'data' | 'dataEnd' | 'trailer' = 'size';

  push(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.pending = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    while (!this.done && this.step(out)) {
      // keep stepping while progress is made
    }
    if (this.done) {
      this.leftover = this.pending;
      this.pending = Buffer.alloc(0);
    }
    return out;
  }

  private step(out: Buffer[]): boolean {
    if (this.state === 'data') {
      if (this.pending.length === 0) return false;
      const take = Math.min(this.remaining, this.pending.length);
      out.push(this.pending.subarray(0, take));
      this.pending = this.pending.subarray(take);
      this.remaining -= take;
      if (this.remaining === 0) this.state = 'dataEnd';
      return true;
    }
    const eol = this.pending.indexOf('\r\n');
    if (eol < 0) {
      if (this.pending.length > 4096) throw new HttpParseError(400, 'chunk header too long');
      return false;
    }
    const line = this.pending.subarray(0, eol).toString('latin1');
    this.pending = this.pending.subarray(eol + 2);
    if (this.state === 'dataEnd') {
      if (line !== '') throw new HttpParseError(400, 'missing CRLF after chunk data');
      this.state = 'size';
    } else if (this.state === 'size') {
      const size = Number.parseInt(line.split(';')[0] ?? '', 16);
      if (!Number.isFinite(size) || size < 0) throw new HttpParseError(400, 'bad chunk size');
      if (size === 0) this.state = 'trailer';
      else {
        this.remaining = size;
        this.state = 'data';
      }
    } else if (line === '') {
      this.done = true; // blank line after the trailers
    }
    return true;
  }
}
