/**
 * Doorbell call control and doors through the API, against the simulated doorbell, which records
 * every CallSignal it receives: answer, hang up, stop ringing (answer then hang up: never
 * `reject`, whose busy tone the visitor would hear), a door opened during a ring ending the call,
 * and the words for what cannot be done.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';

const PASSWORD = 'Bell-Pass-77';
let gw: TestGateway;
let bell: SimDevice;
let camera: SimDevice;
let bellId: string;
let cameraId: string;

async function add(sim: SimDevice, name: string): Promise<string> {
  const answer = await gw.api('POST', '/api/v1/devices', {
    body: { name, host: '127.0.0.1', port: sim.port, username: 'admin', password: PASSWORD },
  });
  expect(answer.status, answer.text).toBe(201);
  return answer.json.id;
}

beforeAll(async () => {
  bell = await startSimDevice({ profile: 'doorbell', password: PASSWORD, maxRingTimeMs: 60_000 });
  camera = await startSimDevice({ profile: 'camera', password: PASSWORD });
  gw = await startTestGateway({ overrides: { devices: { endCallAfterDoorOpenSeconds: 0.3 } } });
  bellId = await add(bell, 'Front door');
  cameraId = await add(camera, 'Yard');
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await bell?.close();
  await camera?.close();
});

const signals = () =>
  bell.callSignals.map(({ cmdType, accepted, during }) => ({ cmdType, accepted, during }));

describe('doorbell calls', () => {
  it('reports the call state in words', async () => {
    expect((await gw.api('GET', `/api/v1/devices/${bellId}/call`)).json).toEqual({ state: 'idle' });
    bell.ring();
    expect((await gw.api('GET', `/api/v1/devices/${bellId}/call`)).json).toEqual({ state: 'ringing' });
    bell.setCallStatus('idle');
  });

  it('answers and hangs up', async () => {
    bell.callSignals.length = 0;
    bell.ring();
    const answered = await gw.api('POST', `/api/v1/devices/${bellId}/call/answer`);
    expect(answered.json).toEqual({ state: 'in call' });
    const hungUp = await gw.api('POST', `/api/v1/devices/${bellId}/call/hang-up`);
    expect(hungUp.json).toEqual({ state: 'idle' });
    expect(signals()).toEqual([
      { cmdType: 'answer', accepted: true, during: 'ring' },
      { cmdType: 'hangUp', accepted: true, during: 'onCall' },
    ]);
  });

  it('stops the ringing by answering and hanging up, never with a busy tone', async () => {
    bell.callSignals.length = 0;
    bell.ring();
    const stopped = await gw.api('POST', `/api/v1/devices/${bellId}/call/stop-ringing`);
    expect(stopped.json).toEqual({ state: 'idle' });
    expect(signals().map((signal) => signal.cmdType)).toEqual(['answer', 'hangUp']);
    expect(bell.callSignals.some((signal) => signal.cmdType === 'reject')).toBe(false);
  });

  it('says when there is nothing to answer or hang up, and refuses devices that are not doorbells', async () => {
    const nothing = await gw.api('POST', `/api/v1/devices/${bellId}/call/answer`);
    expect(nothing.status).toBe(409);
    expect(nothing.json.error.message).toBe('"Front door" has nothing ringing.');
    const noCall = await gw.api('POST', `/api/v1/devices/${bellId}/call/hang-up`);
    expect(noCall.json.error.message).toBe('"Front door" has no call to hang up.');
    const notBell = await gw.api('POST', `/api/v1/devices/${cameraId}/call/answer`);
    expect(notBell.status).toBe(409);
    expect(notBell.json.error.message).toMatch(/is a camera, not a doorbell/);
    expect((await gw.api('POST', `/api/v1/devices/${bellId}/call/pick-up`)).status).toBe(400);
  });

  it('opens a door, and a door opened during a ring ends the call a moment later', async () => {
    bell.callSignals.length = 0;
    const opened = await gw.api('POST', `/api/v1/devices/${bellId}/doors/1`);
    expect(opened.status, opened.text).toBe(204);
    expect(bell.doorCommands.at(-1)).toMatchObject({ door: 1, cmd: 'open' });
    expect(bell.callSignals).toEqual([]);

    bell.ring();
    expect((await gw.api('POST', `/api/v1/devices/${bellId}/doors/1?command=open`)).status).toBe(204);
    await eventually(async () => bell.callStatus === 'idle', 5000);
    expect(signals().map((signal) => signal.cmdType)).toEqual(['answer', 'hangUp']);

    const noSuchDoor = await gw.api('POST', `/api/v1/devices/${bellId}/doors/9`);
    expect(noSuchDoor.status).toBe(400);
    expect(noSuchDoor.json.error.message).toMatch(/has 2 door\(s\); 9 is not one of them/);
  });
});

describe('tamper latch', () => {
  const tamper = async () => (await gw.api('GET', `/api/v1/devices/${bellId}/tamper`)).json;

  it('latches on a tamper alarm, and goes off when the device restores it', async () => {
    expect(await tamper()).toEqual({ latched: false, since: null });
    await eventually(async () => bell.openAlertStreams > 0, 10_000);
    bell.trigger({ type: 'AccessControllerEvent', major: 1, minor: 1028 });
    await eventually(async () => (await tamper()).latched, 10_000);
    expect((await tamper()).since).toMatch(/^\d{4}-/);
    bell.trigger({ type: 'AccessControllerEvent', major: 1, minor: 1029 });
    await eventually(async () => !(await tamper()).latched, 10_000);
  });

  it('stays on until the user resets it, and is saved for the next start', async () => {
    bell.trigger({ type: 'AccessControllerEvent', major: 1, minor: 1028 });
    await eventually(async () => (await tamper()).latched, 10_000);
    // Saved: the store holds it for the next start.
    expect(
      Object.keys(
        (await gw.gateway.store.settings.get<Record<string, string>>('devices.tamperLatched')) ?? {},
      ),
    ).toEqual([bellId]);
    const reset = await gw.api('POST', `/api/v1/devices/${bellId}/tamper/reset`);
    expect(reset.json).toEqual({ latched: false, since: null });
    expect(
      (await gw.gateway.store.settings.get<Record<string, string>>('devices.tamperLatched')) ?? {},
    ).toEqual({});
    const none = await gw.api('GET', `/api/v1/devices/${cameraId}/tamper`);
    expect(none.status).toBe(409);
    expect(none.json.error.message).toBe('"Yard" has no tamper sensor.');
  });
});
