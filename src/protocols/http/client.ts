/**
 * HTTP(S) client for one device: authentication (Digest / Basic), per-device concurrency,
 * timeouts, body limits and certificate pinning, with every failure turned into a DeviceError.
 *
 * Transport: keep-alive undici Clients lent out per exchange (connections.ts). One exception: a
 * streamed request body sent with a fixed `Content-Length` (Hikvision two-way audio sends
 * `Content-Length: 0` and then keeps writing raw bytes) goes through a raw node:http request on
 * its own connection, because undici either refuses the length mismatch or warns on every chunk.
 */
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { type AuthPlan, AuthState, type Challenge } from './auth.ts';
import { discard, readLimited, readSome, watchBody } from './body.ts';
import { Connections } from './connections.ts';
import {
  AbortedError,
  AuthUnsupportedError,
  BodyTooLargeError,
  type DeviceError,
  QueueFullError,
  TimeoutError,
} from './errors.ts';
import { type FailureContext, toDeviceError } from './failure.ts';
import { ConcurrencyLimiter, type Release } from './limiter.ts';
import { type Connector, createConnector } from './tls.ts';
import type {
  AuthMode,
  HttpClientOptions,
  HttpResponse,
  RequestBody,
  RequestOptions,
  StreamOptions,
  StreamResponse,
} from './types.ts';

export { normalizeFingerprint } from './tls.ts';

const DEFAULTS = {
  auth: 'auto' as AuthMode,
  maxConcurrent: 2,
  maxQueued: 64,
  maxStreams: 4,
  connectTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  maxBodyBytes: 8 * 1024 * 1024,
  authRetryDelayMs: 60_000,
};

/** A replayable request (buffered body) may take: anonymous or cached try, fresh challenge, stale re-challenge. */
const MAX_SENDS = 3;
/** Error pages (401 bodies, probe answers) are read this far and no further. */
const ERROR_BODY_LIMIT = 64 * 1024;

type Settings = typeof DEFAULTS;
type StreamBody = Readable | AsyncIterable<Uint8Array>;

interface Target {
  method: string;
  /** Path and query exactly as sent; the Digest `uri` must match it byte for byte. */
  path: string;
  headers: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs: number;
}

/** What the authentication loop needs from any response, buffered or live. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  readErrorBody(): Promise<Buffer>;
  /** Drops the connection of an answer that will not be used (a live 401). */
  abort?(): void;
}

interface BufferedAnswer extends Answer {
  body: Buffer;
}

interface LiveAnswer extends Answer {
  body: Readable;
  /** Tears the connection down; idempotent. */
  abort(): void;
}

type Send<T extends Answer> = (authorization: string | undefined) => Promise<T>;

export class HttpClient {
  private readonly origin: URL;
  private readonly label: string;
  private readonly settings: Settings;
  private readonly connector: Connector;
  private readonly connections: Connections;
  private readonly limiter: ConcurrencyLimiter;
  private readonly auth: AuthState;
  private readonly openStreams = new Set<() => void>();
  private streamSlots = 0;
  private lastFingerprint: string | undefined;
  private closed = false;

  constructor(private readonly options: HttpClientOptions) {
    this.origin = parseBaseUrl(options.baseUrl);
    this.label = this.origin.host;
    this.settings = withDefaults(options);
    this.connector = createConnector({
      label: this.label,
      tls: options.tls,
      connectTimeoutMs: this.settings.connectTimeoutMs,
      onCertificate: (fingerprint) => this.rememberCertificate(fingerprint),
    });
    // Streams hold a connection of their own for as long as they live: requests always find one.
    this.connections = new Connections(
      this.origin.origin,
      {
        pipelining: 1,
        connect: this.connector,
        headersTimeout: this.settings.requestTimeoutMs,
        bodyTimeout: this.settings.requestTimeoutMs,
      },
      () => new AbortedError(this.label),
    );
    this.limiter = new ConcurrencyLimiter({
      maxConcurrent: this.settings.maxConcurrent,
      maxQueued: this.settings.maxQueued,
      label: this.label,
    });
    this.auth = new AuthState({
      label: this.label,
      mode: this.settings.auth,
      credentials: credentialsFrom(options),
      authRetryDelayMs: this.settings.authRetryDelayMs,
      inspectAuthFailure: options.inspectAuthFailure,
    });
  }

  /** SHA-256 fingerprint of the certificate the device presented last, `AB:CD:...`. */
  get certificateFingerprint(): string | undefined {
    return this.lastFingerprint;
  }

  /** Until when requests fail without reaching the device after a refused login (epoch ms). */
  get authBlockedUntil(): number | undefined {
    return this.auth.blockedUntil;
  }

