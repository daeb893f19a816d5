/**
 * A tiny Hikvision-like HTTP(S) server for tests: real Digest verification (independent of the
 * client's implementation), nonce expiry with `stale=true`, nc replay detection, Basic-only and
 * "401 without challenge" modes, a failed-login counter and a lockout after N failures whose 401
 * body says so (like the `userCheck` document real devices send).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  createServer as createHttpServer,
  Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server as NetServer } from 'node:net';

export type DeviceAuth = 'digest' | 'basic' | 'no-challenge' | 'none';

export interface DeviceOptions {
  auth?: DeviceAuth;
  username?: string;
  password?: string;
  realm?: string;
  /** Advertised Digest algorithm; omitted from the challenge when undefined (means MD5). */
  algorithm?: 'MD5' | 'MD5-sess';
  /** A nonce older than this answers `stale=true` (default: never). */
  nonceTtlMs?: number;
  /** Set false to mimic firmware that rejects an expired nonce with a plain 401 (no `stale=true`). */
  announceStale?: boolean;
  /** Lock the user after this many failed logins (default: never). */
  lockAfterFailures?: number;
  lockSeconds?: number;
  tls?: { key: string; cert: string };
  /** Serves authenticated requests; default answers 200 `ok METHOD URL`. */
  handler?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;
}

export interface SeenRequest {
  method: string;
  url: string;
  authorization?: string;
  status: number;
}

export interface DeviceStats {
  requests: number;
  /** 401 answers that carried a challenge. */
  challenges: number;
  /** Credentialed attempts whose credentials were wrong. */
  failedLogins: number;
  authenticated: number;
  /** Same nc used twice with one nonce: a protocol violation by the client. */
  ncReplays: number;
  inFlight: number;
  maxInFlight: number;
  /** TCP connections accepted. */
  connections: number;
}

export interface TestDevice {
  url: string;
  port: number;
  stats: DeviceStats;
  seen: SeenRequest[];
  /** nc values accepted, in order. */
  acceptedNc: string[];
  /** Every nonce handed out so far turns stale. */
  expireNonces(): void;
  close(): Promise<void>;
}

interface NonceState {
  issuedAt: number;
  expired: boolean;
  usedNc: Set<string>;
}

type Verdict =
  | { kind: 'ok'; nc?: string }
  | { kind: 'challenge'; stale: boolean }
  | { kind: 'failed' }
  | { kind: 'replay' }
  | { kind: 'locked' };

export const DEFAULT_USER = 'admin';
export const DEFAULT_PASSWORD = 'Pa$$w0rd, "quoted"';

/** Verifies Authorization headers the way a device would; usable from raw socket servers too. */
export class DeviceAuthenticator {
  readonly stats: DeviceStats = {
    requests: 0,
    challenges: 0,
    failedLogins: 0,
    authenticated: 0,
    ncReplays: 0,
    inFlight: 0,
    maxInFlight: 0,
    connections: 0,
  };
  readonly acceptedNc: string[] = [];
  private readonly nonces = new Map<string, NonceState>();
  private readonly opaque = randomBytes(8).toString('hex');
  private lockedUntil = 0;

  constructor(readonly options: DeviceOptions) {}

  get mode(): DeviceAuth {
    return this.options.auth ?? 'digest';
  }

  expireNonces(): void {
    for (const state of this.nonces.values()) state.expired = true;
  }

  check(method: string, url: string, authorization: string | undefined): Verdict {
    if (this.mode === 'none') return { kind: 'ok' };
    if (!authorization) return { kind: 'challenge', stale: false };
    if (Date.now() < this.lockedUntil) return { kind: 'locked' };
    const verdict =
      this.mode === 'digest' ? this.checkDigest(method, url, authorization) : this.checkBasic(authorization);
    if (verdict.kind === 'failed') this.countFailure();
    return verdict;
  }

  /** Headers and body of the 401 for a verdict. */
  unauthorized(verdict: Verdict): { headers: Record<string, string>; body: string } {
    const headers: Record<string, string> = { 'content-type': 'application/xml' };
    const challenge = this.challengeHeader(verdict.kind === 'challenge' && verdict.stale);
    if (challenge) {
      headers['www-authenticate'] = challenge;
      this.stats.challenges++;
    }
    return { headers, body: this.userCheckBody() };
  }

  private checkBasic(authorization: string): Verdict {
    const expected = Buffer.from(`${this.username}:${this.password}`).toString('base64');
    if (this.mode !== 'basic') return { kind: 'failed' };
    return authorization === `Basic ${expected}` ? { kind: 'ok' } : { kind: 'failed' };
  }

  private checkDigest(method: string, url: string, authorization: string): Verdict {
    if (!authorization.startsWith('Digest ')) return { kind: 'challenge', stale: false };
    const p = parseAuthParams(authorization.slice(7));
    const state = p.nonce ? this.nonces.get(p.nonce) : undefined;
    if (p.uri !== url || p.realm !== this.realm || p.opaque !== this.opaque) return { kind: 'failed' };
    if (p.username !== this.username || p.response !== this.expectedResponse(method, p))
      return { kind: 'failed' };
    if (!state || state.expired || this.tooOld(state)) {
      return { kind: 'challenge', stale: this.options.announceStale ?? true };
    }
    if (p.qop !== 'auth' || !p.nc || !/^[0-9a-f]{8}$/.test(p.nc)) return { kind: 'failed' };
    if (state.usedNc.has(p.nc)) {
      this.stats.ncReplays++;
      return { kind: 'replay' };
    }
    state.usedNc.add(p.nc);
    this.acceptedNc.push(p.nc);
    return { kind: 'ok', nc: p.nc };
  }

