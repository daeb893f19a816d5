/**
 * MQTT end to end: a real gateway, real simulated devices (camera, NVR, doorbell) and a real
 * Mosquitto broker, observed by an MQTT 5 subscriber that sees each message's retain flag as
 * the gateway sent it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, type SimDeviceOptions, startSimDevice } from '../../sim/index.ts';
import { ADMIN_PASSWORD, eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.ts';
import {
  expectedConfigCount,
  gatewayEvent,
  json,
  Recorder,
  retainedMessages,
  watchControls,
} from './helpers.ts';

const DEVICE_PASSWORD = 'Dev1ce-Secret#mq';
const MQTT_USER = 'hikbridge-user';
const MQTT_PASSWORD = 'Mqtt-Secret#9x';

let broker: Mosquitto;
let recorder: Recorder;
let gw: TestGateway;
const sims: SimDevice[] = [];
let camera: { sim: SimDevice; id: string };
let nvr: { sim: SimDevice; id: string };
let doorbell: { sim: SimDevice; id: string };

async function addSim(profile: string, extra: Partial<SimDeviceOptions> = {}) {
  const sim = await startSimDevice({
    profile,
    password: DEVICE_PASSWORD,
    serialNumber: `MQ${sims.length}X${Date.now().toString(36).toUpperCase()}`,
    ...extra,
  });
  sims.push(sim);
  const url = new URL(sim.url);
  const answer = await gw.api('POST', '/api/v1/devices', {
    body: { host: url.hostname, port: Number(url.port), username: 'admin', password: DEVICE_PASSWORD },
  });
  expect(answer.status, answer.text).toBe(201);
  return { sim, id: answer.json.id as string };
}

const config = (component: string, deviceId: string, key: string) =>
  `homeassistant/${component}/hikbridge_${deviceId}/${key}/config`;

/** Waits until the broker holds every discovery config of the device (its sync is done). */
async function discoveryComplete(deviceId: string): Promise<number> {
  const expected = await expectedConfigCount(gw.gateway.store, deviceId, gw.gateway);
  // Not expect.poll: beforeAll uses it too.
  await eventually(
    async () =>
      (await retainedMessages(broker.url, `homeassistant/+/hikbridge_${deviceId}/#`)).size === expected,
  );
  return expected;
}

async function configOf(component: string, deviceId: string, key: string) {
  const message = await recorder.waitFor((m) => m.topic === config(component, deviceId, key));
  expect(message.retain, `${component}/${key} config is retained`).toBe(true);
  return json(message);
}

beforeAll(async () => {
  broker = await startMosquitto();
  recorder = await Recorder.start(broker.url);
  gw = await startTestGateway({
    overrides: { mqtt: { url: broker.url, username: MQTT_USER, password: MQTT_PASSWORD } },
  });
  watchControls(gw.gateway);
  // Everything published is scanned for the passwords when the gateway stops.
  gw.scan.addSecret(MQTT_PASSWORD, MQTT_USER);
  gw.scan.addSource('MQTT payloads', () =>
    recorder.messages.map((message) => `${message.topic} ${message.payload.toString('latin1')}`).join('\n'),
  );
  camera = await addSim('camera');
  nvr = await addSim('nvr:2');
  doorbell = await addSim('doorbell', { doorOpenDurationMs: 200 });
  // Every test starts from a broker in line with the three devices, whichever runs first.
  for (const device of [camera, nvr, doorbell]) await discoveryComplete(device.id);
});

afterAll(async () => {
  await gw?.stop();
  await recorder?.stop();
  await Promise.all(sims.map((sim) => sim.close()));
  await broker?.stop();
});

describe('bridge', () => {
  it('announces itself online, retained', async () => {
    const retained = await retainedMessages(broker.url, 'hikbridge/bridge/state');
    expect(retained.get('hikbridge/bridge/state')?.toString()).toBe('online');
  });

  it('publishes device availability from the device health', async () => {
    for (const device of [camera, nvr, doorbell]) {
      await recorder.waitForPayload(`hikbridge/${device.id}/availability`, 'online');
    }
    const retained = await retainedMessages(broker.url, `hikbridge/${camera.id}/availability`);
    expect(retained.get(`hikbridge/${camera.id}/availability`)?.toString()).toBe('online');
  });
});

