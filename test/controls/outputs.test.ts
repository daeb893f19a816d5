/**
 * Alarm outputs and the supplement light through the API against the simulated camera (one
 * output; its light is the simulator's invented hybrid light): list, switch, read back, and bad
 * input refused without a write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';

const PASSWORD = 'Output-Pass-3';
let gw: TestGateway;
let camera: SimDevice;
let deviceId: string;
let channelId: string;

beforeAll(async () => {
  camera = await startSimDevice({ profile: 'camera', password: PASSWORD });
  gw = await startTestGateway();
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name: 'Gate', host: '127.0.0.1', port: camera.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  deviceId = added.json.id;
  channelId = (await gw.api('GET', `/api/v1/devices/${deviceId}/channels`)).json[0].id;
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

describe('supplement light', () => {
  const lightWrites = () => camera.countRequests('/ISAPI/Image/channels/1/supplementLight', 'PUT');

  it('reads the mode and brightness, changes them and reads them back', async () => {
    const light = await gw.api('GET', `/api/v1/channels/${channelId}/light`);
    expect(light.status, light.text).toBe(200);
    expect(light.json).toEqual({
      mode: 'irLight',
      modes: ['eventIntelligence', 'irLight', 'colorVuWhiteLight', 'close'],
      whiteBrightness: 50,
      irBrightness: 50,
    });
    const white = await gw.api('PUT', `/api/v1/channels/${channelId}/light`, {
      body: { mode: 'colorVuWhiteLight', whiteBrightness: 80 },
    });
    expect(white.status, white.text).toBe(200);
    expect(white.json).toMatchObject({ mode: 'colorVuWhiteLight', whiteBrightness: 80, irBrightness: 50 });
    expect((await gw.api('GET', `/api/v1/channels/${channelId}/light`)).json.mode).toBe('colorVuWhiteLight');
    const off = await gw.api('PUT', `/api/v1/channels/${channelId}/light`, { body: { mode: 'close' } });
    expect(off.json).toMatchObject({ mode: 'close', whiteBrightness: 80 });
    expect(lightWrites()).toBe(2);
  });

  it('refuses a mode the camera does not offer and bad values, writing nothing', async () => {
    const before = lightWrites();
    const unknown = await gw.api('PUT', `/api/v1/channels/${channelId}/light`, { body: { mode: 'disco' } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toMatch(
      /offers the modes eventIntelligence, irLight, colorVuWhiteLight, close; not "disco"/,
    );
    for (const body of [
      {},
      { whiteBrightness: 101 },
      { irBrightness: -1 },
      { mode: 'close', strobe: true },
    ]) {
      const bad = await gw.api('PUT', `/api/v1/channels/${channelId}/light`, { body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
    }
    expect(lightWrites()).toBe(before);
  });
});
