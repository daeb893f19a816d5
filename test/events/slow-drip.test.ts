/**
 * The events module against a device that drips its alertStream: bytes arriving a few at a time
 * with pauses shorter than the idle timeout are a live stream (events come out whole and right,
 * the connection is kept), while a pause longer than the idle timeout, even in the middle of a
 * part, is a stalled stream: detected, reconnected, and later events arrive. Module level: a
 * store, the bus, the devices and events modules, no HTTP API.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { Bus } from '../../src/core/bus.ts';
import type { GatewayEvent } from '../../src/core/events.ts';
import { createLogger } from '../../src/core/logger.ts';
import { createStore, type Store } from '../../src/core/store/index.ts';
import { DevicesModule } from '../../src/modules/devices/index.ts';
import { EventsModule } from '../../src/modules/events/index.ts';
import { eventually } from '../gateway/harness.ts';
import { settingsOf } from '../support/settings.ts';

const PASSWORD = 'Dr1p-Pass!';
const IDLE_TIMEOUT_SECONDS = 1;
const STREAM_PATH = '/ISAPI/Event/notification/alertStream';

let store: Store;
let bus: Bus;
let devices: DevicesModule;
let events: EventsModule;
let dataDir: string;
const logLines: string[] = [];
const received: GatewayEvent[] = [];
const sims: SimDevice[] = [];

interface LogLine {
  msg: string;
  deviceId?: string;
  reason?: string;
}

function logsOf(deviceId: string, message: string): LogLine[] {
  return logLines
    .flatMap((text) => text.split('\n'))
    .filter((text) => text.includes(deviceId) && text.includes(message))
    .map((text) => JSON.parse(text) as LogLine);
}

function eventsOf(deviceId: string): GatewayEvent[] {
  return received.filter((event) => event.deviceId === deviceId);
}

function described(deviceId: string, description: string): GatewayEvent | undefined {
  return eventsOf(deviceId).find((event) => event.attributes.description === description);
}

/** A camera without heartbeats (silence is then really silence), added through the registry. */
async function addCamera(): Promise<{ camera: SimDevice; deviceId: string }> {
  const camera = await startSimDevice({
    profile: 'camera',
    password: PASSWORD,
    heartbeatMs: 0,
    serialNumber: `DRIP${sims.length}${Date.now().toString(36).toUpperCase()}`,
  });
  sims.push(camera);
  const url = new URL(camera.url);
  const device = await devices.registry.add({
    host: url.hostname,
    port: Number(url.port),
    password: PASSWORD,
  });
  await eventually(
    async () => camera.openAlertStreams === 1 && logsOf(device.id, 'event stream connected').length > 0,
  );
  return { camera, deviceId: device.id };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hikbridge-drip-'));
  store = await createStore({ url: 'sqlite::memory:', secretKey: randomBytes(32) });
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => logLines.push(chunk.toString('utf8')));
  const logger = createLogger({ level: 'debug', destination: sink });
  bus = new Bus();
  bus.on('event', (event) => received.push(event));
  devices = new DevicesModule({
    store,
    bus,
    logger: logger.forModule('devices'),
    settings: settingsOf('devices', {
      requestTimeoutMs: 3000,
      supervisor: { checkIntervalSeconds: 60, minBackoffSeconds: 1, maxBackoffSeconds: 2 },
    }),
  });
  events = new EventsModule({
    store,
    bus,
    logger: logger.forModule('events'),
    devices,
    dataDir,
    settings: settingsOf('events', {
      idleTimeoutSeconds: IDLE_TIMEOUT_SECONDS,
      reconnectMaxSeconds: 1,
      snapshotOnStart: false,
      quietSeconds: 60,
    }),
  });
  await devices.start();
  await events.start();
});

afterEach(() => {
  for (const camera of sims) camera.clearFaults();
});

