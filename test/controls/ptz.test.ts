/**
 * PTZ through the API (src/modules/controls/ptz.ts) against the simulated PTZ dome, a fixed
 * camera and an NVR whose channel 2 has PTZ through the recorder's proxy. The simulator records
 * every PTZ request with its time, so the tests see when the zero-speed PUT of a stop arrived:
 * a move stops by itself at its bound, an explicit stop cancels the automatic one, presets
 * round-trip, a channel without PTZ is refused in words before any command, bad input is refused
 * with nothing sent, and the module's stop stops a camera still moving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimCloud, type SimDevice, startSimCloud, startSimDevice } from '../../sim/index.ts';
import { ptzCapabilities } from '../../sim/profiles/ptz.ts';
import { type SimPtzRequest, simPtz } from '../../sim/routes/ptz.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';

const PASSWORD = 'Ptz-Pass-31';
const CLOUD_KEY = 'PtzTestAppKey-5c1a';
const CLOUD_SECRET = 'PtzTestSecret-93be2';
let gw: TestGateway | undefined;
let dome: SimDevice;
let camera: SimDevice;
let nvr: SimDevice;
let cloud: SimCloud;
let domeChannel: string;
let cameraChannel: string;
let nvrChannel: string;

function api(): TestGateway {
  if (!gw) throw new Error('the gateway is stopped');
  return gw;
}

async function add(sim: SimDevice, name: string, channelNo = 1): Promise<string> {
  const added = await api().api('POST', '/api/v1/devices', {
    body: { name, host: '127.0.0.1', port: sim.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  const channels = await api().api('GET', '/api/v1/channels');
  const channel = channels.json.find(
    (c: { deviceId: string; channelNo: number }) => c.deviceId === added.json.id && c.channelNo === channelNo,
  );
  expect(channel, `channel ${channelNo} of ${name}`).toBeDefined();
  return channel.id;
}

const isZero = (r: SimPtzRequest): boolean =>
  r.action === 'continuous' && r.speeds?.pan === 0 && r.speeds.tilt === 0 && r.speeds.zoom === 0;
const writes = (device: SimDevice): SimPtzRequest[] =>
  simPtz(device).requests.filter((r) => r.method !== 'GET');

beforeAll(async () => {
  dome = await startSimDevice({ profile: 'ptz', password: PASSWORD, heartbeatMs: 0 });
  camera = await startSimDevice({ profile: 'camera', password: PASSWORD, heartbeatMs: 0 });
  nvr = await startSimDevice({ profile: 'nvr:2', password: PASSWORD, heartbeatMs: 0 });
  nvr.setEndpoint('ContentMgmt/PTZCtrlProxy/channels/2/capabilities', {
    response: ptzCapabilities('http://www.isapi.org/ver20/XMLSchema'),
  });
  cloud = await startSimCloud({
    appKey: CLOUD_KEY,
    secretKey: CLOUD_SECRET,
    devices: [{ serialNumber: 'P10000001', name: 'Depot', cameras: [{ name: 'Depot gate', channelNo: 1 }] }],
  });
  gw = await startTestGateway({
    overrides: { controls: { ptzMaxMoveSeconds: 20 }, cloud: { defaultBaseUrl: cloud.url } },
  });
  gw.scan.addSecret(CLOUD_KEY);
  domeChannel = await add(dome, 'Car park dome');
  cameraChannel = await add(camera, 'Yard');
  nvrChannel = await add(nvr, 'Recorder', 2);
}, 60_000);

afterAll(async () => {
  for (const issued of cloud?.issued ?? [])
    gw?.scan.addSecret(new URL(issued.url).searchParams.get('t') ?? undefined);
  await gw?.stop();
  await Promise.all([dome?.close(), camera?.close(), nvr?.close(), cloud?.close()]);
});

describe('PTZ through the API', () => {
  it('tells what the channel can do', async () => {
    const answer = await api().api('GET', `/api/v1/channels/${domeChannel}/ptz`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({
      panTilt: true,
      zoom: true,
      maxPresets: 255,
      maxPatrols: 4,
      moving: false,
    });
    expect(answer.json.reservedPresets).toContain(94);
  });

  it('stops a continuous move by itself after its bound when no stop arrives', async () => {
    const before = simPtz(dome).position(1);
    const started = await api().api('POST', `/api/v1/channels/${domeChannel}/ptz/move`, {
      body: { pan: 50, tilt: 20, seconds: 0.6 },
    });
    expect(started.status, started.text).toBe(200);
    expect(started.json.moving).toBe(true);
    const move = simPtz(dome).requests.findLast((r) => r.action === 'continuous' && !isZero(r));
    expect(move?.speeds).toEqual({ pan: 50, tilt: 20, zoom: 0 });
    const stop = await eventually(async () =>
      simPtz(dome).requests.find((r) => isZero(r) && r.at >= move!.at),
    );
    const after = stop.at - move!.at;
    expect(after).toBeGreaterThanOrEqual(550);
    expect(after).toBeLessThan(3000); // a loaded machine may be late, never early
    expect(simPtz(dome).moving(1)).toBe(false);
    expect(simPtz(dome).position(1)).not.toEqual(before);
    expect((await api().api('GET', `/api/v1/channels/${domeChannel}/ptz`)).json.moving).toBe(false);
  });

  it('bounds a move by controls.ptzMaxMoveSeconds when asked for longer', async () => {
    const started = await api().api('POST', `/api/v1/channels/${domeChannel}/ptz/move`, {
      body: { zoom: 30, seconds: 300 },
    });
    const stopsIn = Date.parse(started.json.stopsAt) - Date.now();
    expect(stopsIn).toBeGreaterThan(15_000);
    expect(stopsIn).toBeLessThanOrEqual(20_000);
    expect((await api().api('POST', `/api/v1/channels/${domeChannel}/ptz/stop`)).json).toEqual({
      moving: false,
      stopsAt: null,
    });
  });

  it('an explicit stop cancels the automatic one', async () => {
    const started = await api().api('POST', `/api/v1/channels/${domeChannel}/ptz/move`, {
      body: { pan: -40, seconds: 0.5 },
    });
    const deadline = Date.parse(started.json.stopsAt);
    const movedAt = simPtz(dome).requests.findLast((r) => r.action === 'continuous')!.at;
    const stopped = await api().api('POST', `/api/v1/channels/${domeChannel}/ptz/stop`);
    expect(stopped.json).toEqual({ moving: false, stopsAt: null });
    expect(simPtz(dome).moving(1)).toBe(false);
    // Past the cancelled deadline: a stale automatic stop would have sent a second zero-speed PUT.
    await eventually(async () => Date.now() > deadline + 700);
    expect(simPtz(dome).requests.filter((r) => isZero(r) && r.at >= movedAt)).toHaveLength(1);
  });

  it('a new move replaces the running one and its automatic stop', async () => {
    const first = await api().api('POST', `/api/v1/channels/${domeChannel}/ptz/move`, {
      body: { pan: -40, seconds: 0.5 },
    });
    const firstDeadline = Date.parse(first.json.stopsAt);
    const second = await api().api('POST', `/api/v1/channels/${domeChannel}/ptz/move`, {
      body: { pan: 40, seconds: 10 },
    });
    expect(second.json.moving).toBe(true);
    const secondAt = simPtz(dome).requests.findLast((r) => r.action === 'continuous')!.at;
    // The first move's deadline passes: its automatic stop must not end the second move.
    await eventually(async () => Date.now() > firstDeadline + 700);
    expect(simPtz(dome).moving(1)).toBe(true);
    expect(simPtz(dome).requests.filter((r) => isZero(r) && r.at >= secondAt)).toEqual([]);
    await api().api('POST', `/api/v1/channels/${domeChannel}/ptz/stop`);
    expect(simPtz(dome).moving(1)).toBe(false);
  });

  it('round-trips presets: save, rename, list, go to, delete; and goes home', async () => {
    const base = `/api/v1/channels/${domeChannel}/ptz`;
    const saved = await api().api('PUT', `${base}/presets/5`, { body: { name: 'Gate' } });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.json).toEqual({ id: 5, name: 'Gate' });
    const spot = simPtz(dome).position(1);
    expect((await api().api('PUT', `${base}/presets/5`, { body: { name: 'Front gate' } })).status).toBe(200);
    expect((await api().api('GET', `${base}/presets`)).json).toEqual([
      { id: 1, name: 'Entrance' },
      { id: 5, name: 'Front gate' },
    ]);
    expect((await api().api('POST', `${base}/home`)).status).toBe(204);
    expect(simPtz(dome).position(1)).not.toEqual(spot);
    expect((await api().api('POST', `${base}/presets/5/goto`)).status).toBe(204);
    expect(simPtz(dome).position(1)).toEqual(spot);
    expect((await api().api('DELETE', `${base}/presets/5`)).status).toBe(204);
    expect((await api().api('GET', `${base}/presets`)).json).toEqual([{ id: 1, name: 'Entrance' }]);
    expect((await api().api('PUT', `${base}/home`)).status).toBe(204);
    expect(simPtz(dome).channel(1).home).toEqual(spot);
  });

  it('lists and starts patrols', async () => {
    const base = `/api/v1/channels/${domeChannel}/ptz`;
    const patrols = await api().api('GET', `${base}/patrols`);
    expect(patrols.json[0]).toEqual({ id: 1, name: 'Patrol 1', enabled: true });
    expect((await api().api('POST', `${base}/patrols/1/start`)).status).toBe(204);
    expect(simPtz(dome).channel(1).runningPatrol).toBe(1);
    expect((await api().api('POST', `${base}/patrols/1/stop`)).status).toBe(204);
    expect(simPtz(dome).channel(1).runningPatrol).toBeNull();
  });

  it('refuses a channel without PTZ in words, and sends it no PTZ command', async () => {
    const base = `/api/v1/channels/${cameraChannel}/ptz`;
    const move = await api().api('POST', `${base}/move`, { body: { pan: 10 } });
    expect(move.status).toBe(409);
    expect(move.json.error.code).toBe('ptz_unsupported');
    const { name } = (await api().api('GET', `/api/v1/channels/${cameraChannel}`)).json;
    expect(move.json.error.message).toBe(`"${name}" (channel 1 of "Yard") has no PTZ.`);
    expect((await api().api('GET', `${base}/presets`)).status).toBe(409);
    expect((await api().api('POST', `${base}/presets/1/goto`)).status).toBe(409);
    expect((await api().api('POST', `${base}/home`)).status).toBe(409);
    const ptzRequests = camera.requests.filter((r) => /PTZ/i.test(r.path));
    expect(ptzRequests.length).toBeGreaterThan(0); // it was asked what it can do...
    expect(ptzRequests.every((r) => r.method === 'GET' && r.path.endsWith('/capabilities'))).toBe(true);
    expect((await api().api('POST', '/api/v1/channels/no-such-channel/ptz/stop')).status).toBe(404);
  });

  it('refuses a cloud camera in words', async () => {
    const added = await api().api('POST', '/api/v1/cloud/accounts', {
      body: { name: 'Depot', appKey: CLOUD_KEY, secretKey: CLOUD_SECRET, sync: false },
    });
    expect(added.status, added.text).toBe(201);
    const synced = await api().api('POST', `/api/v1/cloud/accounts/${added.json.id}/sync?wait=true`);
    expect(synced.json).toMatchObject({ ok: true, cameras: 1 });
    const channels = (await api().api('GET', '/api/v1/channels')).json as Array<{
      id: string;
      source: string;
    }>;
    const gate = channels.find((channel) => channel.source === 'cloud')!;
    const calls = cloud.calls.length;
    for (const [method, path] of [
      ['POST', `/api/v1/channels/${gate.id}/ptz/move`],
      ['GET', `/api/v1/channels/${gate.id}/ptz/presets`],
    ] as const) {
      const answer = await api().api(method, path, method === 'POST' ? { body: { pan: 10 } } : {});
      expect(answer.status).toBe(409);
      expect(answer.json.error.message).toMatch(
        /cloud camera: hikbridge has no PTZ control for cloud cameras/,
      );
    }
    expect(cloud.calls.length).toBe(calls);
  });

  it('refuses bad input with 400 and sends nothing', async () => {
    const base = `/api/v1/channels/${domeChannel}/ptz`;
    const sentBefore = writes(dome).length;
    const bad: Array<[string, string, unknown]> = [
      ['POST', `${base}/move`, { pan: 150 }],
      ['POST', `${base}/move`, { tilt: 2.5 }],
      ['POST', `${base}/move`, { pan: 10, seconds: 0 }],
      ['POST', `${base}/move`, { pan: 10, speed: 3 }],
      ['PUT', `${base}/presets/94`, { name: 'Reboot' }], // reserved by the device
      ['PUT', `${base}/presets/2`, { name: 'x'.repeat(33) }],
      ['PUT', `${base}/presets/2`, { name: '' }],
      ['POST', `${base}/presets/256/goto`, undefined], // the dome has 255
      ['DELETE', `${base}/presets/0`, undefined],
      ['POST', `${base}/patrols/5/start`, undefined], // the dome has 4
    ];
    for (const [method, path, body] of bad) {
      const answer = await api().api(method, path, body === undefined ? {} : { body });
      expect(answer.status, `${method} ${path} ${JSON.stringify(body)}: ${answer.text}`).toBe(400);
      expect(answer.json.error.message.length).toBeGreaterThan(10);
    }
    const reserved = await api().api('PUT', `${base}/presets/94`, { body: { name: 'Reboot' } });
    expect(reserved.json.error.message).toMatch(/reserved by the device/);
    expect(writes(dome).length).toBe(sentBefore);
  });

  it('steers an IP camera behind an NVR through the PTZ proxy', async () => {
    const base = `/api/v1/channels/${nvrChannel}/ptz`;
    const move = await api().api('POST', `${base}/move`, { body: { tilt: -25, seconds: 5 } });
    expect(move.status, move.text).toBe(200);
    expect(simPtz(nvr).moving(2, true)).toBe(true);
    expect((await api().api('POST', `${base}/stop`)).status).toBe(200);
    expect(simPtz(nvr).moving(2, true)).toBe(false);
    expect(
      simPtz(nvr)
        .requests.filter((r) => r.action === 'continuous')
        .map((r) => r.path),
    ).toEqual([
      'ContentMgmt/PTZCtrlProxy/channels/2/continuous',
      'ContentMgmt/PTZCtrlProxy/channels/2/continuous',
    ]);
  });

  it('stops a camera still moving when the module stops, and leaves no timer behind', async () => {
    const started = await api().api('POST', `/api/v1/channels/${domeChannel}/ptz/move`, {
      body: { pan: 30, seconds: 15 },
    });
    expect(started.json.moving).toBe(true);
    const movedAt = simPtz(dome).requests.findLast((r) => r.action === 'continuous')!.at;
    const stopping = gw;
    gw = undefined;
    await stopping?.stop();
    const stop = simPtz(dome).requests.find((r) => isZero(r) && r.at >= movedAt);
    expect(stop).toBeDefined();
    expect(simPtz(dome).moving(1)).toBe(false);
  });
});
