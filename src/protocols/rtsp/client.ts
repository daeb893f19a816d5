/**
 * One RTSP 1.0 connection over TCP: requests with CSeq, answers matched back by CSeq, Digest or
 * Basic login on 401, interleaved frames written on the same socket. Every step has a time
 * limit and every buffer a size limit (see message.ts).
 *
 * Login rules, to spare the device's failed-login counter: a 401 only means "wrong password"
 * when our credentials were computed from a challenge the device had just sent (or after a
 * `stale` retry); Basic is sent only when the device offers it and no Digest.
 */
import { connect, type Socket } from 'node:net';
import {
  buildBasicAuthorization,
  type Credentials,
  DigestSession,
  hasBasicChallenge,
  parseWwwAuthenticate,
  pickDigestChallenge,
} from '../http/digest.ts';
import { AbortedError } from '../http/errors.ts';
import {
  RtspAuthError,
  RtspBadCredentialsError,
  RtspConnectionError,
  RtspProtocolError,
  RtspStatusError,
  RtspTimeoutError,
} from './errors.ts';
import { header, RtspParser, type RtspResponse, serializeRequest } from './message.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_USER_AGENT = 'hikbridge';

export interface RtspClientOptions {
  host: string;
  port: number;
  credentials?: Credentials;
  /** Connecting, and waiting for each answer (default 10 s). */
  timeoutMs?: number;
  userAgent?: string;
  signal?: AbortSignal;
}

export interface RtspRequestOptions {
  headers?: Record<string, string | undefined>;
  body?: Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Statuses (besides 2xx) handed back instead of thrown as RtspStatusError. */
  accept?: (status: number) => boolean;
}

interface Pending {
  cseq: number;
  method: string;
  resolve: (response: RtspResponse) => void;
  reject: (error: Error) => void;
}

type Auth = { scheme: 'digest'; session: DigestSession } | { scheme: 'basic' };

export class RtspClient {
  /** `host:port`, as messages name the device. */
  readonly label: string;
  /** Resolves when the connection is gone, with the reason when it was not our own close. */
  readonly ended: Promise<Error | undefined>;
  /** Interleaved bytes the server sent us (RTCP reports...), read and dropped. */
  interleavedBytesIn = 0;
  private readonly parser = new RtspParser();
  private readonly pending = new Map<number, Pending>();
  private cseq = 1;
  private auth: Auth | undefined;
  private failure: Error | undefined;
  private closing = false;
  private resolveEnded!: (error: Error | undefined) => void;

