/**
 * The broker connection under trouble: a gateway started while the broker is unreachable, a
 * connection cut without DISCONNECT (Last Will), retained commands replayed on resubscribe,
 * what is queued or dropped while offline, and the clean stop. The gateway talks to Mosquitto
 * through a TCP relay the test can cut.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.ts';
import { gatewayEvent, Recorder, retainedMessages, sleep, TcpProxy } from './helpers.ts';

const DEVICE_PASSWORD = 'Dev1ce-Secret#lw';
const BRIDGE = 'hikbridge/bridge/state';

let broker: Mosquitto;
let proxy: TcpProxy;
let recorder: Recorder;
let gw: TestGateway | undefined;
let sim: SimDevice;
let deviceId: string;
let dataDir: string;

beforeAll(async () => {
  broker = await startMosquitto();
  proxy = await TcpProxy.start(broker.port);
  recorder = await Recorder.start(broker.url);
  sim = await startSimDevice({
    profile: 'doorbell',
    password: DEVICE_PASSWORD,
    serialNumber: `LW${Date.now().toString(36).toUpperCase()}`,
  });
});

afterAll(async () => {
  await gw?.stop();
  await recorder?.stop();
  await sim?.close();
  await proxy?.stop();
  await broker?.stop();
});

describe('connection', () => {
  it('the gateway starts without its broker and connects once the broker is reachable', async () => {
    proxy.cut();
    gw = await startTestGateway({ overrides: { mqtt: { url: proxy.url } } });
    dataDir = gw.dataDir;
    const url = new URL(sim.url);
    const added = await gw.api('POST', '/api/v1/devices', {
      body: { host: url.hostname, port: Number(url.port), username: 'admin', password: DEVICE_PASSWORD },
    });
    expect(added.status, added.text).toBe(201);
    deviceId = added.json.id;
    expect(recorder.on(BRIDGE)).toEqual([]);
    proxy.resume();
    const online = await recorder.waitForPayload(BRIDGE, 'online');
    expect(online.retain).toBe(true);
    await recorder.waitFor((m) => m.topic === `homeassistant/lock/hikbridge_${deviceId}/door_1/config`);
  });

  it('the Last Will marks the bridge offline when the connection dies; a retained command is not acted on', async () => {
    const from = recorder.messages.length;
    const doorCommands = sim.doorCommands.length;
    proxy.cut();
    const will = await recorder.waitForPayload(BRIDGE, 'offline', from);
    expect(will.retain).toBe(true);
    expect((await retainedMessages(broker.url, BRIDGE)).get(BRIDGE)?.toString()).toBe('offline');

    // Sent with retain by a misconfigured client while hikbridge is away: the broker replays it
    // when hikbridge subscribes again, and a door must not open because of that.
    const commandTopic = `hikbridge/${deviceId}/door_1/set`;
    await recorder.publish(commandTopic, 'UNLOCK', true);
    // While offline: states are queued (newest wins), a ring is dropped (it would come too late).
    const emit = (kind: 'motion' | 'doorbell-ring', state: 'start' | 'end') =>
      gw!.gateway.bus.emit('event', gatewayEvent({ deviceId, channelNo: 1, kind, state }));
    emit('motion', 'start');
    emit('doorbell-ring', 'start');

    const back = recorder.messages.length;
    proxy.resume();
    await recorder.waitForPayload(BRIDGE, 'online', back);
    await recorder.waitForPayload(`hikbridge/${deviceId}/ch1_motion/state`, 'ON', back);
    await recorder.waitForPayload(`hikbridge/${deviceId}/ringing/state`, 'ON', back);
    await eventually(async () => gw!.logs().includes('ignored a retained MQTT command'));
    await sleep(300);
    expect(sim.doorCommands.length).toBe(doorCommands);
    expect(recorder.messages.slice(back).some((m) => m.topic === `hikbridge/${deviceId}/ring/state`)).toBe(
      false,
    );
    // hikbridge removed the retained command so it is not replayed again.
    expect(await retainedMessages(broker.url, commandTopic)).toEqual(new Map());

    // The subscription is back: a live command works.
    await recorder.publish(commandTopic, 'UNLOCK');
    await eventually(async () => sim.doorCommands.length > doorCommands);
    expect(sim.doorCommands.at(-1)).toMatchObject({ door: 1, cmd: 'open' });
  });

  it('a clean stop publishes offline, retained', async () => {
    const from = recorder.messages.length;
    const stopping = gw!;
    gw = undefined;
    await stopping.stop();
    const offline = await recorder.waitForPayload(BRIDGE, 'offline', from);
    expect(offline.retain).toBe(true);
    await eventually(async () => proxy.open === 0);
    // A DISCONNECT was sent (no fallback to closing the socket), so the broker dropped the Will.
    expect(stopping.logs()).not.toContain('clean disconnect timed out');
  });

  it('after a restart: lasting states start OFF, and discovery switched off removes the entities', async () => {
    const ringing = `hikbridge/${deviceId}/ringing/state`;
    // The ring started while offline never ended: its ON is still retained from the last run.
    expect((await retainedMessages(broker.url, ringing)).get(ringing)?.toString()).toBe('ON');
    const configs = `homeassistant/+/hikbridge_${deviceId}/#`;
    expect((await retainedMessages(broker.url, configs)).size).toBeGreaterThan(10);

    const from = recorder.messages.length;
    gw = await startTestGateway({ dataDir, overrides: { mqtt: { url: proxy.url, discovery: false } } });
    await recorder.waitForPayload(ringing, 'OFF', from);
    await recorder.waitFor(
      (m) => m.topic.endsWith(`hikbridge_${deviceId}/door_1/config`) && m.payload.length === 0,
      from,
    );
    expect(await retainedMessages(broker.url, configs)).toEqual(new Map());
    const availability = `hikbridge/${deviceId}/availability`;
    expect((await retainedMessages(broker.url, availability)).has(availability)).toBe(true);
  });
});
