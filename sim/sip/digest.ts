/**
 * The doorbell's answer to a SIP digest challenge (RFC 2617 as RFC 3261 §22 uses it): MD5 with
 * qop=auth or without qop. Other algorithms are not answered (the registration then fails, which
 * is what a door station with an MD5-only stack would show).
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseParams, type SipResponse, splitList } from './message.ts';

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

export interface DigestCredentials {
  username: string;
  password: string;
}

interface Challenge {
  realm: string;
  nonce: string;
  opaque: string | undefined;
  qopAuth: boolean;
  algorithm: string | undefined;
}

/** The first MD5 challenge of a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate). */
function challengeOf(response: SipResponse): Challenge | undefined {
  const key = response.status === 407 ? 'proxy-authenticate' : 'www-authenticate';
  for (const line of response.headers.filter((h) => h.key === key)) {
    const match = /^\s*Digest\s+(.*)$/is.exec(line.value);
    if (!match) continue;
    // Parameters are comma separated; parseParams wants semicolons, and values may hold commas.
    const params = parseParams(splitList(match[1]!).join(';'));
    const algorithm = params.algorithm;
    if (algorithm !== undefined && algorithm.toUpperCase() !== 'MD5') continue;
    if (params.realm === undefined || params.nonce === undefined) continue;
    const qops = (params.qop ?? '').split(',').map((q) => q.trim().toLowerCase());
    if (params.qop !== undefined && !qops.includes('auth')) continue;
    return {
      realm: params.realm,
      nonce: params.nonce,
      opaque: params.opaque,
      qopAuth: params.qop !== undefined,
      algorithm,
    };
  }
  return undefined;
}

/**
 * The Authorization (401) or Proxy-Authorization (407) header answering `response` for a request
 * with `method` and Request-URI `uri`; undefined when it offers nothing we can answer.
 */
export function answerChallenge(
  response: SipResponse,
  method: string,
  uri: string,
  credentials: DigestCredentials,
): [string, string] | undefined {
  const challenge = challengeOf(response);
  if (!challenge) return undefined;
  const ha1 = md5(`${credentials.username}:${challenge.realm}:${credentials.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const nc = '00000001';
  const cnonce = randomBytes(8).toString('hex');
  const digest = challenge.qopAuth
    ? md5(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`)
    : md5(`${ha1}:${challenge.nonce}:${ha2}`);
  const parts = [
    `username="${credentials.username}"`,
    `realm="${challenge.realm}"`,
    `nonce="${challenge.nonce}"`,
    `uri="${uri}"`,
    `response="${digest}"`,
    'algorithm=MD5',
  ];
  if (challenge.opaque !== undefined) parts.push(`opaque="${challenge.opaque}"`);
  if (challenge.qopAuth) parts.push('qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`);
  const name = response.status === 407 ? 'Proxy-Authorization' : 'Authorization';
  return [name, `Digest ${parts.join(', ')}`];
}