  /** Sends a request and buffers the response. Waits for one of `maxConcurrent` slots. */
  async request(options: RequestOptions): Promise<HttpResponse> {
    const target = this.target(options, options.timeoutMs);
    this.auth.throwIfBlocked();
    const release = await this.limiter.acquire(options.signal);
    try {
      this.assertOpen();
      const body = toBuffer(options.body);
      const maxBytes = options.maxBodyBytes ?? this.settings.maxBodyBytes;
      const answer = await this.authenticate(target, (auth) =>
        this.sendBuffered(target, body, auth, maxBytes),
      );
      return { status: answer.status, headers: answer.headers, body: answer.body };
    } finally {
      release();
    }
  }

  /**
   * Opens a long-lived exchange (event stream, audio). Does not take a request slot; at most
   * `maxStreams` are open at once. Resolves once the response headers are in.
   *
   * A Readable / AsyncIterable body cannot be sent twice, so the challenge is fetched first with
   * an empty unauthenticated request (no side effect on a device that wants a login; on one that
   * does not, that empty request is executed too). Then the body goes out once, authenticated.
   * For such bodies the headers timeout starts when the body has been sent completely.
   */
  async stream(options: StreamOptions): Promise<StreamResponse> {
    const target = this.target(options, options.timeoutMs);
    this.auth.throwIfBlocked();
    const releaseSlot = this.takeStreamSlot();
    try {
      const answer = await this.openStream(target, options.body);
      return this.exposeStream(target, answer, options.idleTimeoutMs, releaseSlot);
    } catch (error) {
      releaseSlot();
      throw error;
    }
  }

  /** Forgets the cached challenge, lifts the auth block and optionally switches credentials. */
  resetAuth(credentials?: { username: string; password: string }): void {
    this.auth.reset(credentials);
  }

  /** Cancels waiting requests, closes open streams and connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.limiter.rejectWaiting(new AbortedError(this.label));
    for (const closeStream of [...this.openStreams]) closeStream();
    await this.connections.close();
  }

  private async authenticate<T extends Answer>(
    target: Target,
    send: Send<T>,
    start: { challenge?: Challenge; maxSends?: number } = {},
  ): Promise<T> {
    if (!this.auth.enabled) return send(undefined);
    let challenge = start.challenge;
    const maxSends = start.maxSends ?? MAX_SENDS;
    for (let sends = 1; ; sends++) {
      const outcome = await this.attempt(target, challenge, send);
      if ('answer' in outcome) return outcome.answer;
      challenge = outcome.challenge;
      if (sends >= maxSends) throw this.cannotRetry();
    }
  }

  /** One send; the login gate is held until the verdict so waiting requests see a resulting block. */
  private async attempt<T extends Answer>(
    target: Target,
    challenge: Challenge | undefined,
    send: Send<T>,
  ): Promise<{ answer: T } | { challenge: Challenge }> {
    const release = await this.auth.enterGate(challenge, target.signal);
    try {
      this.auth.throwIfBlocked();
      const plan = this.plan(target, challenge);
      const answer = await send(plan.authorization);
      if (answer.status !== 401) {
        this.auth.succeeded(plan);
        return { answer };
      }
      try {
        return { challenge: await this.judge401(plan, answer) };
      } finally {
        answer.abort?.();
      }
    } finally {
      release();
    }
  }

  private plan(target: Target, challenge: Challenge | undefined): AuthPlan {
    if (challenge) return this.auth.answer(challenge, target.method, target.path);
    return this.auth.preemptive(target.method, target.path);
  }

  private async judge401(plan: AuthPlan, answer: Answer): Promise<Challenge> {
    const body = await answer.readErrorBody();
    return this.auth.onUnauthorized(plan, { status: answer.status, headers: answer.headers, body });
  }

  private cannotRetry(): DeviceError {
    return new AuthUnsupportedError(
      this.label,
      'kept asking for a new login challenge (stale nonce) and the request could not be sent again',
    );
  }