  private expectedResponse(method: string, p: Record<string, string>): string {
    let ha1 = md5(`${this.username}:${this.realm}:${this.password}`);
    if (this.options.algorithm === 'MD5-sess') ha1 = md5(`${ha1}:${p.nonce}:${p.cnonce}`);
    const ha2 = md5(`${method}:${p.uri}`);
    return md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`);
  }

  private tooOld(state: NonceState): boolean {
    const ttl = this.options.nonceTtlMs;
    return ttl !== undefined && Date.now() - state.issuedAt > ttl;
  }

  private countFailure(): void {
    this.stats.failedLogins++;
    const limit = this.options.lockAfterFailures;
    if (limit !== undefined && this.stats.failedLogins >= limit) {
      this.lockedUntil = Date.now() + (this.options.lockSeconds ?? 1800) * 1000;
    }
  }

  private challengeHeader(stale: boolean): string | undefined {
    if (this.mode === 'basic') return `Basic realm="${this.realm}"`;
    if (this.mode !== 'digest') return undefined;
    const nonce = randomBytes(12).toString('hex');
    this.nonces.set(nonce, { issuedAt: Date.now(), expired: false, usedNc: new Set() });
    const algorithm = this.options.algorithm ? `, algorithm=${this.options.algorithm}` : '';
    return (
      `Digest qop="auth", realm="${this.realm}", nonce="${nonce}", opaque="${this.opaque}"` +
      `${algorithm}, stale=${stale ? 'TRUE' : 'FALSE'}`
    );
  }

  private userCheckBody(): string {
    const locked = Date.now() < this.lockedUntil;
    const unlockIn = locked ? Math.ceil((this.lockedUntil - Date.now()) / 1000) : 0;
    const limit = this.options.lockAfterFailures;
    const retries =
      limit === undefined
        ? ''
        : `<retryLoginTime>${Math.max(0, limit - this.stats.failedLogins)}</retryLoginTime>`;
    return (
      '<?xml version="1.0" encoding="UTF-8"?><userCheck><statusValue>401</statusValue>' +
      `<statusString>Unauthorized</statusString><lockStatus>${locked ? 'lock' : 'unlock'}</lockStatus>` +
      `<unlockTime>${unlockIn}</unlockTime>${retries}</userCheck>`
    );
  }

  private get username(): string {
    return this.options.username ?? DEFAULT_USER;
  }

  private get password(): string {
    return this.options.password ?? DEFAULT_PASSWORD;
  }

  private get realm(): string {
    return this.options.realm ?? 'IP Camera(C1234)';
  }
}

/** Reads the `userCheck` 401 body the way the ISAPI layer would. */
export function inspectUserCheck(_status: number, _headers: Record<string, string>, body: Buffer) {
  const text = body.toString('utf8');
  const lock = /<lockStatus>(\w+)<\/lockStatus>/.exec(text)?.[1];
  const unlockTime = /<unlockTime>(\d+)<\/unlockTime>/.exec(text)?.[1];
  const retries = /<retryLoginTime>(\d+)<\/retryLoginTime>/.exec(text)?.[1];
  return {
    lockedForSeconds: lock === 'lock' ? Number(unlockTime ?? 0) : undefined,
    attemptsLeft: retries === undefined ? undefined : Number(retries),
  };
}

export async function startDevice(options: DeviceOptions = {}): Promise<TestDevice> {
  const auth = new DeviceAuthenticator(options);
  const seen: SeenRequest[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => serve(auth, options, seen, req, res);
  const server: HttpServer = options.tls
    ? createHttpsServer(options.tls, onRequest)
    : createHttpServer(onRequest);
  server.on('connection', () => auth.stats.connections++);
  const port = await listen(server);
  const scheme = options.tls ? 'https' : 'http';
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    stats: auth.stats,
    seen,
    acceptedNc: auth.acceptedNc,
    expireNonces: () => auth.expireNonces(),
    close: () => closeServer(server),
  };
}

function serve(
  auth: DeviceAuthenticator,
  options: DeviceOptions,
  seen: SeenRequest[],
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const { stats } = auth;
  stats.requests++;
  stats.inFlight++;
  stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
  res.once('close', () => stats.inFlight--);
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.once('end', () => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const verdict = auth.check(method, url, req.headers.authorization);
    seen.push({
      method,
      url,
      authorization: req.headers.authorization,
      status: verdict.kind === 'ok' ? 200 : 401,
    });
    if (verdict.kind !== 'ok') {
      const { headers, body } = auth.unauthorized(verdict);
      res.writeHead(401, headers).end(body);
      return;
    }
    stats.authenticated++;
    const body = Buffer.concat(chunks);
    if (options.handler) options.handler(req, res, body);
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(`ok ${method} ${url} ${body.length}`);
  });
}

export function listen(server: NetServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export function closeServer(server: NetServer): Promise<void> {
  return new Promise((resolve) => {
    if (server instanceof HttpServer) server.closeAllConnections();
    server.close(() => resolve());
  });
}

export function parseAuthParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  const pattern = /([a-z0-9-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/gi;
  for (const match of text.matchAll(pattern)) {
    params[match[1]!.toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!;
  }
  return params;
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}
