/**
 * HTTP authentication helpers: `WWW-Authenticate` parsing (RFC 7235), Digest responses
 * (RFC 2617 / RFC 7616) and Basic credentials. Pure functions apart from the random cnonce.
 */
import { createHash, randomBytes } from 'node:crypto';

/** One challenge out of a `WWW-Authenticate` header, scheme in lower case, parameter names in lower case. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
  token68?: string;
}

export type DigestAlgorithm = 'MD5' | 'MD5-SESS' | 'SHA-256' | 'SHA-256-SESS';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  /** As the server spelled it, so it can be echoed; undefined when the server named none (means MD5). */
  algorithm?: string;
  /** Lower-case qop options offered; empty when the server uses the RFC 2069 form without qop. */
  qop: string[];
  stale: boolean;
}

export interface Credentials {
  username: string;
  password: string;
}

export interface DigestResponseInput extends Credentials {
  realm: string;
  nonce: string;
  method: string;
  /** Path and query exactly as written on the request line. */
  uri: string;
  /** `auth`, or undefined for the legacy RFC 2069 computation. */
  qop?: 'auth';
  /** Nonce count as 8 hex digits. */
  nc?: string;
  cnonce?: string;
  algorithm?: string;
}

export interface DigestAuthorizationInput extends Credentials {
  challenge: DigestChallenge;
  method: string;
  uri: string;
  /** Requests already sent with this nonce, plus one. */
  nonceCount: number;
  cnonce?: string;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*(?=[ \t]*(,|$))/;
const SUPPORTED_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'MD5-SESS', 'SHA-256', 'SHA-256-SESS'];

/**
 * Parses one or several `WWW-Authenticate` values. A single value may hold several challenges
 * (`Digest realm="a, b", nonce="n", Basic realm="x"`), which is why parameters and schemes have
 * to be told apart by syntax rather than by splitting on commas.
 */
export function parseWwwAuthenticate(header: string | readonly string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  const values = typeof header === 'string' ? [header] : header;
  return values.flatMap((value) => new ChallengeScanner(value).readAll());
}

class ChallengeScanner {
  private pos = 0;

  constructor(private readonly text: string) {}

  readAll(): AuthChallenge[] {
    const challenges: AuthChallenge[] = [];
    for (;;) {
      this.skip(/[\s,]/);
      if (this.atEnd()) return challenges;
      const scheme = this.readToken();
      if (!scheme) {
        this.pos++; // not a token: skip the stray character and look for the next challenge
        continue;
      }
      challenges.push(this.readChallengeBody(scheme.toLowerCase()));
    }
  }

  private readChallengeBody(scheme: string): AuthChallenge {
    const challenge: AuthChallenge = { scheme, params: {} };
    this.skip(/[ \t]/);
    const token68 = TOKEN68.exec(this.text.slice(this.pos));
    if (token68) {
      challenge.token68 = token68[0];
      this.pos += token68[0].length;
      return challenge;
    }
    while (this.readParam(challenge.params)) {
      this.skip(/[ \t]/);
      if (this.text[this.pos] !== ',') break;
      this.pos++;
      this.skip(/\s/);
    }
    return challenge;
  }

  /** Reads `name=value`; leaves the position untouched and returns false when the next thing is a new scheme. */
  private readParam(params: Record<string, string>): boolean {
    const start = this.pos;
    const name = this.readToken();
    this.skip(/[ \t]/);
    if (!name || this.text[this.pos] !== '=') {
      this.pos = start;
      return false;
    }
    this.pos++;
    this.skip(/[ \t]/);
    params[name.toLowerCase()] = this.text[this.pos] === '"' ? this.readQuoted() : this.readToken();
    return true;
  }

  private readQuoted(): string {
    let value = '';
    this.pos++; // opening quote
    while (!this.atEnd()) {
      const ch = this.text[this.pos++]!;
      if (ch === '"') return value;
      value += ch === '\\' && !this.atEnd() ? this.text[this.pos++] : ch;
    }
    return value; // unterminated: be lenient, devices are not always careful
  }

