/**
 * The media module against a real store: stable path names, H.265 awareness, file mode (the
 * mediamtx.yml users run themselves) and external mode (a MediaMTX the user runs, with paths of
 * its own that hikbridge must leave alone), plus the provisioning errors a user can meet.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Bus } from '../../src/core/bus.ts';
import { loadConfig } from '../../src/core/config/index.ts';
import { createStore, type Store } from '../../src/core/store/index.ts';
import type { ChannelRecord, DeviceRecord, Insert, StreamRecord } from '../../src/core/store/types.ts';
import { API_USER } from '../../src/modules/media/auth-hook.ts';
import { MediaModule } from '../../src/modules/media/index.ts';
import { assignPathNames } from '../../src/modules/media/paths.ts';
import { MediamtxUnavailableError, provisionMediamtx } from '../../src/modules/media/provision.ts';
import { MediamtxApi } from '../../src/protocols/mediamtx/api.ts';
import { mediamtxBinary, mediaPorts, until } from '../support/mediamtx.ts';

const logger = pino({ level: 'silent' }) as never;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-media-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function stream(streamNo: number, codec: string, width: number): StreamRecord {
  return { id: `10${streamNo}`, streamNo, codec, width, height: (width * 9) / 16, fps: 25, audioCodec: null };
}

function device(name: string, overrides: Partial<Insert<DeviceRecord>> = {}): Insert<DeviceRecord> {
  return {
    name,
    host: '127.0.0.1',
    port: 80,
    https: false,
    username: 'admin',
    password: 'Cam-P@ss#1',
    tlsFingerprint: null,
    insecureTls: false,
    httpPortOverride: null,
    snapshotUrlOverride: null,
    channelOverride: null,
    defaultStream: null,
    kind: 'camera',
    model: 'DS-2CD2386G2-IU',
    serialNumber: null,
    firmwareVersion: null,
    macAddress: null,
    rtspPort: 554,
    twoWayAudio: null,
    doors: 0,
    alarmInputs: 0,
    alarmOutputs: 0,
    settingsVersion: 1,
    enabled: true,
    ...overrides,
  };
}

function channel(channelNo: number, name: string, streams: StreamRecord[]) {
  return {
    channelNo,
    name,
    source: 'local' as const,
    model: null,
    enabled: true,
    online: true,
    streams,
    snapshotUrlOverride: null,
    defaultStream: null,
  };
}

async function openStore(): Promise<Store> {
  const store = await createStore({ url: join(tempDir(), 'store.db'), secretKey: randomBytes(32) });
  cleanups.push(() => store.close());
  return store;
}

function mediaSettings(overrides: Record<string, unknown>) {
  return loadConfig({ env: {}, overrides: { media: overrides } }).media;
}

async function startMedia(store: Store, bus: Bus, settings: Record<string, unknown>, extra = {}) {
  const dataDir = tempDir();
  const media = new MediaModule({
    store,
    bus,
    logger,
    settings: mediaSettings(settings),
    dataDir,
    secretKey: randomBytes(32),
    verifyCredentials: async () => false,
    ...extra,
  });
  await media.start();
  cleanups.push(() => media.stop());
  await media.ready();
  return { media, dataDir };
}

describe('path names', () => {
  const at = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
  const dev = (id: string, name: string) => ({ ...device(name), id, createdAt: at(0), updatedAt: at(0) });
  const ch = (id: string, deviceId: string, no: number, name: string, n: number): ChannelRecord => ({
    ...channel(no, name, []),
    id,
    deviceId,
    createdAt: at(n),
    updatedAt: at(n),
  });

  it('names single cameras after the device and NVR channels after device and channel, uniquely', () => {
    const devices = [dev('d1', 'Front Door'), dev('d2', 'Front door!'), dev('d3', 'Garage NVR')];
    const channels = [
      ch('c1', 'd1', 1, 'Camera 01', 1),
      ch('c2', 'd2', 1, 'Camera 01', 2),
      ch('c3', 'd3', 1, 'Driveway', 3),
      ch('c4', 'd3', 2, 'Gärten Süd', 4),
    ];
    const { names, changed } = assignPathNames({}, devices, channels);
    expect(changed).toBe(true);
    expect(names).toEqual({
      c1: 'front-door',
      c2: 'front-door-2',
      c3: 'garage-nvr-driveway',
      c4: 'garage-nvr-garten-sud',
    });
  });

  it('keeps a name when the device is renamed, and releases names of removed channels', () => {
    const first = assignPathNames({}, [dev('d1', 'Front Door')], [ch('c1', 'd1', 1, 'Camera 01', 1)]).names;
    const renamed = assignPathNames(first, [dev('d1', 'Porch')], [ch('c1', 'd1', 1, 'Camera 01', 1)]);
    expect(renamed).toEqual({ names: { c1: 'front-door' }, changed: false });
    const removed = assignPathNames(first, [dev('d1', 'Porch')], []);
    expect(removed).toEqual({ names: {}, changed: true });
    // Nothing sensible in the name: still a valid path, never the talk prefix.
    const odd = assignPathNames(
      {},
      [dev('d9', '***'), dev('d8', 'Talk')],
      [ch('c9', 'd9', 1, '', 1), ch('c8', 'd8', 1, '', 2)],
    );
    expect(odd.names).toEqual({ c9: 'camera', c8: 'talk-2' });
  });
});

describe('file mode', () => {
  it('writes every stream path to mediamtx.yml atomically, privately, and follows changes', async () => {
    const store = await openStore();
    const bus = new Bus();
    const nvr = await store.devices.insert(device('Garage NVR', { kind: 'nvr' }));
    await store.channels.replaceForDevice(nvr.id, [
      channel(1, 'Driveway', [stream(1, 'H.265', 3840), stream(2, 'H.264', 640)]),
      channel(2, 'Garden', [stream(1, 'H.264', 1920)]),
    ]);
    const ports = await mediaPorts();
    const { media, dataDir } = await startMedia(store, bus, { mode: 'file', ...ports });
    const file = join(dataDir, 'mediamtx', 'mediamtx.yml');
    const written = parse(readFileSync(file, 'utf8'));
    expect(Object.keys(written.paths).sort()).toEqual([
      'garage-nvr-driveway/main',
      'garage-nvr-driveway/sub',
      'garage-nvr-garden/main',
    ]);
    expect(written.paths['garage-nvr-driveway/sub']).toEqual({
      source: `rtsp://admin:Cam-P%40ss%231@127.0.0.1:554/Streaming/Channels/102`,
      sourceOnDemand: true,
      sourceOnDemandStartTimeout: '10s',
      sourceOnDemandCloseAfter: '10s',
      rtspTransport: 'tcp',
    });
    expect(written.rtspAddress).toBe(`:${ports.rtspPort}`);
    expect(written.apiAddress).toBe(`127.0.0.1:${ports.apiPort}`);
    expect(written.authMethod).toBe('http');
    // The control API is not excluded from the hook: it answers only to the gateway's API user.
    expect(written.authHTTPExclude).toEqual([]);
    expect(JSON.stringify(written)).not.toContain(API_USER);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(media.status()).toMatchObject({ state: 'file', paths: 3 });

    // H.265 main stream: flagged, and the H.264 sub stream is the default.
    const channels = await store.channels.listByDevice(nvr.id);
    const driveway = channels.find((each) => each.channelNo === 1)!;
    const views = media.streams(driveway.id, 'cams.example.com:8080');
    expect(views.map((view) => [view.name, view.browserPlayable, view.default])).toEqual([
      ['main', false, false],
      ['sub', true, true],
    ]);
    expect(views[0]!.note).toMatch(/H\.265 plays in few browsers/);
    expect(views[1]!.urls.webrtc).toMatch(
      /^http:\/\/cams\.example\.com:\d+\/garage-nvr-driveway\/sub\/\?token=/,
    );

    // The user's choice wins over the automatic one.
    await store.channels.update(driveway.id, { defaultStream: 1 });
    await store.channels.replaceForDevice(nvr.id, [
      channel(1, 'Driveway', [stream(1, 'H.265', 3840), stream(2, 'H.264', 640)]),
    ]);
    bus.emit('channels.changed', { deviceId: nvr.id });
    await until(
      () => Object.keys(parse(readFileSync(file, 'utf8')).paths).length === 2,
      3000,
      () => 'the file did not follow the removed channel',
    );
    expect(media.streams(driveway.id, 'h').find((view) => view.default)?.name).toBe('main');
    // Only the final file is left behind: no temp files.
    expect(readdirSync(join(dataDir, 'mediamtx'))).toEqual(['mediamtx.yml']);
  });
});

describe('devices the gateway must not log in to', () => {
  it('lose their paths while their logins are on hold (no viewer makes MediaMTX retry a refused password)', async () => {
    const store = await openStore();
    const bus = new Bus();
    const front = await store.devices.insert(device('Front'));
    const back = await store.devices.insert(device('Back'));
    for (const each of [front, back]) {
      await store.channels.replaceForDevice(each.id, [channel(1, 'Cam', [stream(1, 'H.264', 1920)])]);
    }
    const held = new Set<string>();
    const ports = await mediaPorts();
    const { media, dataDir } = await startMedia(
      store,
      bus,
      { mode: 'file', ...ports },
      { contactHeld: (deviceId: string) => held.has(deviceId) },
    );
    const file = join(dataDir, 'mediamtx', 'mediamtx.yml');
    const pathNames = () => Object.keys(parse(readFileSync(file, 'utf8')).paths).sort();
    expect(pathNames()).toEqual(['back/main', 'front/main']);
    const health = (deviceId: string, state: 'auth-failed' | 'online') => ({
      deviceId,
      state,
      lastError: null,
      lastErrorCode: state === 'online' ? null : 'bad_credentials',
      lastSeen: null,
      since: new Date().toISOString(),
      nextAttemptAt: null,
    });

    held.add(front.id);
    bus.emit('device.health', health(front.id, 'auth-failed'));
    await until(
      () => pathNames().join() === 'back/main',
      3000,
      () => `paths: ${pathNames().join()}`,
    );
    const [frontChannel] = await store.channels.listByDevice(front.id);
    expect(media.streams(frontChannel!.id, 'h')[0]!.note).toMatch(/refuses the login/);

    held.delete(front.id);
    bus.emit('device.health', health(front.id, 'online'));
    await until(
      () => pathNames().length === 2,
      3000,
      () => `paths: ${pathNames().join()}`,
    );
    expect(media.streams(frontChannel!.id, 'h')[0]!.note).toBeNull();
  });
});

describe('external mode', () => {
  // The user's MediaMTX keeps its control API behind a login, as it should.
  const USER_API = { user: 'ops', password: 'Ops-Api-Pass-1' };

  async function startUserMediamtx(apiPort: number, rtspPort: number): Promise<ChildProcess> {
    const dir = tempDir();
    const file = join(dir, 'user.yml');
    writeFileSync(
      file,
      stringify({
        logLevel: 'warn',
        authMethod: 'internal',
        authInternalUsers: [
          { user: 'any', pass: '', ips: [], permissions: [{ action: 'read' }, { action: 'publish' }] },
          { user: USER_API.user, pass: USER_API.password, ips: [], permissions: [{ action: 'api' }] },
        ],
        api: true,
        apiAddress: `127.0.0.1:${apiPort}`,
        rtspAddress: `127.0.0.1:${rtspPort}`,
        rtmp: false,
        hls: false,
        webrtc: false,
        srt: false,
        moq: false,
        paths: { 'my-own-stream': { source: 'publisher' } },
      }),
    );
    const child = spawn(await mediamtxBinary(), [file], { stdio: 'ignore' });
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    const api = new MediamtxApi({
      baseUrl: `http://127.0.0.1:${apiPort}`,
      timeoutMs: 500,
      credentials: USER_API,
    });
    await until(
      () => api.info().then(() => true),
      10_000,
      () => 'user MediaMTX did not start',
    );
    return child;
  }

  it("adds and removes its paths in the user's MediaMTX, keeps the user's own, and re-applies after a restart", async () => {
    const ports = await mediaPorts();
    let userMediamtx = await startUserMediamtx(ports.apiPort, ports.rtspPort);
    const store = await openStore();
    const bus = new Bus();
    const camera = await store.devices.insert(device('Porch'));
    await store.channels.replaceForDevice(camera.id, [channel(1, 'Camera 01', [stream(1, 'H.264', 1920)])]);
    const external = {
      mode: 'external',
      apiUrl: `http://127.0.0.1:${ports.apiPort}`,
      apiUsername: USER_API.user,
      apiPassword: USER_API.password,
    };
    const { media } = await startMedia(store, bus, external, { externalCheckMs: 200 });
    const api = new MediamtxApi({ baseUrl: `http://127.0.0.1:${ports.apiPort}`, credentials: USER_API });
    const names = async () => (await api.listPathConfigs()).map((path) => path.name).sort();
    expect(await names()).toEqual(['my-own-stream', 'porch/main']);
    expect(media.status().state).toBe('external');
    // Without the user's API credentials hikbridge is refused, and says so.
    const refused = await startMedia(store, new Bus(), { mode: 'external', apiUrl: external.apiUrl });
    expect(refused.media.status().lastError).toMatch(/refused GET \/v3\/info \(401\)/);
    await refused.media.stop();

    userMediamtx.kill('SIGKILL');
    await new Promise((resolve) => userMediamtx.once('exit', resolve));
    userMediamtx = await startUserMediamtx(ports.apiPort, ports.rtspPort);
    await until(
      async () => (await names()).includes('porch/main'),
      5000,
      () => 'paths not re-applied',
    );

    await store.devices.delete(camera.id);
    bus.emit('device.removed', { deviceId: camera.id });
    await until(
      async () => !(await names()).includes('porch/main'),
      3000,
      () => 'path not removed',
    );
    expect(await names()).toEqual(['my-own-stream']);

    // A device removed while hikbridge is down still loses its path at the next start.
    const garage = await store.devices.insert(device('Garage'));
    await store.channels.replaceForDevice(garage.id, [channel(1, 'Camera 01', [stream(1, 'H.264', 1920)])]);
    await media.sync();
    expect(await names()).toEqual(['garage/main', 'my-own-stream']);
    await media.stop();
    await store.devices.delete(garage.id);
    await startMedia(store, bus, external);
    expect(await names()).toEqual(['my-own-stream']);
  });
});

describe('supervised mode', () => {
  it('stops a MediaMTX an earlier, killed gateway left running on its ports, then starts its own', async () => {
    const ports = await mediaPorts();
    const configFile = join(tempDir(), 'mediamtx.yml');
    const first = await startMedia(await openStore(), new Bus(), { ...ports, configFile });
    const leftover = first.media.enginePid!;
    // A gateway killed outright cannot stop its child: simulate that by forgetting it.
    (first.media as unknown as { engine: undefined }).engine = undefined;
    cleanups.push(() => {
      try {
        process.kill(leftover, 'SIGKILL');
      } catch {}
    });
    const second = await startMedia(await openStore(), new Bus(), { ...ports, configFile });
    expect(second.media.status().state).toBe('running');
    expect(second.media.enginePid).not.toBe(leftover);
    expect(() => process.kill(leftover, 0)).toThrow();
    expect(readFileSync(`${configFile}.pid`, 'utf8')).toBe(String(second.media.enginePid));
  });
});

describe('provisioning', () => {
  it('names a configured binary that is not there', async () => {
    const missing = join(tempDir(), 'nope', 'mediamtx');
    await expect(provisionMediamtx({ binary: missing })).rejects.toThrow(
      new MediamtxUnavailableError(`media.binary is set to "${missing}", but no executable file is there`),
    );
  });

  it('says what to install when neither MediaMTX nor Go is there', async () => {
    const attempt = provisionMediamtx({ searchPath: false, cacheDir: tempDir(), go: null });
    await expect(attempt).rejects.toThrow(/Go is missing.*media\.binary.*Go 1\.26 or newer/);
  });

  it('reuses the cached build and reports where it came from', async () => {
    const found = await provisionMediamtx({ searchPath: false });
    expect(['cache', 'built']).toContain(found.source);
    const again = await provisionMediamtx({ searchPath: false });
    expect(again).toEqual({ path: found.path, source: 'cache' });
  });

  it('keeps the gateway running and reports the problem when MediaMTX cannot be had', async () => {
    const store = await openStore();
    const { media } = await startMedia(store, new Bus(), {
      binary: join(tempDir(), 'absent'),
      ...(await mediaPorts()),
    });
    expect(media.status()).toMatchObject({
      state: 'failed',
      lastError: expect.stringMatching(/media\.binary/),
    });
  });
});
