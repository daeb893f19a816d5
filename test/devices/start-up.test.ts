/**
 * A gateway restarting with many devices: the supervisor spaces its first checks
 * (`startsPerSecond`) instead of contacting every device in the same instant, and the events
 * module opens each alertStream only after that device's first check, logged in at the first
 * try. Module level: a store, the bus, the devices and events modules, simulated cameras.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import type { SimRequestRecord } from '../../sim/types.ts';
import { Bus } from '../../src/core/bus.ts';
import { createLogger } from '../../src/core/logger.ts';
import { createStore, type Store } from '../../src/core/store/index.ts';
import { DevicesModule } from '../../src/modules/devices/index.ts';
import { EventsModule } from '../../src/modules/events/index.ts';
import { eventually } from '../gateway/harness.ts';
import { settingsOf } from '../support/settings.ts';

const PASSWORD = 'Start-Up-9!';
const CAMERAS = 6;
const STARTS_PER_SECOND = 10;
const INFO_PATH = '/ISAPI/System/deviceInfo';
const STREAM_PATH = '/ISAPI/Event/notification/alertStream';

let store: Store;
let dataDir: string;
const cameras: SimDevice[] = [];
const running: Array<{ stop(): Promise<void> }> = [];

function startModules(): { devices: DevicesModule; events: EventsModule } {
  const logger = createLogger({ level: 'warn', destination: new PassThrough().resume() });
  const bus = new Bus();
  const devices = new DevicesModule({
    store,
    bus,
    logger: logger.forModule('devices'),
    settings: settingsOf('devices', {
      requestTimeoutMs: 3000,
      supervisor: {
        checkIntervalSeconds: 60,
        minBackoffSeconds: 1,
        maxBackoffSeconds: 2,
        startsPerSecond: STARTS_PER_SECOND,
      },
    }),
  });
  const events = new EventsModule({
    store,
    bus,
    logger: logger.forModule('events'),
    devices,
    dataDir,
    settings: settingsOf('events', { snapshotOnStart: false }),
  });
  return { devices, events };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hikbridge-start-up-'));
  store = await createStore({ url: 'sqlite::memory:', secretKey: randomBytes(32) });
  for (let i = 0; i < CAMERAS; i++) {
    cameras.push(
      await startSimDevice({
        profile: 'camera',
        password: PASSWORD,
        heartbeatMs: 0,
        serialNumber: `STARTUP${i}${Date.now().toString(36).toUpperCase()}`,
      }),
    );
  }
  // The fleet is added once, then the modules are stopped: what follows is a restart.
  const first = startModules();
  await first.devices.start();
  for (const camera of cameras) {
    const url = new URL(camera.url);
    await first.devices.registry.add({ host: url.hostname, port: Number(url.port), password: PASSWORD });
  }
  await first.devices.stop();
  for (const camera of cameras) camera.requests.length = 0;

  const restarted = startModules();
  await restarted.devices.start();
  await restarted.events.start();
  running.push(restarted.events, restarted.devices);
  await eventually(
    async () =>
      cameras.every(
        (camera) =>
          camera.openAlertStreams === 1 &&
          camera.requests.some((r) => r.path === INFO_PATH && r.authorized && r.status !== 0),
      ),
    10_000,
  );
});

afterAll(async () => {
  for (const module of running) await module.stop();
  await Promise.all(cameras.map((camera) => camera.close()));
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function firstAnswered(camera: SimDevice, path: string): SimRequestRecord {
  const request = camera.requests.find((r) => r.path === path && r.status !== 0);
  if (!request) throw new Error(`${camera.url} never answered ${path}`);
  return request;
}

describe('a restart with many devices', () => {
  it('spaces the first checks 1/startsPerSecond apart', () => {
    const starts = cameras.map((camera) => camera.requests.find((r) => r.path === INFO_PATH)!.at);
    starts.sort((a, b) => a - b);
    // Paced: 5 gaps of 100 ms. All at once (unpaced) they span a few ms. The margin is for a busy
    // machine, where timers fire late and a late first one shortens the span.
    const paced = ((CAMERAS - 1) * 1000) / STARTS_PER_SECOND;
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(paced * 0.6);
  });

  it("opens each alertStream after that device's first check, logged in at the first try", () => {
    for (const camera of cameras) {
      const check = firstAnswered(camera, INFO_PATH);
      const streams = camera.requests.filter((r) => r.path === STREAM_PATH);
      expect(streams[0]!.at).toBeGreaterThanOrEqual(check.at);
      expect(streams.map((r) => ({ status: r.status, authorized: r.authorized }))).toEqual([
        { status: 200, authorized: true },
      ]);
    }
  });
});
