/**
 * `GET /api/v1/devices/{id}/controls` against simulated devices: the PTZ dome has everything
 * (PTZ, light, strobe, siren), a fixed camera only its light, an NVR's IP channels nothing (its
 * cameras' lights and strobes are not passed on, and a recorder has no siren), a disabled device
 * 409 in words. Read-only: nothing is written to any device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';

const PASSWORD = 'Availability-4';
let gw: TestGateway;
let dome: SimDevice;
let camera: SimDevice;
let nvr: SimDevice;

async function add(sim: SimDevice, name: string): Promise<string> {
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name, host: '127.0.0.1', port: sim.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  return added.json.id as string;
}

const writes = (sim: SimDevice) =>
  ['PUT', 'POST', 'DELETE'].reduce((sum, method) => sum + sim.countRequests('/ISAPI/', method), 0);

beforeAll(async () => {
  [dome, camera, nvr] = await Promise.all([
    startSimDevice({ profile: 'ptz', password: PASSWORD, heartbeatMs: 0 }),
    startSimDevice({ profile: 'camera', password: PASSWORD, heartbeatMs: 0 }),
    startSimDevice({ profile: 'nvr:2', password: PASSWORD, heartbeatMs: 0 }),
  ]);
  gw = await startTestGateway();
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([dome?.close(), camera?.close(), nvr?.close()]);
});

describe('which controls a device has', () => {
  it('the PTZ dome: PTZ, light and strobe on its channel, a siren', async () => {
    const id = await add(dome, 'Dome');
    const before = writes(dome);
    const answer = await gw.api('GET', `/api/v1/devices/${id}/controls`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({
      siren: true,
      channels: [{ channelId: expect.any(String), channelNo: 1, ptz: true, light: true, strobe: true }],
    });
    expect(writes(dome)).toBe(before);
  });

  it('a fixed camera: its light only', async () => {
    const id = await add(camera, 'Yard');
    const answer = await gw.api('GET', `/api/v1/devices/${id}/controls`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({
      siren: false,
      channels: [{ channelId: expect.any(String), channelNo: 1, ptz: false, light: true, strobe: false }],
    });
  });

  it('an NVR: nothing on its IP channels, no siren; 409 in words when it is disabled', async () => {
    const id = await add(nvr, 'Recorder');
    // Lights, strobes and sirens are not passed on by a recorder: they are not asked.
    const deterrence = () =>
      nvr.countRequests('/ISAPI/Image/') + nvr.countRequests('/ISAPI/Event/triggers/notifications/');
    const before = deterrence();
    const answer = await gw.api('GET', `/api/v1/devices/${id}/controls`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.siren).toBe(false);
    expect(answer.json.channels.map((c: { channelNo: number }) => c.channelNo)).toEqual([1, 2]);
    for (const channel of answer.json.channels) {
      expect(channel).toMatchObject({ ptz: false, light: false, strobe: false });
    }
    expect(deterrence()).toBe(before);

    expect((await gw.api('PATCH', `/api/v1/devices/${id}`, { body: { enabled: false } })).status).toBe(200);
    const refused = await gw.api('GET', `/api/v1/devices/${id}/controls`);
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toMatch(/"Recorder" is disabled/);
  });
});
