/** Alarm outputs through the API against the simulated camera (one output): list, switch, read back. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';

const PASSWORD = 'Output-Pass-3';
let gw: TestGateway;
let camera: SimDevice;
let deviceId: string;

beforeAll(async () => {
  camera = await startSimDevice({ profile: 'camera', password: PASSWORD });
  gw = await startTestGateway();
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name: 'Gate', host: '127.0.0.1', port: camera.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  deviceId = added.json.id;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await camera?.close();
});

const triggers = () => camera.countRequests('/ISAPI/System/IO/outputs/', 'PUT');

describe('alarm outputs', () => {
  it('lists the outputs with their state, switches one on and off, each read back', async () => {
    expect((await gw.api('GET', `/api/v1/devices/${deviceId}/outputs`)).json).toEqual([
      { id: 1, name: null, state: 'off' },
    ]);
    const on = await gw.api('POST', `/api/v1/devices/${deviceId}/outputs/1`, { body: { state: 'on' } });
    expect(on.status, on.text).toBe(200);
    expect(on.json).toEqual({ id: 1, name: null, state: 'on' });
    expect((await gw.api('GET', `/api/v1/devices/${deviceId}/outputs`)).json[0].state).toBe('on');
    const off = await gw.api('POST', `/api/v1/devices/${deviceId}/outputs/1`, { body: { state: 'off' } });
    expect(off.json.state).toBe('off');
    expect((await gw.api('GET', `/api/v1/devices/${deviceId}/outputs`)).json[0].state).toBe('off');
    expect(triggers()).toBe(2);
  });

  it('refuses bad input and outputs the device lacks, sending no command', async () => {
    const before = triggers();
    for (const [output, body] of [
      ['1', { state: 'maybe' }],
      ['1', {}],
      ['1', { state: 'on', pulse: 5 }],
      ['0', { state: 'on' }],
      ['x', { state: 'on' }],
    ] as const) {
      const bad = await gw.api('POST', `/api/v1/devices/${deviceId}/outputs/${output}`, { body });
      expect(bad.status, `${output} ${JSON.stringify(body)}`).toBe(400);
    }
    const missing = await gw.api('POST', `/api/v1/devices/${deviceId}/outputs/7`, { body: { state: 'on' } });
    expect(missing.status).toBe(404);
    expect(missing.json.error.message).toMatch(
      /^"Gate": 127\.0\.0\.1:\d+ has no alarm output 7; its alarm outputs are 1\.$/,
    );
    const noDevice = await gw.api('GET', '/api/v1/devices/nope/outputs');
    expect(noDevice.status).toBe(404);
    expect(triggers()).toBe(before);
  });
});
