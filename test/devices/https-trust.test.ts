/**
 * An HTTPS device through the API (issue 11 item 7): added with `https: true` and no fingerprint,
 * its certificate is trusted on first use, stored and shown; when the device comes back on the
 * same port with another certificate, the gateway refuses it (health says the certificate
 * changed) and sends it nothing, credentials included; pinning the new fingerprint with a PATCH
 * brings it back. A real gateway and simulated devices; certificates made by openssl.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SimDevice } from '../../sim/index.ts';
import { checksGoBy, FAST_SUPERVISION, healthBecomes, PASSWORD, simDevice } from '../faults/support.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { makeCertificate, type TestCertificate } from '../http/helpers.ts';

let gw: TestGateway;
let control: SimDevice;
let camera: SimDevice;
let first: TestCertificate;
let replaced: TestCertificate;
let deviceId: string;

beforeAll(async () => {
  [first, replaced] = await Promise.all([makeCertificate('camera-first'), makeCertificate('camera-new')]);
  gw = await startTestGateway({ overrides: FAST_SUPERVISION });
  // A plain-HTTP camera whose answered checks prove the supervisor's loops had their turns.
  control = await simDevice();
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { host: '127.0.0.1', port: control.port, password: PASSWORD },
  });
  expect(added.status).toBe(201);
  camera = await simDevice({ https: true, certificate: first });
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([control?.close(), camera?.close()]);
});

it('is trusted on first use: the fingerprint it presented is stored and shown', async () => {
  expect(camera.url).toMatch(/^https:/);
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { host: '127.0.0.1', port: camera.port, https: true, password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  deviceId = added.json.id;
  expect(added.json).toMatchObject({ https: true, tlsFingerprint: first.fingerprint });
  expect(added.json.tlsFingerprint).not.toBe(replaced.fingerprint);

  const shown = await gw.api('GET', `/api/v1/devices/${deviceId}`);
  expect(shown.json.tlsFingerprint).toBe(first.fingerprint);
  await healthBecomes(gw, deviceId, (h) => h.state === 'online');
  expect(camera.requests.some((r) => r.authorized)).toBe(true);
});

it('a changed certificate is refused with a clear error, and nothing is sent to it', async () => {
  const { port } = camera;
  const serialNumber = (await gw.api('GET', `/api/v1/devices/${deviceId}`)).json.serialNumber as string;
  await camera.close();
  camera = await simDevice({ https: true, certificate: replaced, port, serialNumber });

  const health = await healthBecomes(gw, deviceId, (h) => h.lastErrorCode === 'tls_fingerprint_mismatch');
  expect(health.state).not.toBe('online');
  expect(health.lastError).toContain('certificate');
  expect(health.lastError).toContain('changed');
  expect(health.lastError).toContain(first.fingerprint);
  expect(health.lastError).toContain(replaced.fingerprint);

  // Several more rounds of every loop (health checks, event stream retries) go by...
  await checksGoBy(control, 3);
  // ...and none of them sent the impostor a request: no HTTP at all, so no login either.
  expect(camera.requests).toEqual([]);
  expect((await gw.api('GET', `/api/v1/devices/${deviceId}`)).json.tlsFingerprint).toBe(first.fingerprint);
  expect((await gw.api('GET', `/api/v1/devices/${deviceId}/health`)).json.lastErrorCode).toBe(
    'tls_fingerprint_mismatch',
  );
});

it('pinning the new fingerprint brings it back; a wrong pin is refused and not kept', async () => {
  const wrong = await gw.api('PATCH', `/api/v1/devices/${deviceId}`, {
    body: { tlsFingerprint: '0'.repeat(64) }, // neither certificate's
  });
  expect(wrong.status).toBeGreaterThanOrEqual(400);
  expect(wrong.json.error.message).toContain('certificate');
  expect(camera.requests).toEqual([]);

  const pinned = await gw.api('PATCH', `/api/v1/devices/${deviceId}`, {
    body: { tlsFingerprint: replaced.fingerprint },
  });
  expect(pinned.status, pinned.text).toBe(200);
  expect(pinned.json.tlsFingerprint).toBe(replaced.fingerprint);
  await healthBecomes(gw, deviceId, (h) => h.state === 'online');
  expect(camera.requests.some((r) => r.authorized)).toBe(true);
});
