/**
 * SIP digest authentication (RFC 3261 §22.4 on RFC 2617; SHA-256 from RFC 7616 / RFC 8760).
 * Client side: read a 401/407 challenge and compute the Authorization / Proxy-Authorization
 * value. Server side (the emulated proxy's optional digest): issue a challenge and verify the
 * answer. The challenge syntax and the hash are the HTTP layer's (same grammar, same
 * computation); what is SIP here is which header answers which, and the server side.
 *
 * Secrets (passwords, computed responses) never appear in an error or a result.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { computeDigestResponse, formatNonceCount, parseWwwAuthenticate } from '../http/digest.ts';
import { hasControlCharacters, headers, quote } from './headers.ts';
import type { SipHeader, SipResponse } from './types.ts';

/** The algorithms answered, in the order a server's offers are preferred (strongest first). */
const ALGORITHMS = ['SHA-256', 'SHA-256-SESS', 'MD5', 'MD5-SESS'] as const;
export type SipDigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export interface SipDigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | null;
  /** As the server spelled it, to be echoed; null when it named none (which means MD5). */
  algorithm: string | null;
  /** Lower-case qop options; empty for the RFC 2069 form without qop. */
  qop: string[];
  stale: boolean;
  /** Came in Proxy-Authenticate (a 407): answered with Proxy-Authorization. */
  proxy: boolean;
}

/**
 * The digest challenges we can answer among header values, strongest first. A challenge with
 * an unknown algorithm, or whose qop offers only auth-int, is left out.
 */
export function parseChallenges(values: string | readonly string[], proxy = false): SipDigestChallenge[] {
  const challenges: SipDigestChallenge[] = [];
  for (const raw of parseWwwAuthenticate(values)) {
    const { realm, nonce, opaque, algorithm, qop, stale } = raw.params;
    if (raw.scheme !== 'digest' || realm === undefined || !nonce) continue;
    if (algorithm !== undefined && strength(algorithm) < 0) continue;
    const qopOptions = (qop ?? '')
      .split(',')
      .map((each) => each.trim().toLowerCase())
      .filter(Boolean);
    if (qopOptions.length > 0 && !qopOptions.includes('auth')) continue;
    challenges.push({
      realm,
      nonce,
      opaque: opaque ?? null,
      algorithm: algorithm ?? null,
      qop: qopOptions,
      stale: stale?.toLowerCase() === 'true',
      proxy,
    });
  }
  return challenges.sort((a, b) => strength(a.algorithm ?? 'MD5') - strength(b.algorithm ?? 'MD5'));
}

/** Lower is stronger; -1 for an algorithm we cannot compute. */
function strength(algorithm: string): number {
  return (ALGORITHMS as readonly string[]).indexOf(algorithm.toUpperCase());
}

/**
 * The challenge to answer from a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate); undefined
 * when the response is neither or offers nothing we can answer.
 */
