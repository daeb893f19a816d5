/**
 * What happens to what the gateway publishes while its broker is away, with more state topics
 * than the offline queue could ever hold (its bound is 1000 messages; at 2,000 devices a start
 * used to log "1000 sent, 13000 dropped"): every state and every discovery config reaches the
 * broker once it is back, each with its newest value, and a doorbell ring published meanwhile
 * is not delivered late but counted in `hikbridge_mqtt_dropped_messages_total`.
 *
 * The devices are written to the store directly (disabled, so nothing dials them): the MQTT
 * module builds its entities from the store alone, and this is the path a restart takes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceRecord, Insert } from '../../src/core/store/types.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.ts';
import { gatewayEvent, Recorder, retainedMessages, TcpProxy } from './helpers.ts';

/** 200 one-channel cameras: 1200 lasting-state topics and 1400 configs, beyond the old queue's 1000. */
const CAMERAS = 200;
const CHANNEL_SENSORS = ['motion', 'line_crossing', 'intrusion', 'tamper', 'video_loss'];
const CHANNEL_CONFIGS = [
  ...CHANNEL_SENSORS.map((sensor) => `binary_sensor/ch1_${sensor}`),
  'image/ch1_snapshot',
  'button/ch1_take_snapshot',
];
const BRIDGE = 'hikbridge/bridge/state';

let broker: Mosquitto;
let proxy: TcpProxy;
let recorder: Recorder;
let gw: TestGateway | undefined;
let cameras: string[];
let doorbell: string;

function storedDevice(name: string, kind: DeviceRecord['kind']): Insert<DeviceRecord> {
  return {
    name,
    host: '127.0.0.1',
    port: 9,
    https: false,
    username: 'admin',
    password: 'Stored-Pass#of',
    tlsFingerprint: null,
    insecureTls: false,
    httpPortOverride: null,
    snapshotUrlOverride: null,
    channelOverride: null,
    defaultStream: null,
    kind,
    model: kind === 'doorbell' ? 'DS-KV6124-E1' : 'DS-2CD2386G2-IU',
    serialNumber: null,
    firmwareVersion: null,
    macAddress: null,
    rtspPort: 554,
    twoWayAudio: null,
    doors: kind === 'doorbell' ? 1 : 0,
    alarmInputs: 0,
    alarmOutputs: 0,
    settingsVersion: 1,
    enabled: false,
  };
}

/** Writes the fleet with the gateway's own store, then stops that gateway (MQTT off). */
async function writeFleet(): Promise<string> {
  const writer = await startTestGateway();
  const { store } = writer.gateway;
  cameras = [];
  for (let i = 0; i < CAMERAS; i++) {
    const device = await store.devices.insert(storedDevice(`Camera ${i}`, 'camera'));
    await store.channels.replaceForDevice(device.id, [
      {
        channelNo: 1,
        name: 'Camera 01',
        source: 'local',
        model: null,
        enabled: true,
        online: true,
        streams: [],
        snapshotUrlOverride: null,
        defaultStream: null,
      },
    ]);
    cameras.push(device.id);
  }
  const bell = await store.devices.insert(storedDevice('Front door', 'doorbell'));
  await store.entities.replaceForDevice(bell.id, [
    { kind: 'doorbell', key: 'doorbell', name: 'Doorbell', attributes: {} },
  ]);
  doorbell = bell.id;
  await writer.stop();
  return writer.dataDir;
}

beforeAll(async () => {
  broker = await startMosquitto();
  proxy = await TcpProxy.start(broker.port);
  recorder = await Recorder.start(broker.url);
  const dataDir = await writeFleet();
  proxy.cut();
  gw = await startTestGateway({ dataDir, overrides: { mqtt: { url: proxy.url } } });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await recorder?.stop();
  await proxy?.stop();
  await broker?.stop();
});

function droppedMetric(metrics: string, kind: string): number | undefined {
  const line = metrics
    .split('\n')
    .find((l) => l.startsWith(`hikbridge_mqtt_dropped_messages_total{kind="${kind}"}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('while the broker is away', () => {
  it('states and configs all arrive with their newest values once it is back; a ring is counted as dropped', async () => {
    const gateway = gw!;
    const health = await gateway.api('GET', '/health');
    expect(health.json.mqtt).toMatchObject({ broker: 'unreachable' });
    expect((await gateway.api('GET', '/metrics')).text).toContain('hikbridge_mqtt_connected 0');

    // Published while offline: motion starts on every tenth camera, and a ring.
    const moving = cameras.filter((_, i) => i % 10 === 0);
    for (const deviceId of moving) {
      gateway.gateway.bus.emit(
        'event',
        gatewayEvent({ deviceId, channelNo: 1, kind: 'motion', state: 'start' }),
      );
    }
    gateway.gateway.bus.emit(
      'event',
      gatewayEvent({ deviceId: doorbell, channelNo: 1, kind: 'doorbell-ring', state: 'start' }),
    );
    const metrics = (await gateway.api('GET', '/metrics')).text;
    expect(droppedMetric(metrics, 'event')).toBe(1);
    expect(droppedMetric(metrics, 'image')).toBe(0);
    expect(recorder.messages).toEqual([]);

    proxy.resume();
    await recorder.waitFor((m) => m.topic === BRIDGE && m.payload.toString() === 'online', 0, 20_000);

    const expectedStates = new Map<string, string>();
    const expectedConfigs: string[] = [];
    for (const deviceId of cameras) {
      const on = moving.includes(deviceId) ? 'ON' : 'OFF';
      for (const sensor of CHANNEL_SENSORS) {
        expectedStates.set(`hikbridge/${deviceId}/ch1_${sensor}/state`, sensor === 'motion' ? on : 'OFF');
      }
      expectedStates.set(`hikbridge/${deviceId}/1/motion`, on);
      expectedStates.set(`hikbridge/${deviceId}/availability`, 'offline');
      for (const config of CHANNEL_CONFIGS) {
        const [component, key] = config.split('/');
        expectedConfigs.push(`homeassistant/${component}/hikbridge_${deviceId}/${key}/config`);
      }
    }
    expectedStates.set(`hikbridge/${doorbell}/ringing/state`, 'ON');
    expectedConfigs.push(`homeassistant/event/hikbridge_${doorbell}/ring/config`);
    expect(expectedStates.size).toBeGreaterThan(1000);

    await expect
      .poll(
        async () => {
          const retained = await retainedMessages(broker.url, 'hikbridge/#');
          return [...expectedStates].filter(([topic, payload]) => retained.get(topic)?.toString() !== payload)
            .length;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(0);
    await expect
      .poll(
        async () => {
          const retained = await retainedMessages(broker.url, 'homeassistant/#');
          return expectedConfigs.filter((topic) => !retained.get(topic)?.length).length;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(0);

    // The ring was not delivered late: automations would have fired long after the visitor left.
    expect(recorder.on(`hikbridge/${doorbell}/ring/state`)).toEqual([]);
    expect(gateway.logs()).toMatch(/"ringsDropped":1[,}]/);
    expect(gateway.logs()).not.toContain('sending what was queued while offline');
    expect(droppedMetric((await gateway.api('GET', '/metrics')).text, 'event')).toBe(1);
    expect((await gateway.api('GET', '/metrics')).text).toContain('hikbridge_mqtt_connected 1');
    expect((await gateway.api('GET', '/health')).json.mqtt).toEqual({ broker: 'connected' });
  }, 90_000);
});
