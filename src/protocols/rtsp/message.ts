/**
 * RTSP 1.0 message codec (RFC 2326): requests out, responses (and the rare request a server
 * sends) in, with interleaved binary frames (`$` channel length data) mixed in the same byte
 * stream, which is what an RTSP connection carrying RTP over TCP looks like.
 *
 * Bounded: a head over MAX_HEAD_BYTES or a body over MAX_BODY_BYTES is an error, not a buffer
 * that grows with whatever a broken device sends.
 */

export const MAX_HEAD_BYTES = 16 * 1024;
export const MAX_BODY_BYTES = 64 * 1024;

/** Header names in lower case, every value kept (WWW-Authenticate may come several times). */
export type RtspHeaders = Record<string, string[]>;

export interface RtspResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: RtspHeaders;
  body: Buffer;
}

export interface RtspIncomingRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: RtspHeaders;
  body: Buffer;
}

export interface InterleavedFrame {
  kind: 'interleaved';
  channel: number;
  data: Buffer;
}

export type RtspFrame = RtspResponse | RtspIncomingRequest | InterleavedFrame;

export class RtspParseError extends Error {}

/** The first value of a header, trimmed. */
export function header(message: { headers: RtspHeaders }, name: string): string | undefined {
  return message.headers[name.toLowerCase()]?.[0]?.trim();
}

export interface OutgoingRequest {
  method: string;
  uri: string;
  cseq: number;
  /** Extra headers; undefined values are left out. */
  headers?: Record<string, string | undefined>;
  body?: Buffer;
}

/** One request, CSeq first (some devices look for it there), Content-Length only with a body. */
export function serializeRequest(request: OutgoingRequest): Buffer {
  for (const part of [request.method, request.uri]) {
    // A space or line break would let a value forge another header or request.
    if (!part || /[\s]/.test(part))
      throw new TypeError(`invalid RTSP request line part: ${JSON.stringify(part)}`);
  }
  const lines = [`${request.method} ${request.uri} RTSP/1.0`, `CSeq: ${request.cseq}`];
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value === undefined) continue;
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new TypeError(`invalid RTSP header ${name}`);
    lines.push(`${name}: ${value}`);
  }
  const body = request.body ?? Buffer.alloc(0);
  if (body.length > 0) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), body]);
}

/** `$`, channel, 16-bit length, data (RFC 2326 §10.12). */
export function interleavedFrame(channel: number, data: Uint8Array): Buffer {
  if (!(Number.isInteger(channel) && channel >= 0 && channel <= 255)) throw new RangeError('channel 0..255');
  if (data.length > 0xffff) throw new RangeError('interleaved data over 65535 bytes');
  const out = Buffer.allocUnsafe(4 + data.length);
  out[0] = 0x24;
  out[1] = channel;
  out.writeUInt16BE(data.length, 2);
  out.set(data, 4);
  return out;
}

/**
 * Incremental parser: `push` bytes as they arrive, get whole frames back. Throws RtspParseError
 * on bytes that cannot be RTSP (the connection is then beyond saving).
 */
