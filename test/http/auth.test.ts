import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/protocols/http/client.ts';
import {
  AuthUnsupportedError,
  BadCredentialsError,
  type DeviceError,
  LockedOutError,
} from '../../src/protocols/http/errors.ts';
import type { HttpClientOptions } from '../../src/protocols/http/types.ts';
import {
  DEFAULT_PASSWORD,
  DEFAULT_USER,
  type DeviceOptions,
  inspectUserCheck,
  startDevice,
  type TestDevice,
} from './digest-server.ts';
import { expectDeviceError } from './helpers.ts';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function setup(device: DeviceOptions = {}, client: Partial<HttpClientOptions> = {}) {
  const server = await startDevice(device);
  const http = new HttpClient({
    baseUrl: server.url,
    username: DEFAULT_USER,
    password: DEFAULT_PASSWORD,
    inspectAuthFailure: inspectUserCheck,
    ...client,
  });
  cleanups.push(
    () => http.close(),
    () => server.close(),
  );
  return { server, http };
}

const DEVICE_INFO = '/ISAPI/System/deviceInfo?format=json';

function credentialedRequests(server: TestDevice): number {
  return server.seen.filter((r) => r.authorization !== undefined).length;
}

describe('Digest authentication', () => {
  it('answers the challenge and returns the response', async () => {
    const { server, http } = await setup();
    const response = await http.request({ path: DEVICE_INFO });
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(`ok GET ${DEVICE_INFO} 0`);
    expect(response.headers['content-type']).toBe('text/plain');
    expect(server.stats).toMatchObject({ requests: 2, challenges: 1, failedLogins: 0, authenticated: 1 });
  });

  it('reuses the nonce with increasing nc: one 401 over 10 sequential requests', async () => {
    const { server, http } = await setup();
    for (let i = 0; i < 10; i++) {
      expect((await http.request({ path: `/ISAPI/x?i=${i}` })).status).toBe(200);
    }
    expect(server.stats.challenges).toBe(1);
    expect(server.stats.requests).toBe(11);
    expect(server.stats.ncReplays).toBe(0);
    expect(server.acceptedNc).toEqual(
      Array.from({ length: 10 }, (_, i) => (i + 1).toString(16).padStart(8, '0')),
    );
  });

  it('replays a buffered body on the authenticated retry', async () => {
    const { http } = await setup();
    const xml = '<RemoteControlDoor><cmd>open</cmd></RemoteControlDoor>';
    const response = await http.request({
      method: 'PUT',
      path: '/ISAPI/AccessControl/RemoteControl/door/1',
      body: xml,
    });
    expect(response.body.toString()).toBe(`ok PUT /ISAPI/AccessControl/RemoteControl/door/1 ${xml.length}`);
  });

  it('takes a new challenge when the cached nonce goes stale, without counting a failure', async () => {
    const { server, http } = await setup();
    await http.request({ path: '/a' });
    await http.request({ path: '/b' });
    server.expireNonces();
    const response = await http.request({ path: '/c' });
    expect(response.status).toBe(200);
    expect(server.stats).toMatchObject({ challenges: 2, failedLogins: 0, authenticated: 3 });
    expect(server.acceptedNc).toEqual(['00000001', '00000002', '00000001']);
  });

  it('re-challenges once when a cached nonce gets a plain 401, without counting a failure', async () => {
    const { server, http } = await setup({ announceStale: false });
    await http.request({ path: '/a' });
    server.expireNonces();
    expect((await http.request({ path: '/b' })).status).toBe(200);
    expect((await http.request({ path: '/c' })).status).toBe(200);
    expect(server.stats).toMatchObject({ challenges: 2, failedLogins: 0, authenticated: 3, requests: 5 });
  });

  it('answers MD5-sess challenges', async () => {
    const { server, http } = await setup({ algorithm: 'MD5-sess' });
    await http.request({ path: '/a' });
    await http.request({ path: '/b' });
    expect(server.stats).toMatchObject({ authenticated: 2, failedLogins: 0, challenges: 1 });
  });
});

