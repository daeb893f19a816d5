/**
 * A device that locks its user (Hikvision's illegal-login lock), through the gateway: the
 * device's unlock time is waited out, with no login before it ends, then one try. A lock caused
 * by someone else's failed logins ends in `online`; a lock caused by our own wrong password is
 * followed by one try, locked again, and no login after that until the user acts. Short locks
 * (a few seconds) keep the test quick; the rules do not depend on the length.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimDevice } from '../../sim/index.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import {
  type AddedDevice,
  addDevice,
  checksGoBy,
  FAST_SUPERVISION,
  healthBecomes,
  INFO_PATH,
  refusedLogins,
  simDevice,
} from './support.ts';

const LOCK_SECONDS = 3;

let gw: TestGateway;
let control: SimDevice;
const sims: SimDevice[] = [];

beforeAll(async () => {
  gw = await startTestGateway({ overrides: FAST_SUPERVISION });
  control = await simDevice();
  await addDevice(gw, control);
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([control, ...sims].map((sim) => sim?.close()));
});

async function lockingCamera(): Promise<{ sim: SimDevice; device: AddedDevice }> {
  const sim = await simDevice({ lockoutAfter: 1, lockoutSeconds: LOCK_SECONDS });
  sims.push(sim);
  const device = await addDevice(gw, sim);
  await eventually(async () => sim.openAlertStreams === 1);
  return { sim, device };
}

describe('a device lock', () => {
  it('caused elsewhere is waited out, then one login brings the device back', async () => {
    const { sim, device } = await lockingCamera();
    // Someone mistypes the password once in the device's web page: the user is locked.
    const someoneElse = new IsapiClient({ baseUrl: sim.url, username: 'admin', password: 'mistyped' });
    await expect(someoneElse.getXml(INFO_PATH)).rejects.toMatchObject({ code: 'locked_out' });
    await someoneElse.close();
    const from = sim.requests.length;
    const lockedUntil = sim.requests.at(-1)!.at + LOCK_SECONDS * 1000;

    const locked = await healthBecomes(gw, device.id, (h) => h.state === 'auth-failed');
    expect(locked.lastErrorCode).toBe('locked_out');
    expect(Date.parse(locked.nextAttemptAt!)).toBeGreaterThanOrEqual(lockedUntil - 50);
    await healthBecomes(gw, device.id, (h) => h.state === 'online', 15_000);

    const ours = sim.requests.slice(from).filter((r) => r.authenticated);
    const refused = refusedLogins(sim, from);
    expect(refused).toHaveLength(1);
    // Nothing with credentials between the lock answer and the end of the lock.
    const after = ours.slice(ours.indexOf(refused[0]!) + 1);
    expect(after.length).toBeGreaterThan(0);
    for (const request of after) expect(request.at).toBeGreaterThanOrEqual(lockedUntil);
  });

  it('caused by our own wrong password: one try after it, locked again, then none', async () => {
    const { sim, device } = await lockingCamera();
    const from = sim.requests.length;
    sim.setFault({ kind: 'wrongPassword' });
    sim.setFault({ kind: 'streamTruncate', after: 'close' });
    sim.trigger({ type: 'VMD', channel: 1 });

    const health = await healthBecomes(
      gw,
      device.id,
      (h) => h.state === 'auth-failed' && h.lastErrorCode === 'bad_credentials',
      // A refused login, the 3 s lock waited out, one more refused login: seconds when idle,
      // but a loaded 2-core machine (the whole suite at once) once needed more than 15.
      30_000,
    );
    expect(health.nextAttemptAt).toBeNull();
    const [first, second] = refusedLogins(sim, from);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(LOCK_SECONDS * 1000);
    // Twice the lock length goes by on the healthy camera's checks: no third try.
    await checksGoBy(control, 2 * LOCK_SECONDS + 1);
    expect(refusedLogins(sim, from)).toHaveLength(2);
    expect(sim.openAlertStreams).toBe(0);
  }, 60_000);
});
