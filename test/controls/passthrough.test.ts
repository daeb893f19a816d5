/**
 * The ISAPI pass-through against a simulated camera: a GET and a PUT go through with the
 * device's status and content type, paths that are not plainly under /ISAPI/ are refused before
 * anything reaches the device (traversal tricks sent raw, as a browser would never send them),
 * bodies are bounded, and every call is logged with who and what but never the body.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';

const PASSWORD = 'Pass-Through-9';
let gw: TestGateway;
let camera: SimDevice;
let deviceId: string;

beforeAll(async () => {
  camera = await startSimDevice({ profile: 'camera', password: PASSWORD });
  gw = await startTestGateway();
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name: 'Lobby', host: '127.0.0.1', port: camera.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  deviceId = added.json.id;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await camera?.close();
});

/** A request whose path goes on the wire exactly as written (fetch would resolve `..`). */
function raw(
  method: string,
  path: string,
  body?: string,
  contentType = 'application/xml',
): Promise<{ status: number; type: string; text: string }> {
  const url = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          authorization: `Bearer ${gw.token}`,
          ...(body !== undefined
            ? { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }
            : {}),
        },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

const base = () => `/api/v1/devices/${deviceId}/isapi`;
/** The gateway's own background work (health checks, the event stream, the clock check). */
const BACKGROUND = [
  '/ISAPI/System/deviceInfo',
  '/ISAPI/Event/notification/alertStream',
  '/ISAPI/System/time',
];
/** Requests the device served for anyone but the gateway's background work. */
const deviceRequests = () =>
  camera.requests.filter((r) => r.authorized && !BACKGROUND.some((path) => r.path.startsWith(path))).length;

describe('ISAPI pass-through', () => {
  it('passes a GET through with the device status and content type', async () => {
    const info = await raw('GET', `${base()}/ISAPI/System/deviceInfo`);
    expect(info.status).toBe(200);
    expect(info.type).toMatch(/^application\/xml/);
    expect(info.text).toContain('<DeviceInfo');
    const missing = await raw('GET', `${base()}/ISAPI/No/Such/Thing`);
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('notSupport');
  });

  it('passes a PUT body through; the device keeps it', async () => {
    const doc =
      '<?xml version="1.0" encoding="UTF-8"?><SceneChangeDetection version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">' +
      '<id>1</id><enabled>false</enabled><sensitivityLevel>77</sensitivityLevel></SceneChangeDetection>';
    const put = await raw('PUT', `${base()}/ISAPI/Smart/SceneChangeDetection/1`, doc);
    expect(put.status, put.text).toBe(200);
    expect(put.text).toContain('<statusCode>1</statusCode>');
    const after = await raw('GET', `${base()}/ISAPI/Smart/SceneChangeDetection/1`);
    expect(after.text).toContain('<sensitivityLevel>77</sensitivityLevel>');
    const logs = gw.logs();
    expect(logs).toMatch(/"method":"PUT","path":"\/ISAPI\/Smart\/SceneChangeDetection\/1"/);
    expect(logs).toMatch(/"by":"session for admin","principal":"session","userId":"[^"]+"/);
    expect(logs).not.toContain('<sensitivityLevel>77');
  });

  it('refuses paths that are not plainly under /ISAPI/ before anything reaches the device', async () => {
    const before = deviceRequests();
    const tricks = [
      '/ISAPI/../../auth/login',
      '/ISAPI/System/../../Security/users',
      '/ISAPI/%2e%2e/%2e%2e/doc/page/login.asp',
      '/ISAPI/System%2fdeviceInfo',
      '/%2FISAPI/System/IO/outputs',
      '/ISAPI/./System/IO/outputs',
      '/ISAPI//System/IO/outputs',
      '/ISAPI/System\\..\\..\\x',
      '/System/IO/outputs',
      '/isapi/System/IO/outputs',
      '/SDK/language',
      '/http://evil.example/ISAPI/System/IO/outputs',
      '//evil.example/ISAPI/System/IO/outputs',
      '/ISAPI',
      '/',
    ];
    for (const trick of tricks) {
      const refused = await raw('GET', `${base()}${trick}`);
      expect(refused.status, trick).toBe(400);
      expect(JSON.parse(refused.text).error.message, trick).toMatch(/\/ISAPI\/|refused|Percent|URL/);
    }
    const put = await raw('PUT', `${base()}/ISAPI/../System/reboot`, '<x/>');
    expect(put.status).toBe(400);
    expect(deviceRequests()).toBe(before);
  });

  it('bounds the body and refuses unknown devices', async () => {
    const before = deviceRequests();
    const big = await raw(
      'PUT',
      `${base()}/ISAPI/System/deviceInfo`,
      `<a>${'x'.repeat(1024 * 1024 + 10)}</a>`,
    );
    expect(big.status).toBe(413);
    const noDevice = await raw('GET', '/api/v1/devices/nope/isapi/ISAPI/System/deviceInfo');
    expect(noDevice.status).toBe(404);
    expect(deviceRequests()).toBe(before);
  });

  it('needs a signed-in user', async () => {
    const answer = await gw.api('GET', `${base()}/ISAPI/System/deviceInfo`, { token: null });
    expect(answer.status).toBe(401);
  });
});

describe('ISAPI pass-through switched off', () => {
  it('answers 403 in words and sends nothing', async () => {
    const off = await startTestGateway({ overrides: { controls: { isapiPassthrough: false } } });
    try {
      const added = await off.api('POST', '/api/v1/devices', {
        body: {
          name: 'Lobby again',
          host: '127.0.0.1',
          port: camera.port,
          username: 'admin',
          password: PASSWORD,
        },
      });
      expect(added.status, added.text).toBe(201);
      const before = camera.countRequests('/ISAPI/Smart/SceneChangeDetection/1');
      const refused = await off.api(
        'GET',
        `/api/v1/devices/${added.json.id}/isapi/ISAPI/Smart/SceneChangeDetection/1`,
      );
      expect(refused.status).toBe(403);
      expect(refused.json.error.message).toBe(
        'The ISAPI pass-through is switched off (controls.isapiPassthrough: false).',
      );
      expect(camera.countRequests('/ISAPI/Smart/SceneChangeDetection/1')).toBe(before);
    } finally {
      await off.stop();
    }
  }, 60_000);
});
