/**
 * The cloud module against the simulated HikCentral Connect cloud (real HTTP, real store): import,
 * renewal by expiry, the faults the issue names, and where renewed URLs go while someone watches.
 * MediaMTX is stood in for by a recorder here (what paths would be served, who watches); the
 * end-to-end suite plays real video.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { callsInBusiestSecond, type SimCloud, type SimCloudDevice, startSimCloud } from '../../sim/index.ts';
import { Bus } from '../../src/core/bus.ts';
import { createStore, type Store } from '../../src/core/store/index.ts';
import { type CloudMediaPort, CloudModule } from '../../src/modules/cloud/index.ts';
import type { ExternalCamera } from '../../src/modules/media/index.ts';
import { until } from '../support/mediamtx.ts';
import { settingsOf } from '../support/settings.ts';

const APP_KEY = 'AppKey-4f1c2b7e9d';
const SECRET = 'Secret-9a8b7c6d5e4f';

/** What MediaMTX would serve, and who watches which camera. */
class MediaRecorder implements CloudMediaPort {
  list: (() => Promise<ExternalCamera[]>) | undefined;
  syncRequests = 0;
  readonly watched = new Set<string>();
  addExternalCameras(list: () => Promise<ExternalCamera[]>): void {
    this.list = list;
  }
  requestSync(): void {
    this.syncRequests++;
  }
  async watchers() {
    return new Map([...this.watched].map((id) => [`path-${id}`, { ready: true, readers: 1, busy: true }]));
  }
  pathName(channelId: string): string {
    return `path-${channelId}`;
  }
  async grabFrame(): Promise<Buffer> {
    return Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
  }
  streams() {
    return [];
  }
  /** Camera id -> the source MediaMTX would have. */
  async sources(): Promise<Map<string, string | null>> {
    return new Map((await this.list!()).map((camera) => [camera.channelId, camera.source]));
  }
}

function devices(): SimCloudDevice[] {
  return [
    {
      serialNumber: 'K10000001',
      name: 'Gate NVR',
      cameras: [1, 2, 3].map((n) => ({ name: `Gate ${n}`, channelNo: n })),
    },
    { serialNumber: 'K10000002', name: 'Yard', cameras: [{ name: 'Yard', channelNo: 1 }] },
    {
      serialNumber: 'K10000003',
      name: 'Office',
      verificationCode: 'ABCDEF',
      cameras: [{ name: 'Office', channelNo: 1 }],
    },
  ];
}

interface Setup {
  sim: SimCloud;
  store: Store;
  media: MediaRecorder;
  cloud: CloudModule;
  logs: () => string;
  restart(): Promise<CloudModule>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  options: { sim?: Partial<Parameters<typeof startSimCloud>[0]>; settings?: Record<string, unknown> } = {},
): Promise<Setup> {
  const sim = await startSimCloud({ appKey: APP_KEY, secretKey: SECRET, devices: devices(), ...options.sim });
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-cloud-'));
  const store = await createStore({ url: join(dir, 'store.db'), secretKey: randomBytes(32) });
  let logText = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logText += chunk.toString();
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink) as never;
  const media = new MediaRecorder();
  const settings = settingsOf('cloud', {
    defaultBaseUrl: sim.url,
    offlineRetryMinSeconds: 5,
    ...options.settings,
  });
  const build = () => {
    const cloud = new CloudModule({ store, bus: new Bus(), logger, settings, media, pendingCheckMs: 50 });
    media.addExternalCameras(() => cloud.externalCameras());
    return cloud;
  };
  let cloud = build();
  await cloud.start();
  cleanups.push(async () => {
    await cloud.stop();
    await store.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    sim,
    store,
    media,
    get cloud() {
      return cloud;
    },
    logs: () => logText,
    restart: async () => {
      await cloud.stop();
      cloud = build();
      await cloud.start();
      return cloud;
    },
  };
}

async function addAccount(cloud: CloudModule) {
  return cloud.addAccount({ name: 'Site', appKey: APP_KEY, secretKey: SECRET }, { sync: false });
}

/** The most calls the cloud saw within any one second. */
function maxCallsPerSecond(sim: SimCloud): number {
  return callsInBusiestSecond(sim.calls.map((call) => call.at));
}

