/** Who may watch and publish: viewer tokens, hikbridge credentials and the internal reader. */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { API_USER, AuthHook, INTERNAL_USER } from '../../src/modules/media/auth-hook.ts';
import { readViewerToken, signViewerToken, viewerTokenKey } from '../../src/modules/media/viewer-token.ts';

const key = viewerTokenKey(randomBytes(32));
const logger = pino({ level: 'silent' }) as never;
const checked: Array<{ user: string; password: string; token: string }> = [];
const hook = new AuthHook({
  logger,
  tokenKey: key,
  verifyCredentials: async (credentials) => {
    checked.push(credentials);
    return credentials.user === 'admin' && credentials.password === 'right';
  },
});
const hour = () => Date.now() + 3600_000;
const read = (scope: string, expiresAt = hour()) =>
  signViewerToken(key, { scope, action: 'read', expiresAt });

describe('viewer tokens', () => {
  it('round-trip, and refuse forged, re-signed, truncated or expired tokens', () => {
    const token = read('front-door');
    expect(readViewerToken(key, token)?.scope).toBe('front-door');
    const [payload, mac] = token.split('.');
    const widened = Buffer.from(JSON.stringify({ s: '', a: 'read', e: hour() })).toString('base64url');
    expect(readViewerToken(key, `${widened}.${mac}`)).toBeUndefined();
    expect(readViewerToken(viewerTokenKey(randomBytes(32)), token)).toBeUndefined();
    expect(readViewerToken(key, payload!)).toBeUndefined();
    expect(readViewerToken(key, `${token}.x`)).toBeUndefined();
    expect(readViewerToken(key, read('front-door', Date.now() - 1))).toBeUndefined();
  });
});

describe('the MediaMTX auth hook', () => {
  const ask = (question: Record<string, string>) => hook.decide(question);

  it('lets a viewer token read its camera only, never publish', async () => {
    const token = read('front-door');
    expect(await ask({ action: 'read', path: 'front-door/main', query: `token=${token}` })).toBe(true);
    expect(await ask({ action: 'read', path: 'front-door/sub', user: 'viewer', password: token })).toBe(true);
    expect(await ask({ action: 'playback', path: 'front-door/main', query: `token=${token}` })).toBe(true);
    expect(await ask({ action: 'read', path: 'front-door-2/main', query: `token=${token}` })).toBe(false);
    expect(await ask({ action: 'read', path: 'back-yard/main', query: `token=${token}` })).toBe(false);
    expect(await ask({ action: 'publish', path: 'front-door/main', query: `token=${token}` })).toBe(false);
  });

  it('lets a talk grant publish to its own talk path only', async () => {
    const grant = signViewerToken(key, { scope: 'talk/abc', action: 'publish', expiresAt: hour() });
    expect(await ask({ action: 'publish', path: 'talk/abc', query: `token=${grant}` })).toBe(true);
    expect(await ask({ action: 'publish', path: 'talk/other', query: `token=${grant}` })).toBe(false);
    expect(await ask({ action: 'read', path: 'talk/abc', query: `token=${grant}` })).toBe(false);
    // Credentials never allow publishing.
    expect(await ask({ action: 'publish', path: 'talk/abc', user: 'admin', password: 'right' })).toBe(false);
  });

  it('checks hikbridge credentials for reads and refuses anonymous viewers without asking', async () => {
    checked.length = 0;
    expect(await ask({ action: 'read', path: 'front-door/main', user: 'admin', password: 'right' })).toBe(
      true,
    );
    expect(await ask({ action: 'read', path: 'front-door/main', user: 'admin', password: 'wrong' })).toBe(
      false,
    );
    expect(await ask({ action: 'read', path: 'front-door/main' })).toBe(false);
    expect(checked).toHaveLength(2);
  });

  it('lets the internal reader in with the per-start password only', async () => {
    const path = 'front-door/main';
    expect(await ask({ action: 'read', path, user: INTERNAL_USER, password: hook.internalPassword })).toBe(
      true,
    );
    expect(await ask({ action: 'read', path, user: INTERNAL_USER, password: 'guess' })).toBe(false);
    expect(await ask({ action: 'read', path, user: INTERNAL_USER, password: '' })).toBe(false);
  });

  it("opens the control API to the gateway's API user with its per-start password, and to nobody else", async () => {
    expect(await ask({ action: 'api', user: API_USER, password: hook.apiPassword })).toBe(true);
    expect(await ask({ action: 'api', user: API_USER, password: 'guess' })).toBe(false);
    expect(await ask({ action: 'api', user: API_USER, password: '' })).toBe(false);
    expect(await ask({ action: 'api' })).toBe(false);
    // Credentials good elsewhere are no good here.
    expect(await ask({ action: 'api', user: INTERNAL_USER, password: hook.internalPassword })).toBe(false);
    expect(await ask({ action: 'api', user: 'admin', password: 'right' })).toBe(false);
    expect(await ask({ action: 'api', user: API_USER, password: hook.internalPassword })).toBe(false);
    const grant = signViewerToken(key, { scope: '', action: 'read', expiresAt: hour() });
    expect(await ask({ action: 'api', query: `token=${grant}` })).toBe(false);
    // Nor does the API password read video, and metrics and pprof stay shut.
    expect(
      await ask({ action: 'read', path: 'front-door/main', user: API_USER, password: hook.apiPassword }),
    ).toBe(false);
    for (const action of ['metrics', 'pprof']) {
      expect(await ask({ action, user: API_USER, password: hook.apiPassword })).toBe(false);
      expect(await ask({ action, user: 'admin', password: 'right' })).toBe(false);
    }
    expect(hook.apiPassword).not.toBe(hook.internalPassword);
  });
});
