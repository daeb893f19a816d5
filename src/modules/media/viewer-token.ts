/**
 * Viewer tokens: short-lived, signed permissions to watch one camera (all its streams), put in
 * the stream URLs the API hands out. MediaMTX passes the query string to our auth hook, which
 * checks the signature and the expiry; nothing is stored, so any gateway with the same secret
 * key accepts them.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export interface ViewerGrant {
  /** A path (`talk/abc`) or a camera prefix (`front-door`) covering `front-door/<stream>`. */
  scope: string;
  /** `read` to watch, `publish` to send (two-way audio). */
  action: 'read' | 'publish';
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

/** A key for viewer tokens only, derived from the gateway's secret key. */
export function viewerTokenKey(secretKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'hikbridge viewer tokens v1', 32));
}

function mac(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

export function signViewerToken(key: Buffer, grant: ViewerGrant): string {
  const payload = Buffer.from(
    JSON.stringify({ s: grant.scope, a: grant.action, e: grant.expiresAt }),
  ).toString('base64url');
  return `${payload}.${mac(key, payload)}`;
}

/** The grant in a token, or undefined when it is forged, malformed or expired. */
export function readViewerToken(key: Buffer, token: string, now = Date.now()): ViewerGrant | undefined {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  const expected = Buffer.from(mac(key, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const { s, a, e } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    if (typeof s !== 'string' || (a !== 'read' && a !== 'publish') || typeof e !== 'number') return undefined;
    if (e <= now) return undefined;
    return { scope: s, action: a, expiresAt: e };
  } catch {
    return undefined;
  }
}

/** Whether a grant covers `action` on `path`. */
export function grantAllows(grant: ViewerGrant, action: string, path: string): boolean {
  const actionOk = grant.action === action || (grant.action === 'read' && action === 'playback');
  return actionOk && (path === grant.scope || path.startsWith(`${grant.scope}/`));
}
