/**
 * HTTP(S) client for one device: authentication (Digest / Basic), per-device concurrency,
 * timeouts, body limits and certificate pinning, with every failure turned into a DeviceError.
 *
 * This is the authenticated side: which Authorization goes with which try, the login gate, the
 * block after a refused login, stream slots. Sending bytes is the raw transport's (transport.ts).
 * The credentials belong to the one origin in `baseUrl`: every exchange goes there, as a path
 * that cannot name another host, and redirects are never followed (a 3xx is the answer).
 */
import { type AuthPlan, AuthState, type Challenge } from './auth.ts';
import { watchBody } from './body.ts';
import {
  AbortedError,
  AuthUnsupportedError,
  type DeviceError,
  QueueFullError,
  TimeoutError,
} from './errors.ts';
import { ConcurrencyLimiter, type Release } from './limiter.ts';
import { once } from './once.ts';
import { type Answer, type LiveAnswer, type Target, Transport } from './transport.ts';
import type {
  AuthMode,
  HttpClientOptions,
  HttpResponse,
  RequestBody,
  RequestOptions,
  StreamOptions,
  StreamResponse,
} from './types.ts';
import { isOriginFormPath } from './url-policy.ts';

export { normalizeFingerprint } from './tls.ts';
export { normalizeHeaders } from './transport.ts';

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

type Settings = typeof DEFAULTS;

type Send<T extends Answer> = (authorization: string | undefined) => Promise<T>;

export class HttpClient {
  private readonly label: string;
  private readonly settings: Settings;
  private readonly transport: Transport;
  private readonly limiter: ConcurrencyLimiter;
  private readonly auth: AuthState;
  private readonly openStreams = new Set<() => void>();
  private streamSlots = 0;
  private lastFingerprint: string | undefined;
  private closed = false;

  constructor(private readonly options: HttpClientOptions) {
    const origin = parseBaseUrl(options.baseUrl);
    this.label = origin.host;
    this.settings = withDefaults(options);
    this.transport = new Transport({
      origin,
      tls: options.tls,
      connectTimeoutMs: this.settings.connectTimeoutMs,
      requestTimeoutMs: this.settings.requestTimeoutMs,
      onCertificate: (fingerprint) => this.rememberCertificate(fingerprint),
    });
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
        this.transport.sendBuffered(target, body, auth, maxBytes),
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
    await this.transport.close();
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

  private async openStream(target: Target, body: StreamOptions['body']): Promise<LiveAnswer> {
    if (body === undefined || isReplayable(body)) {
      const buffer = toBuffer(body);
      return this.authenticate(target, (auth) => this.transport.sendLive(target, buffer, auth));
    }
    const challenge = await this.probeChallenge(target);
    const send = (auth: string | undefined) => this.transport.sendLive(target, body, auth);
    return this.authenticate(target, send, { challenge, maxSends: 1 });
  }

  /**
   * Fetches a fresh challenge with an empty, unauthenticated request before a body that cannot
   * be replayed. Even with a cached nonce this is done: if that nonce had gone stale, the
   * device's 401 would arrive after the body was spent.
   */
  private async probeChallenge(target: Target): Promise<Challenge | undefined> {
    if (!this.auth.enabled || !this.auth.hasCredentials || this.auth.sendsBasicUpfront) return undefined;
    const headers = withoutBodyHeaders(target.headers);
    const probe = await this.transport.sendLive({ ...target, headers }, undefined, undefined);
    try {
      if (probe.status !== 401) return undefined;
      const plan: AuthPlan = { scheme: 'none', proving: false };
      return await this.judge401(plan, probe);
    } finally {
      probe.abort();
    }
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
      mapError: (error) => this.transport.fail(error, target),
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
    return once(() => {
      this.streamSlots--;
    });
  }

  private target(options: RequestOptions | StreamOptions, timeoutMs: number | undefined): Target {
    this.assertOpen();
    // Only a path: the request cannot name another host, so the credentials stay with this origin.
    if (!isOriginFormPath(options.path))
      throw new TypeError(
        `path must be a path on the device ("/...", no "//" start, no spaces): ${options.path}`,
      );
    return {
      method: options.method ?? 'GET',
      path: options.path,
      headers: lowerCaseKeys(options.headers ?? {}),
      signal: options.signal,
      timeoutMs: timeoutMs ?? this.settings.requestTimeoutMs,
    };
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
