/**
 * The gateway end to end on SQLite: a real Fastify server, real simulated devices, the real
 * store on disk. Every route requires auth; bad input changes nothing; secrets never leak.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listFixtureProfiles,
  type SimDevice,
  type SimDeviceOptions,
  startSimDevice,
} from '../../sim/index.ts';
import { expectedFromFixture } from '../support/fixtures.ts';
import { ADMIN_PASSWORD, eventually, startTestGateway, type TestGateway } from './harness.ts';

const DEVICE_PASSWORD = 'Dev1ce-Secret#x';
let gw: TestGateway;
const sims: SimDevice[] = [];

async function sim(options: Partial<SimDeviceOptions> = {}): Promise<SimDevice> {
  // Each copy gets its own serial number: the gateway refuses one device added twice.
  const serialNumber = `SIM${sims.length}X${Date.now().toString(36).toUpperCase()}`;
  const device = await startSimDevice({
    profile: 'camera',
    password: DEVICE_PASSWORD,
    serialNumber,
    ...options,
  });
  sims.push(device);
  return device;
}

function deviceBody(device: SimDevice, extra: Record<string, unknown> = {}) {
  const url = new URL(device.url);
  return {
    host: url.hostname,
    port: Number(url.port),
    username: 'admin',
    password: DEVICE_PASSWORD,
    ...extra,
  };
}

async function addDevice(device: SimDevice, extra: Record<string, unknown> = {}) {
  const answer = await gw.api('POST', '/api/v1/devices', { body: deviceBody(device, extra) });
  expect(answer.status, answer.text).toBe(201);
  return answer.json;
}

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all(sims.map((device) => device.close()));
});

describe('authentication', () => {
  it('every route but /health, login and the session question answers 401 without a token', async () => {
    const spec = (await gw.api('GET', '/api/v1/openapi.json')).json;
    const operations: Array<[string, string]> = [];
    for (const [path, methods] of Object.entries(spec.paths as Record<string, object>)) {
      for (const method of Object.keys(methods))
        operations.push([method.toUpperCase(), path.replace(/\{[^}]+\}/g, 'x')]);
    }
    operations.push(['GET', '/api/v1/openapi.json'], ['GET', '/metrics']);
    expect(operations.length).toBeGreaterThan(15);
    for (const [method, path] of operations) {
      const isPublic = ['/health', '/api/v1/auth/login', '/api/v1/auth/session'].includes(path);
      const answer = await gw.api(method, path, {
        token: null,
        ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }),
      });
      if (isPublic) expect(answer.status, `${method} ${path}`).not.toBe(401);
      else {
        expect(answer.status, `${method} ${path}`).toBe(401);
        expect(answer.json.error.code).toBe('unauthorized');
      }
    }
  });

  it('a wrong token is refused; /health needs none', async () => {
    expect((await gw.api('GET', '/api/v1/devices', { token: 'hb_api_nope' })).status).toBe(401);
    const health = await gw.api('GET', '/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.json.status).toBe('ok');
  });

  it('security headers are set', async () => {
    const answer = await gw.api('GET', '/health', { token: null });
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('API tokens: created once, stored hashed, revocable', async () => {
    const created = await gw.api('POST', '/api/v1/tokens', { body: { name: 'home assistant' } });
    expect(created.status).toBe(201);
    const token = created.json.token as string;
    expect(token).toMatch(/^hb_api_/);
    expect((await gw.api('GET', '/api/v1/devices', { token })).status).toBe(200);
    const list = await gw.api('GET', '/api/v1/tokens');
    expect(list.text).not.toContain(token);
    const stored = await gw.gateway.store.tokens.list('api');
    expect(stored.every((t) => t.tokenHash !== token && !t.tokenHash.includes(token))).toBe(true);
    expect((await gw.api('DELETE', `/api/v1/tokens/${created.json.id}`)).status).toBe(204);
    expect((await gw.api('GET', '/api/v1/devices', { token })).status).toBe(401);
  });

  it('session cookie works, its changes need the anti-CSRF token, and logout ends it', async () => {
    const login = await fetch(`${gw.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect(login.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    const me = await fetch(`${gw.url}/api/v1/auth/me`, { headers: { cookie } });
    expect(await me.json()).toMatchObject({ username: 'admin', csrfToken });
    // The UI asks whether it is signed in without a 401 either way (a bearer token is not a browser session).
    const session = async (headers: Record<string, string>) =>
      (await fetch(`${gw.url}/api/v1/auth/session`, { headers })).json();
    expect(await session({ cookie })).toEqual({ signedIn: true, username: 'admin', csrfToken });
    expect(await session({})).toEqual({ signedIn: false, username: null, csrfToken: null });
    expect(await session({ authorization: `Bearer ${gw.token}` })).toMatchObject({ signedIn: false });

    // A cross-site form post carries the cookie but cannot know the token: refused, nothing made.
    const tokenBody = { method: 'POST', body: JSON.stringify({ name: 'forged' }) };
    const forged = await fetch(`${gw.url}/api/v1/tokens`, {
      ...tokenBody,
      headers: { cookie, 'content-type': 'application/json' },
    });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('csrf_token_missing');
    const wrong = await fetch(`${gw.url}/api/v1/tokens`, {
      ...tokenBody,
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': `${csrfToken}x` },
    });
    expect(wrong.status).toBe(403);
    const tokens = (await (await fetch(`${gw.url}/api/v1/tokens`, { headers: { cookie } })).json()) as {
      name: string;
    }[];
    expect(tokens.map((t) => t.name)).not.toContain('forged');
    // A bearer token needs no anti-CSRF token: browsers never add that header on their own.
    const bearer = await fetch(`${gw.url}/api/v1/auth/me`, {
      headers: { authorization: `Bearer ${gw.token}` },
    });
    expect(((await bearer.json()) as { csrfToken?: string }).csrfToken).toBeUndefined();

    const logout = await fetch(`${gw.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(logout.status).toBe(204);
    expect((await fetch(`${gw.url}/api/v1/auth/me`, { headers: { cookie } })).status).toBe(401);
  });
});

describe('devices', () => {
  it('add: probe, persist, channels and health; the password never comes back', async () => {
    const camera = await sim();
    const device = await addDevice(camera, { name: 'Yard' });
    expect(device).toMatchObject({ name: 'Yard', kind: 'camera', model: 'DS-2CD2386G2-IU', rtspPort: 554 });
    expect(device.password).toBeUndefined();
    const channels = (await gw.api('GET', `/api/v1/devices/${device.id}/channels`)).json;
    expect(channels).toHaveLength(1);
    expect(channels[0].preferredStream).toBe('102');
    expect(channels[0].streams.find((s: { id: string }) => s.id === '101').browserCompatible).toBe(false);
    const health = await eventually(async () => {
      const h = (await gw.api('GET', `/api/v1/devices/${device.id}/health`)).json;
      return h.state === 'online' ? h : undefined;
    });
    expect(health.lastSeen).toBeTruthy();
  });

  it('an NVR becomes one camera per channel, as the real NVR reported them', async () => {
    const fixture = listFixtureProfiles().find((path) => path.endsWith('DS-7616NI-Q2.json'))!;
    const nvr = await sim({ profile: fixture });
    const device = await addDevice(nvr);
    expect(device.kind).toBe('nvr');
    const channels = (await gw.api('GET', `/api/v1/devices/${device.id}/channels`)).json as Array<{
      channelNo: number;
      name: string;
      streams: Array<{ id: string }>;
    }>;
    const expected = expectedFromFixture(fixture);
    expect(channels.map((c) => [c.channelNo, c.name])).toEqual(expected.channels.map((c) => [c.id, c.name]));
    expect(channels.map((c) => c.streams.map((s) => s.id))).toEqual(
      expected.channels.map((c) => c.streams.map((s) => s.id)),
    );
  });

  it('a doorbell gets locks, contacts and tamper; they go with it', async () => {
    const doorbell = await sim({ profile: 'doorbell' });
    const device = await addDevice(doorbell);
    const entities = (await gw.api('GET', `/api/v1/devices/${device.id}/entities`)).json as Array<{
      key: string;
      kind: string;
    }>;
    expect(entities.map((e) => e.key)).toEqual(
      expect.arrayContaining(['ring', 'door-1', 'door-1-contact', 'door-2', 'door-2-contact', 'tamper']),
    );
    expect(entities.filter((e) => e.kind === 'lock')).toHaveLength(2);
    expect((await gw.api('DELETE', `/api/v1/devices/${device.id}`)).status).toBe(204);
    expect(await gw.gateway.store.entities.listByDevice(device.id)).toHaveLength(0);
    expect(await gw.gateway.store.channels.listByDevice(device.id)).toHaveLength(0);
    expect((await gw.api('GET', `/api/v1/devices/${device.id}`)).status).toBe(404);
  });

  it('a device with a wrong password is not saved, and the reason is clear', async () => {
    const camera = await sim();
    const before = (await gw.api('GET', '/api/v1/devices')).json.length;
    const answer = await gw.api('POST', '/api/v1/devices', {
      body: deviceBody(camera, { password: 'Wrong-One1' }),
    });
    expect(answer.status).toBe(502);
    expect(answer.json.error.code).toBe('device_bad_credentials');
    expect(answer.json.error.message).toMatch(/rejected the username "admin"/);
    expect((await gw.api('GET', '/api/v1/devices')).json.length).toBe(before);
  });

  it('the same device twice is a conflict', async () => {
    const camera = await sim();
    await addDevice(camera);
    const again = await gw.api('POST', '/api/v1/devices', { body: deviceBody(camera) });
    expect(again.status).toBe(409);
    expect(again.json.error.message).toMatch(/already added/);
  });

  it('snapshots: a JPEG, and 100 concurrent requests reach the device at most twice', async () => {
    const camera = await sim();
    const device = await addDevice(camera);
    const [channel] = (await gw.api('GET', `/api/v1/devices/${device.id}/channels`)).json;
    const one = await fetch(`${gw.url}/api/v1/channels/${channel.id}/snapshot.jpg`, {
      headers: { authorization: `Bearer ${gw.token}` },
    });
    expect(one.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await one.arrayBuffer()).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const before = camera.countRequests('/ISAPI/Streaming/channels/');
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        fetch(`${gw.url}/api/v1/channels/${channel.id}/snapshot.jpg`, {
          headers: { authorization: `Bearer ${gw.token}` },
        }),
      ),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await Promise.all(answers.map((a) => a.arrayBuffer()));
    const pictures = camera.requests.filter((r) => r.path.endsWith('/picture') && r.status === 200).length;
    expect(camera.countRequests('/ISAPI/Streaming/channels/') - before).toBeLessThanOrEqual(2);
    expect(pictures).toBeGreaterThanOrEqual(2);
  });

  it('settings changes apply without a restart (snapshot override to another path)', async () => {
    const nvr = await sim({ profile: 'nvr:2' });
    const device = await addDevice(nvr);
    const channels = (await gw.api('GET', `/api/v1/devices/${device.id}/channels`)).json;
    // On the NVR's own origin, so its login goes along; another origin would need credentials
    // of its own (the device's never leave its origin: test/http/credentials.test.ts).
    // Channel 2's picture, taken from channel 1's path instead.
    const channel1Picture = '/ISAPI/ContentMgmt/StreamingProxy/channels/101/picture';
    const before = nvr.countRequests(channel1Picture);
    const patched = await gw.api('PATCH', `/api/v1/channels/${channels[1].id}`, {
      body: { snapshotUrlOverride: `${nvr.url}${channel1Picture}` },
    });
    expect(patched.status, patched.text).toBe(200);
    const snap = await fetch(`${gw.url}/api/v1/channels/${channels[1].id}/snapshot.jpg`, {
      headers: { authorization: `Bearer ${gw.token}` },
    });
    expect(snap.status).toBe(200);
    expect(nvr.countRequests(channel1Picture)).toBe(before + 1);
    const renamed = await gw.api('PATCH', `/api/v1/devices/${device.id}`, { body: { name: 'Garage NVR' } });
    expect(renamed.json.name).toBe('Garage NVR');
  });

  it('a channel can be left out (picking NVR channels)', async () => {
    const nvr = await sim({ profile: 'nvr:3' });
    const device = await addDevice(nvr);
    const channels = (await gw.api('GET', `/api/v1/devices/${device.id}/channels`)).json;
    const answer = await gw.api('PATCH', `/api/v1/channels/${channels[2].id}`, { body: { enabled: false } });
    expect(answer.json.enabled).toBe(false);
    const refreshed = await gw.api('POST', `/api/v1/devices/${device.id}/refresh`);
    expect(refreshed.status).toBe(200);
    const after = (await gw.api('GET', `/api/v1/devices/${device.id}/channels`)).json;
    expect(after.map((c: { enabled: boolean }) => c.enabled)).toEqual([true, true, false]);
    expect(after[2].id).toBe(channels[2].id);
  });

  it('the doctor runs from the API', async () => {
    const camera = await sim();
    const device = await addDevice(camera);
    const report = await gw.api('POST', `/api/v1/devices/${device.id}/doctor`);
    expect(report.status).toBe(200);
    const byId = Object.fromEntries(
      report.json.checks.map((c: { id: string; status: string }) => [c.id, c.status]),
    );
    expect(byId.credentials).toBe('pass');
    expect(byId['stream-codec']).toBe('warn');
  });

  it('metrics count devices by state', async () => {
    await addDevice(await sim()); // at least one, whichever tests ran before
    const listed = (await gw.api('GET', '/api/v1/devices')).json as Array<{ enabled: boolean }>;
    const total = listed.filter((device) => device.enabled).length;
    expect(total).toBeGreaterThanOrEqual(1);
    // Every device here has its simulator running: all end up online, and the gauge counts each
    // exactly once, under no other state.
    const answer = await eventually(async () => {
      const page = await gw.api('GET', '/metrics');
      return deviceStates(page.text).online === total ? page : undefined;
    });
    expect(answer.status).toBe(200);
    expect(deviceStates(answer.text)).toEqual({ online: total });
    expect(answer.text).toContain('hikbridge_http_requests_total');
  });
});

/** The hikbridge_devices gauge of a metrics page: count by state. */
function deviceStates(page: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [, state, value] of page.matchAll(/^hikbridge_devices\{state="([^"]+)"\} (\d+)$/gm))
    counts[state!] = Number(value);
  return counts;
}