export class RtspParser {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RtspFrame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: RtspFrame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) break;
      frames.push(frame);
    }
    return frames;
  }

  /** Bytes waiting for the rest of their frame. */
  get pending(): number {
    return this.buffer.length;
  }

  private next(): RtspFrame | undefined {
    // Some servers put extra line breaks between messages.
    let start = 0;
    while (start < this.buffer.length && (this.buffer[start] === 0x0d || this.buffer[start] === 0x0a))
      start++;
    if (start > 0) this.buffer = this.buffer.subarray(start);
    if (this.buffer.length === 0) return undefined;
    if (this.buffer[0] === 0x24) return this.nextInterleaved();
    return this.nextMessage();
  }

  private nextInterleaved(): InterleavedFrame | undefined {
    if (this.buffer.length < 4) return undefined;
    const length = this.buffer.readUInt16BE(2);
    if (this.buffer.length < 4 + length) return undefined;
    const frame: InterleavedFrame = {
      kind: 'interleaved',
      channel: this.buffer[1]!,
      // A copy: the parser's buffer is reused and must not be held by consumers.
      data: Buffer.from(this.buffer.subarray(4, 4 + length)),
    };
    this.buffer = this.buffer.subarray(4 + length);
    return frame;
  }

  private nextMessage(): RtspResponse | RtspIncomingRequest | undefined {
    const end = headEnd(this.buffer);
    if (!end) {
      if (this.buffer.length > MAX_HEAD_BYTES)
        throw new RtspParseError(`a message head over ${MAX_HEAD_BYTES} bytes`);
      // The start of the first line tells whether this can be RTSP at all: fail early on garbage
      // rather than wait for a head that never ends. A partial method name is still fine.
      const firstLine = this.buffer.subarray(0, Math.min(this.buffer.length, 32)).toString('latin1');
      if (firstLine.length >= 8 && !/^(RTSP\/|[A-Z_]+( |$))/.test(firstLine))
        throw new RtspParseError(`unexpected bytes ${JSON.stringify(firstLine.slice(0, 16))}`);
      return undefined;
    }
    if (end.headLength > MAX_HEAD_BYTES)
      throw new RtspParseError(`a message head over ${MAX_HEAD_BYTES} bytes`);
    const lines = this.buffer.subarray(0, end.headLength).toString('utf8').split(/\r?\n/);
    const headers = parseHeaders(lines.slice(1));
    const lengthText = headers['content-length']?.[0]?.trim() ?? '0';
    if (!/^\d+$/.test(lengthText)) throw new RtspParseError(`Content-Length "${lengthText}"`);
    const length = Number(lengthText);
    if (length > MAX_BODY_BYTES)
      throw new RtspParseError(`a body of ${length} bytes (limit ${MAX_BODY_BYTES})`);
    const total = end.headLength + end.separatorLength + length;
    if (this.buffer.length < total) return undefined;
    const body = Buffer.from(this.buffer.subarray(end.headLength + end.separatorLength, total));
    this.buffer = this.buffer.subarray(total);
    const first = lines[0] ?? '';
    const response = /^RTSP\/(\d)\.(\d)\s+(\d{3})(?:\s+(.*))?$/.exec(first);
    if (response) {
      return {
        kind: 'response',
        status: Number(response[3]),
        reason: response[4]?.trim() ?? '',
        headers,
        body,
      };
    }
    const request = /^([A-Z_]+)\s+(\S+)\s+RTSP\/\d\.\d$/.exec(first);
    if (request) return { kind: 'request', method: request[1]!, uri: request[2]!, headers, body };
    throw new RtspParseError(`start line ${JSON.stringify(first.slice(0, 80))}`);
  }
}

function headEnd(buffer: Buffer): { headLength: number; separatorLength: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  // Bare LF line ends are not RTSP, but a few embedded servers write them.
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { headLength: crlf, separatorLength: 4 };
  if (lf >= 0) return { headLength: lf, separatorLength: 2 };
  return undefined;
}

function parseHeaders(lines: string[]): RtspHeaders {
  const headers: RtspHeaders = {};
  let last: string[] | undefined;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last) {
      // Obsolete line folding: the value goes on.
      last[last.length - 1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] ??= [];
    headers[name].push(value);
    last = headers[name];
  }
  return headers;
}

export interface SessionHeader {
  id: string;
  /** Seconds; RFC 2326 says 60 when the server names none. */
  timeoutSeconds: number;
}

/** `Session: 12345678;timeout=60`. */
export function parseSessionHeader(value: string | undefined): SessionHeader | undefined {
  if (!value) return undefined;
  const [id, ...params] = value.split(';').map((part) => part.trim());
  if (!id) return undefined;
  let timeoutSeconds = 60;
  for (const param of params) {
    const match = /^timeout\s*=\s*(\d+)$/i.exec(param);
    if (match && Number(match[1]) > 0) timeoutSeconds = Number(match[1]);
  }
  return { id, timeoutSeconds };
}

export interface TransportHeader {
  protocol: string;
  /** The `interleaved=a-b` pair, when RTP goes over the RTSP connection. */
  interleaved?: [number, number];
  params: Record<string, string>;
}

/** The first transport of a `Transport:` header (servers answer with the one they chose). */
export function parseTransportHeader(value: string | undefined): TransportHeader | undefined {
  if (!value) return undefined;
  const first = value.split(',')[0]!;
  const [protocol, ...rest] = first.split(';').map((part) => part.trim());
  if (!protocol) return undefined;
  const params: Record<string, string> = {};
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) params[part.toLowerCase()] = '';
    else params[part.slice(0, eq).toLowerCase()] = part.slice(eq + 1);
  }
  const pair = /^(\d+)(?:-(\d+))?$/.exec(params.interleaved ?? '');
  const interleaved: [number, number] | undefined = pair
    ? [Number(pair[1]), pair[2] !== undefined ? Number(pair[2]) : Number(pair[1]) + 1]
    : undefined;
  return { protocol, params, ...(interleaved ? { interleaved } : {}) };
}
