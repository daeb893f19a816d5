/**
 * Detection switches through the API against simulated cameras built from real captures:
 * switch on/off and read back, see a detection that does not notify the surveillance center and
 * fix it, and refuse bad input in words without sending anything to the device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';

const PASSWORD = 'Detect-Api-7';
let gw: TestGateway;
let camera: SimDevice; // DS-2CD2346G2-ISU: motion on, its VMD-1 trigger without "center"
let small: SimDevice; // DS-2CD2443G0-IW: no scene change detection
let channelId: string;
let smallChannelId: string;

async function firstChannel(sim: SimDevice, name: string): Promise<string> {
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name, host: '127.0.0.1', port: sim.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  const channels = await gw.api('GET', `/api/v1/devices/${added.json.id}/channels`);
  return channels.json[0].id;
}

beforeAll(async () => {
  camera = await startSimDevice({ profile: 'DS-2CD2346G2-ISU', password: PASSWORD });
  small = await startSimDevice({ profile: 'DS-2CD2443G0-IW', password: PASSWORD });
  gw = await startTestGateway();
  channelId = await firstChannel(camera, 'Drive');
  smallChannelId = await firstChannel(small, 'Shed');
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await camera?.close();
  await small?.close();
});

/** Where detection changes go on the device (its other writes are the gateway's own business). */
const DETECTION_PATHS = ['/ISAPI/Smart/', '/ISAPI/System/Video/', '/ISAPI/Event/triggers'];

const detections = async (id: string) => (await gw.api('GET', `/api/v1/channels/${id}/detections`)).json;

describe('detections through the API', () => {
  it("lists the channel's detections as the device has them", async () => {
    expect(await detections(channelId)).toEqual([
      { kind: 'motion', enabled: true, notifiesCenter: false },
      { kind: 'tamper', enabled: true, notifiesCenter: false },
      { kind: 'intrusion', enabled: true, notifiesCenter: true },
      { kind: 'line-crossing', enabled: false, notifiesCenter: false },
      { kind: 'region-entrance', enabled: false, notifiesCenter: false },
      { kind: 'region-exit', enabled: false, notifiesCenter: false },
      { kind: 'scene-change', enabled: true, notifiesCenter: true },
    ]);
  });

  it('switches a detection on and off, each read back from the device', async () => {
    const on = await gw.api('PUT', `/api/v1/channels/${channelId}/detections/line-crossing`, {
      body: { enabled: true },
    });
    expect(on.status, on.text).toBe(200);
    expect(on.json).toEqual({ kind: 'line-crossing', enabled: true, notifiesCenter: false });
    expect((await detections(channelId))[3]).toEqual(on.json);
    expect(camera.countRequests('/ISAPI/Smart/LineDetection/1', 'PUT')).toBe(1);
    const off = await gw.api('PUT', `/api/v1/channels/${channelId}/detections/line-crossing`, {
      body: { enabled: false },
    });
    expect(off.json.enabled).toBe(false);
    expect((await detections(channelId))[3].enabled).toBe(false);
  });

  it('sees motion not notifying the surveillance center and fixes it, keeping its other linkage', async () => {
    const fixed = await gw.api('PUT', `/api/v1/channels/${channelId}/detections/motion`, {
      body: { notifyCenter: true },
    });
    expect(fixed.status, fixed.text).toBe(200);
    expect(fixed.json).toEqual({ kind: 'motion', enabled: true, notifiesCenter: true });
    expect((await detections(channelId))[0].notifiesCenter).toBe(true);
    const trigger = await fetchFromDevice(camera, '/ISAPI/Event/triggers/VMD-1');
    expect(trigger).toContain('<notificationMethod>center</notificationMethod>');
    expect(trigger).toContain('<notificationMethod>record</notificationMethod>');
    expect(trigger).toContain('<outputIOPortID>1</outputIOPortID>');
  });

  it('changes both at once', async () => {
    const both = await gw.api('PUT', `/api/v1/channels/${channelId}/detections/tamper`, {
      body: { enabled: false, notifyCenter: true },
    });
    expect(both.status, both.text).toBe(200);
    expect(both.json).toEqual({ kind: 'tamper', enabled: false, notifiesCenter: true });
    expect((await detections(channelId))[1]).toEqual(both.json);
  });

  it('refuses bad input in words and sends nothing', async () => {
    const writes = () =>
      camera.requests.filter((r) => r.method === 'PUT' && DETECTION_PATHS.some((p) => r.path.startsWith(p)))
        .length;
    const writesBefore = writes();
    const unknown = await gw.api('PUT', `/api/v1/channels/${channelId}/detections/smoke`, {
      body: { enabled: true },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toMatch(/no detection called "smoke"; detections are motion, tamper/);
    const empty = await gw.api('PUT', `/api/v1/channels/${channelId}/detections/motion`, { body: {} });
    expect(empty.status).toBe(400);
    expect(empty.json.error.message).toMatch(/"enabled" and\/or "notifyCenter"/);
    for (const body of [{ enabled: 'yes' }, { enabled: true, colour: 'red' }, { notifyCenter: 1 }]) {
      const bad = await gw.api('PUT', `/api/v1/channels/${channelId}/detections/motion`, { body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
    }
    const noChannel = await gw.api('GET', '/api/v1/channels/nope/detections');
    expect(noChannel.status).toBe(404);
    expect(writes()).toBe(writesBefore);
  });

  it('answers 404 in words for a detection the channel does not have', async () => {
    expect((await detections(smallChannelId)).map((d: { kind: string }) => d.kind)).toEqual([
      'motion',
      'tamper',
      'intrusion',
      'line-crossing',
    ]);
    const missing = await gw.api('PUT', `/api/v1/channels/${smallChannelId}/detections/scene-change`, {
      body: { enabled: true },
    });
    expect(missing.status).toBe(404);
    expect(missing.json.error.message).toMatch(
      /^"Shed" \(channel "Camera 01"\): 127\.0\.0\.1:\d+ has no scene change detection on channel 1\.$/,
    );
    expect(
      small.requests.filter((r) => r.method === 'PUT' && DETECTION_PATHS.some((p) => r.path.startsWith(p))),
    ).toEqual([]);
  });
});

/** What the device itself now answers (its stored state), asked directly. */
async function fetchFromDevice(sim: SimDevice, path: string): Promise<string> {
  const { IsapiClient } = await import('../../src/protocols/isapi/client.ts');
  const client = new IsapiClient({ baseUrl: sim.url, username: 'admin', password: PASSWORD });
  try {
    return (await client.http.request({ method: 'GET', path })).body.toString('utf8');
  } finally {
    await client.close();
  }
}
