/**
 * HTTP Digest (MD5, qop=auth) and Basic authentication with the Hikvision illegal-login lock.
 * Choices where devices are not documented are listed in sim/README.md ("Auth").
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuthMode } from './types.ts';
import { NS_HIKVISION, XML_DECL } from './xml.ts';

export interface AuthConfig {
  username: string;
  /** Called per request: the wrongPassword fault changes what the device expects. */
  password: () => string;
  mode: AuthMode;
  realm: string;
  lockoutAfter: number;
  lockoutSeconds: number;
  nonceTtlMs: number;
}

export type AuthOutcome =
  | { kind: 'ok'; username: string }
  /** No usable Authorization header: a challenge, not a failed login. */
  | { kind: 'challenge' }
  /** Right password on an expired/unknown nonce or a replayed nc: new challenge, stale=true. */
  | { kind: 'stale' }
  /** Wrong credentials (counted) or the user is locked. */
  | { kind: 'failed'; username: string }
  | { kind: 'locked'; username: string }
  /** Malformed digest (uri mismatch, missing qop/nc/cnonce): a client bug, HTTP 400. */
  | { kind: 'bad'; reason: string };

interface NonceState {
  issuedAt: number;
  usedNc: Set<string>;
}

interface LockState {
  failures: number;
  lockedUntil: number;
}

const MAX_NONCES = 10_000;

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Parses `Digest a=b, c="d, e"` parameters (quoted strings may hold commas and escapes). */
export function parseAuthParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  const pattern = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const match of text.matchAll(pattern)) {
    const key = match[1]!.toLowerCase();
    params[key] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
  }
  return params;
}

export class DeviceAuth {
  private readonly nonces = new Map<string, NonceState>();
  private readonly locks = new Map<string, LockState>();

  constructor(private readonly config: AuthConfig) {}

  /** Checks one request. `uri` is the request-target exactly as sent (path + query). */
  check(method: string, uri: string, authorization: string | undefined): AuthOutcome {
    if (!authorization) return { kind: 'challenge' };
    const space = authorization.indexOf(' ');
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const rest = space < 0 ? '' : authorization.slice(space + 1);
    // A scheme the device does not offer is ignored, as if no header had been sent.
    if (scheme === 'digest' && this.config.mode !== 'basic') return this.checkDigest(method, uri, rest);
    if (scheme === 'basic' && this.config.mode !== 'digest') return this.checkBasic(rest);
    return { kind: 'challenge' };
  }

  /** WWW-Authenticate values for a 401 (one per offered scheme). */
  challenges(stale = false): string[] {
    const values: string[] = [];
    const realm = this.config.realm.replace(/"/g, '');
    if (this.config.mode !== 'basic') {
      const nonce = this.issueNonce();
      values.push(
        `Digest qop="auth", realm="${realm}", nonce="${nonce}", stale="${stale ? 'TRUE' : 'FALSE'}"`,
      );
    }
    if (this.config.mode !== 'digest') values.push(`Basic realm="${realm}"`);
    return values;
  }

  /** Hikvision's 401 body: lock state and attempts left for that user. */
  userCheckBody(username: string): string {
    const lock = this.lockState(username);
    const locked = lock.lockedUntil > Date.now();
    const unlockSeconds = locked ? Math.ceil((lock.lockedUntil - Date.now()) / 1000) : 0;
    const retries = locked ? 0 : Math.max(0, this.config.lockoutAfter - lock.failures);
    return (
      `${XML_DECL}<userCheck version="2.0" xmlns="${NS_HIKVISION}">\n` +
      '<statusValue>401</statusValue>\n<statusString>Unauthorized</statusString>\n' +
      `<lockStatus>${locked ? 'lock' : 'unlock'}</lockStatus>\n` +
      `<unlockTime>${unlockSeconds}</unlockTime>\n<retryLoginTime>${retries}</retryLoginTime>\n</userCheck>\n`
    );
  }

  isLocked(username: string): boolean {
    return this.lockState(username).lockedUntil > Date.now();
  }

  get defaultUsername(): string {
    return this.config.username;
  }

  private checkBasic(encoded: string): AuthOutcome {
    const decoded = Buffer.from(encoded.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { kind: 'bad', reason: 'Basic credentials without ":"' };
    const username = decoded.slice(0, colon);
    if (this.isLocked(username)) return { kind: 'locked', username };
    const good =
      sameText(username, this.config.username) && sameText(decoded.slice(colon + 1), this.config.password());
    return good ? this.succeed(username) : this.fail(username);
  }

  private checkDigest(method: string, uri: string, text: string): AuthOutcome {
    const p = parseAuthParams(text);
    const username = p.username ?? '';
    if (!p.nonce || !p.response || !username)
      return { kind: 'bad', reason: 'digest without username/nonce/response' };
    if (p.uri !== uri)
      return { kind: 'bad', reason: `digest uri ${JSON.stringify(p.uri)} != request ${uri}` };
    if ((p.qop ?? '') !== 'auth') return { kind: 'bad', reason: 'digest qop must be "auth"' };
    if (!p.nc || !/^[0-9a-fA-F]{8}$/.test(p.nc) || !p.cnonce)
      return { kind: 'bad', reason: 'digest nc/cnonce missing' };
    if (p.algorithm && p.algorithm.toUpperCase() !== 'MD5')
      return { kind: 'bad', reason: 'only MD5 is offered' };
    if (this.isLocked(username)) return { kind: 'locked', username };

    const ha1 = md5(`${username}:${this.config.realm}:${this.config.password()}`);
    const ha2 = md5(`${method}:${p.uri}`);
    const expected = md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
    const good = sameText(username, this.config.username) && sameText(p.response.toLowerCase(), expected);
    if (!good) return this.fail(username);

    const state = this.nonces.get(p.nonce);
    const nc = p.nc.toLowerCase();
    if (!state || Date.now() - state.issuedAt > this.config.nonceTtlMs || state.usedNc.has(nc)) {
      return { kind: 'stale' };
    }
    state.usedNc.add(nc);
    return this.succeed(username);
  }

  private succeed(username: string): AuthOutcome {
    this.locks.delete(username);
    return { kind: 'ok', username };
  }

  private fail(username: string): AuthOutcome {
    const lock = this.lockState(username);
    lock.failures += 1;
    if (lock.failures >= this.config.lockoutAfter) {
      lock.lockedUntil = Date.now() + this.config.lockoutSeconds * 1000;
      return { kind: 'locked', username };
    }
    return { kind: 'failed', username };
  }

  private lockState(username: string): LockState {
    let lock = this.locks.get(username);
    if (lock?.lockedUntil && lock.lockedUntil <= Date.now()) {
      this.locks.delete(username); // the lock expired: a fresh set of attempts
      lock = undefined;
    }
    if (!lock) {
      lock = { failures: 0, lockedUntil: 0 };
      this.locks.set(username, lock);
    }
    return lock;
  }

  private issueNonce(): string {
    const now = Date.now();
    if (this.nonces.size >= MAX_NONCES) {
      for (const [nonce, state] of this.nonces) {
        if (now - state.issuedAt > this.config.nonceTtlMs || this.nonces.size >= MAX_NONCES)
          this.nonces.delete(nonce);
        if (this.nonces.size < MAX_NONCES / 2) break;
      }
    }
    // Hikvision nonces are hex text of a base64 value; the exact content is opaque to clients.
    const nonce = Buffer.from(randomBytes(18).toString('base64')).toString('hex');
    this.nonces.set(nonce, { issuedAt: now, usedNc: new Set() });
    return nonce;
  }
}
