/**
 * Keeping Home Assistant in line with the device list: a device added or removed touches only
 * its own discovery configs, and one removed while the MQTT side was off is cleared at the next
 * start. Real gateway, simulated cameras, a real Mosquitto.
 *
 * Each test starts its own gateway and cameras (one shared broker), so any one runs alone or in
 * any order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { isControlKey } from '../../src/modules/mqtt/entities.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.ts';
import { expectedConfigCount, Recorder, retainedMessages, watchControls } from './helpers.ts';

const DEVICE_PASSWORD = 'Dev1ce-Secret#sy';

let broker: Mosquitto;
let recorder: Recorder;
const sims: SimDevice[] = [];
const gateways: TestGateway[] = [];

async function addCamera(gateway: TestGateway): Promise<string> {
  const sim = await startSimDevice({
    profile: 'camera',
    password: DEVICE_PASSWORD,
    serialNumber: `SY${sims.length}X${Date.now().toString(36).toUpperCase()}`,
    snapshotDelayMs: 0,
  });
  sims.push(sim);
  const url = new URL(sim.url);
  const answer = await gateway.api('POST', '/api/v1/devices', {
    body: { host: url.hostname, port: Number(url.port), username: 'admin', password: DEVICE_PASSWORD },
  });
  expect(answer.status, answer.text).toBe(201);
  return answer.json.id as string;
}

/** A gateway stopped by afterAll if the test does not stop it itself. */
async function gateway(options: Parameters<typeof startTestGateway>[0]): Promise<TestGateway> {
  const started = await startTestGateway(options);
  watchControls(started.gateway);
  gateways.push(started);
  return started;
}

async function stop(gw: TestGateway): Promise<void> {
  gateways.splice(gateways.indexOf(gw), 1);
  await gw.stop();
}

const configsOf = (deviceId: string) => `homeassistant/+/hikbridge_${deviceId}/#`;
const isConfig = (topic: string) => topic.startsWith('homeassistant/') && topic.endsWith('/config');
const configOfDevice = (deviceId: string) => (topic: string) =>
  isConfig(topic) && topic.includes(`hikbridge_${deviceId}/`);

/** Waits until the broker holds every discovery config the device has (the sync is done). */
async function allConfigsOf(deviceId: string, count: number): Promise<void> {
  await expect.poll(async () => (await retainedMessages(broker.url, configsOf(deviceId))).size).toBe(count);
}

beforeAll(async () => {
  broker = await startMosquitto();
  recorder = await Recorder.start(broker.url);
});

afterAll(async () => {
  for (const gw of gateways.splice(0)) await gw.stop();
  await recorder?.stop();
  await Promise.all(sims.map((sim) => sim.close()));
  await broker?.stop();
});

describe('discovery follows the device list', () => {
  it('adding a device sends its configs and no other device’s again', async () => {
    const gw = await gateway({ overrides: { mqtt: { url: broker.url } } });
    const first = await addCamera(gw);
    const expected = await expectedConfigCount(gw.gateway.store, first, gw.gateway);
    expect(expected).toBeGreaterThan(5);
    // Every config of the first camera is in before the second is added.
    await allConfigsOf(first, expected);
    const from = recorder.messages.length;
    const second = await addCamera(gw);
    await allConfigsOf(second, expected);
    await recorder.waitFor(
      () => recorder.messages.slice(from).filter((m) => configOfDevice(second)(m.topic)).length === expected,
      from,
    );
    const sent = recorder.messages.slice(from).filter((m) => isConfig(m.topic));
    // The first camera's control entities follow its own reads (controls.inventory), which may
    // come at any time: what must not come again is what the second camera's sync would resend.
    const others = sent.filter(
      (m) => !configOfDevice(second)(m.topic) && !isControlKey(m.topic.split('/').at(-2) ?? ''),
    );
    expect(others.map((m) => m.topic)).toEqual([]);
    expect(sent.filter((m) => configOfDevice(second)(m.topic))).toHaveLength(expected);
  });

  it('a device removed while MQTT was off is cleared at the next start; the others stay', async () => {
    let gw = await gateway({ overrides: { mqtt: { url: broker.url } } });
    const kept = await addCamera(gw);
    const removed = await addCamera(gw);
    await expectedConfigCount(gw.gateway.store, kept, gw.gateway);
    const expected = await expectedConfigCount(gw.gateway.store, removed, gw.gateway);
    await allConfigsOf(kept, expected);
    await allConfigsOf(removed, expected);
    const { dataDir } = gw;
    await stop(gw);

    gw = await gateway({ dataDir });
    expect((await gw.api('DELETE', `/api/v1/devices/${removed}`)).status).toBe(204);
    await stop(gw);
    expect((await retainedMessages(broker.url, configsOf(removed))).size).toBe(expected);

    const from = recorder.messages.length;
    await gateway({ dataDir, overrides: { mqtt: { url: broker.url } } });
    await recorder.waitFor((m) => configOfDevice(removed)(m.topic) && m.payload.length === 0, from);
    await allConfigsOf(removed, 0);
    expect((await retainedMessages(broker.url, configsOf(kept))).size).toBe(expected);
  });
});