afterAll(async () => {
  await events?.stop();
  await devices?.stop();
  await Promise.all(sims.map((camera) => camera.close()));
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the simulator drips', () => {
  it('streamDrip sends a part in slices of `bytes`, one every `intervalMs`', async () => {
    const camera = await startSimDevice({ profile: 'camera', heartbeatMs: 0, auth: 'basic' });
    sims.push(camera);
    const socket = connect(camera.port, '127.0.0.1');
    const chunks: Array<{ at: number; bytes: number }> = [];
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      chunks.push({ at: Date.now(), bytes: chunk.length });
      text += chunk.toString('latin1');
    });
    const credentials = Buffer.from(`admin:Hik12345!`).toString('base64');
    socket.write(`GET ${STREAM_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${credentials}\r\n\r\n`);
    await eventually(async () => text.includes('\r\n\r\n'));
    camera.setFault({ kind: 'streamDrip', bytes: 100, intervalMs: 150 });
    const before = chunks.length;
    const started = Date.now();
    camera.trigger({ type: 'VMD', channel: 1, description: 'sliced' });
    await eventually(async () => text.includes('</EventNotificationAlert>'), 15_000);
    socket.destroy();
    const slices = chunks.slice(before);
    const body = text.slice(text.indexOf('--boundary'));
    // Every slice is at most 100 bytes, and they came out over time, not at once.
    expect(Math.max(...slices.map((slice) => slice.bytes))).toBeLessThanOrEqual(100);
    expect(slices.length).toBeGreaterThanOrEqual(Math.floor(body.length / 100));
    expect(Date.now() - started).toBeGreaterThanOrEqual((slices.length - 1) * 150 - 50);
    expect(body).toContain('<eventDescription>sliced</eventDescription>');
  });
});

describe('slow drip vs stall', () => {
  it('a stream dripping a few bytes at a time (pauses shorter than the idle timeout) is live: events are whole and right, no reconnect', async () => {
    const { camera, deviceId } = await addCamera();
    const streamsBefore = camera.countRequests(STREAM_PATH);
    // 40 bytes every 300 ms: one VMD part (~700 bytes) takes ~5 s, five idle timeouts.
    camera.setFault({ kind: 'streamDrip', bytes: 40, intervalMs: 300 });
    const started = Date.now();
    camera.trigger({ type: 'VMD', channel: 1, description: 'drip-motion' });
    camera.trigger({ type: 'IO', ioPort: 1, description: 'drip-io' });
    const motion = await eventually(async () => described(deviceId, 'drip-motion'), 20_000);
    const motionAfterMs = Date.now() - started;
    const io = await eventually(async () => described(deviceId, 'drip-io'), 20_000);

    expect(motionAfterMs).toBeGreaterThan(3 * IDLE_TIMEOUT_SECONDS * 1000);
    expect(motion).toMatchObject({ kind: 'motion', state: 'start', channelNo: 1 });
    expect(motion.attributes.eventType).toBe('VMD');
    expect(motion.channelId).toBe((await store.channels.listByDevice(deviceId))[0]!.id);
    expect(io).toMatchObject({ kind: 'alarm-input', state: 'start', region: 1 });
    // In order, each exactly once.
    const ours = eventsOf(deviceId).filter((e) => String(e.attributes.description).startsWith('drip-'));
    expect(ours.map((e) => e.attributes.description)).toEqual(['drip-motion', 'drip-io']);
    // Never treated as stalled: the one stream stayed open the whole time.
    expect(logsOf(deviceId, 'event stream lost')).toEqual([]);
    expect(camera.countRequests(STREAM_PATH)).toBe(streamsBefore);
    expect(camera.openAlertStreams).toBe(1);
  }, 40_000);

  it('a pause longer than the idle timeout in the middle of a part is a stall: detected, reconnected, later events delivered', async () => {
    const { camera, deviceId } = await addCamera();
    const streamsBefore = camera.countRequests(STREAM_PATH);
    // 60 bytes, then 5 s of nothing: the part's head arrives, its body does not.
    camera.setFault({ kind: 'streamDrip', bytes: 60, intervalMs: 5000 });
    camera.trigger({ type: 'VMD', channel: 1, description: 'cut-off' });
    const lost = await eventually(async () => logsOf(deviceId, 'event stream lost')[0], 5000);
    expect(lost.reason).toMatch(/went silent within 1 s/);
    camera.clearFaults();

    await eventually(async () => logsOf(deviceId, 'event stream reconnected').length > 0, 8000);
    await eventually(async () => camera.openAlertStreams === 1);
    expect(camera.countRequests(STREAM_PATH)).toBe(streamsBefore + 1);
    camera.trigger({ type: 'tamperdetection', channel: 1, description: 'after-reconnect' });
    const later = await eventually(async () => described(deviceId, 'after-reconnect'), 5000);
    expect(later).toMatchObject({ kind: 'tamper', state: 'start', channelNo: 1 });
    // The half part of the dead connection never became an event.
    expect(described(deviceId, 'cut-off')).toBeUndefined();
  }, 30_000);
});
