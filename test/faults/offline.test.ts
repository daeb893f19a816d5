/**
 * A device going away and coming back, through the gateway: the event stream's state feeds the
 * health (issue 11, item 6). A lost stream has the device checked at once, so `offline` follows
 * within a moment, not at the next periodic check; when the device is back, the stream's attempt
 * to reopen has it checked first, so health says `online` before its events flow again.
 *
 * The periodic check (30 s) and the supervisor's back-off (5-10 s) are kept long on purpose: they
 * cannot explain a transition within the bounds below; only the stream can.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SimDevice } from '../../sim/index.ts';
import type { DeviceHealth } from '../../src/core/bus.ts';
import type { GatewayEvent } from '../../src/core/events.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { type AddedDevice, addDevice, simDevice } from './support.ts';

/** Generous for a loaded 2-core machine, well below the 30 s check and 5 s back-off. */
const BOUND_MS = 3000;

let gw: TestGateway;
let camera: SimDevice;
let device: AddedDevice;
const healthLog: Array<{ at: number; health: DeviceHealth }> = [];
const eventLog: Array<{ at: number; event: GatewayEvent }> = [];

beforeAll(async () => {
  gw = await startTestGateway({
    overrides: {
      devices: {
        requestTimeoutMs: 3000,
        supervisor: { checkIntervalSeconds: 30, minBackoffSeconds: 5, maxBackoffSeconds: 10 },
      },
      events: { reconnectMaxSeconds: 1, snapshotOnStart: false },
    },
  });
  camera = await simDevice();
  device = await addDevice(gw, camera);
  gw.gateway.bus.on('device.health', (health) => {
    if (health.deviceId === device.id) healthLog.push({ at: Date.now(), health });
  });
  gw.gateway.bus.on('event', (event) => {
    if (event.deviceId === device.id) eventLog.push({ at: Date.now(), event });
  });
  await eventually(
    async () => camera.openAlertStreams === 1 && gw.gateway.devices.health(device.id)?.state === 'online',
  );
});

afterAll(async () => {
  await gw?.stop();
  await camera?.close();
});

/** When the device's health first entered `state` at or after `since`. */
function entered(state: string, since: number): number | undefined {
  return healthLog.find((entry) => entry.at >= since && entry.health.state === state)?.at;
}

it('says offline within moments of losing the event stream, and online before events flow again', async () => {
  const { port } = camera;
  const serialNumber = (await gw.api('GET', `/api/v1/devices/${device.id}`)).json.serialNumber as string;

  const lostAt = Date.now();
  await camera.close();
  const offlineAt = await eventually(async () => entered('offline', lostAt), 15_000);
  expect(offlineAt - lostAt).toBeLessThan(BOUND_MS);
  expect(gw.gateway.devices.health(device.id)?.lastErrorCode).toBe('unreachable');

  // The same device back at its address (a reboot).
  const backAt = Date.now();
  camera = await simDevice({ port, serialNumber });
  const onlineAt = await eventually(async () => entered('online', backAt), 15_000);
  expect(onlineAt - backAt).toBeLessThan(BOUND_MS);

  await eventually(async () => camera.openAlertStreams === 1);
  camera.trigger({ type: 'VMD', channel: 1 });
  const first = await eventually(async () => eventLog.find((entry) => entry.at >= backAt));
  expect(onlineAt).toBeLessThanOrEqual(first.at);
  expect(gw.gateway.devices.health(device.id)?.state).toBe('online');
}, 60_000);
