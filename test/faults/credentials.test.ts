/**
 * A password changed on the device while the gateway runs (issue 11, item 2): the device must see
 * one failed login, not one a minute for ever, whatever tries to reach it (health check, event
 * stream, doorbell poller, snapshots, doctor); "Retry login" or new credentials bring it back.
 *
 * An hour is simulated: only the clock (`Date`) is faked and moved on 10 minutes at a time, so
 * every deadline measured on it runs out (an auth block, a device lock, a nonce), while timers
 * stay real with the short intervals of FAST_SUPERVISION. After each jump the test waits until a
 * healthy camera on the same gateway has been checked a few more times: proof that every loop had
 * its turns, without a fixed sleep.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SimDevice } from '../../sim/index.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import {
  type AddedDevice,
  addDevice,
  checksGoBy,
  FAST_SUPERVISION,
  healthBecomes,
  healthOf,
  PASSWORD,
  refusedLogins,
  STREAM_PATH,
  simDevice,
} from './support.ts';

const STEP_MS = 10 * 60_000;
const STEPS = 6;

let gw: TestGateway;
let control: SimDevice;
let camera: SimDevice;
let doorbell: SimDevice;
let cameraId: AddedDevice;
let doorbellId: AddedDevice;

beforeAll(async () => {
  gw = await startTestGateway({ overrides: FAST_SUPERVISION });
  control = await simDevice();
  camera = await simDevice();
  doorbell = await simDevice({ profile: 'doorbell' });
  await addDevice(gw, control);
  cameraId = await addDevice(gw, camera);
  doorbellId = await addDevice(gw, doorbell);
  await eventually(async () => [control, camera, doorbell].every((sim) => sim.openAlertStreams === 1));
});

afterAll(async () => {
  vi.useRealTimers();
  await gw?.stop();
  await Promise.all([control, camera, doorbell].map((sim) => sim?.close()));
});

/** The password changes on the device, and its event stream drops (as a reboot would do it). */
async function changePasswordOnDevice(sim: SimDevice): Promise<void> {
  sim.setFault({ kind: 'wrongPassword' });
  sim.setFault({ kind: 'streamTruncate', after: 'close' });
  sim.trigger({ type: 'VMD', channel: 1 }); // a part to cut
  await eventually(async () => sim.openAlertStreams === 0);
}

/** Moves the clock on by STEPS x STEP_MS, letting every loop run a few turns after each jump. */
async function simulateAnHour(): Promise<void> {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  try {
    for (let step = 0; step < STEPS; step++) {
      vi.setSystemTime(Date.now() + STEP_MS);
      // The checks run every second; a back-off lasts at most 2.4 s: three checks cover it.
      await checksGoBy(control, 3);
    }
  } finally {
    vi.useRealTimers();
  }
}

describe('a password changed on the device at run time', () => {
  const from = { camera: 0, doorbell: 0 };

  it('costs one failed login per device in a simulated hour, and health says what to do', async () => {
    from.camera = camera.requests.length;
    from.doorbell = doorbell.requests.length;
    await changePasswordOnDevice(camera);
    await changePasswordOnDevice(doorbell);
    for (const device of [cameraId, doorbellId]) {
      const health = await healthBecomes(gw, device.id, (h) => h.state === 'auth-failed');
      expect(health.lastErrorCode).toBe('bad_credentials');
      expect(health.nextAttemptAt).toBeNull();
      expect(health.lastError).toMatch(/Retry login/);
    }

    await simulateAnHour();

    expect(refusedLogins(camera, from.camera)).toHaveLength(1);
    expect(refusedLogins(doorbell, from.doorbell)).toHaveLength(1);
    expect((await healthOf(gw, cameraId.id)).state).toBe('auth-failed');
    expect(camera.openAlertStreams + doorbell.openAlertStreams).toBe(0);
  }, 90_000);

  it('snapshots and the doctor are refused without reaching the device', async () => {
    const seen = camera.requests.length;
    const [channel] = (await gw.api('GET', `/api/v1/devices/${cameraId.id}/channels`)).json;
    const snapshot = await gw.api('GET', `/api/v1/channels/${channel.id}/snapshot.jpg`);
    expect(snapshot.status).toBe(409);
    expect(snapshot.json.error.code).toBe('device_login_blocked');
    const doctor = await gw.api('POST', `/api/v1/devices/${cameraId.id}/doctor`);
    expect(doctor.status).toBe(409);
    expect(doctor.json.error.code).toBe('device_login_blocked');
    const refresh = await gw.api('POST', `/api/v1/devices/${cameraId.id}/refresh`);
    expect(refresh.status).toBe(409);
    expect(camera.requests.length).toBe(seen);
  });

  it('"Retry login" after the password is fixed on the device brings it back online', async () => {
    camera.clearFaults();
    const answer = await gw.api('POST', `/api/v1/devices/${cameraId.id}/retry-login`);
    expect(answer.status).toBe(200);
    expect(answer.json.state).toBe('online');
    await eventually(async () => camera.openAlertStreams === 1);
    expect(refusedLogins(camera, from.camera)).toHaveLength(1);
    const stream = camera.requests.slice(from.camera).filter((r) => r.path === STREAM_PATH && r.authorized);
    expect(stream.length).toBeGreaterThan(0);
  });

  it('entering the password again (PATCH) brings the doorbell back too', async () => {
    doorbell.clearFaults();
    const answer = await gw.api('PATCH', `/api/v1/devices/${doorbellId.id}`, {
      body: { password: PASSWORD },
    });
    expect(answer.status).toBe(200);
    await healthBecomes(gw, doorbellId.id, (h) => h.state === 'online');
    await eventually(async () => doorbell.openAlertStreams === 1);
    expect(refusedLogins(doorbell, from.doorbell)).toHaveLength(1);
  });

  it('"Retry login" answers 404 for an unknown device', async () => {
    expect((await gw.api('POST', '/api/v1/devices/nope/retry-login')).status).toBe(404);
  });
});
