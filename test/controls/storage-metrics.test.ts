/**
 * Storage gauges on `/metrics`, from the controls inventory, against a real gateway, a real
 * Mosquitto (the inventory is read while something listens to it: MQTT) and simulated devices: a
 * camera from its capture (a working memory card) and a recorder whose storage answer is replaced
 * (a disk in error, one in a word no device was seen to use, a NAS share it cannot reach). A
 * scrape asks nothing of the devices; a removed device's series go.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.ts';

const PASSWORD = 'Storage-Metrics-7';
/** Reading a device's controls is many requests: generous on a loaded machine. */
const READ_MS = 30_000;
const MIB = 1024 * 1024;

let broker: Mosquitto;
let gw: TestGateway;
let camera: SimDevice;
let recorder: SimDevice;
let cameraId: string;
let recorderId: string;

const RECORDER_STORAGE = {
  storage: {
    '@version': '2.0',
    '@xmlns': 'http://www.hikvision.com/ver20/XMLSchema',
    hddList: {
      hdd: [
        {
          id: '1',
          hddName: 'hdd1',
          hddType: 'SATA',
          status: 'error',
          capacity: '1907729',
          freeSpace: '0',
        },
        {
          id: '2',
          hddName: 'hdd2',
          hddType: 'SATA',
          status: 'repairingFs',
          capacity: '953869',
          freeSpace: '4096',
        },
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

/** The samples of one metric on the page, as `{labels} value` lines of one device. */
async function samples(name: string, deviceId: string): Promise<string[]> {
  const page = await gw.api('GET', '/metrics');
  expect(page.status).toBe(200);
  return page.text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(`device_id="${deviceId}"`))
    .map((line) => line.slice(name.length).replace(`device_id="${deviceId}",`, ''))
    .sort();
}

beforeAll(async () => {
  broker = await startMosquitto();
  camera = await startSimDevice({ profile: 'DS-2CD2346G2-ISU', password: PASSWORD, heartbeatMs: 0 });
  recorder = await startSimDevice({ profile: 'nvr:1', password: PASSWORD, heartbeatMs: 0 });
  recorder.setEndpoint('ContentMgmt/Storage', { response: RECORDER_STORAGE });
  gw = await startTestGateway({ overrides: { mqtt: { url: broker.url } } });
  cameraId = await add(camera, 'Drive');
  recorderId = await add(recorder, 'Recorder');
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([camera?.close(), recorder?.close()]);
  await broker?.stop();
});

describe('storage metrics', () => {
  it('gives capacity, free space and status per disk, in bytes, from what the inventory read', async () => {
    await eventually(async () => (await samples('hikbridge_storage_ok', cameraId)).length === 1, READ_MS);
    // The capture's 128 GB memory card: 121942 MiB, 26623 free, ok.
    expect(await samples('hikbridge_storage_capacity_bytes', cameraId)).toEqual([
      `{disk="1",type="sd"} ${121942 * MIB}`,
    ]);
    expect(await samples('hikbridge_storage_free_bytes', cameraId)).toEqual([
      `{disk="1",type="sd"} ${26623 * MIB}`,
    ]);
    expect(await samples('hikbridge_storage_ok', cameraId)).toEqual(['{disk="1",type="sd",status="ok"} 1']);

    await eventually(async () => (await samples('hikbridge_storage_ok', recorderId)).length === 3, READ_MS);
    // A word outside the known ones is `other` (bounded label values); a NAS without sizes has none.
    expect(await samples('hikbridge_storage_ok', recorderId)).toEqual([
      '{disk="1",type="hdd",status="error"} 0',
      '{disk="2",type="hdd",status="other"} 0',
      '{disk="9",type="nas",status="offline"} 0',
    ]);
    expect(await samples('hikbridge_storage_capacity_bytes', recorderId)).toEqual([
      `{disk="1",type="hdd"} ${1907729 * MIB}`,
      `{disk="2",type="hdd"} ${953869 * MIB}`,
    ]);
    expect(await samples('hikbridge_storage_free_bytes', recorderId)).toEqual([
      '{disk="1",type="hdd"} 0',
      `{disk="2",type="hdd"} ${4096 * MIB}`,
    ]);

    // A scrape asks nothing of the devices.
    const reads = camera.countRequests('/ISAPI/ContentMgmt/Storage', 'GET');
    for (let scrape = 0; scrape < 3; scrape++) await samples('hikbridge_storage_ok', cameraId);
    expect(camera.countRequests('/ISAPI/ContentMgmt/Storage', 'GET')).toBe(reads);
  }, 90_000);

  it('drops a removed device series and keeps the others', async () => {
    await eventually(async () => (await samples('hikbridge_storage_ok', recorderId)).length === 3, READ_MS);
    expect((await gw.api('DELETE', `/api/v1/devices/${recorderId}`)).status).toBe(204);
    await eventually(async () => (await samples('hikbridge_storage_ok', recorderId)).length === 0, 15_000);
    expect(await samples('hikbridge_storage_capacity_bytes', recorderId)).toEqual([]);
    expect(await samples('hikbridge_storage_free_bytes', recorderId)).toEqual([]);
    expect(await samples('hikbridge_storage_ok', cameraId)).toHaveLength(1);
  }, 60_000);
});
