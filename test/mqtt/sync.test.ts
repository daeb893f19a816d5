/**
 * Keeping Home Assistant in line with the device list: a device added or removed touches only
 * its own discovery configs, and one removed while the MQTT side was off is cleared at the next
 * start. Real gateway, simulated cameras, a real Mosquitto.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.ts';
import { Recorder, retainedMessages } from './helpers.ts';

const DEVICE_PASSWORD = 'Dev1ce-Secret#sy';

let broker: Mosquitto;
let recorder: Recorder;
let gw: TestGateway | undefined;
let dataDir: string;
const sims: SimDevice[] = [];

async function addCamera(gateway: TestGateway): Promise<string> {
  const sim = await startSimDevice({
    profile: 'camera',
    password: DEVICE_PASSWORD,
    serialNumber: `SY${sims.length}X${Date.now().toString(36).toUpperCase()}`,
  });
  sims.push(sim);
  const url = new URL(sim.url);
  const answer = await gateway.api('POST', '/api/v1/devices', {
    body: { host: url.hostname, port: Number(url.port), username: 'admin', password: DEVICE_PASSWORD },
  });
  expect(answer.status, answer.text).toBe(201);
  return answer.json.id as string;
}

const configsOf = (deviceId: string) => `homeassistant/+/hikbridge_${deviceId}/#`;
const isConfig = (topic: string) => topic.startsWith('homeassistant/') && topic.endsWith('/config');

beforeAll(async () => {
  broker = await startMosquitto();
  recorder = await Recorder.start(broker.url);
  gw = await startTestGateway({ overrides: { mqtt: { url: broker.url } } });
  dataDir = gw.dataDir;
});

afterAll(async () => {
  await gw?.stop();
  await recorder?.stop();
  await Promise.all(sims.map((sim) => sim.close()));
  await broker?.stop();
});

describe('discovery follows the device list', () => {
  let first: string;
  let second: string;

  it('adding a device sends its configs and no other device’s again', async () => {
    first = await addCamera(gw!);
    await recorder.waitFor((m) => m.topic.includes(`hikbridge_${first}/`) && isConfig(m.topic));
    const from = recorder.messages.length;
    second = await addCamera(gw!);
    await recorder.waitFor((m) => m.topic.includes(`hikbridge_${second}/`) && isConfig(m.topic), from);
    // Let the sync finish: every config of the second camera is in.
    const expected = (await retainedMessages(broker.url, configsOf(first))).size;
    await recorder.waitFor(
      () =>
        recorder.messages
          .slice(from)
          .filter((m) => isConfig(m.topic) && m.topic.includes(`hikbridge_${second}/`)).length === expected,
      from,
    );
    const sent = recorder.messages.slice(from).filter((m) => isConfig(m.topic));
    expect(sent.every((m) => m.topic.includes(`hikbridge_${second}/`))).toBe(true);
    expect(sent).toHaveLength(expected);
  });

  it('a device removed while MQTT was off is cleared at the next start; the others stay', async () => {
    await gw!.stop();
    gw = await startTestGateway({ dataDir });
    expect((await gw.api('DELETE', `/api/v1/devices/${second}`)).status).toBe(204);
    await gw.stop();
    expect((await retainedMessages(broker.url, configsOf(second))).size).toBeGreaterThan(0);

    gw = await startTestGateway({ dataDir, overrides: { mqtt: { url: broker.url } } });
    await recorder.waitFor(() =>
      recorder.messages.some((m) => m.topic.includes(`hikbridge_${second}/`) && m.payload.length === 0),
    );
    await expect
      .poll(async () => (await retainedMessages(broker.url, configsOf(second))).size, { timeout: 10_000 })
      .toBe(0);
    expect((await retainedMessages(broker.url, configsOf(first))).size).toBeGreaterThan(5);
  });
});
