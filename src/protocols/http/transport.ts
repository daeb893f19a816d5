/**
 * The raw transport under HttpClient: one exchange with the device's origin, with the
 * Authorization header it is handed (or none), and every failure turned into a DeviceError.
 * It knows nothing of logins: the authenticated client (client.ts) decides what to send.
 *
 * Keep-alive undici Clients are lent out per exchange (connections.ts). One exception: a
 * streamed request body sent with a fixed `Content-Length` (Hikvision two-way audio sends
 * `Content-Length: 0` and then keeps writing raw bytes) goes through a raw node:http request on
 * its own connection, because undici either refuses the length mismatch or warns on every chunk.
 *
 * Every exchange goes to the one origin given at construction: the request line carries a path,
 * never another host, so the credentials the client adds cannot reach another origin.
 */
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { discard, readLimited, readSome } from './body.ts';
import { Connections } from './connections.ts';
import { AbortedError, BodyTooLargeError, type DeviceError, TimeoutError } from './errors.ts';
import { type FailureContext, toDeviceError } from './failure.ts';
import { type Connector, createConnector } from './tls.ts';
import type { TlsOptions } from './types.ts';

/** Error pages (401 bodies, probe answers) are read this far and no further. */
const ERROR_BODY_LIMIT = 64 * 1024;

export type StreamBody = Readable | AsyncIterable<Uint8Array>;

/** One exchange as the client built it. */
export interface Target {
  method: string;
  /** Path and query exactly as sent; the Digest `uri` must match it byte for byte. */
  path: string;
  headers: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs: number;
}

/** What the authentication loop needs from any response, buffered or live. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  readErrorBody(): Promise<Buffer>;
  /** Drops the connection of an answer that will not be used (a live 401). */
  abort?(): void;
}

export interface BufferedAnswer extends Answer {
  body: Buffer;
}

export interface LiveAnswer extends Answer {
  body: Readable;
  /** Tears the connection down; idempotent. */
  abort(): void;
}

export interface TransportOptions {
  /** The device's origin (`http[s]://host:port`), already checked. */
  origin: URL;
  tls?: TlsOptions;
  connectTimeoutMs: number;
  /** Default headers / body timeout of the kept-alive connections. */
  requestTimeoutMs: number;
  onCertificate(fingerprint: string): void;
}

export class Transport {
  /** host:port, for messages. */
  readonly label: string;
  private readonly origin: URL;
  private readonly connector: Connector;
  private readonly connections: Connections;

  constructor(private readonly options: TransportOptions) {
    this.origin = options.origin;
    this.label = this.origin.host;
    this.connector = createConnector({
      label: this.label,
      tls: options.tls,
      connectTimeoutMs: options.connectTimeoutMs,
      onCertificate: options.onCertificate,
    });
    // Streams hold a connection of their own for as long as they live: requests always find one.
    this.connections = new Connections(
      this.origin.origin,
      {
        pipelining: 1,
        connect: this.connector,
        headersTimeout: options.requestTimeoutMs,
        bodyTimeout: options.requestTimeoutMs,
      },
      () => new AbortedError(this.label),
    );
  }

  /** One exchange, its body read into memory (at most `maxBytes`). */
  async sendBuffered(
    target: Target,
    body: Buffer | undefined,
    authorization: string | undefined,
    maxBytes: number,
  ): Promise<BufferedAnswer> {
    const connection = this.connections.take();
    try {
      const response = await connection.request({
        ...dispatchBase(target, authorization),
        body,
        signal: target.signal,
        headersTimeout: target.timeoutMs,
        bodyTimeout: target.timeoutMs,
      });
      const headers = normalizeHeaders(response.headers);
      const buffer = await this.readBody(target, response.body, headers, maxBytes);
      return { status: response.statusCode, headers, body: buffer, readErrorBody: async () => buffer };
    } catch (error) {
      throw this.fail(error, target);
    } finally {
      // Read to the end or torn down by undici: either way the next exchange can use it.
      this.connections.giveBack(connection);
    }
  }

  /** One exchange whose answer stays open (event stream, audio upload) until it is dropped. */
  sendLive(target: Target, body: Buffer | StreamBody | undefined, auth?: string): Promise<LiveAnswer> {
    if (isStreamBody(body) && 'content-length' in target.headers) return this.sendRaw(target, body, auth);
    return this.sendLiveUndici(target, body, auth);
  }

  /** Turns whatever broke into the DeviceError the user reads. */
  fail(error: unknown, target: Target): DeviceError {
    const context: FailureContext = {
      label: this.label,
      connectTimeoutMs: this.options.connectTimeoutMs,
      timeoutMs: target.timeoutMs,
      signal: target.signal,
    };
    return toDeviceError(error, context);
  }

  close(): Promise<void> {
    return this.connections.close();
  }

  private async readBody(
    target: Target,
    body: Readable,
    headers: Record<string, string>,
    maxBytes: number,
  ): Promise<Buffer> {
    const tooLarge = () => new BodyTooLargeError(this.label, maxBytes);
    // HEAD answers announce the length of a body they do not send.
    if (target.method !== 'HEAD' && Number(headers['content-length']) > maxBytes) {
      discard(body);
      throw tooLarge();
    }
    return readLimited(body, maxBytes, tooLarge);
  }

