/**
 * One client connection: parses requests one at a time (keep-alive, pipelining served in order),
 * hands them to the handler and writes responses byte for byte.
 */
import type { Socket } from 'node:net';
import {
  ChunkedDecoder,
  HttpParseError,
  headEnd,
  MAX_HEAD_BYTES,
  parseHead,
  type RequestHead,
} from './parse.ts';

export const MAX_BODY_BYTES = 8 * 1024 * 1024;
const IDLE_TIMEOUT_MS = 60_000;

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export type HeaderValue = string | number | string[];
export type Headers = Record<string, HeaderValue>;

/** Receives a raw request body that keeps flowing after the head (two-way audio upload). */
export interface RawSink {
  onData(chunk: Buffer): void;
  onEnd(): void;
}

/**
 * Offered for requests the server marked as raw uploads. Until `accept` is called nothing is
 * consumed, so a rejected upload (e.g. the 401 of the digest dance) leaves the connection usable.
 */
export interface RawBody {
  accept(sink: RawSink): void;
}

export interface HttpRequest extends RequestHead {
  query: URLSearchParams;
  body: Buffer;
  /** Set instead of `body` when the server's `isRawUpload` said so. */
  rawBody?: RawBody;
  remoteAddress: string;
}

export type SendTransform = (status: number, headers: Headers, body: Buffer) => [number, Headers, Buffer];

export class HttpResponse {
  status = 0;
  headersSent = false;
  finished = false;
  /** Told the status as soon as the head is written (request log). */
  onHead: ((status: number) => void) | undefined;
  /** Rewrites complete responses (the malformedXml fault). */
  transform: SendTransform | undefined;
  /** The clock behind the `Date` header: a simulated device's own, which may be off. */
  now: () => Date = () => new Date();
  private closeListeners: Array<() => void> = [];

  constructor(
    readonly socket: Socket,
    private readonly keepAliveWanted: () => boolean,
    private readonly isHead: boolean,
    private readonly onDone: (reuse: boolean) => void,
  ) {
    socket.once('close', this.notifyClose);
  }

  private readonly notifyClose = (): void => {
    for (const listener of this.closeListeners) listener();
    this.closeListeners = [];
  };

  get writableLength(): number {
    return this.socket.writableLength;
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }

  onClose(listener: () => void): void {
    if (this.socket.destroyed) listener();
    else this.closeListeners.push(listener);
  }

  /** A complete response with Content-Length; the connection is reused when the client allows. */
  send(status: number, headers: Headers, body: Buffer | string = ''): void {
    if (this.finished || this.socket.destroyed) return;
    let payload = typeof body === 'string' ? Buffer.from(body) : body;
    if (this.transform) [status, headers, payload] = this.transform(status, headers, payload);
    const keepAlive = this.keepAliveWanted();
    const head = this.head(status, {
      ...headers,
      'Content-Length': payload.length,
      Connection: keepAlive ? 'keep-alive' : 'close',
    });
    this.socket.write(this.isHead ? head : Buffer.concat([head, payload]));
    this.finished = true;
    // The socket may serve many more requests (keep-alive): this response no longer cares when it closes.
    this.socket.off('close', this.notifyClose);
    this.closeListeners = [];
    this.onDone(keepAlive);
  }

  /** Headers of a body that ends when the connection closes (alertStream, audio download). */
  startStream(status: number, headers: Headers): void {
    if (this.headersSent || this.socket.destroyed) return;
    this.socket.write(this.head(status, { ...headers, Connection: 'close' }));
  }

  write(chunk: Buffer | string): boolean {
    if (this.socket.destroyed || this.finished) return false;
    return this.socket.write(chunk);
  }

