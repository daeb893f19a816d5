import { fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { client, DigestClient, PASSWORD, parseChallenge, sim, sleep, tag } from './helpers.ts';

describe('digest authentication', () => {
  it('challenges with Digest MD5 qop=auth and accepts a correct response', async () => {
    const device = await sim({ profile: 'camera' });
    const c = client(device);
    const first = await c.raw('/ISAPI/System/deviceInfo');
    expect(first.status).toBe(401);
    const challenge = parseChallenge(first.headers.get('www-authenticate')!);
    expect(first.headers.get('www-authenticate')).toMatch(/^Digest /);
    expect(challenge.qop).toBe('auth');
    expect(challenge.nonce).toMatch(/^[0-9a-f]{16,}$/);
    expect(challenge.stale).toBe('FALSE');
    await first.arrayBuffer();
    const { status, body } = await c.text('/ISAPI/System/deviceInfo');
    expect(status).toBe(200);
    expect(tag(body, 'model')).toBe('DS-2CD2386G2-IU');
    // nc counts on the same nonce
    expect((await c.text('/ISAPI/System/capabilities')).status).toBe(200);
    expect(device.requests.filter((r) => r.authenticated)).toHaveLength(2);
  });

  it('rejects a wrong password with the Hikvision userCheck body and attempts left', async () => {
    const device = await sim({ profile: 'camera', lockoutAfter: 5 });
    const c = client(device, 'wrong-password');
    const { status, body, res } = await c.text('/ISAPI/System/deviceInfo');
    expect(status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Digest /);
    expect(body).toContain('<userCheck version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">');
    expect(tag(body, 'statusValue')).toBe('401');
    expect(tag(body, 'statusString')).toBe('Unauthorized');
    expect(tag(body, 'lockStatus')).toBe('unlock');
    expect(tag(body, 'retryLoginTime')).toBe('4');
    expect(device.requests.at(-1)).toMatchObject({ status: 401, authenticated: true, authorized: false });
    expect(device.countRequests('/ISAPI/System/deviceInfo')).toBe(0);
  });

  it('locks the user after lockoutAfter failures, even for the right password, until lockoutSeconds pass', async () => {
    const device = await sim({ profile: 'camera', lockoutAfter: 3, lockoutSeconds: 1 });
    const bad = client(device, 'nope');
    const left: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { body } = await bad.text('/ISAPI/System/deviceInfo');
      left.push(`${tag(body, 'lockStatus')}:${tag(body, 'retryLoginTime')}`);
    }
    expect(left).toEqual(['unlock:2', 'unlock:1', 'lock:0']);

    const good = client(device);
    const locked = await good.text('/ISAPI/System/deviceInfo');
    expect(locked.status).toBe(401);
    expect(tag(locked.body, 'lockStatus')).toBe('lock');
    expect(Number(tag(locked.body, 'unlockTime'))).toBeGreaterThanOrEqual(1);

    await sleep(1100);
    expect((await good.text('/ISAPI/System/deviceInfo')).status).toBe(200);
  });

  it('reports the configured lock time in unlockTime', async () => {
    const device = await sim({ profile: 'camera', lockoutAfter: 1, lockoutSeconds: 1800 });
    const { body } = await client(device, 'nope').text('/ISAPI/System/deviceInfo');
    expect(tag(body, 'lockStatus')).toBe('lock');
    expect(Number(tag(body, 'unlockTime'))).toBeGreaterThan(1790);
  });

  it('does not count requests without credentials as failed logins', async () => {
    const device = await sim({ profile: 'camera', lockoutAfter: 2 });
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${device.url}/ISAPI/System/deviceInfo`);
      expect(res.status).toBe(401);
      expect(tag(await res.text(), 'retryLoginTime')).toBe('2');
    }
    expect((await client(device).text('/ISAPI/System/deviceInfo')).status).toBe(200);
  });

  it('a success resets the failure count', async () => {
    const device = await sim({ profile: 'camera', lockoutAfter: 2 });
    const bad = client(device, 'nope');
    expect((await bad.text('/ISAPI/System/deviceInfo')).status).toBe(401);
    expect((await client(device).text('/ISAPI/System/deviceInfo')).status).toBe(200);
    const { body } = await bad.text('/ISAPI/System/deviceInfo');
    expect(tag(body, 'retryLoginTime')).toBe('1');
  });

  it('answers 400 when the digest uri does not match the request (a client bug, not a bad login)', async () => {
    const device = await sim({ profile: 'camera', lockoutAfter: 1 });
    const c = client(device);
    await c.prime();
    const res = await c.raw('/ISAPI/System/deviceInfo', {
      headers: { Authorization: c.authorization('GET', '/ISAPI/System/capabilities') },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-sim-auth-error')).toMatch(/uri/);
    expect((await c.text('/ISAPI/System/deviceInfo')).status).toBe(200); // not locked
  });

  it('signs the query string as part of the uri', async () => {
    const c = client(await sim({ profile: 'doorbell' }));
    const res = await c.request('/ISAPI/VideoIntercom/callStatus?format=json');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ CallStatus: { status: 'idle' } });
  });

  it('answers stale=true on a replayed nc and on an expired nonce, without counting a failure', async () => {
    const device = await sim({ profile: 'camera', lockoutAfter: 1, nonceTtlMs: 150 });
    const c = client(device);
    await c.prime();
    const header = c.authorization('GET', '/ISAPI/System/deviceInfo');
    expect((await c.raw('/ISAPI/System/deviceInfo', { headers: { Authorization: header } })).status).toBe(
      200,
    );
    const replay = await c.raw('/ISAPI/System/deviceInfo', { headers: { Authorization: header } });
    expect(replay.status).toBe(401);
    expect(parseChallenge(replay.headers.get('www-authenticate')!).stale).toBe('TRUE');

    await c.prime();
    await sleep(200);
    const expired = await c.raw('/ISAPI/System/deviceInfo', {
      headers: { Authorization: c.authorization('GET', '/ISAPI/System/deviceInfo') },
    });
    expect(expired.status).toBe(401);
    expect(parseChallenge(expired.headers.get('www-authenticate')!).stale).toBe('TRUE');
    expect(tag(await expired.text(), 'lockStatus')).toBe('unlock');
    // the client's usual reaction (re-challenge) works
    expect((await c.text('/ISAPI/System/deviceInfo')).status).toBe(200);
  });
});

describe('basic authentication', () => {
  const basic = (user: string, password: string): string =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('auth "basic" challenges with Basic and accepts it', async () => {
    const device = await sim({ profile: 'camera', auth: 'basic' });
    const first = await fetch(`${device.url}/ISAPI/System/deviceInfo`);
    expect(first.headers.get('www-authenticate')).toMatch(/^Basic realm="/);
    await first.arrayBuffer();
    const ok = await fetch(`${device.url}/ISAPI/System/deviceInfo`, {
      headers: { Authorization: basic('admin', PASSWORD) },
    });
    expect(ok.status).toBe(200);
    const bad = await fetch(`${device.url}/ISAPI/System/deviceInfo`, {
      headers: { Authorization: basic('admin', 'x') },
    });
    expect(bad.status).toBe(401);
    expect(tag(await bad.text(), 'retryLoginTime')).toBe('4');
  });

  it('auth "digest+basic" offers both schemes', async () => {
    const device = await sim({ profile: 'camera', auth: 'digest+basic' });
    const res = await fetch(`${device.url}/ISAPI/System/deviceInfo`);
    const header = res.headers.get('www-authenticate') ?? '';
    expect(header).toMatch(/Digest qop="auth"/);
    expect(header).toMatch(/Basic realm=/);
    const ok = await fetch(`${device.url}/ISAPI/System/deviceInfo`, {
      headers: { Authorization: basic('admin', PASSWORD) },
    });
    expect(ok.status).toBe(200);
    expect((await new DigestClient(device.url).text('/ISAPI/System/deviceInfo')).status).toBe(200);
  });

  it('a digest-only device ignores pre-emptive Basic (a challenge, not a failed login)', async () => {
    const device = await sim({ profile: 'camera', lockoutAfter: 1 });
    const res = await fetch(`${device.url}/ISAPI/System/deviceInfo`, {
      headers: { Authorization: basic('admin', 'wrong') },
    });
    expect(res.status).toBe(401);
    expect(tag(await res.text(), 'lockStatus')).toBe('unlock');
    expect((await client(device).text('/ISAPI/System/deviceInfo')).status).toBe(200);
  });
});