  private async sendLiveUndici(
    target: Target,
    body: Buffer | StreamBody | undefined,
    authorization: string | undefined,
  ): Promise<LiveAnswer> {
    const controller = new AbortController();
    const signal = target.signal ? AbortSignal.any([controller.signal, target.signal]) : controller.signal;
    const deadline = new Deadline(target.timeoutMs, () => controller.abort(this.timeout(target)));
    const requestBody = isStreamBody(body)
      ? Readable.from(
          afterLastChunk(body, () => deadline.start()),
          { objectMode: false },
        )
      : body;
    if (!isStreamBody(body)) deadline.start();
    // A live answer keeps its connection until it is dropped.
    const connection = this.connections.take();
    try {
      const response = await connection.request({
        ...dispatchBase(target, authorization),
        body: requestBody,
        signal,
        // Both are enforced here instead: headers only once the body is out, the body by idleTimeoutMs.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      return this.liveAnswer(target, response.statusCode, response.headers, response.body, () => {
        // A 401 whose short body was read to the end leaves a connection the next try can use.
        if (response.body.readableEnded) return this.connections.giveBack(connection);
        discard(response.body);
        this.connections.drop(connection);
      });
    } catch (error) {
      this.connections.drop(connection);
      throw this.fail(error, target);
    } finally {
      deadline.clear();
    }
  }

  /** Streamed upload with a fixed Content-Length header, on a connection of its own (see file header). */
  private async sendRaw(
    target: Target,
    body: StreamBody,
    authorization: string | undefined,
  ): Promise<LiveAnswer> {
    const socket = await this.connectRaw(target);
    return new Promise<LiveAnswer>((resolve, reject) => {
      const request = httpRequest({
        method: target.method,
        path: target.path,
        host: this.origin.hostname,
        port: this.origin.port || undefined,
        headers: { ...withAuthorization(target.headers, authorization), connection: 'close' },
        createConnection: () => socket,
      });
      const abort = () => {
        request.destroy();
        socket.destroy();
      };
      const deadline = new Deadline(target.timeoutMs, () => request.destroy(this.timeout(target)));
      const onAbort = () => request.destroy(new AbortedError(this.label));
      target.signal?.addEventListener('abort', onAbort, { once: true });
      request.once('close', () => target.signal?.removeEventListener('abort', onAbort));
      request.on('error', (error) => {
        deadline.clear();
        reject(this.fail(error, target));
      });
      request.once('response', (response: IncomingMessage) => {
        deadline.clear();
        resolve(this.liveAnswer(target, response.statusCode ?? 0, response.headers, response, abort));
      });
      // The device must see the request head before the first audio byte exists.
      request.flushHeaders();
      pumpBody(body, request).then(
        () => deadline.start(),
        () => request.destroy(new AbortedError(this.label)),
      );
    });
  }

  private connectRaw(target: Target): Promise<Socket> {
    const { host, protocol, port } = this.origin;
    const hostname = this.origin.hostname.replace(/^\[(.*)\]$/, '$1'); // IPv6 literal without brackets
    return new Promise((resolve, reject) => {
      this.connector({ hostname, host, protocol, port }, (error, socket) => {
        if (error) return reject(this.fail(error, target));
        if (target.signal?.aborted) {
          socket!.destroy();
          return reject(new AbortedError(this.label));
        }
        resolve(socket!);
      });
    });
  }

  private liveAnswer(
    target: Target,
    status: number,
    rawHeaders: RawHeaders,
    body: Readable,
    abort: () => void,
  ): LiveAnswer {
    return {
      status,
      headers: normalizeHeaders(rawHeaders),
      body,
      abort,
      readErrorBody: () => readSome(body, ERROR_BODY_LIMIT, target.timeoutMs),
    };
  }

  private timeout(target: Target): TimeoutError {
    return new TimeoutError(this.label, 'response', target.timeoutMs);
  }
}

type RawHeaders = Record<string, string | string[] | undefined>;

/** Lower-case names, repeated headers joined with ", ". */
export function normalizeHeaders(raw: RawHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const joined = Array.isArray(value) ? value.join(', ') : String(value);
    headers[key] = key in headers ? `${headers[key]}, ${joined}` : joined;
  }
  return headers;
}

export function isStreamBody(body: unknown): body is StreamBody {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body;
}

function dispatchBase(target: Target, authorization: string | undefined) {
  return {
    method: target.method as Dispatcher.HttpMethod,
    path: target.path,
    headers: withAuthorization(target.headers, authorization),
  };
}

function withAuthorization(headers: Record<string, string>, authorization: string | undefined) {
  return authorization === undefined ? headers : { ...headers, authorization };
}

/** Passes `source` through and calls `onDone` once the last chunk has been handed over. */
async function* afterLastChunk(source: StreamBody, onDone: () => void): AsyncIterable<Uint8Array> {
  for await (const chunk of source) yield chunk;
  onDone();
}

/** Writes a streamed body with back-pressure; stops quietly if the request dies first. */
async function pumpBody(source: StreamBody, request: ClientRequest): Promise<void> {
  for await (const chunk of source) {
    if (request.destroyed) return;
    if (!request.write(chunk)) await drainedOrClosed(request);
  }
  if (!request.destroyed) request.end();
}

function drainedOrClosed(request: ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      request.off('drain', done);
      request.off('close', done);
      resolve();
    };
    request.once('drain', done);
    request.once('close', done);
  });
}

/** A timer that can be armed later (e.g. once a streamed body is sent) and disarmed any time. */
class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private cleared = false;

  constructor(
    private readonly ms: number,
    private readonly onExpire: () => void,
  ) {}

  start(): void {
    if (this.cleared || this.timer || !(this.ms > 0)) return;
    this.timer = setTimeout(this.onExpire, this.ms);
  }

  clear(): void {
    this.cleared = true;
    clearTimeout(this.timer);
  }
}
