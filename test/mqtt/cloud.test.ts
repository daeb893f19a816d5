/**
 * Cloud cameras in Home Assistant: a real store holding an account and its cameras (written
 * directly, as the cloud module's sync would), the MQTT module on a bus, a real Mosquitto. The
 * cameras' live URLs and stream codes are set, and must never reach the broker.
 *
 * Each test has its own store and account (one shared broker), so any one runs alone.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import { createLogger } from '../../src/core/logger.ts';
import { createStore } from '../../src/core/store/index.ts';
import type { CloudCameraRecord, Store } from '../../src/core/store/types.ts';
import { MqttModule } from '../../src/modules/mqtt/module.ts';
import { Topics } from '../../src/modules/mqtt/topics.ts';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.ts';
import { json, Recorder, retainedMessages } from './helpers.ts';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0xff, 0xd9]);
const STREAM_CODE = 'QWZX71';
const URL_KEY = 'aa6f3c0d9e1b4f27b8';
const CLEAN_ERROR = 'HikCentral Connect refused the live address: the device is offline.';

let broker: Mosquitto;
let recorder: Recorder;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  broker = await startMosquitto();
  recorder = await Recorder.start(broker.url);
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await recorder?.stop();
  await broker?.stop();
});

function liveUrl(serial: string, channelNo: number): string {
  return `rtmp://rtmp.cloud.example.test:1935/live/${serial}_${channelNo}_1?expire=1900000000&id=${URL_KEY}${serial}`;
}

interface Setup {
  store: Store;
  bus: Bus;
  accountId: string;
  /** Channel ids the module asked pictures of. */
  pictures: string[];
  camera(serial: string, channelNo: number, fields?: Partial<CloudCameraRecord>): Promise<CloudCameraRecord>;
  start(): Promise<MqttModule>;
  stop(): Promise<void>;
}

async function setup(): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-mqtt-cloud-'));
  const store = await createStore({ url: join(dir, 'store.db'), secretKey: randomBytes(32) });
  const account = await store.cloud.insertAccount({
    name: 'Site',
    appKey: 'AppKey-5e2d7a1c9b',
    appSecret: 'Secret-0f9e8d7c6b5a',
  });
  const bus = new Bus();
  const pictures: string[] = [];
  let module: MqttModule | undefined;
  const stop = async () => {
    await module?.stop();
    module = undefined;
  };
  cleanups.push(async () => {
    await stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    store,
    bus,
    accountId: account.id,
    pictures,
    camera: async (serial, channelNo, fields = {}) => {
      const facts = await store.cloud.upsertCamera({
        accountId: account.id,
        deviceSerial: serial,
        channelNo,
        resourceId: `res-${serial}-${channelNo}`,
        name: `${serial} camera ${channelNo}`,
        online: true,
        attributes: {
          area: 'Entrance',
          deviceName: `${serial} device`,
          deviceCategory: 'IPC',
          deviceModel: 'DS-2CD2143G2-I',
        },
      });
      const saved = await store.cloud.updateCamera(facts.id, {
        url: liveUrl(serial, channelNo),
        urlExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        streamCode: STREAM_CODE,
        status: 'ok',
        ...fields,
      });
      if (!saved) throw new Error('camera vanished');
      return saved;
    },
    start: async () => {
      module = new MqttModule({
        store,
        bus,
        logger: createLogger({ level: 'silent' }),
        devices: {
          snapshot: async (channelId) => {
            pictures.push(channelId);
            return { jpeg: JPEG, takenAt: Date.now(), source: 'stream' };
          },
          doorCommand: async () => {
            throw new Error('no doors here');
          },
          doorCommands: async () => undefined,
          callAction: async () => {
            throw new Error('no doorbells here');
          },
          resetTamper: async () => {
            throw new Error('no tamper sensors here');
          },
          tamperState: async () => {
            throw new Error('no tamper sensors here');
          },
          health: () => undefined,
          retryLogin: async () => {
            throw new Error('no devices here');
          },
        },
        settings: {
          url: broker.url,
          baseTopic: 'hikbridge',
          discoveryPrefix: 'homeassistant',
          discovery: true,
          retainStates: true,
          snapshotOnEvent: true,
          keepaliveSeconds: 30,
          version: 'test',
          minBackoffMs: 100,
          maxBackoffMs: 500,
        },
      });
      await module.start();
      return module;
    },
    stop,
  };
}

const configsOf = (cameraId: string) => `homeassistant/+/hikbridge_cloud_${cameraId}/+/config`;
const config = (component: string, cameraId: string, key: string) =>
  `homeassistant/${component}/hikbridge_cloud_${cameraId}/${key}/config`;
const state = (cameraId: string, key: string) => `hikbridge/cloud/${cameraId}/${key}/state`;

async function retained(filter: string): Promise<Map<string, Buffer>> {
  return retainedMessages(broker.url, filter);
}

