/** The session cookie the login sets and every request may carry instead of a bearer token. */
export const SESSION_COOKIE = 'hikbridge_session';

/** The token in `Authorization: Bearer ...` or the session cookie, if any. */
export function requestToken(headers: { authorization?: string | undefined; cookie?: string | undefined }) {
  return bearerToken(headers.authorization) ?? cookieToken(headers.cookie);
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
