/**
 * `POST /api/v1/auth/password` through a real gateway: the current password is checked (and
 * wrong ones count against the login limit), the new one must be new and long enough, the
 * user's other sessions end while the asking one stays, and no password shows in the logs
 * (the harness's secret scan at stop checks every body sent).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../gateway/harness.ts';

const NEW_PASSWORD = 'Changed-Pass-93?';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    overrides: { auth: { adminPassword: ADMIN_PASSWORD, login: { maxAttempts: 4, windowSeconds: 300 } } },
  });
  gw.scan.addSecret(NEW_PASSWORD, 'new password');
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

async function login(password: string): Promise<{ status: number; token?: string; message?: string }> {
  const answer = await gw.api('POST', '/api/v1/auth/login', {
    body: { username: 'admin', password },
    token: null,
  });
  return { status: answer.status, token: answer.json?.token, message: answer.json?.error?.message };
}

function changePassword(token: string, currentPassword: string, newPassword: string) {
  return gw.api('POST', '/api/v1/auth/password', { body: { currentPassword, newPassword }, token });
}

describe('changing the password', () => {
  it('refuses bad input in words and changes nothing', async () => {
    const session = (await login(ADMIN_PASSWORD)).token!;
    const short = await changePassword(session, ADMIN_PASSWORD, 'short');
    expect(short.status).toBe(400);
    expect(short.json.error.message).toMatch(/at least 8 characters/);
    const same = await changePassword(session, ADMIN_PASSWORD, ADMIN_PASSWORD);
    expect(same.status).toBe(400);
    expect(same.json.error.message).toMatch(/same as the current one/);
    const wrong = await changePassword(session, 'Not-The-Password-1', NEW_PASSWORD);
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.message).toMatch(/current password is wrong/);
    const missing = await gw.api('POST', '/api/v1/auth/password', {
      body: { newPassword: NEW_PASSWORD },
      token: session,
    });
    expect(missing.status).toBe(400);
    // Nothing changed: the old password still logs in, the session still works.
    expect((await login(ADMIN_PASSWORD)).status).toBe(200);
    expect((await gw.api('GET', '/api/v1/auth/me', { token: session })).status).toBe(200);
  });

  it('an API token without a user has no password to change', async () => {
    const orphan = await gw.gateway.auth.createApiToken('orphan', null);
    const refused = await changePassword(orphan.token, ADMIN_PASSWORD, NEW_PASSWORD);
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toMatch(/belongs to no user/);
    await gw.api('DELETE', `/api/v1/tokens/${orphan.record.id}`);
  });

  it('sets the new password, ends the other sessions and keeps this one', async () => {
    const mine = (await login(ADMIN_PASSWORD)).token!;
    const other = (await login(ADMIN_PASSWORD)).token!;
    const apiToken = (await gw.api('POST', '/api/v1/tokens', { body: { name: 'kept' } })).json
      .token as string;

    const changed = await changePassword(mine, ADMIN_PASSWORD, NEW_PASSWORD);
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json.changed).toBe(true);
    // The other session, and the harness's own login session, ended.
    expect(changed.json.endedSessions).toBeGreaterThanOrEqual(2);

    expect((await gw.api('GET', '/api/v1/auth/me', { token: mine })).status).toBe(200);
    expect((await gw.api('GET', '/api/v1/auth/me', { token: other })).status).toBe(401);
    expect((await gw.api('GET', '/api/v1/auth/me', { token: apiToken })).status).toBe(200);
    const old = await login(ADMIN_PASSWORD);
    expect(old.status).toBe(401);
    expect(old.message).toMatch(/Wrong username or password/);
    const fresh = await login(NEW_PASSWORD);
    expect(fresh.status).toBe(200);
    gw.token = fresh.token!;
    expect(gw.logs()).toContain('password changed');
  });

  it('wrong current passwords count against the login limit', async () => {
    // A good login clears the count; then 4 wrong tries lock this client out (maxAttempts: 4).
    const session = (await login(NEW_PASSWORD)).token!;
    for (let i = 0; i < 4; i += 1) {
      expect((await changePassword(session, `Wrong-Password-${i}`, NEW_PASSWORD)).status).toBe(401);
    }
    const locked = await changePassword(session, NEW_PASSWORD, 'Another-Pass-55');
    expect(locked.status).toBe(429);
    expect(locked.json.error.message).toMatch(/try again in \d+ s/);
    // The same limit as logins: the right password cannot log in either, for now.
    expect((await login(NEW_PASSWORD)).status).toBe(429);
  });
});