  /** End a streamed body: the connection closes, as on devices. */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.socket.end();
    this.onDone(false);
  }

  /** Drop the connection without an answer (or mid-answer). */
  destroy(): void {
    this.finished = true;
    this.socket.destroy();
  }

  private head(status: number, headers: Headers): Buffer {
    this.status = status;
    this.headersSent = true;
    this.onHead?.(status);
    let text = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Status'}\r\nDate: ${this.now().toUTCString()}\r\n`;
    for (const [name, value] of Object.entries(headers)) {
      for (const item of Array.isArray(value) ? value : [value]) text += `${name}: ${item}\r\n`;
    }
    return Buffer.from(`${text}\r\n`, 'latin1');
  }
}

export interface ConnectionOptions {
  handler: (req: HttpRequest, res: HttpResponse) => void;
  isRawUpload: (head: RequestHead) => boolean;
}

type Mode = 'head' | 'body' | 'chunked' | 'busy' | 'rawOffered' | 'raw' | 'closing';

/** Unparsed bytes a connection may hold while a response is pending (pipelining). */
const MAX_PENDING_BYTES = MAX_HEAD_BYTES + MAX_BODY_BYTES;

export function serveConnection(socket: Socket, options: ConnectionOptions): void {
  let buffer: Buffer = Buffer.alloc(0);
  let mode: Mode = 'head';
  let head: RequestHead | undefined;
  let bodyLength = 0;
  let chunked: ChunkedDecoder | undefined;
  let chunks: Buffer[] = [];
  let chunkedSize = 0;
  let raw: RawStream | undefined;

  socket.setNoDelay(true);
  socket.setTimeout(IDLE_TIMEOUT_MS, () => {
    if (mode === 'head' && buffer.length === 0) socket.destroy();
  });
  socket.on('error', () => socket.destroy());
  socket.on('data', (data: Buffer) => {
    if (mode === 'raw') return raw?.feed(data);
    if (mode === 'closing') return;
    buffer = buffer.length ? Buffer.concat([buffer, data]) : data;
    if (buffer.length > MAX_PENDING_BYTES) {
      socket.destroy(); // a client flooding a connection whose answer is pending
      return;
    }
    pump();
  });
  socket.on('end', () => raw?.end());
  socket.on('close', () => raw?.end());

  function fail(status: number, message: string): void {
    const body = `${message}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: text/plain\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    mode = 'closing';
    buffer = Buffer.alloc(0);
  }

  function pump(): void {
    try {
      while (step()) {
        // parse as long as complete pieces are available
      }
    } catch (error) {
      if (error instanceof HttpParseError) {
        fail(error.status, error.message);
        return;
      }
      // A simulator bug must not take the test process down with it: drop this connection.
      console.error('[sim] connection handler failed:', error);
      mode = 'closing';
      socket.destroy();
    }
  }

  function step(): boolean {
    if (mode === 'head') return readHead();
    if (mode === 'body') return readBody();
    if (mode === 'chunked') return readChunked();
    return false;
  }

  function readHead(): boolean {
    // Tolerate stray CRLFs between pipelined requests (RFC 9112 §2.2).
    while (buffer.length >= 2 && buffer[0] === 13 && buffer[1] === 10) buffer = buffer.subarray(2);
    const end = headEnd(buffer);
    if (end < 0) {
      if (buffer.length > MAX_HEAD_BYTES) throw new HttpParseError(431, 'request head too large');
      return false;
    }
    head = parseHead(buffer.subarray(0, end - 4).toString('latin1'));
    buffer = buffer.subarray(end);
    if (options.isRawUpload(head)) {
      offerRaw(head);
      return false;
    }
    if (/\bchunked\b/i.test(head.headers['transfer-encoding'] ?? '')) {
      chunked = new ChunkedDecoder();
      chunks = [];
      chunkedSize = 0;
      mode = 'chunked';
      return true;
    }
    bodyLength = declaredLength(head);
    if (bodyLength > MAX_BODY_BYTES) throw new HttpParseError(413, 'body too large');
    mode = 'body';
    return true;
  }

  function readBody(): boolean {
    if (buffer.length < bodyLength) return false;
    const body = buffer.subarray(0, bodyLength);
    buffer = buffer.subarray(bodyLength);
    dispatch(body);
    return false;
  }

  function readChunked(): boolean {
    const decoder = chunked!;
    const pieces = decoder.push(buffer);
    buffer = Buffer.alloc(0);
    for (const piece of pieces) {
      chunkedSize += piece.length;
      if (chunkedSize > MAX_BODY_BYTES) throw new HttpParseError(413, 'body too large');
      chunks.push(piece);
    }
    if (!decoder.done) return false;
    buffer = decoder.leftover;
    dispatch(Buffer.concat(chunks));
    return false;
  }

  function dispatch(body: Buffer, rawBody?: RawBody): void {
    const requestHead = head!;
    const request = makeRequest(requestHead, body, rawBody, socket.remoteAddress ?? '');
    mode = rawBody ? 'rawOffered' : 'busy';
    // An accepted raw upload owns the socket: its response must not promise keep-alive. A refused
    // one leaves the connection reusable only if no body bytes can follow its head.
    const keepAlive = () =>
      mode !== 'raw' && keepAliveWanted(requestHead) && (!rawBody || canReuseAfter(requestHead));
    const response = new HttpResponse(socket, keepAlive, requestHead.method === 'HEAD', (reuse) => {
      if (mode === 'raw') return;
      if (!reuse) {
        socket.end();
        return;
      }
      mode = 'head';
      setImmediate(pump); // next pipelined request, after this response is on the wire
    });
    options.handler(request, response);
  }

  function offerRaw(requestHead: RequestHead): void {
    dispatch(Buffer.alloc(0), {
      accept(sink) {
        if (mode !== 'rawOffered') return;
        mode = 'raw';
        raw = new RawStream(sink, requestHead);
        const pending = buffer;
        buffer = Buffer.alloc(0);
        if (pending.length) raw.feed(pending);
      },
    });
  }
}

/** A rejected raw upload leaves the connection reusable only if no body bytes can follow. */
function canReuseAfter(head: RequestHead): boolean {
  return declaredLength(head) === 0 && !/\bchunked\b/i.test(head.headers['transfer-encoding'] ?? '');
}

function declaredLength(head: RequestHead): number {
  const length = Number(head.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length < 0) throw new HttpParseError(400, 'bad Content-Length');
  return length;
}

/** Delivers raw upload bytes: chunked-decoded when so declared, capped by a real Content-Length. */
class RawStream {
  private readonly decoder: ChunkedDecoder | undefined;
  private remaining: number;
  private ended = false;

  constructor(
    private readonly sink: RawSink,
    head: RequestHead,
  ) {
    this.decoder = /\bchunked\b/i.test(head.headers['transfer-encoding'] ?? '')
      ? new ChunkedDecoder()
      : undefined;
    const declared = Number(head.headers['content-length'] ?? 0);
    // Content-Length 0 or absent: devices read until the socket closes.
    this.remaining = Number.isInteger(declared) && declared > 0 ? declared : Number.POSITIVE_INFINITY;
  }

  feed(data: Buffer): void {
    if (this.ended || this.remaining <= 0) return;
    let pieces = [data];
    if (this.decoder) {
      try {
        pieces = this.decoder.push(data);
      } catch {
        pieces = [];
      }
    }
    for (let piece of pieces) {
      if (piece.length > this.remaining) piece = piece.subarray(0, this.remaining);
      this.remaining -= piece.length;
      if (piece.length) this.sink.onData(piece);
    }
    // A body with a real length (or a finished chunked body) ends the upload like a closed socket.
    if (this.remaining <= 0 || this.decoder?.done) this.end();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.onEnd();
  }
}

function keepAliveWanted(head: RequestHead): boolean {
  const connection = (head.headers.connection ?? '').toLowerCase();
  if (head.httpVersion === '1.0') return connection.includes('keep-alive');
  return !connection.includes('close');
}

function makeRequest(
  head: RequestHead,
  body: Buffer,
  rawBody: RawBody | undefined,
  remoteAddress: string,
): HttpRequest {
  return { ...head, query: new URLSearchParams(head.rawQuery), body, rawBody, remoteAddress };
}
