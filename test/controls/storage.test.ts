/**
 * `GET /api/v1/devices/{id}/storage` against simulated devices: a camera's memory card and NAS share
 * from its capture, a recorder whose storage answer is replaced (a disk in error, a NAS it cannot reach),
 * a device without the storage endpoint (an empty list), a disabled device (409 in words) and an
 * unknown one (404). Read-only: nothing is written to any device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';

const PASSWORD = 'Storage-Route-8';
let gw: TestGateway;
let camera: SimDevice;
let recorder: SimDevice;
let bare: SimDevice;

const RECORDER_STORAGE = {
  storage: {
    '@version': '2.0',
    '@xmlns': 'http://www.hikvision.com/ver20/XMLSchema',
    hddList: {
      hdd: [
        { id: '1', hddName: 'hdd1', hddType: 'SATA', status: 'error', capacity: '1907729', freeSpace: '0' },
        { id: '2', hddName: 'hdd2', hddType: 'SATA', status: 'ok', capacity: '953869', freeSpace: '4096' },
      ],
    },
    nasList: { nas: { id: '9', ipAddress: '10.0.0.5', path: '/volume1/cams', status: 'offline' } },
  },
};

async function add(sim: SimDevice, name: string): Promise<string> {
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name, host: '127.0.0.1', port: sim.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  return added.json.id as string;
}

beforeAll(async () => {
  [camera, recorder, bare] = await Promise.all([
    startSimDevice({ profile: 'camera', password: PASSWORD, heartbeatMs: 0 }),
    startSimDevice({ profile: 'nvr:2', password: PASSWORD, heartbeatMs: 0 }),
    startSimDevice({ profile: 'camera', password: PASSWORD, heartbeatMs: 0, serialNumber: 'BARE00001' }),
  ]);
  recorder.setEndpoint('ContentMgmt/Storage', { response: RECORDER_STORAGE });
  bare.setEndpoint('ContentMgmt/Storage', null);
  gw = await startTestGateway();
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([camera?.close(), recorder?.close(), bare?.close()]);
});

const writes = (sim: SimDevice) =>
  ['PUT', 'POST', 'DELETE'].reduce((sum, method) => sum + sim.countRequests('/ISAPI/', method), 0);

describe('storage', () => {
  it("answers a camera's memory card and NAS share with status, capacity and free space", async () => {
    const id = await add(camera, 'Porch');
    const answer = await gw.api('GET', `/api/v1/devices/${id}/storage`);
    expect(answer.status, answer.text).toBe(200);
    // As captured from the camera: its memory card (listed as hdde) and a NAS share.
    expect(answer.json).toEqual([
      { id: 1, name: 'hdde', type: 'sd', status: 'ok', capacityMb: 30436, freeMb: 27392 },
      { id: 9, name: '1.0.0.203:/pub/hik', type: 'nas', status: 'ok', capacityMb: 122346, freeMb: 119296 },
    ]);
  });

  it("answers a recorder's disks and NAS share in the device's own words", async () => {
    const id = await add(recorder, 'Recorder');
    const before = writes(recorder);
    const answer = await gw.api('GET', `/api/v1/devices/${id}/storage`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual([
      { id: 1, name: 'hdd1', type: 'hdd', status: 'error', capacityMb: 1907729, freeMb: 0 },
      { id: 2, name: 'hdd2', type: 'hdd', status: 'ok', capacityMb: 953869, freeMb: 4096 },
      {
        id: 9,
        name: '10.0.0.5:/volume1/cams',
        type: 'nas',
        status: 'offline',
        capacityMb: null,
        freeMb: null,
      },
    ]);
    expect(writes(recorder)).toBe(before);
  });

  it('answers an empty list for a device without storage, 409 when disabled, 404 when unknown', async () => {
    const id = await add(bare, 'Bare');
    const empty = await gw.api('GET', `/api/v1/devices/${id}/storage`);
    expect(empty.status, empty.text).toBe(200);
    expect(empty.json).toEqual([]);

    const disabled = await gw.api('PATCH', `/api/v1/devices/${id}`, { body: { enabled: false } });
    expect(disabled.status, disabled.text).toBe(200);
    const refused = await gw.api('GET', `/api/v1/devices/${id}/storage`);
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toMatch(/"Bare" is disabled/);

    const unknown = await gw.api('GET', '/api/v1/devices/no-such-device/storage');
    expect(unknown.status).toBe(404);
  });
});
