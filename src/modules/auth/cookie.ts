import { createHash, timingSafeEqual } from 'node:crypto';

/** The session cookie the login sets and every request may carry instead of a bearer token. */
export const SESSION_COOKIE = 'hikbridge_session';

/** The header a cookie-authenticated write must carry (see `csrfTokenFor`). */
export const CSRF_HEADER = 'x-csrf-token';

/** The token a request carries and where it came from: `Authorization: Bearer ...` or the cookie. */
export function requestToken(headers: {
  authorization?: string | undefined;
  cookie?: string | undefined;
}): { token: string; via: 'bearer' | 'cookie' } | undefined {
  const bearer = bearerToken(headers.authorization);
  if (bearer) return { token: bearer, via: 'bearer' };
  const cookie = cookieToken(headers.cookie);
  return cookie ? { token: cookie, via: 'cookie' } : undefined;
}

/**
 * The anti-CSRF token of a session: a hash of the session token, so nothing is stored and only
 * someone who can read the (HttpOnly) session token or the login answer can compute it. Another
 * site can make a browser send the cookie (older browsers ignore SameSite) but cannot read this
 * value nor, without CORS, set a custom header.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`hikbridge csrf v1\0${sessionToken}`).digest('base64url');
}

export function csrfTokenMatches(sessionToken: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

function cookieToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}