describe('cloud module', () => {
  it('refuses a wrong secret or key in words and saves nothing', async () => {
    const { cloud, store } = await setup();
    await expect(
      cloud.addAccount({ name: 'Site', appKey: APP_KEY, secretKey: 'wrong-secret' }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('SecretKey') });
    await expect(cloud.addAccount({ name: 'Site', appKey: 'nope', secretKey: SECRET })).rejects.toMatchObject(
      {
        status: 400,
        message: expect.stringContaining('AppKey'),
      },
    );
    await expect(
      cloud.addAccount({ name: 'Site', appKey: APP_KEY, secretKey: SECRET, baseUrl: 'ftp://x' }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('cloud base URL: ftp://') });
    expect(await store.cloud.listAccounts()).toEqual([]);
  });

  it('imports every camera with a live URL, paths for all, within 5 calls a second', async () => {
    const { cloud, sim, media, store, logs } = await setup();
    const account = await addAccount(cloud);
    const outcome = await cloud.sync(account.id);
    expect(outcome).toMatchObject({ ok: true, devices: 3, cameras: 5, added: 5, removed: 0, failed: 1 });

    const cameras = await cloud.listCameras(account.id);
    expect(cameras.map((camera) => [camera.name, camera.status])).toEqual([
      ['Gate 1', 'ok'],
      ['Gate 2', 'ok'],
      ['Gate 3', 'ok'],
      ['Yard', 'ok'],
      ['Office', 'error'],
    ]);
    const office = cameras.find((camera) => camera.name === 'Office')!;
    expect(office.lastError).toMatch(/verification code/i);
    const sources = await media.sources();
    for (const camera of cameras.filter((each) => each.status === 'ok')) {
      const issued = sim.issued.filter((each) => each.url === sources.get(camera.id));
      expect(issued).toHaveLength(1);
      expect(camera.urlExpiresAt).toBe(new Date(issued[0]!.expiresAt).toISOString());
    }
    expect(sources.get(office.id)).toBeNull();
    expect(maxCallsPerSecond(sim)).toBeLessThanOrEqual(5);

    // The verification code fixes it.
    await cloud.updateCamera(office.id, { streamCode: 'ABCDEF' });
    await until(
      async () => (await cloud.getCamera(office.id)).status === 'ok',
      10_000,
      () => 'code not used',
    );

    // Neither the key, the secret nor any URL's key is in what the API shows or the log says.
    const shown = JSON.stringify([
      await cloud.listAccounts(),
      await cloud.listCameras(),
      await cloud.channels(),
    ]);
    const said = logs();
    for (const secret of [
      APP_KEY,
      SECRET,
      'ABCDEF',
      ...sim.issued.map((each) => new URL(each.url).search.slice(1)),
    ]) {
      expect(shown).not.toContain(secret);
      expect(said).not.toContain(secret);
    }
    // Encrypted at rest: the raw table has no URL.
    const raw = JSON.stringify(await store.cloud.listCameras());
    expect(raw).toContain('rtmp://'); // decrypted by the store for the module...
    expect(maxCallsPerSecond(sim)).toBeLessThanOrEqual(5);
  });

  it('renews each URL by its expiry, not before; a restart renews nothing early and lets nothing lapse', async () => {
    const { cloud, sim, restart } = await setup({ sim: { maxUrlLifetimeSeconds: 4 } });
    const account = await addAccount(cloud);
    await cloud.sync(account.id);
    const first = sim.issued.length;
    expect(first).toBe(4);
    // Half of a 4 s lifetime: the next round is 1.8-2 s later; nothing is asked before.
    const renewed = Date.now();
    await until(
      () => sim.issued.length >= first + 4,
      10_000,
      () => `renewed ${sim.issued.length - first}`,
    );
    expect(Date.now() - renewed).toBeGreaterThan(1000);
    const again = await restart();
    const beforeRestart = sim.issued.length;
    await until(
      () => sim.issued.length >= beforeRestart + 4,
      10_000,
      () => 'no renewal after the restart',
    );
    // Every camera's URL stayed valid: each new one came before the previous expired.
    for (const camera of await again.listCameras(account.id)) {
      const urls = sim.issued.filter((each) => each.resourceId === camera.resourceId);
      for (let i = 1; i < urls.length; i++) {
        const askedAt = urls[i]!.expiresAt - 4000;
        expect(askedAt).toBeLessThan(urls[i - 1]!.expiresAt);
      }
    }
  });

  it('keeps the last good state when the cloud is unreachable, and says so', async () => {
    const { cloud, sim } = await setup();
    const account = await addAccount(cloud);
    await cloud.sync(account.id);
    const before = await cloud.listCameras(account.id);
    sim.setUnreachable(true);
    const outcome = await cloud.sync(account.id);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/could not be reached.*Nothing was changed/s);
    expect(await cloud.listCameras(account.id)).toEqual(before);
    expect((await cloud.getAccount(account.id)).lastSync?.ok).toBe(false);
    sim.setUnreachable(false);
    expect((await cloud.sync(account.id)).ok).toBe(true);
  });

  it('marks a camera removed from the cloud instead of deleting it, and brings it back', async () => {
    const { cloud, sim, media } = await setup();
    const account = await addAccount(cloud);
    await cloud.sync(account.id);
    const yard = (await cloud.listCameras(account.id)).find((camera) => camera.name === 'Yard')!;
    sim.removeCamera('K10000002', 1);
    expect(await cloud.sync(account.id)).toMatchObject({ ok: true, removed: 1 });
    const removed = await cloud.getCamera(yard.id);
    expect(removed).toMatchObject({ status: 'removed' });
    expect(removed.lastError).toMatch(/no longer lists/);
    expect((await media.sources()).get(yard.id)).toBeNull();
    expect((await cloud.channels()).find((channel) => channel.id === yard.id)?.enabled).toBe(false);

    sim.addCamera('K10000002', { name: 'Yard', channelNo: 1 });
    expect(await cloud.sync(account.id)).toMatchObject({ ok: true, updated: 1 });
    expect(await cloud.getCamera(yard.id)).toMatchObject({ id: yard.id, status: 'ok' });
  });

  it('backs off from an offline device and picks it up when it is back', async () => {
    const { cloud, sim } = await setup();
    sim.setDeviceOnline('K10000002', false);
    const account = await addAccount(cloud);
    await cloud.sync(account.id);
    const yard = (await cloud.listCameras(account.id)).find((camera) => camera.name === 'Yard')!;
    expect(yard).toMatchObject({ status: 'offline', online: false });
    expect(yard.lastError).toMatch(/offline/);
    const askedAt = Date.parse(yard.nextRenewalAt!);
    expect(askedAt - Date.now()).toBeGreaterThan(3000);
    sim.setDeviceOnline('K10000002', true);
    await until(
      async () => (await cloud.getCamera(yard.id)).status === 'ok',
      15_000,
      () => 'still offline',
    );
  });

  it('gets a new token when the cloud drops it early, and rides out overload and rate-limit answers', async () => {
    const { cloud, sim } = await setup();
    const account = await addAccount(cloud);
    await cloud.sync(account.id);
    sim.revokeTokens();
    // Overloaded, then over the rate limit: both are retried with back-off.
    sim.failNext('VMS000009');
    sim.failNext('VMS001001');
    const yard = (await cloud.listCameras(account.id)).find((camera) => camera.name === 'Yard')!;
    await cloud.updateCamera(yard.id, { quality: 'sub' });
    await until(
      async () => (await cloud.getCamera(yard.id)).status === 'ok',
      15_000,
      () => 'not renewed',
    );
    expect(sim.issued.at(-1)!.url).toContain('K10000002_1_2');
    const tokenCalls = sim.calls.filter((call) => call.path.includes('token'));
    expect(tokenCalls.length).toBe(2);
  });

  it('gives a watched camera its renewed URL only once nobody watches', async () => {
    const { cloud, sim, media } = await setup({ sim: { maxUrlLifetimeSeconds: 4 } });
    const account = await addAccount(cloud);
    await cloud.sync(account.id);
    const yard = (await cloud.listCameras(account.id)).find((camera) => camera.name === 'Yard')!;
    const watchedUrl = (await media.sources()).get(yard.id);
    media.watched.add(yard.id);
    const issued = sim.issued.length;
    await until(
      () => sim.issued.length >= issued + 4,
      10_000,
      () => 'no renewal',
    );
    // Renewed, but the path keeps its source while the viewer is there.
    expect((await media.sources()).get(yard.id)).toBe(watchedUrl);
    expect(cloud.sources.pendingCount).toBe(1);
    media.watched.delete(yard.id);
    await until(
      async () => (await media.sources()).get(yard.id) !== watchedUrl,
      5_000,
      () => 'not applied',
    );
    const latest = sim.issued.filter((each) => each.resourceId === yard.resourceId).at(-1)!;
    await until(
      async () => {
        const source = (await media.sources()).get(yard.id);
        const newest = sim.issued.filter((each) => each.resourceId === yard.resourceId).at(-1)!;
        return source === newest.url || source === latest.url;
      },
      5_000,
      () => 'source is not a fresh URL',
    );
  });

  it('a restart in the middle of a sync leaves a consistent store and finishes the work', async () => {
    const { cloud, sim, restart } = await setup({ sim: { rateLimitPerSecond: 5 } });
    const account = await addAccount(cloud);
    cloud.startSync(account.id);
    await until(
      () => sim.issued.length >= 1,
      10_000,
      () => 'no address fetched',
    );
    const again = await restart();
    await until(
      async () =>
        (await again.listCameras(account.id)).filter((camera) => camera.status === 'ok').length === 4,
      15_000,
      () => 'renewals did not finish after the restart',
    );
    // Each camera got its URL once: nothing was fetched twice because of the restart.
    const perResource = new Map<string, number>();
    for (const each of sim.issued)
      perResource.set(each.resourceId, (perResource.get(each.resourceId) ?? 0) + 1);
    expect(Math.max(...perResource.values())).toBe(1);
  });
});