  private async sendBuffered(
    target: Target,
    body: Buffer | undefined,
    authorization: string | undefined,
    maxBytes: number,
  ): Promise<BufferedAnswer> {
    const connection = this.connections.take();
    try {
      const response = await connection.request({
        ...this.dispatchBase(target, authorization),
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

  private async openStream(target: Target, body: StreamOptions['body']): Promise<LiveAnswer> {
    if (body === undefined || isReplayable(body)) {
      const buffer = toBuffer(body);
      return this.authenticate(target, (auth) => this.sendLive(target, buffer, auth));
    }
    const challenge = await this.probeChallenge(target);
    return this.authenticate(target, (auth) => this.sendLive(target, body, auth), { challenge, maxSends: 1 });
  }

  /**
   * Fetches a fresh challenge with an empty, unauthenticated request before a body that cannot
   * be replayed. Even with a cached nonce this is done: if that nonce had gone stale, the
   * device's 401 would arrive after the body was spent.
   */
  private async probeChallenge(target: Target): Promise<Challenge | undefined> {
    if (!this.auth.enabled || !this.auth.hasCredentials || this.auth.sendsBasicUpfront) return undefined;
    const headers = withoutBodyHeaders(target.headers);
    const probe = await this.sendLive({ ...target, headers }, undefined, undefined);
    try {
      if (probe.status !== 401) return undefined;
      const plan: AuthPlan = { scheme: 'none', proving: false };
      return await this.judge401(plan, probe);
    } finally {
      probe.abort();
    }
  }

  private sendLive(
    target: Target,
    body: Buffer | StreamBody | undefined,
    auth?: string,
  ): Promise<LiveAnswer> {
    if (isStreamBody(body) && 'content-length' in target.headers) return this.sendRaw(target, body, auth);
    return this.sendLiveUndici(target, body, auth);
  }

  private async sendLiveUndici(
    target: Target,
    body: Buffer | StreamBody | undefined,
    authorization: string | undefined,
  ): Promise<LiveAnswer> {
    const controller = new AbortController();
    const signal = target.signal ? AbortSignal.any([controller.signal, target.signal]) : controller.signal;
    const deadline = new Deadline(target.timeoutMs, () => controller.abort(this.timeout(target, 'response')));
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
        ...this.dispatchBase(target, authorization),
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
      const deadline = new Deadline(target.timeoutMs, () =>
        request.destroy(this.timeout(target, 'response')),
      );
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

  private exposeStream(
    target: Target,
    answer: LiveAnswer,
    idleMs: number | undefined,
    releaseSlot: Release,
  ): StreamResponse {
    const close = () => body.destroy();
    const body = watchBody(answer.body, {
      idleTimeoutMs: idleMs,
      idleError: () => new TimeoutError(this.label, 'idle', idleMs ?? 0),
      mapError: (error) => this.fail(error, target),
      onClose: () => {
        answer.abort();
        this.openStreams.delete(close);
        releaseSlot();
      },
    });
    this.openStreams.add(close);
    return { status: answer.status, headers: answer.headers, body, close };
  }

  private takeStreamSlot(): Release {
    if (this.streamSlots >= this.settings.maxStreams)
      throw new QueueFullError(this.label, this.settings.maxStreams);
    this.streamSlots++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.streamSlots--;
    };
  }

  private target(options: RequestOptions | StreamOptions, timeoutMs: number | undefined): Target {
    this.assertOpen();
    if (!options.path.startsWith('/')) throw new TypeError(`path must start with "/": ${options.path}`);
    return {
      method: options.method ?? 'GET',
      path: options.path,
      headers: lowerCaseKeys(options.headers ?? {}),
      signal: options.signal,
      timeoutMs: timeoutMs ?? this.settings.requestTimeoutMs,
    };
  }

  private dispatchBase(target: Target, authorization: string | undefined) {
    return {
      method: target.method as Dispatcher.HttpMethod,
      path: target.path,
      headers: withAuthorization(target.headers, authorization),
    };
  }

  private fail(error: unknown, target: Target): DeviceError {
    const context: FailureContext = {
      label: this.label,
      connectTimeoutMs: this.settings.connectTimeoutMs,
      timeoutMs: target.timeoutMs,
      signal: target.signal,
    };
    return toDeviceError(error, context);
  }

  private timeout(target: Target, phase: 'response'): TimeoutError {
    return new TimeoutError(this.label, phase, target.timeoutMs);
  }

  private assertOpen(): void {
    if (this.closed) throw new AbortedError(this.label);
  }

  private rememberCertificate(fingerprint: string): void {
    this.lastFingerprint = fingerprint;
    try {
      this.options.onCertificate?.(fingerprint);
    } catch {
      // A failing observer must not break the connection it observes.
    }
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

function parseBaseUrl(baseUrl: string): URL {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`baseUrl must be http:// or https://, got ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new TypeError('baseUrl must not contain credentials; pass username and password separately');
  }
  return url;
}

function withDefaults(options: HttpClientOptions): Settings {
  const pick = <K extends keyof Settings>(key: K): Settings[K] =>
    (options[key] ?? DEFAULTS[key]) as Settings[K];
  return {
    auth: pick('auth'),
    maxConcurrent: pick('maxConcurrent'),
    maxQueued: pick('maxQueued'),
    maxStreams: pick('maxStreams'),
    connectTimeoutMs: pick('connectTimeoutMs'),
    requestTimeoutMs: pick('requestTimeoutMs'),
    maxBodyBytes: pick('maxBodyBytes'),
    authRetryDelayMs: pick('authRetryDelayMs'),
  };
}

function credentialsFrom(options: HttpClientOptions): { username: string; password: string } | undefined {
  if (options.username === undefined || options.username === '') return undefined;
  return { username: options.username, password: options.password ?? '' };
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function withAuthorization(headers: Record<string, string>, authorization: string | undefined) {
  return authorization === undefined ? headers : { ...headers, authorization };
}

function withoutBodyHeaders(headers: Record<string, string>): Record<string, string> {
  const { 'content-length': _length, 'transfer-encoding': _encoding, ...rest } = headers;
  return rest;
}

function toBuffer(body: RequestBody | undefined): Buffer | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function isReplayable(body: StreamOptions['body']): body is RequestBody {
  return typeof body === 'string' || body instanceof Uint8Array;
}

function isStreamBody(body: unknown): body is StreamBody {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body;
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
