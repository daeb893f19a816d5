/**
 * Entities switched on and off in Home Assistant, and the doorbell's call sensor, against a real
 * Mosquitto, a real gateway and the simulated doorbell. Each test adds its own doorbell, so none
 * depends on another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import type { DoorbellCallEvent } from '../../src/core/bus.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.ts';
import { json, Recorder, retainedMessages } from './helpers.ts';

const DEVICE_PASSWORD = 'Dev1ce-Secret#en';

let broker: Mosquitto;
let recorder: Recorder;
let gw: TestGateway;
const sims: SimDevice[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  recorder = await Recorder.start(broker.url);
  // A motion episode ends after a quiet period too: long enough here that "restored" ends it.
  gw = await startTestGateway({ overrides: { mqtt: { url: broker.url }, events: { quietSeconds: 300 } } });
});

afterAll(async () => {
  await gw?.stop();
  await recorder?.stop();
  await Promise.all(sims.map((sim) => sim.close()));
  await broker?.stop();
});

const config = (component: string, id: string, key: string) =>
  `homeassistant/${component}/hikbridge_${id}/${key}/config`;
const state = (id: string, key: string) => `hikbridge/${id}/${key}/state`;

/** A doorbell added to the gateway, once its discovery (call sensor included) is on the broker. */
async function doorbell(): Promise<{ sim: SimDevice; id: string }> {
  const sim = await startSimDevice({
    profile: 'doorbell',
    password: DEVICE_PASSWORD,
    serialNumber: `EN${sims.length}X${Date.now().toString(36).toUpperCase()}`,
  });
  sims.push(sim);
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { host: '127.0.0.1', port: sim.port, username: 'admin', password: DEVICE_PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  const id = added.json.id as string;
  await recorder.waitFor((m) => m.topic === config('sensor', id, 'call') && m.payload.length > 0);
  return { sim, id };
}

/** The device's retained discovery configs, by `<component>/<key>`. */
async function retainedConfigs(id: string): Promise<string[]> {
  const retained = await retainedMessages(broker.url, `homeassistant/+/hikbridge_${id}/#`);
  return [...retained.keys()].map((topic) =>
    topic.split('/').slice(1, 4).join('/').replace(`/hikbridge_${id}`, ''),
  );
}

const switchEntity = async (id: string, key: string, enabled: boolean) => {
  const answer = await gw.api('PATCH', `/api/v1/devices/${id}/entities/${key}`, { body: { enabled } });
  expect(answer.status, answer.text).toBe(200);
};

/** Messages on `topic` from `from` on that carry a payload (an empty one removes a retained message). */
const nonEmpty = (topic: string, from: number) =>
  recorder.messages.slice(from).filter((m) => m.topic === topic && m.payload.length > 0);

describe('an entity switched off', () => {
  it('leaves Home Assistant with its state; tamper alarms show as motion; switched on, it is back', async () => {
    const { sim, id } = await doorbell();
    // The tamper sensor shows the latch from the start.
    await recorder.waitForPayload(state(id, 'tamper'), 'OFF');
    expect(await retainedConfigs(id)).toEqual(
      expect.arrayContaining(['binary_sensor/tamper', 'button/tamper_reset', 'lock/door_1']),
    );

    const off = recorder.messages.length;
    await switchEntity(id, 'tamper', false);
    for (const topic of [config('binary_sensor', id, 'tamper'), config('button', id, 'tamper_reset')]) {
      const removal = await recorder.waitFor((m) => m.topic === topic && m.payload.length === 0, off);
      expect(removal.retain).toBe(true);
    }
    await recorder.waitFor((m) => m.topic === state(id, 'tamper') && m.payload.length === 0, off);
    const configs = await retainedConfigs(id);
    expect(configs).not.toContain('binary_sensor/tamper');
    expect(configs).not.toContain('button/tamper_reset');
    expect(configs).toEqual(expect.arrayContaining(['lock/door_1', 'binary_sensor/door_1_contact']));
    expect([...(await retainedMessages(broker.url, `hikbridge/${id}/tamper/#`)).keys()]).toEqual([]);

    // The case opened: motion on the doorbell's camera, nothing on the tamper topics.
    await eventually(async () => sim.openAlertStreams > 0, 15_000);
    sim.trigger({ type: 'AccessControllerEvent', major: 1, minor: 1028 });
    await recorder.waitForPayload(state(id, 'ch1_motion'), 'ON', off);
    sim.trigger({ type: 'AccessControllerEvent', major: 1, minor: 1029 });
    await recorder.waitForPayload(state(id, 'ch1_motion'), 'OFF', off);

    // Home Assistant restarts: everything is sent again, but not the entity that is off.
    const restart = recorder.messages.length;
    await recorder.publish('homeassistant/status', 'online');
    await recorder.waitFor((m) => m.topic === config('lock', id, 'door_1'), restart);
    // Cached states go out in the order they were first set: the motion attributes came last.
    await recorder.waitFor((m) => m.topic === `hikbridge/${id}/ch1_motion/attributes`, restart);
    expect(nonEmpty(config('binary_sensor', id, 'tamper'), off)).toEqual([]);
    expect(nonEmpty(state(id, 'tamper'), off)).toEqual([]);

    const on = recorder.messages.length;
    await switchEntity(id, 'tamper', true);
    const back = await recorder.waitFor(
      (m) => m.topic === config('binary_sensor', id, 'tamper') && m.payload.length > 0,
      on,
    );
    expect(back.retain).toBe(true);
    expect(json(back)).toMatchObject({ device_class: 'tamper', state_topic: state(id, 'tamper') });
    await recorder.waitFor(
      (m) => m.topic === config('button', id, 'tamper_reset') && m.payload.length > 0,
      on,
    );
    // Its state again: the latch, which the alarm above (reported as motion) did not set.
    const latch = await recorder.waitForPayload(state(id, 'tamper'), 'OFF', on);
    expect(latch.retain).toBe(true);
    expect(await retainedConfigs(id)).toEqual(expect.arrayContaining(['binary_sensor/tamper']));
  });
});

describe('the call sensor', () => {
  it('is an enum that follows doorbell.call, retained, and goes with the device', async () => {
    const { id } = await doorbell();
    const discovery = await recorder.waitFor((m) => m.topic === config('sensor', id, 'call'));
    expect(discovery.retain).toBe(true);
    expect(json(discovery)).toMatchObject({
      name: 'Call',
      unique_id: `hikbridge_${id}_call`,
      device_class: 'enum',
      options: ['ringing', 'in call', 'idle'],
      state_topic: state(id, 'call'),
      json_attributes_topic: `hikbridge/${id}/call/attributes`,
      device: { identifiers: [`hikbridge_${id}`] },
    });
    // Nothing can be ringing that hikbridge has not heard of since it started.
    await recorder.waitForPayload(state(id, 'call'), 'idle');

    const from = recorder.messages.length;
    const call = (fields: Partial<DoorbellCallEvent>): DoorbellCallEvent => ({
      deviceId: id,
      state: 'ringing',
      source: 'sip',
      callId: 'call-1@127.0.0.1',
      reason: null,
      ...fields,
    });
    gw.gateway.bus.emit('doorbell.call', call({ state: 'ringing' }));
    const ringing = await recorder.waitForPayload(state(id, 'call'), 'ringing', from);
    expect(ringing.retain).toBe(true);
    const attributes = await recorder.waitFor((m) => m.topic === `hikbridge/${id}/call/attributes`, from);
    expect(json(attributes)).toEqual({ state: 'ringing', source: 'sip', reason: null });
    gw.gateway.bus.emit('doorbell.call', call({ state: 'in call', source: 'control' }));
    await recorder.waitForPayload(state(id, 'call'), 'in call', from);
    gw.gateway.bus.emit('doorbell.call', call({ state: 'idle', reason: 'hung up' }));
    const idle = await recorder.waitForPayload(state(id, 'call'), 'idle', from);
    expect(recorder.messages.indexOf(idle)).toBeGreaterThan(recorder.messages.indexOf(ringing));
    const retained = await retainedMessages(broker.url, `hikbridge/${id}/call/#`);
    expect(retained.get(state(id, 'call'))?.toString()).toBe('idle');
    expect(JSON.parse(retained.get(`hikbridge/${id}/call/attributes`)?.toString() ?? '{}')).toMatchObject({
      reason: 'hung up',
    });

    // Another device's call leaves this sensor alone.
    const other = recorder.messages.length;
    gw.gateway.bus.emit('doorbell.call', call({ deviceId: 'not-a-device', state: 'ringing' }));
    gw.gateway.bus.emit('doorbell.call', call({ state: 'ringing' }));
    await recorder.waitForPayload(state(id, 'call'), 'ringing', other);
    expect(recorder.messages.slice(other).filter((m) => m.topic.includes('not-a-device'))).toEqual([]);

    const removed = await gw.api('DELETE', `/api/v1/devices/${id}`);
    expect(removed.status).toBe(204);
    await recorder.waitFor((m) => m.topic === config('sensor', id, 'call') && m.payload.length === 0, other);
    await eventually(async () => (await retainedMessages(broker.url, `hikbridge/${id}/call/#`)).size === 0);
    expect([
      ...(await retainedMessages(broker.url, `homeassistant/sensor/hikbridge_${id}/#`)).keys(),
    ]).toEqual([]);
  });
});
