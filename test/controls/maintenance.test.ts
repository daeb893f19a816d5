/**
 * Reboot through the API against a simulated camera that is away for a while after a reboot:
 * refused without confirmation (nothing sent), then one reboot, the device gone and back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';

const PASSWORD = 'Reboot-Pass-5';
let gw: TestGateway;
let camera: SimDevice;
let deviceId: string;

beforeAll(async () => {
  camera = await startSimDevice({ profile: 'camera', password: PASSWORD, rebootMs: 3000 });
  gw = await startTestGateway({ overrides: { controls: { rebootExpectedSeconds: 120 } } });
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name: 'Porch', host: '127.0.0.1', port: camera.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  deviceId = added.json.id;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await camera?.close();
});

const reboots = () => camera.countRequests('/ISAPI/System/reboot', 'PUT');

describe('reboot', () => {
  it('needs {"confirm": true} and says why; nothing is sent without it', async () => {
    for (const body of [undefined, {}, { confirm: false }, { confirm: 'yes' }]) {
      const refused = await gw.api('POST', `/api/v1/devices/${deviceId}/reboot`, { body });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.json.error.message).toMatch(/stops recording.*send \{"confirm": true\}/);
    }
    expect(reboots()).toBe(0);
  });

  it('reboots once; the device is away, then back', async () => {
    const health: Array<{ state: string; code: string | null }> = [];
    gw.gateway.bus.on('device.health', (change) => {
      if (change.deviceId === deviceId) health.push({ state: change.state, code: change.lastErrorCode });
    });
    const asked = await gw.api('POST', `/api/v1/devices/${deviceId}/reboot`, { body: { confirm: true } });
    expect(asked.status, asked.text).toBe(202);
    expect(asked.json).toEqual({ rebooting: true, expectedBackWithinSeconds: 120 });
    expect(reboots()).toBe(1);
    const direct = new IsapiClient({
      baseUrl: camera.url,
      username: 'admin',
      password: PASSWORD,
      requestTimeoutMs: 2000,
    });
    try {
      await expect(direct.getXml('/ISAPI/System/deviceInfo')).rejects.toThrow();
      await eventually(
        async () => (await direct.getXml('/ISAPI/System/deviceInfo').catch(() => undefined)) !== undefined,
        15_000,
      );
    } finally {
      await direct.close();
    }
    expect(gw.logs()).toMatch(/reboot of \\"Porch\\" asked; expected back within 120 s/);
    expect(reboots()).toBe(1);
    // The supervisor said "rebooting" while it was away (no failure), then online again.
    await eventually(
      async () => health.at(-1)?.state === 'online' && health.some((h) => h.code === 'rebooting'),
      20_000,
    );
    expect(health.filter((h) => h.state !== 'online').every((h) => h.code === 'rebooting')).toBe(true);
    expect(gw.logs()).not.toMatch(/"msg":"device not available"/);
  });
});
