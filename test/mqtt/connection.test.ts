/**
 * The broker connection under trouble: a gateway started while the broker is unreachable, a
 * connection cut without DISCONNECT (Last Will), retained commands replayed on resubscribe,
 * what is sent again or dropped after an outage, the clean stop, and a restart. The gateway
 * talks to Mosquitto through a TCP relay the test can cut.
 *
 * Each test starts its own relay and gateway on a base topic of its own (one shared broker and
 * simulated doorbell), so any one runs alone or in any order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.ts';
import { gatewayEvent, Recorder, retainedMessages, TcpProxy } from './helpers.ts';

const DEVICE_PASSWORD = 'Dev1ce-Secret#lw';

let broker: Mosquitto;
let recorder: Recorder;
let sim: SimDevice;
let topicCounter = 0;

beforeAll(async () => {
  broker = await startMosquitto();
  recorder = await Recorder.start(broker.url);
  sim = await startSimDevice({
    profile: 'doorbell',
    password: DEVICE_PASSWORD,
    serialNumber: `LW${Date.now().toString(36).toUpperCase()}`,
  });
});

afterAll(async () => {
  await recorder?.stop();
  await sim?.close();
  await broker?.stop();
});

interface Setup {
  proxy: TcpProxy;
  base: string;
  bridge: string;
  gw: TestGateway | undefined;
  deviceId: string;
}

/** A relay, a gateway behind it on a fresh base topic, the doorbell added; undone by `cleanUp`. */
async function setUp(options: { brokerDown?: boolean } = {}): Promise<Setup> {
  const proxy = await TcpProxy.start(broker.port);
  if (options.brokerDown) proxy.cut();
  const base = `conn${++topicCounter}`;
  const gw = await startTestGateway({ overrides: { mqtt: { url: proxy.url, baseTopic: base } } });
  const url = new URL(sim.url);
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { host: url.hostname, port: Number(url.port), username: 'admin', password: DEVICE_PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  return { proxy, base, bridge: `${base}/bridge/state`, gw, deviceId: added.json.id as string };
}

async function cleanUp(setup: Setup): Promise<void> {
  await setup.gw?.stop();
  await setup.proxy.stop();
}

const lockConfig = (deviceId: string) => `homeassistant/lock/hikbridge_${deviceId}/door_1/config`;

describe('connection', () => {
  it('the gateway starts without its broker and connects once the broker is reachable', async () => {
    const setup = await setUp({ brokerDown: true });
    try {
      expect(recorder.on(setup.bridge)).toEqual([]);
      setup.proxy.resume();
      const online = await recorder.waitForPayload(setup.bridge, 'online');
      expect(online.retain).toBe(true);
      await recorder.waitFor((m) => m.topic === lockConfig(setup.deviceId));
    } finally {
      await cleanUp(setup);
    }
  });

  it('the Last Will marks the bridge offline when the connection dies; a retained command is not acted on', async () => {
    const setup = await setUp();
    const { proxy, base, bridge, deviceId } = setup;
    const gw = setup.gw!;
    try {
      await recorder.waitFor((m) => m.topic === lockConfig(deviceId));
      const from = recorder.messages.length;
      const doorCommands = sim.doorCommands.length;
      proxy.cut();
      const will = await recorder.waitForPayload(bridge, 'offline', from);
      expect(will.retain).toBe(true);
      expect((await retainedMessages(broker.url, bridge)).get(bridge)?.toString()).toBe('offline');

      // Sent with retain by a misconfigured client while hikbridge is away: the broker replays it
      // when hikbridge subscribes again, and a door must not open because of that.
      const commandTopic = `${base}/${deviceId}/door_1/set`;
      await recorder.publish(commandTopic, 'UNLOCK', true);
      // While offline: states are sent again at connect (newest wins), a ring is dropped (it would
      // come too late).
      const emit = (kind: 'motion' | 'doorbell-ring', state: 'start' | 'end') =>
        gw.gateway.bus.emit('event', gatewayEvent({ deviceId, channelNo: 1, kind, state }));
      emit('motion', 'start');
      emit('doorbell-ring', 'start');

      const back = recorder.messages.length;
      proxy.resume();
      await recorder.waitForPayload(bridge, 'online', back);
      await recorder.waitForPayload(`${base}/${deviceId}/ch1_motion/state`, 'ON', back);
      await recorder.waitForPayload(`${base}/${deviceId}/ringing/state`, 'ON', back);
      await eventually(async () => gw.logs().includes('ignored a retained MQTT command'));
      // hikbridge removed the retained command so it is not replayed again.
      expect(await retainedMessages(broker.url, commandTopic)).toEqual(new Map());

      // The subscription is back: a live command works. It arrives after the retained one, so
      // once it is carried out, the retained one would have been too.
      await recorder.publish(commandTopic, 'UNLOCK');
      await eventually(async () => sim.doorCommands.length > doorCommands);
      expect(sim.doorCommands.slice(doorCommands)).toEqual([
        expect.objectContaining({ door: 1, cmd: 'open' }),
      ]);
      expect(recorder.messages.slice(back).some((m) => m.topic === `${base}/${deviceId}/ring/state`)).toBe(
        false,
      );
    } finally {
      await cleanUp(setup);
    }
  });

  it('a clean stop publishes offline, retained', async () => {
    const setup = await setUp();
    try {
      await recorder.waitForPayload(setup.bridge, 'online');
      const from = recorder.messages.length;
      const gw = setup.gw!;
      setup.gw = undefined;
      await gw.stop();
      const offline = await recorder.waitForPayload(setup.bridge, 'offline', from);
      expect(offline.retain).toBe(true);
      await eventually(async () => setup.proxy.open === 0);
      // A DISCONNECT was sent (no fallback to closing the socket), so the broker dropped the Will.
      expect(gw.logs()).not.toContain('clean disconnect timed out');
    } finally {
      await cleanUp(setup);
    }
  });

  it('after a restart: lasting states start OFF, and discovery switched off removes the entities', async () => {
    const setup = await setUp();
    const { base, deviceId } = setup;
    const ringing = `${base}/${deviceId}/ringing/state`;
    const configs = `homeassistant/+/hikbridge_${deviceId}/#`;
    try {
      const first = setup.gw!;
      await recorder.waitFor((m) => m.topic === lockConfig(deviceId));
      // A ring that never ends in this run: its ON stays retained after the stop.
      first.gateway.bus.emit(
        'event',
        gatewayEvent({ deviceId, channelNo: 1, kind: 'doorbell-ring', state: 'start' }),
      );
      await recorder.waitForPayload(ringing, 'ON');
      setup.gw = undefined;
      await first.stop();
      expect((await retainedMessages(broker.url, ringing)).get(ringing)?.toString()).toBe('ON');
      expect((await retainedMessages(broker.url, configs)).size).toBeGreaterThan(10);

      const from = recorder.messages.length;
      setup.gw = await startTestGateway({
        dataDir: first.dataDir,
        overrides: { mqtt: { url: setup.proxy.url, baseTopic: base, discovery: false } },
      });
      await recorder.waitForPayload(ringing, 'OFF', from);
      await recorder.waitFor(
        (m) => m.topic.endsWith(`hikbridge_${deviceId}/door_1/config`) && m.payload.length === 0,
        from,
      );
      await expect.poll(async () => (await retainedMessages(broker.url, configs)).size).toBe(0);
      const availability = `${base}/${deviceId}/availability`;
      expect((await retainedMessages(broker.url, availability)).has(availability)).toBe(true);
    } finally {
      await cleanUp(setup);
    }
  });
});