  private constructor(
    private readonly socket: Socket,
    private readonly options: RtspClientOptions,
  ) {
    this.label = hostLabel(options.host, options.port);
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) =>
      this.fail(new RtspConnectionError(this.label, describeSocketError(error), { cause: error })),
    );
    socket.on('close', () => {
      this.fail(new RtspConnectionError(this.label, 'the device closed the RTSP connection'));
      this.resolveEnded(this.closing ? undefined : this.failure);
    });
  }

  /** Opens the TCP connection (within the timeout). */
  static connect(options: RtspClientOptions): Promise<RtspClient> {
    const label = hostLabel(options.host, options.port);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(new AbortedError(label));
      const socket = connect({ host: options.host, port: options.port });
      const done = (error?: Error) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        socket.removeListener('error', onError);
        if (error) {
          socket.destroy();
          reject(error);
        } else {
          resolve(new RtspClient(socket, options));
        }
      };
      const onError = (error: Error) =>
        done(new RtspConnectionError(label, describeSocketError(error, options.port), { cause: error }));
      const onAbort = () => done(new AbortedError(label));
      const timer = setTimeout(() => done(new RtspTimeoutError(label, 'connect', timeoutMs)), timeoutMs);
      socket.once('connect', () => {
        // 20 ms audio frames must leave at once, not wait for Nagle to fill a segment.
        socket.setNoDelay(true);
        done();
      });
      socket.once('error', onError);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  get open(): boolean {
    return !this.failure && !this.socket.destroyed;
  }

  /**
   * Sends a request and waits for its answer, logging in when the device asks. Non-2xx answers
   * throw (RtspStatusError and friends) unless `accept` takes them.
   */
  async request(method: string, uri: string, options: RtspRequestOptions = {}): Promise<RtspResponse> {
    // The credentials being sent were computed from a challenge the device gave for this request.
    let fresh = false;
    let staleRetried = false;
    for (let attempt = 0; attempt < 4; attempt++) {
      const authorization = this.authorize(method, uri);
      const response = await this.exchange(
        method,
        uri,
        { ...options.headers, Authorization: authorization },
        options,
      );
      if (response.status !== 401) {
        if (response.status >= 200 && response.status < 300) return response;
        if (options.accept?.(response.status)) return response;
        throw new RtspStatusError(this.label, method, response.status, response.reason);
      }
      const credentials = this.options.credentials;
      if (!credentials) throw new RtspAuthError(this.label, 'no username and password were given');
      const challenges = parseWwwAuthenticate(response.headers['www-authenticate']);
      const digest = pickDigestChallenge(challenges);
      if (authorization && fresh) {
        // Refused although computed from the device's own challenge: only `stale` (nonce too
        // old, password fine) deserves another try, and only one.
        if (!digest?.stale || staleRetried)
          throw new RtspBadCredentialsError(this.label, credentials.username);
        staleRetried = true;
      }
      if (digest) this.auth = { scheme: 'digest', session: new DigestSession(digest) };
      else if (hasBasicChallenge(challenges)) this.auth = { scheme: 'basic' };
      else {
        const offered = challenges.map((c) => c.scheme).join(', ');
        throw new RtspAuthError(
          this.label,
          offered
            ? `offers only ${offered}, which hikbridge cannot answer`
            : 'sent no WWW-Authenticate challenge',
        );
      }
      fresh = true;
    }
    throw new RtspBadCredentialsError(this.label, this.options.credentials?.username ?? '');
  }

  /** Writes raw bytes (interleaved frames); false means "wait for `drained`". */
  write(data: Buffer): boolean {
    if (!this.open) return false;
    return this.socket.write(data);
  }

  /** Resolves once the socket's send buffer has room again; throws after `timeoutMs` without. */
  drained(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (!this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.socket.removeListener('drain', onDrain);
        this.socket.removeListener('close', onClose);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () =>
        done(this.failure ?? new RtspConnectionError(this.label, 'the device closed the RTSP connection'));
      const onAbort = () => done(new AbortedError(this.label));
      const timer = setTimeout(() => done(new RtspTimeoutError(this.label, 'write', timeoutMs)), timeoutMs);
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Ends the connection: a FIN first (the device sees a clean close), a hard close after `graceMs`. */
  async close(graceMs = 1000): Promise<void> {
    this.closing = true;
    if (this.socket.destroyed) return;
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), graceMs);
    timer.unref();
    await this.ended;
    clearTimeout(timer);
  }

  /** Ends the connection now. */
  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }

  private authorize(method: string, uri: string): string | undefined {
    const credentials = this.options.credentials;
    if (!this.auth || !credentials) return undefined;
    if (this.auth.scheme === 'basic')
      return buildBasicAuthorization(credentials.username, credentials.password);
    return this.auth.session.authorize(credentials, method, uri);
  }

  private exchange(
    method: string,
    uri: string,
    headers: Record<string, string | undefined>,
    options: RtspRequestOptions,
  ): Promise<RtspResponse> {
    if (this.failure) return Promise.reject(this.failure);
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new AbortedError(this.label));
    const cseq = this.cseq++;
    const data = serializeRequest({
      method,
      uri,
      cseq,
      headers: { 'User-Agent': this.options.userAgent ?? DEFAULT_USER_AGENT, ...headers },
      body: options.body,
    });
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(cseq);
      };
      // A late answer finds no pending entry and is dropped: the connection itself stays usable
      // (TEARDOWN may still get through), thanks to CSeq matching.
      const timer = setTimeout(() => {
        settle();
        reject(new RtspTimeoutError(this.label, method, timeoutMs));
      }, timeoutMs);
      const onAbort = () => {
        settle();
        reject(new AbortedError(this.label));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(cseq, {
        cseq,
        method,
        resolve: (response) => {
          settle();
          resolve(response);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      this.socket.write(data);
    });
  }

  private onData(chunk: Buffer): void {
    let frames: ReturnType<RtspParser['push']>;
    try {
      frames = this.parser.push(chunk);
    } catch (error) {
      this.fail(new RtspProtocolError(this.label, (error as Error).message));
      this.socket.destroy();
      return;
    }
    for (const frame of frames) {
      if (frame.kind === 'interleaved') {
        // RTCP receiver reports and the like: nothing we act on.
        this.interleavedBytesIn += frame.data.length;
      } else if (frame.kind === 'request') {
        this.answerServer(frame.method, header(frame, 'cseq'));
      } else {
        const cseq = Number(header(frame, 'cseq'));
        // Without a usable CSeq the answer belongs to the oldest request (answers come in order).
        const pending = this.pending.get(cseq) ?? (Number.isInteger(cseq) ? undefined : this.oldestPending());
        pending?.resolve(frame);
      }
    }
  }

  /** Servers may ask us things (a keep-alive of their own): say yes to the harmless, no to the rest. */
  private answerServer(method: string, cseq: string | undefined): void {
    if (!this.open || !cseq || !/^\d+$/.test(cseq)) return;
    const ok = method === 'OPTIONS' || method === 'GET_PARAMETER' || method === 'SET_PARAMETER';
    this.socket.write(`RTSP/1.0 ${ok ? '200 OK' : '501 Not Implemented'}\r\nCSeq: ${cseq}\r\n\r\n`);
  }

  private oldestPending(): Pending | undefined {
    return this.pending.values().next().value;
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const pending of [...this.pending.values()]) pending.reject(error);
    this.pending.clear();
  }
}

export function hostLabel(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function describeSocketError(error: Error, port?: number): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return port ? `connection refused (nothing listens on RTSP port ${port})` : 'connection refused';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the host';
    default:
      return error.message;
  }
}
