/**
 * MQTT availability through runtime faults: a device's `availability` topic goes `offline` when
 * the device does and back `online` when it returns; a refused password makes it `offline` too,
 * and the Home Assistant "Retry login" button (available while the device is not) brings it back.
 * A private Mosquitto broker.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SimDevice } from '../../sim/index.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { Recorder } from '../mqtt/helpers.ts';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.ts';
import {
  type AddedDevice,
  addDevice,
  FAST_SUPERVISION,
  healthBecomes,
  refusedLogins,
  simDevice,
} from './support.ts';

let broker: Mosquitto;
let recorder: Recorder;
let gw: TestGateway;
let camera: SimDevice;
let device: AddedDevice;

beforeAll(async () => {
  broker = await startMosquitto();
  recorder = await Recorder.start(broker.url, 'hikbridge/#');
  gw = await startTestGateway({ overrides: { ...FAST_SUPERVISION, mqtt: { url: broker.url } } });
  camera = await simDevice();
  device = await addDevice(gw, camera);
});

afterAll(async () => {
  await gw?.stop();
  await camera?.close();
  await recorder?.stop();
  await broker?.stop();
});

function availability(): string {
  return `hikbridge/${device.id}/availability`;
}

it('goes offline with the device and online when it is back', async () => {
  await recorder.waitForPayload(availability(), 'online');
  const { port } = camera;
  const serialNumber = (await gw.api('GET', `/api/v1/devices/${device.id}`)).json.serialNumber as string;

  let from = recorder.messages.length;
  await camera.close();
  await recorder.waitForPayload(availability(), 'offline', from);

  from = recorder.messages.length;
  camera = await simDevice({ port, serialNumber });
  await recorder.waitForPayload(availability(), 'online', from);
  expect(recorder.last(availability())?.retain).toBe(true);
});

it('goes offline on a refused password; the Retry login button brings it back', async () => {
  await eventually(async () => camera.openAlertStreams === 1);
  const requests = camera.requests.length;
  let from = recorder.messages.length;
  camera.setFault({ kind: 'wrongPassword' });
  camera.setFault({ kind: 'streamTruncate', after: 'close' });
  camera.trigger({ type: 'VMD', channel: 1 });
  await recorder.waitForPayload(availability(), 'offline', from);
  await healthBecomes(gw, device.id, (h) => h.state === 'auth-failed');

  camera.clearFaults(); // fixed on the device
  from = recorder.messages.length;
  await recorder.publish(`hikbridge/${device.id}/retry_login/set`, 'PRESS');
  await recorder.waitForPayload(availability(), 'online', from);
  expect(refusedLogins(camera, requests)).toHaveLength(1);
});