/** Waits until the broker holds `count` discovery configs of the camera. */
async function configCount(cameraId: string, count: number): Promise<void> {
  await expect.poll(async () => (await retained(configsOf(cameraId))).size, { timeout: 15_000 }).toBe(count);
}

async function retainedText(topic: string): Promise<string | undefined> {
  return (await retained(topic)).get(topic)?.toString('utf8');
}

async function expectRetained(topic: string, payload: string): Promise<void> {
  await expect.poll(() => retainedText(topic), { timeout: 15_000 }).toBe(payload);
}

function retainedJson(messages: Map<string, Buffer>, topic: string): Record<string, unknown> {
  const payload = messages.get(topic);
  if (!payload) throw new Error(`nothing retained on ${topic}`);
  return JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
}

/** No topic or payload the broker holds or forwarded carries a live URL or a stream code. */
async function expectNoSecrets(): Promise<void> {
  const everything = [...(await retained('#'))].map(([topic, payload]) => ({ topic, payload }));
  const seen = [...everything, ...recorder.messages];
  expect(seen.length).toBeGreaterThan(10);
  for (const { topic, payload } of seen) {
    const text = `${topic} ${payload.toString('latin1')}`;
    for (const secret of [URL_KEY, STREAM_CODE, 'rtmp://', 'expire=']) expect(text).not.toContain(secret);
  }
}

describe('cloud camera topics', () => {
  it('commands to a cloud camera address its node; a bare `cloud` segment is no device', () => {
    const topics = new Topics('hb/site1', 'homeassistant');
    expect(topics.parseCommand('hb/site1/cloud/cam-1/take_snapshot/set')).toEqual({
      deviceId: 'cloud/cam-1',
      key: 'take_snapshot',
    });
    expect(topics.state(topics.cloudNode('cam-1'), 'status')).toBe('hb/site1/cloud/cam-1/status/state');
    expect(topics.parseCommand('hb/site1/cloud/take_snapshot/set')).toBeUndefined();
    expect(topics.parseCommand('hb/site1/cloud//take_snapshot/set')).toBeUndefined();
    expect(topics.parseCommand('hb/site1/dev-1/x/y/set')).toBeUndefined();
  });
});