describe('discovery', () => {
  it('describes a camera: motion and smart sensors, snapshot image and button', async () => {
    const motion = await configOf('binary_sensor', camera.id, 'ch1_motion');
    expect(motion).toMatchObject({
      name: 'Motion',
      unique_id: `hikbridge_${camera.id}_ch1_motion`,
      device_class: 'motion',
      state_topic: `hikbridge/${camera.id}/ch1_motion/state`,
      json_attributes_topic: `hikbridge/${camera.id}/ch1_motion/attributes`,
      payload_on: 'ON',
      payload_off: 'OFF',
      availability_mode: 'all',
      availability: [{ topic: 'hikbridge/bridge/state' }, { topic: `hikbridge/${camera.id}/availability` }],
      origin: { name: 'hikbridge', sw_version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
      device: {
        identifiers: [`hikbridge_${camera.id}`],
        manufacturer: 'Hikvision',
        model: 'DS-2CD2386G2-IU',
        sw_version: expect.any(String),
        configuration_url: `http://127.0.0.1:${new URL(camera.sim.url).port}/`,
      },
    });
    expect((motion.device as Record<string, unknown>).via_device).toBeUndefined();
    expect((await configOf('binary_sensor', camera.id, 'ch1_line_crossing')).device_class).toBe('motion');
    expect((await configOf('binary_sensor', camera.id, 'ch1_intrusion')).device_class).toBe('motion');
    expect(await configOf('binary_sensor', camera.id, 'ch1_tamper')).toMatchObject({
      device_class: 'tamper',
    });
    expect(await configOf('binary_sensor', camera.id, 'ch1_video_loss')).toMatchObject({
      device_class: 'problem',
      entity_category: 'diagnostic',
    });
    expect(await configOf('image', camera.id, 'ch1_snapshot')).toMatchObject({
      image_topic: `hikbridge/${camera.id}/1/snapshot`,
      content_type: 'image/jpeg',
    });
    expect(await configOf('button', camera.id, 'ch1_take_snapshot')).toMatchObject({
      command_topic: `hikbridge/${camera.id}/ch1_take_snapshot/set`,
      payload_press: 'PRESS',
      retain: false,
    });
    expect(await configOf('binary_sensor', camera.id, 'alarm_input_1')).toMatchObject({
      state_topic: `hikbridge/${camera.id}/alarm_input_1/state`,
    });
  });

  it('shows each NVR channel as its own device, linked through the NVR', async () => {
    const first = await configOf('binary_sensor', nvr.id, 'ch1_motion');
    const second = await configOf('binary_sensor', nvr.id, 'ch2_motion');
    expect(first.device).toMatchObject({
      identifiers: [`hikbridge_${nvr.id}_ch1`],
      manufacturer: 'Hikvision',
      via_device: `hikbridge_${nvr.id}`,
      configuration_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/),
    });
    expect(second.device).toMatchObject({
      identifiers: [`hikbridge_${nvr.id}_ch2`],
      via_device: `hikbridge_${nvr.id}`,
    });
    expect(first.availability).toEqual([
      { topic: 'hikbridge/bridge/state' },
      { topic: `hikbridge/${nvr.id}/availability` },
    ]);
    expect((await configOf('image', nvr.id, 'ch2_snapshot')).image_topic).toBe(
      `hikbridge/${nvr.id}/2/snapshot`,
    );
  });

  it('describes a doorbell: ring event, ringing sensor, two locks, two contacts, tamper', async () => {
    const ring = await configOf('event', doorbell.id, 'ring');
    expect(ring).toMatchObject({
      device_class: 'doorbell',
      event_types: ['ring'],
      state_topic: `hikbridge/${doorbell.id}/ring/state`,
      device: { identifiers: [`hikbridge_${doorbell.id}`], manufacturer: 'Hikvision', model: 'DS-KV6124-E1' },
    });
    expect((await configOf('binary_sensor', doorbell.id, 'ringing')).state_topic).toBe(
      `hikbridge/${doorbell.id}/ringing/state`,
    );
    for (const door of [1, 2]) {
      expect(await configOf('lock', doorbell.id, `door_${door}`)).toMatchObject({
        command_topic: `hikbridge/${doorbell.id}/door_${door}/set`,
        state_topic: `hikbridge/${doorbell.id}/door_${door}/state`,
        payload_lock: 'LOCK',
        payload_unlock: 'UNLOCK',
        payload_open: 'OPEN',
        state_locked: 'LOCKED',
        state_unlocked: 'UNLOCKED',
        state_jammed: 'JAMMED',
        retain: false,
      });
      expect(await configOf('binary_sensor', doorbell.id, `door_${door}_contact`)).toMatchObject({
        device_class: 'door',
      });
    }
    expect(await configOf('binary_sensor', doorbell.id, 'tamper')).toMatchObject({
      device_class: 'tamper',
      entity_category: 'diagnostic',
    });
  });

  it('publishes everything again when Home Assistant comes online', async () => {
    const topic = config('lock', doorbell.id, 'door_1');
    const before = recorder.on(topic).length;
    const from = recorder.messages.length;
    await recorder.publish('homeassistant/status', 'online');
    await recorder.waitFor((m) => m.topic === topic, from);
    expect(recorder.on(topic).length).toBeGreaterThan(before);
    await recorder.waitFor((m) => m.topic === config('binary_sensor', camera.id, 'ch1_motion'), from);
  });
});