  private readToken(): string {
    const start = this.pos;
    while (!this.atEnd() && TOKEN_CHAR.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private skip(chars: RegExp): void {
    while (!this.atEnd() && chars.test(this.text[this.pos]!)) this.pos++;
  }

  private atEnd(): boolean {
    return this.pos >= this.text.length;
  }
}

/** Turns a parsed challenge into a usable Digest challenge, or undefined if we cannot answer it. */
export function toDigestChallenge(challenge: AuthChallenge): DigestChallenge | undefined {
  const { realm, nonce, opaque, algorithm, qop, stale } = challenge.params;
  if (challenge.scheme !== 'digest' || realm === undefined || !nonce) return undefined;
  if (algorithm !== undefined && !isSupportedAlgorithm(algorithm)) return undefined;
  const qopOptions = (qop ?? '')
    .split(',')
    .map((q) => q.trim().toLowerCase())
    .filter(Boolean);
  // auth-int would need a hash of every body, including streamed ones: only plain `auth` is answered.
  if (qopOptions.length > 0 && !qopOptions.includes('auth')) return undefined;
  return { realm, nonce, opaque, algorithm, qop: qopOptions, stale: stale?.toLowerCase() === 'true' };
}

function isSupportedAlgorithm(algorithm: string): algorithm is DigestAlgorithm {
  return (SUPPORTED_ALGORITHMS as readonly string[]).includes(algorithm.toUpperCase());
}

/** Best Digest challenge on offer: SHA-256 before MD5, as RFC 7616 asks; undefined if none is usable. */
export function pickDigestChallenge(challenges: readonly AuthChallenge[]): DigestChallenge | undefined {
  const usable = challenges.map(toDigestChallenge).filter((c): c is DigestChallenge => c !== undefined);
  const strength = (c: DigestChallenge) => (c.algorithm?.toUpperCase().startsWith('SHA-256') ? 1 : 0);
  return usable.sort((a, b) => strength(b) - strength(a))[0];
}

export function hasBasicChallenge(challenges: readonly AuthChallenge[]): boolean {
  return challenges.some((c) => c.scheme === 'basic');
}

export function computeDigestResponse(input: DigestResponseInput): string {
  const algorithm = (input.algorithm ?? 'MD5').toUpperCase();
  const hash = algorithm.startsWith('SHA-256') ? sha256 : md5;
  let ha1 = hash(`${input.username}:${input.realm}:${input.password}`);
  if (algorithm.endsWith('-SESS')) ha1 = hash(`${ha1}:${input.nonce}:${input.cnonce ?? ''}`);
  const ha2 = hash(`${input.method}:${input.uri}`);
  if (input.qop === undefined) return hash(`${ha1}:${input.nonce}:${ha2}`);
  return hash(`${ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`);
}

/** The complete `Authorization` header value answering a Digest challenge. */
export function buildDigestAuthorization(input: DigestAuthorizationInput): string {
  const { challenge } = input;
  const qop = challenge.qop.length > 0 ? 'auth' : undefined;
  const nc = formatNonceCount(input.nonceCount);
  const cnonce = input.cnonce ?? createCnonce();
  const response = computeDigestResponse({
    username: input.username,
    password: input.password,
    realm: challenge.realm,
    nonce: challenge.nonce,
    method: input.method,
    uri: input.uri,
    qop,
    nc,
    cnonce,
    algorithm: challenge.algorithm,
  });
  const parts = [
    `username=${quote(input.username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(input.uri)}`,
  ];
  if (challenge.algorithm !== undefined) parts.push(`algorithm=${challenge.algorithm}`);
  parts.push(`response=${quote(response)}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  return `Digest ${parts.join(', ')}`;
}

export function buildBasicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export function formatNonceCount(count: number): string {
  return count.toString(16).padStart(8, '0');
}

export function createCnonce(): string {
  return randomBytes(8).toString('hex');
}

/**
 * A cached Digest challenge that can be answered pre-emptively. Counts `nc` per nonce so the
 * server never sees a replayed count; a new nonce starts again at 1.
 */
export class DigestSession {
  private count = 0;

  constructor(readonly challenge: DigestChallenge) {}

  /** Whether a newer challenge carries the same nonce, in which case the count must go on. */
  sameNonce(other: DigestChallenge): boolean {
    return other.nonce === this.challenge.nonce && other.realm === this.challenge.realm;
  }

  authorize(credentials: Credentials, method: string, uri: string): string {
    this.count++;
    return buildDigestAuthorization({
      ...credentials,
      challenge: this.challenge,
      method,
      uri,
      nonceCount: this.count,
    });
  }

  get nonceCount(): number {
    return this.count;
  }
}

function quote(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

function md5(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}