describe('refused credentials', () => {
  it('reports bad credentials after exactly one credentialed attempt, then stays away', async () => {
    const { server, http } = await setup({ lockAfterFailures: 5 }, { password: 'wrong-password' });
    const error = await expectDeviceError(
      http.request({ path: DEVICE_INFO }),
      BadCredentialsError,
      'bad_credentials',
    );
    expect(error.attemptsLeft).toBe(4);
    expect(server.stats.failedLogins).toBe(1);
    expect(credentialedRequests(server)).toBe(1);
    const seenBefore = server.stats.requests;

    await expectDeviceError(http.request({ path: DEVICE_INFO }), BadCredentialsError, 'bad_credentials');
    await expectDeviceError(
      http.stream({ path: '/ISAPI/Event/notification/alertStream' }),
      BadCredentialsError,
      'bad_credentials',
    );
    expect(server.stats.requests).toBe(seenBefore);
    expect(http.authBlockedUntil).toBeGreaterThan(Date.now() + 50_000);
  });

  it('lets only one of many parallel requests try the wrong password', async () => {
    const { server, http } = await setup({}, { password: 'wrong-password', maxConcurrent: 3 });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => http.request({ path: DEVICE_INFO })),
    );
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(BadCredentialsError);
    }
    expect(server.stats.failedLogins).toBe(1);
    expect(credentialedRequests(server)).toBe(1);
  });

  it('reports a lockout with its duration and never contacts the locked device again', async () => {
    const { server, http } = await setup(
      { lockAfterFailures: 1, lockSeconds: 600 },
      { password: 'wrong-password' },
    );
    const error = await expectDeviceError(http.request({ path: DEVICE_INFO }), LockedOutError, 'locked_out');
    expect(error.unlockInSeconds).toBeGreaterThan(590);
    expect(error.message).toContain('10 min');
    const seenBefore = server.stats.requests;

    const again = await expectDeviceError(http.request({ path: DEVICE_INFO }), LockedOutError, 'locked_out');
    expect(again.unlockInSeconds).toBeLessThanOrEqual(600);
    expect(server.stats.requests).toBe(seenBefore);
    expect(http.authBlockedUntil).toBeGreaterThan(Date.now() + 590_000);
  });

  it('recognises a lock caused elsewhere even with the right password, after one attempt', async () => {
    const { server, http } = await setup({ lockAfterFailures: 1, lockSeconds: 120 });
    const intruder = new HttpClient({ baseUrl: server.url, username: DEFAULT_USER, password: 'guess' });
    cleanups.push(() => intruder.close());
    await expect(intruder.request({ path: '/' })).rejects.toBeInstanceOf(BadCredentialsError);

    await expectDeviceError(http.request({ path: DEVICE_INFO }), LockedOutError, 'locked_out');
    expect(credentialedRequests(server)).toBe(2);
    expect(server.stats.failedLogins).toBe(1);
  });

  it('lifts the block on resetAuth with new credentials', async () => {
    const { server, http } = await setup({}, { password: 'wrong-password' });
    await expect(http.request({ path: DEVICE_INFO })).rejects.toBeInstanceOf(BadCredentialsError);
    http.resetAuth({ username: DEFAULT_USER, password: DEFAULT_PASSWORD });
    expect(http.authBlockedUntil).toBeUndefined();
    expect((await http.request({ path: DEVICE_INFO })).status).toBe(200);
    expect(server.stats).toMatchObject({ failedLogins: 1, authenticated: 1 });
  });

  it('tries again after authRetryDelayMs, or at once after resetAuth()', async () => {
    const { server, http } = await setup({}, { password: 'wrong-password', authRetryDelayMs: 150 });
    await expect(http.request({ path: '/' })).rejects.toBeInstanceOf(BadCredentialsError);
    await expect(http.request({ path: '/' })).rejects.toBeInstanceOf(BadCredentialsError);
    expect(server.stats.failedLogins).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(http.request({ path: '/' })).rejects.toBeInstanceOf(BadCredentialsError);
    expect(server.stats.failedLogins).toBe(2);
    http.resetAuth();
    await expect(http.request({ path: '/' })).rejects.toBeInstanceOf(BadCredentialsError);
    expect(server.stats.failedLogins).toBe(3);
  });

  it('never puts the password in an error message', async () => {
    const secret = 'S3cret-Do-Not-Show';
    const { http } = await setup({ auth: 'no-challenge' }, { password: secret });
    const { http: bad } = await setup({}, { password: secret });
    const errors = (await Promise.allSettled([http.request({ path: '/' }), bad.request({ path: '/' })])).map(
      (r) => (r as PromiseRejectedResult).reason as DeviceError,
    );
    for (const error of errors) {
      expect(error.message).not.toContain(secret);
      expect(String(error.stack)).not.toContain(secret);
    }
  });
});

describe('other schemes and odd devices', () => {
  it('logs in to a Basic-only device and then sends Basic up front', async () => {
    const { server, http } = await setup({ auth: 'basic' });
    for (let i = 0; i < 3; i++)
      expect((await http.request({ path: '/ISAPI/System/status' })).status).toBe(200);
    expect(server.stats).toMatchObject({ challenges: 1, authenticated: 3, failedLogins: 0 });
  });

  it('sends Basic pre-emptively in basic mode', async () => {
    const { server, http } = await setup({ auth: 'basic' }, { auth: 'basic' });
    expect((await http.request({ path: '/' })).status).toBe(200);
    expect(server.stats).toMatchObject({ requests: 1, challenges: 0 });
  });

  it('refuses to send Basic in digest mode', async () => {
    const { server, http } = await setup({ auth: 'basic' }, { auth: 'digest' });
    const error = await expectDeviceError(
      http.request({ path: '/' }),
      AuthUnsupportedError,
      'auth_unsupported',
    );
    expect(error.message).toContain('Basic');
    expect(credentialedRequests(server)).toBe(0);
  });

  it('explains a Digest-only device in basic mode', async () => {
    const { http } = await setup({}, { auth: 'basic' });
    const error = await expectDeviceError(
      http.request({ path: '/' }),
      AuthUnsupportedError,
      'auth_unsupported',
    );
    expect(error.message).toContain('does not accept Basic');
  });

  it('explains a 401 without WWW-Authenticate', async () => {
    const { server, http } = await setup({ auth: 'no-challenge' });
    const error = await expectDeviceError(
      http.request({ path: '/' }),
      AuthUnsupportedError,
      'auth_unsupported',
    );
    expect(error.message).toContain('sent no WWW-Authenticate challenge');
    expect(error.message).toContain('check that the user exists');
    expect(credentialedRequests(server)).toBe(0);
  });

  it('says so when the device wants a login and no credentials are configured', async () => {
    const { http } = await setup({}, { username: undefined, password: undefined });
    const error = await expectDeviceError(
      http.request({ path: '/' }),
      AuthUnsupportedError,
      'auth_unsupported',
    );
    expect(error.message).toContain('no username and password');
  });

  it('returns the 401 untouched in auth mode none', async () => {
    const { server, http } = await setup({}, { auth: 'none' });
    const response = await http.request({ path: '/' });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Digest /);
    expect(server.stats.requests).toBe(1);
  });
});