describe('events to states', () => {
  it('motion: ON with attributes and a fresh picture, then OFF; Frigate-style topics too', async () => {
    const channel = (await gw.gateway.store.channels.listByDevice(camera.id))[0]!;
    const from = recorder.messages.length;
    const start = gatewayEvent({
      deviceId: camera.id,
      channelId: channel.id,
      channelNo: 1,
      kind: 'motion',
      state: 'start',
      targets: ['human'],
    });
    gw.gateway.bus.emit('event', start);
    const on = await recorder.waitForPayload(`hikbridge/${camera.id}/ch1_motion/state`, 'ON', from);
    expect(on.retain).toBe(true);
    await recorder.waitForPayload(`hikbridge/${camera.id}/1/motion`, 'ON', from);
    const attributes = await recorder.waitFor(
      (m) => m.topic === `hikbridge/${camera.id}/ch1_motion/attributes`,
      from,
    );
    expect(json(attributes)).toMatchObject({
      event_id: start.id,
      kind: 'motion',
      state: 'start',
      targets: ['human'],
    });
    const picture = await recorder.waitFor((m) => m.topic === `hikbridge/${camera.id}/1/snapshot`, from);
    expect([...picture.payload.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect(picture.retain).toBe(true);

    gw.gateway.bus.emit('event', { ...start, id: `${start.id}-end`, state: 'end' });
    await recorder.waitForPayload(`hikbridge/${camera.id}/ch1_motion/state`, 'OFF', from);
    await recorder.waitForPayload(`hikbridge/${camera.id}/1/motion`, 'OFF', from);
  });

  it('doorbell ring: a non-retained ring event and a ringing sensor', async () => {
    const from = recorder.messages.length;
    const ring = gatewayEvent({ deviceId: doorbell.id, channelNo: 1, kind: 'doorbell-ring', state: 'start' });
    gw.gateway.bus.emit('event', ring);
    const event = await recorder.waitFor((m) => m.topic === `hikbridge/${doorbell.id}/ring/state`, from);
    expect(json(event)).toEqual({ event_type: 'ring' });
    expect(event.retain).toBe(false);
    const ringing = await recorder.waitForPayload(`hikbridge/${doorbell.id}/ringing/state`, 'ON', from);
    expect(ringing.retain).toBe(true);
    const retained = await retainedMessages(broker.url, `hikbridge/${doorbell.id}/ring/#`);
    expect([...retained.keys()]).toEqual([]);

    gw.gateway.bus.emit('event', { ...ring, id: `${ring.id}-end`, state: 'end' });
    await recorder.waitForPayload(`hikbridge/${doorbell.id}/ringing/state`, 'OFF', from);
    expect(recorder.on(`hikbridge/${doorbell.id}/ring/state`).length).toBe(1);
  });

  it('doors, locks and tamper follow access-control events', async () => {
    const from = recorder.messages.length;
    const emit = (kind: Parameters<typeof gatewayEvent>[0]['kind'], region: number | null) =>
      gw.gateway.bus.emit('event', gatewayEvent({ deviceId: doorbell.id, kind, state: 'pulse', region }));
    emit('door-open', 1);
    await recorder.waitForPayload(`hikbridge/${doorbell.id}/door_1_contact/state`, 'ON', from);
    emit('door-closed', 1);
    await recorder.waitForPayload(`hikbridge/${doorbell.id}/door_1_contact/state`, 'OFF', from);
    emit('lock-open', 2);
    await recorder.waitForPayload(`hikbridge/${doorbell.id}/door_2/state`, 'UNLOCKED', from);
    emit('lock-closed', 2);
    await recorder.waitForPayload(`hikbridge/${doorbell.id}/door_2/state`, 'LOCKED', from);
    emit('access-tamper', null);
    await recorder.waitForPayload(`hikbridge/${doorbell.id}/tamper/state`, 'ON', from);
    emit('access-tamper-restored', null);
    await recorder.waitForPayload(`hikbridge/${doorbell.id}/tamper/state`, 'OFF', from);
    // A door the device does not have invents no topic. Events are handled in order, so once the
    // tamper that follows it is published, a door_7 topic would have been too.
    const mark = recorder.messages.length;
    emit('door-open', 7);
    emit('access-tamper', null);
    await recorder.waitForPayload(`hikbridge/${doorbell.id}/tamper/state`, 'ON', mark);
    expect(recorder.messages.some((m) => m.topic.includes('door_7'))).toBe(false);
    emit('access-tamper-restored', null);
    await recorder.waitForPayload(`hikbridge/${doorbell.id}/tamper/state`, 'OFF', mark);
  });
});

describe('commands', () => {
  it('UNLOCK opens the door on the device, LOCK closes it', async () => {
    const before = doorbell.sim.doorCommands.length;
    await recorder.publish(`hikbridge/${doorbell.id}/door_1/set`, 'UNLOCK');
    await eventually(async () => doorbell.sim.doorCommands.length > before);
    expect(doorbell.sim.doorCommands.at(-1)).toMatchObject({ door: 1, cmd: 'open' });
    await recorder.publish(`hikbridge/${doorbell.id}/door_2/set`, 'LOCK');
    await eventually(async () => doorbell.sim.doorCommands.length > before + 1);
    expect(doorbell.sim.doorCommands.at(-1)).toMatchObject({ door: 2, cmd: 'close' });
  });

  it('ignores invalid payloads and unknown entities with a warning', async () => {
    const warnings = () => (gw.logs().match(/ignored an invalid MQTT command/g) ?? []).length;
    const warned = warnings();
    const before = doorbell.sim.doorCommands.length;
    await recorder.publish(`hikbridge/${doorbell.id}/door_1/set`, 'OPEN_SESAME');
    await recorder.publish(`hikbridge/${doorbell.id}/door_9/set`, 'UNLOCK');
    await recorder.publish(`hikbridge/${doorbell.id}/ringing/set`, 'ON');
    // Commands are handled in order: once this valid one reaches the door, the invalid ones
    // before it would have too.
    await recorder.publish(`hikbridge/${doorbell.id}/door_2/set`, 'UNLOCK');
    await eventually(async () => doorbell.sim.doorCommands.length > before);
    expect(doorbell.sim.doorCommands.slice(before)).toEqual([
      expect.objectContaining({ door: 2, cmd: 'open' }),
    ]);
    expect(warnings() - warned).toBe(3);
  });

  it('the snapshot button publishes a JPEG on the image topic', async () => {
    const from = recorder.messages.length;
    await recorder.publish(`hikbridge/${nvr.id}/ch2_take_snapshot/set`, 'PRESS');
    const picture = await recorder.waitFor((m) => m.topic === `hikbridge/${nvr.id}/2/snapshot`, from);
    expect(picture.payload.length).toBeGreaterThan(1000);
    expect([...picture.payload.subarray(0, 2)]).toEqual([0xff, 0xd8]);
  });
});

describe('removal', () => {
  it('a removed device leaves no retained config or state behind', async () => {
    // A device of its own, so the tests that use the shared ones run in any order.
    const removed = await addSim('nvr:2');
    const count = await discoveryComplete(removed.id);
    expect(count).toBeGreaterThanOrEqual(14);
    const configs = [
      ...(await retainedMessages(broker.url, `homeassistant/+/hikbridge_${removed.id}/#`)).keys(),
    ];
    expect(await retainedMessages(broker.url, `hikbridge/${removed.id}/#`)).not.toEqual(new Map());
    const from = recorder.messages.length;
    expect((await gw.api('DELETE', `/api/v1/devices/${removed.id}`)).status).toBe(204);
    for (const topic of configs) {
      const cleared = await recorder.waitFor((m) => m.topic === topic && m.payload.length === 0, from);
      expect(cleared.retain).toBe(true);
    }
    await expect
      .poll(
        async () => (await retainedMessages(broker.url, `homeassistant/+/hikbridge_${removed.id}/#`)).size,
      )
      .toBe(0);
    await expect
      .poll(async () => (await retainedMessages(broker.url, `hikbridge/${removed.id}/#`)).size)
      .toBe(0);
    const remembered = (await gw.gateway.store.settings.get<{ configs: string[] }>('mqtt.discovery'))!;
    expect(remembered.configs.some((topic) => topic.includes(removed.id))).toBe(false);
    expect(remembered.configs).toContain(config('lock', doorbell.id, 'door_1'));
  });
});

describe('secrets', () => {
  it('no message carries a password or a URL with credentials', async () => {
    // Not vacuous: every device's discovery (device info, configuration URLs) is among them.
    for (const device of [camera, nvr, doorbell]) {
      const expected = await expectedConfigCount(gw.gateway.store, device.id, gw.gateway);
      const seen = new Set(
        recorder.messages.filter((m) => m.topic.includes(`/hikbridge_${device.id}/`)).map((m) => m.topic),
      );
      expect(seen.size).toBeGreaterThanOrEqual(expected);
    }
    for (const message of recorder.messages) {
      const text = message.payload.toString('latin1');
      for (const secret of [DEVICE_PASSWORD, MQTT_PASSWORD, ADMIN_PASSWORD]) {
        expect(text.includes(secret), `${message.topic} contains a secret`).toBe(false);
      }
      expect(text, message.topic).not.toMatch(/[a-z]+:\/\/[^/\s"@]+:[^/\s"@]+@/i);
    }
  });
});