describe('cloud cameras in Home Assistant', () => {
  it('publishes a device per cloud device with picture, button, connectivity and status, and no secret', async () => {
    const s = await setup();
    const gate1 = await s.camera('K1', 1, { name: 'Gate 1' });
    const gate2 = await s.camera('K1', 2, { name: 'Gate 2' });
    const yard = await s.camera('K2', 1, {
      name: 'Yard',
      online: false,
      status: 'offline',
      // A careless error text with the URL and the code in it: masked before it leaves.
      lastError: `${CLEAN_ERROR} (${liveUrl('K2', 1)} code ${STREAM_CODE})`,
    });
    const disabled = await s.camera('K3', 1, { enabled: false });
    const removed = await s.camera('K4', 1, { removedAt: new Date().toISOString(), status: 'removed' });
    await s.start();

    for (const camera of [gate1, gate2, yard]) await configCount(camera.id, 4);
    const all = await retained('homeassistant/#');
    const image = retainedJson(all, config('image', gate1.id, 'snapshot'));
    expect(image).toMatchObject({
      name: 'Gate 1 Snapshot',
      unique_id: `hikbridge_cloud_${gate1.id}_snapshot`,
      image_topic: `hikbridge/cloud/${gate1.id}/snapshot`,
      availability: [
        { topic: 'hikbridge/bridge/state' },
        { topic: `hikbridge/cloud/${gate1.id}/availability` },
      ],
      availability_mode: 'all',
      device: {
        identifiers: ['hikbridge_cloud_K1'],
        name: 'K1 device',
        manufacturer: 'Hikvision',
        model: 'DS-2CD2143G2-I',
        serial_number: 'K1',
        suggested_area: 'Entrance',
      },
      origin: { name: 'hikbridge', sw_version: 'test' },
    });
    // Both cameras of K1 are on one HA device; the single camera of K2 needs no name prefix.
    expect(retainedJson(all, config('image', gate2.id, 'snapshot')).device).toEqual(image.device);
    expect(retainedJson(all, config('image', yard.id, 'snapshot')).name).toBe('Snapshot');
    expect(retainedJson(all, config('button', gate1.id, 'take_snapshot'))).toMatchObject({
      name: 'Gate 1 Take snapshot',
      command_topic: `hikbridge/cloud/${gate1.id}/take_snapshot/set`,
      payload_press: 'PRESS',
      retain: false,
    });
    expect(retainedJson(all, config('binary_sensor', gate1.id, 'online'))).toMatchObject({
      device_class: 'connectivity',
      state_topic: state(gate1.id, 'online'),
      payload_on: 'ON',
      payload_off: 'OFF',
    });
    const status = retainedJson(all, config('sensor', yard.id, 'status'));
    expect(status).toMatchObject({
      device_class: 'enum',
      state_topic: state(yard.id, 'status'),
      json_attributes_topic: `hikbridge/cloud/${yard.id}/status/attributes`,
    });
    expect(status.options).toEqual(expect.arrayContaining(['pending', 'ok', 'offline', 'error']));
    // Disabled and removed cameras get no entities.
    expect((await retained(configsOf(disabled.id))).size).toBe(0);
    expect((await retained(configsOf(removed.id))).size).toBe(0);

    await expectRetained(state(gate1.id, 'online'), 'ON');
    await expectRetained(state(gate1.id, 'status'), 'ok');
    await expectRetained(state(yard.id, 'online'), 'OFF');
    await expectRetained(state(yard.id, 'status'), 'offline');
    await expectRetained(`hikbridge/cloud/${yard.id}/availability`, 'online');
    const attributes = JSON.parse(
      (await retainedText(`hikbridge/cloud/${yard.id}/status/attributes`)) ?? '{}',
    );
    expect(attributes).toMatchObject({ device_serial: 'K2', channel_no: 1, area: 'Entrance' });
    expect(attributes.last_error).toContain(CLEAN_ERROR);

    // The button takes a picture through the devices module (which grabs it from the stream).
    const from = recorder.messages.length;
    await recorder.publish(`hikbridge/cloud/${gate2.id}/take_snapshot/set`, 'PRESS');
    const picture = await recorder.waitFor((m) => m.topic === `hikbridge/cloud/${gate2.id}/snapshot`, from);
    expect(picture.payload.equals(JPEG)).toBe(true);
    expect(s.pictures).toEqual([gate2.id]);

    await expectNoSecrets();
  });

  it('follows changes: status, disabled, removed, account off; what went away while stopped is cleared at start', async () => {
    const s = await setup();
    const gate1 = await s.camera('K5', 1, { name: 'Gate 1' });
    const gate2 = await s.camera('K5', 2, { name: 'Gate 2' });
    const yard = await s.camera('K6', 1, { name: 'Yard' });
    const porch = await s.camera('K7', 1, { name: 'Porch' });
    await s.start();
    for (const camera of [gate1, gate2, yard, porch]) await configCount(camera.id, 4);
    await expectRetained(state(gate1.id, 'status'), 'ok');
    const changed = () => s.bus.emit('cloud.cameras.changed', { accountId: s.accountId });

    // The renewal says the camera went offline: its states follow.
    let from = recorder.messages.length;
    await s.store.cloud.updateCamera(gate1.id, { online: false, status: 'error', lastError: CLEAN_ERROR });
    changed();
    await recorder.waitForPayload(state(gate1.id, 'status'), 'error', from);
    await expectRetained(state(gate1.id, 'online'), 'OFF');
    expect(json(recorder.last(`hikbridge/cloud/${gate1.id}/status/attributes`)).last_error).toBe(CLEAN_ERROR);
    // Only what changed was sent again.
    expect(recorder.messages.slice(from).some((m) => m.topic.includes(yard.id))).toBe(false);

    // Switched off and gone from the cloud: their entities and retained states are removed.
    from = recorder.messages.length;
    await s.store.cloud.updateCamera(gate2.id, { enabled: false });
    await s.store.cloud.updateCamera(yard.id, { removedAt: new Date().toISOString(), status: 'removed' });
    changed();
    await configCount(gate2.id, 0);
    await configCount(yard.id, 0);
    expect((await retained(`hikbridge/cloud/${gate2.id}/#`)).size).toBe(0);
    expect((await retained(`hikbridge/cloud/${yard.id}/#`)).size).toBe(0);
    // Gate 1 is alone on its device now: its names lose the camera prefix.
    await expect
      .poll(async () => {
        const message = (await retained(config('image', gate1.id, 'snapshot'))).get(
          config('image', gate1.id, 'snapshot'),
        );
        return message ? (JSON.parse(message.toString('utf8')) as { name: string }).name : undefined;
      })
      .toBe('Snapshot');
    await configCount(porch.id, 4);

    // The account switched off: its cameras stay, unavailable (like a disabled device).
    await s.store.cloud.updateAccount(s.accountId, { enabled: false });
    changed();
    await expectRetained(`hikbridge/cloud/${gate1.id}/availability`, 'offline');
    await expectRetained(`hikbridge/cloud/${porch.id}/availability`, 'offline');

    // Deleted while MQTT was stopped: cleared at the next start, the others republished.
    await s.stop();
    await s.store.cloud.deleteCamera(porch.id);
    await s.store.cloud.updateAccount(s.accountId, { enabled: true });
    from = recorder.messages.length;
    await s.start();
    await configCount(porch.id, 0);
    expect((await retained(`hikbridge/cloud/${porch.id}/#`)).size).toBe(0);
    await recorder.waitFor(
      (m) => m.topic === config('image', gate1.id, 'snapshot') && m.payload.length > 0,
      from,
    );
    await expectRetained(`hikbridge/cloud/${gate1.id}/availability`, 'online');
    await expectRetained(state(gate1.id, 'status'), 'error');
    await configCount(gate1.id, 4);

    await expectNoSecrets();
  });
});
