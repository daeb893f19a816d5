/**
 * Another device answers at a device's address (a swapped camera, a DHCP lease handed on): the
 * gateway must not adopt it. Health says so, no event stream is opened to the stranger, nothing
 * of it is stored, snapshots are refused; the right device back at the address is online again.
 * The stranger takes the same password, so only the serial number tells them apart.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SimDevice } from '../../sim/index.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import {
  type AddedDevice,
  addDevice,
  checksGoBy,
  FAST_SUPERVISION,
  healthBecomes,
  refusedLogins,
  STREAM_PATH,
  simDevice,
} from './support.ts';

let gw: TestGateway;
let camera: SimDevice;
let stranger: SimDevice | undefined;
let device: AddedDevice;

beforeAll(async () => {
  gw = await startTestGateway({ overrides: FAST_SUPERVISION });
  camera = await simDevice();
  device = await addDevice(gw, camera);
  await eventually(async () => camera.openAlertStreams === 1);
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([camera?.close(), stranger?.close()]);
});

it('is not adopted: health says whose serial answers, no stream, no snapshot, nothing stored', async () => {
  const { port } = camera;
  const stored = (await gw.api('GET', `/api/v1/devices/${device.id}`)).json;
  await camera.close();
  stranger = await simDevice({ port });

  const health = await healthBecomes(gw, device.id, (h) => h.lastErrorCode === 'wrong_device');
  expect(health.state).toBe('offline');
  expect(health.lastError).toContain(stored.serialNumber);
  // Several more checks reach the stranger: the loops had their turns, and still no stream.
  await checksGoBy(stranger, 3);
  expect(stranger.requests.filter((r) => r.path === STREAM_PATH)).toEqual([]);
  expect(stranger.openAlertStreams).toBe(0);
  // The login challenge of the device that went away is not answered to the stranger: a realm it
  // never gave would count as a failed login there.
  expect(refusedLogins(stranger)).toEqual([]);

  const [channel] = (await gw.api('GET', `/api/v1/devices/${device.id}/channels`)).json;
  const snapshot = await gw.api('GET', `/api/v1/channels/${channel.id}/snapshot.jpg`);
  expect(snapshot.status).toBe(409);
  expect(snapshot.json.error.code).toBe('device_wrong_device');
  expect(stranger.requests.filter((r) => r.path.includes('/picture'))).toEqual([]);

  const after = (await gw.api('GET', `/api/v1/devices/${device.id}`)).json;
  expect(after.serialNumber).toBe(stored.serialNumber);
  expect(after.model).toBe(stored.model);
  expect((await healthBecomes(gw, device.id, () => true)).lastErrorCode).toBe('wrong_device');
});

it('is online again, with its event stream, once the right device is back at the address', async () => {
  const { port } = stranger!;
  const serialNumber = (await gw.api('GET', `/api/v1/devices/${device.id}`)).json.serialNumber as string;
  await stranger!.close();
  stranger = undefined;
  camera = await simDevice({ port, serialNumber });
  await healthBecomes(gw, device.id, (h) => h.state === 'online');
  await eventually(async () => camera.openAlertStreams === 1);
  expect(refusedLogins(camera)).toEqual([]);
});