describe('bad input changes nothing', () => {
  it('rejects wrong types, unknown fields, bad hosts and huge bodies with a clear 4xx', async () => {
    const camera = await sim();
    const device = await addDevice(camera, { name: 'Untouched' });
    const [channel] = (await gw.api('GET', `/api/v1/devices/${device.id}/channels`)).json;
    const snapshot = async () => ({
      devices: (await gw.api('GET', '/api/v1/devices')).json
        .map((d: { updatedAt: string }) => d.updatedAt)
        .join(),
      channel: JSON.stringify((await gw.api('GET', `/api/v1/channels/${channel.id}`)).json),
      tokens: (await gw.api('GET', '/api/v1/tokens')).json.length,
    });
    const before = await snapshot();
    const huge = { host: 'x'.repeat(2 * 1024 * 1024), password: 'x' };
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['POST', '/api/v1/devices', { host: 123, password: 'x' }, 400, /body\.host: must be string/],
      [
        'POST',
        '/api/v1/devices',
        { host: '127.0.0.1', password: 'x', port: '80' },
        400,
        /body\.port: must be integer/,
      ],
      [
        'POST',
        '/api/v1/devices',
        { host: '127.0.0.1', password: 'x', colour: 'red' },
        400,
        /unknown field "colour"/,
      ],
      ['POST', '/api/v1/devices', { host: '127.0.0.1' }, 400, /"password" is required/],
      ['POST', '/api/v1/devices', { host: 'http://127.0.0.1', password: 'x' }, 400, /without "http:\/\/"/],
      [
        'POST',
        '/api/v1/devices',
        { host: 'bad host name', password: 'x' },
        400,
        /not an IP address or host name/,
      ],
      [
        'POST',
        '/api/v1/devices',
        { host: 'admin@127.0.0.1', password: 'x' },
        400,
        /username and password in their own fields/,
      ],
      [
        'POST',
        '/api/v1/devices',
        { host: '127.0.0.1', password: 'x', port: 70000 },
        400,
        /body\.port: must be <= 65535/,
      ],
      [
        'POST',
        '/api/v1/devices',
        { host: '127.0.0.1', password: 'x', tlsFingerprint: 'z'.repeat(64) },
        400,
        /SHA-256 fingerprint/,
      ],
      ['POST', '/api/v1/devices', huge, 413, /too large/],
      ['PATCH', `/api/v1/devices/${device.id}`, {}, 400, /at least one field/],
      ['PATCH', `/api/v1/devices/${device.id}`, { name: '' }, 400, /body\.name/],
      ['PATCH', `/api/v1/devices/${device.id}`, { port: -1 }, 400, /body\.port/],
      ['PATCH', `/api/v1/devices/${device.id}`, { enabled: 'yes' }, 400, /must be boolean/],
      ['PATCH', `/api/v1/devices/${device.id}`, { host: 'ftp://x' }, 400, /without "ftp:\/\/"/],
      [
        'PATCH',
        `/api/v1/devices/${device.id}`,
        { snapshotUrlOverride: 'not a url' },
        400,
        /snapshotUrlOverride: contains spaces/,
      ],
      ['PATCH', '/api/v1/devices/nope', { name: 'x' }, 404, /No device/],
      ['PATCH', `/api/v1/channels/${channel.id}`, { defaultStream: 0 }, 400, /body\.defaultStream/],
      ['PATCH', `/api/v1/channels/${channel.id}`, { bogus: true }, 400, /unknown field "bogus"/],
      [
        'PATCH',
        `/api/v1/channels/${channel.id}`,
        { snapshotUrlOverride: 'file:///etc/passwd' },
        400,
        /file:\/\/ is not allowed here/,
      ],
      ['POST', '/api/v1/tokens', { name: 7 }, 400, /body\.name: must be string/],
      ['POST', '/api/v1/tokens', {}, 400, /"name" is required/],
      ['POST', '/api/v1/auth/login', { username: 'admin' }, 400, /"password" is required/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const answer = await gw.api(method, path, { body });
      expect(answer.status, `${method} ${path} ${JSON.stringify(body).slice(0, 80)}`).toBe(status);
      expect(answer.json.error.message, `${method} ${path}`).toMatch(message);
      expect(answer.json.error.code).toBeTruthy();
    }
    const malformed = await gw.api('POST', '/api/v1/devices', { raw: '{"host": ' });
    expect(malformed.status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });
});

describe('restart', () => {
  it('devices survive a gateway restart and reconnect; secrets never leak', async () => {
    const camera = await sim();
    const device = await addDevice(camera, { name: 'Persisted' });
    const logsBefore = gw.logs();
    await gw.stop();
    gw = await startTestGateway({ dataDir: gw.dataDir });
    const listed = (await gw.api('GET', '/api/v1/devices')).json.find(
      (d: { id: string }) => d.id === device.id,
    );
    expect(listed.name).toBe('Persisted');
    await eventually(
      async () => (await gw.api('GET', `/api/v1/devices/${device.id}/health`)).json.state === 'online',
    );
    const logs = logsBefore + gw.logs();
    expect(logs.length).toBeGreaterThan(1000);
    for (const secret of [DEVICE_PASSWORD, encodeURIComponent(DEVICE_PASSWORD), ADMIN_PASSWORD, gw.token]) {
      expect(logs).not.toContain(secret);
    }
    const outputs = [
      (await gw.api('GET', '/api/v1/devices')).text,
      (await gw.api('GET', '/api/v1/channels')).text,
      (await gw.api('GET', '/api/v1/settings')).text,
      (await gw.api('GET', `/api/v1/devices/${device.id}`)).text,
    ].join('\n');
    expect(outputs).not.toContain(DEVICE_PASSWORD);
    expect(outputs).not.toContain(ADMIN_PASSWORD);
  });
});