export function challengeOf(response: SipResponse): SipDigestChallenge | undefined {
  if (response.status !== 401 && response.status !== 407) return undefined;
  const proxy = response.status === 407;
  const values = headers(response, proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate');
  return parseChallenges(values, proxy)[0];
}

export interface AuthorizeInput {
  challenge: SipDigestChallenge;
  username: string;
  password: string;
  method: string;
  /** The Request-URI of the request being authorized, exactly as on its request line. */
  uri: string;
  /** Requests sent with this nonce so far, this one included (1 for the first). */
  nonceCount?: number;
  /** The client nonce; random when not given. */
  cnonce?: string;
}

/** The Authorization (or Proxy-Authorization, for a 407) header answering a challenge. */
export function authorize(input: AuthorizeInput): SipHeader {
  const { challenge } = input;
  for (const [what, value] of [
    ['username', input.username],
    ['uri', input.uri],
    ['method', input.method],
  ] as const) {
    if (hasControlCharacters(value)) throw new TypeError(`control character in the digest ${what}`);
  }
  const count = input.nonceCount ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 0xffffffff) {
    throw new TypeError('nonce count: 1 to 2^32-1');
  }
  const qop = challenge.qop.length > 0 ? 'auth' : undefined;
  const nc = formatNonceCount(count);
  const cnonce = input.cnonce ?? randomBytes(12).toString('hex');
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
    algorithm: challenge.algorithm ?? undefined,
  });
  const parts = [
    `username=${quote(input.username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(input.uri)}`,
    `response=${quote(response)}`,
  ];
  if (challenge.algorithm !== null) parts.push(`algorithm=${challenge.algorithm}`);
  if (challenge.opaque !== null) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  return {
    name: challenge.proxy ? 'Proxy-Authorization' : 'Authorization',
    value: `Digest ${parts.join(', ')}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Server side

/** A fresh nonce: 128 random bits. */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

export interface ChallengeInput {
  realm: string;
  /** The nonce to hand out; the caller keeps it to verify the answer. */
  nonce: string;
  opaque?: string;
  /** MD5 (default: what doorbells compute) or SHA-256. */
  algorithm?: 'MD5' | 'SHA-256';
  /** Tell the client its credentials were right but the nonce expired (no new password prompt). */
  stale?: boolean;
}

/** The WWW-Authenticate (or Proxy-Authenticate) value: a digest challenge with qop=auth. */
export function challenge(input: ChallengeInput): string {
  for (const value of [input.realm, input.nonce, input.opaque ?? '']) {
    if (hasControlCharacters(value)) throw new TypeError('control character in a digest challenge');
  }
  const parts = [`realm=${quote(input.realm)}`, `nonce=${quote(input.nonce)}`];
  if (input.opaque !== undefined) parts.push(`opaque=${quote(input.opaque)}`);
  parts.push(`algorithm=${input.algorithm ?? 'MD5'}`, 'qop="auth"');
  if (input.stale) parts.push('stale=true');
  return `Digest ${parts.join(', ')}`;
}

export interface VerifyInput {
  /** The method of the request carrying the credentials. */
  method: string;
  realm: string;
  /** The password, or the password of a username (undefined: unknown user). */
  password: string | ((username: string) => string | undefined);
  /** The nonce handed out, or a check that a nonce is one of ours and still fresh. */
  nonce: string | ((nonce: string) => boolean);
  /** When set, only this user is accepted. */
  username?: string;
  /** When set, the credentials' uri must be this Request-URI. */
  uri?: string;
}

/** Why credentials were refused, in words safe to log (no secret, nothing computed). */
export type VerifyFailure =
  | 'missing'
  | 'malformed'
  | 'realm'
  | 'username'
  | 'uri'
  | 'algorithm'
  | 'qop'
  | 'nonce'
  | 'response';

export type VerifyResult =
  | { ok: true; username: string; nonceCount: number | null }
  | { ok: false; reason: VerifyFailure; username: string | null };

/**
 * Checks an Authorization (or Proxy-Authorization) value against what we challenged with.
 * A `nonce` failure means the credentials may be right but the nonce is not ours any more:
 * challenge again with `stale: true`.
 */
export function verifyAuthorization(
  value: string | readonly string[] | undefined,
  input: VerifyInput,
): VerifyResult {
  if (value === undefined || value.length === 0) return { ok: false, reason: 'missing', username: null };
  const all = parseWwwAuthenticate(value).filter((each) => each.scheme === 'digest');
  // Several credentials may come, one per realm (RFC 3261 §22.3): ours is the one for our realm.
  const ours = all.find((each) => each.params.realm === input.realm);
  if (!ours) return { ok: false, reason: all.length === 0 ? 'malformed' : 'realm', username: null };
  const p = ours.params;
  const username = p.username ?? null;
  const fail = (reason: VerifyFailure): VerifyResult => ({ ok: false, reason, username });
  if (username === null || !p.nonce || p.uri === undefined || !p.response) return fail('malformed');
  if (input.username !== undefined && username !== input.username) return fail('username');
  if (input.uri !== undefined && p.uri !== input.uri) return fail('uri');
  const algorithm = p.algorithm ?? 'MD5';
  if (strength(algorithm) < 0) return fail('algorithm');
  if (
    p.qop !== undefined &&
    (p.qop.toLowerCase() !== 'auth' || !/^[0-9a-f]{8}$/i.test(p.nc ?? '') || !p.cnonce)
  ) {
    return fail('qop');
  }
  const nonceOk = typeof input.nonce === 'string' ? p.nonce === input.nonce : input.nonce(p.nonce);
  if (!nonceOk) return fail('nonce');
  const password = typeof input.password === 'string' ? input.password : input.password(username);
  if (password === undefined) return fail('username');
  const expected = computeDigestResponse({
    username,
    password,
    realm: input.realm,
    nonce: p.nonce,
    method: input.method,
    uri: p.uri,
    qop: p.qop === undefined ? undefined : 'auth',
    nc: p.nc,
    cnonce: p.cnonce,
    algorithm,
  });
  if (!sameHex(expected, p.response)) return fail('response');
  return { ok: true, username, nonceCount: p.nc === undefined ? null : Number.parseInt(p.nc, 16) };
}

/** Constant-time comparison, so the time taken tells nothing about how much of a guess was right. */
function sameHex(expected: string, given: string): boolean {
  // Hashing both gives equal lengths whatever was sent, which timingSafeEqual needs.
  const a = createHash('sha256').update(expected.toLowerCase()).digest();
  const b = createHash('sha256').update(given.toLowerCase()).digest();
  return timingSafeEqual(a, b);
}

/**
 * The credentials a request carries: every Authorization value (or Proxy-Authorization, for a
 * proxy's challenge), for verifyAuthorization to pick the one of its realm.
 */
export function credentialsOf(message: { headers: readonly SipHeader[] }, proxy = false): string[] {
  return headers(message, proxy ? 'Proxy-Authorization' : 'Authorization');
}
