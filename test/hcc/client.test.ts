/**
 * The HikCentral Connect client against the simulated cloud (sim/cloud.ts): token handling
 * (bootstrap host, areaDomain, `Token` header, early revocation), paging, the 5 calls/s limit,
 * retries on overload, the live address (seconds out, milliseconds back), errors in words, and
 * no secret in any error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type SimCloud, type SimCloudDevice, startSimCloud } from '../../sim/cloud.ts';
import { HccClient, type HccClientOptions } from '../../src/protocols/hcc/client.ts';
import { HccError } from '../../src/protocols/hcc/errors.ts';

const APP_KEY = 'sim-app-key-0001';
const SECRET = 'Sim-Secret-Key-42!';
const clouds: SimCloud[] = [];

afterEach(async () => {
  await Promise.all(clouds.splice(0).map((cloud) => cloud.close()));
});

function site(cameras: number, extra: Partial<SimCloudDevice> = {}): SimCloudDevice {
  const serialNumber = extra.serialNumber ?? `K${Math.random().toString(36).slice(2, 10).toUpperCase()}`;
  return {
    serialNumber,
    name: `NVR ${serialNumber}`,
    category: 'NVR',
    cameras: Array.from({ length: cameras }, (_, i) => ({ name: `Camera ${i + 1}`, channelNo: i + 1 })),
    ...extra,
  };
}

async function cloudWith(devices: SimCloudDevice[], extra = {}): Promise<SimCloud> {
  const cloud = await startSimCloud({ appKey: APP_KEY, secretKey: SECRET, devices, ...extra });
  clouds.push(cloud);
  return cloud;
}

function client(cloud: SimCloud, options: Partial<HccClientOptions> = {}): HccClient {
  // A fast retry base keeps the tests short; the rate limit is the real one.
  return new HccClient({
    appKey: APP_KEY,
    secretKey: SECRET,
    baseUrl: cloud.url,
    retryBaseMs: 20,
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<HccError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HccError);
  const hcc = error as HccError;
  for (const secret of [APP_KEY, SECRET]) expect(hcc.message).not.toContain(secret);
  expect(hcc.message).not.toMatch(/hcc\.[\w-]{10,}/); // no token
  return hcc;
}

describe('token', () => {
  it('is fetched once from the bootstrap host, then sent as `Token` to the areaDomain', async () => {
    const cloud = await cloudWith([site(2)]);
    const hcc = client(cloud);
    expect(await hcc.listDevices()).toHaveLength(1);
    expect(await hcc.listCameras()).toHaveLength(2);
    const [first, ...rest] = cloud.calls;
    expect(first).toMatchObject({
      host: 'bootstrap',
      path: '/api/hccgw/platform/v1/token/get',
      errorCode: '0',
    });
    expect(first!.body).toEqual({ appKey: APP_KEY, secretKey: SECRET });
    expect(rest.map((call) => call.host)).toEqual(['area', 'area']);
    expect(new Set(rest.map((call) => call.token)).size).toBe(1);
    expect(rest[0]!.token).toMatch(/^hcc\./);
  });

  it('dropped early by the cloud: a new token and the call once more', async () => {
    const cloud = await cloudWith([site(1)]);
    const hcc = client(cloud);
    await hcc.listDevices();
    cloud.revokeTokens();
    expect(await hcc.listDevices()).toHaveLength(1);
    expect(cloud.calls.map((call) => call.errorCode)).toEqual(['0', '0', 'TOKEN_NOT_FOUND', '0', '0']);
  });

  it('is renewed before it expires, not after a failed call', async () => {
    // A 5-minute token (shorter than the 10-minute margin) is renewed a tenth of its life early.
    let offsetMs = 0;
    const now = () => Date.now() + offsetMs;
    const cloud = await cloudWith([site(1)], { tokenLifetimeSeconds: 300, now });
    const hcc = client(cloud, {
      clock: { now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
    });
    await hcc.listDevices();
    offsetMs = 265_000;
    await hcc.listDevices();
    expect(cloud.calls.map((call) => call.host)).toEqual(['bootstrap', 'area', 'area']);
    offsetMs = 275_000;
    await hcc.listDevices();
    expect(cloud.calls.map((call) => call.host)).toEqual(['bootstrap', 'area', 'area', 'bootstrap', 'area']);
    expect(cloud.calls.every((call) => call.errorCode === '0')).toBe(true);
  });

  it('concurrent calls share one token request', async () => {
    const cloud = await cloudWith([site(1)]);
    const hcc = client(cloud);
    await Promise.all([hcc.listDevices(), hcc.listCameras(), hcc.listDevices()]);
    expect(cloud.calls.filter((call) => call.host === 'bootstrap')).toHaveLength(1);
  });

  it('a wrong key or secret is said plainly, once, without retrying', async () => {
    const cloud = await cloudWith([site(1)]);
    const wrongSecret = await failure(client(cloud, { secretKey: 'not-the-secret' }).listDevices());
    expect(wrongSecret.code).toBe('OPEN000002');
    expect(wrongSecret.kind).toBe('credentials');
    expect(wrongSecret.message).toBe(
      'listing the devices: HikCentral Connect refused the SecretKey for this AppKey. Check the secret in the OpenAPI settings. (OPEN000002)',
    );
    const wrongKey = await failure(client(cloud, { appKey: 'unknown-key' }).listDevices());
    expect(wrongKey.code).toBe('OPEN000001');
    expect(cloud.calls).toHaveLength(2);
  });
});

describe('paging and limits', () => {
  it('reads every page (500 per page) until a short one', async () => {
    const cloud = await cloudWith([site(400), site(400), site(403)]);
    const cameras = await client(cloud).listCameras();
    expect(cameras).toHaveLength(1203);
    expect(new Set(cameras.map((camera) => camera.id)).size).toBe(1203);
    const pages = cloud.calls.filter((call) => call.path.endsWith('/areas/cameras/get'));
    expect(pages.map((call) => [call.body.pageIndex, call.body.pageSize])).toEqual([
      [1, 500],
      [2, 500],
      [3, 500],
    ]);
    expect(pages[0]!.body.filter).toEqual({ areaID: '-1', includeSubArea: '1' });
  });

  it('lists one device’s cameras with their channel and device', async () => {
    const nvr = site(3, { serialNumber: 'K12345678' });
    const cloud = await cloudWith([nvr, site(2)]);
    const cameras = await client(cloud).listCameras('K12345678');
    expect(
      cameras.map((camera) => [camera.deviceSerial, camera.channelNo, camera.name, camera.online]),
    ).toEqual([
      ['K12345678', 1, 'Camera 1', true],
      ['K12345678', 2, 'Camera 2', true],
      ['K12345678', 3, 'Camera 3', true],
    ]);
  });

  it('keeps to 5 calls a second, 200 ms apart, token call included', async () => {
    const cloud = await cloudWith([site(1)]);
    const hcc = client(cloud);
    await Promise.all(Array.from({ length: 11 }, () => hcc.listDevices()));
    const times = cloud.calls.map((call) => call.at).sort((a, b) => a - b);
    expect(times).toHaveLength(12);
    // Sent 200 ms apart; measured on arrival, so a busy machine may add some jitter.
    for (let i = 5; i < times.length; i++) expect(times[i]! - times[i - 5]!).toBeGreaterThanOrEqual(900);
  });

  it('a full waiting line fails at once with queue_full', async () => {
    const cloud = await cloudWith([site(1)]);
    const hcc = client(cloud, { maxQueued: 2 });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => hcc.listDevices()));
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) expect((r.reason as HccError).code).toBe('queue_full');
  });
});

describe('failures', () => {
  it('an overloaded cloud is retried with back-off; a lasting one is reported', async () => {
    const cloud = await cloudWith([site(1)]);
    cloud.failNext('VMS000009', 2);
    expect(await client(cloud).listDevices()).toHaveLength(1);
    cloud.failNext('VMS001001', 3);
    const error = await failure(client(cloud).listDevices());
    expect(error.code).toBe('VMS001001');
    expect(error.message).toContain('overloaded');
  });

  it('a cloud that does not answer times out within the deadline and is retried', async () => {
    const cloud = await cloudWith([site(1)]);
    cloud.hangNext(1);
    const started = Date.now();
    expect(await client(cloud, { timeoutMs: 300 }).listDevices()).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(3000);
    cloud.hangNext(3);
    const error = await failure(client(cloud, { timeoutMs: 200, maxAttempts: 2 }).listDevices());
    expect(error.code).toBe('timeout');
    expect(error.message).toBe('listing the devices: HikCentral Connect did not answer within 200 ms');
  });

  it('an unreachable cloud is named as such', async () => {
    const cloud = await cloudWith([site(1)]);
    const url = cloud.url;
    await cloud.close();
    clouds.pop();
    const error = await failure(
      new HccClient({ appKey: APP_KEY, secretKey: SECRET, baseUrl: url, retryBaseMs: 10 }).listDevices(),
    );
    expect(error.code).toBe('unreachable');
  });
});

describe('live address', () => {
  it('asks in seconds, answers the RTMP URL with its expiry in milliseconds', async () => {
    const cloud = await cloudWith([site(2, { serialNumber: 'K00000001' })]);
    const hcc = client(cloud);
    const [camera] = await hcc.listCameras();
    const before = Date.now();
    const live = await hcc.liveAddress({
      resourceId: camera!.id,
      deviceSerial: camera!.deviceSerial,
      protocol: 'rtmp',
      quality: 'sub',
      expireSeconds: 86_400,
    });
    expect(live.url).toMatch(
      /^rtmp:\/\/[^/]+\/v3\/openlive\/K00000001_1_2\?expire=\d+&id=\w+&c=\w+&t=\w+&ev=100$/,
    );
    expect(live.expiresAt).toBeGreaterThanOrEqual(before + 86_400_000 - 1000);
    expect(live.expiresAt).toBeLessThanOrEqual(Date.now() + 86_400_000);
    const call = cloud.calls.at(-1)!;
    expect(call.body).toEqual({
      resourceId: camera!.id,
      deviceSerial: 'K00000001',
      type: '1',
      protocol: 3,
      quality: '2',
      expireTime: 86_400,
    });
  });

  it('refuses a lifetime outside 30 s .. 720 days before calling', async () => {
    const cloud = await cloudWith([site(1)]);
    const ask = { resourceId: 'x', deviceSerial: 'y', protocol: 'rtmp' as const, quality: 'main' as const };
    await expect(client(cloud).liveAddress({ ...ask, expireSeconds: 10 })).rejects.toThrow(RangeError);
    await expect(client(cloud).liveAddress({ ...ask, expireSeconds: 721 * 86_400 })).rejects.toThrow(
      RangeError,
    );
    expect(cloud.calls).toHaveLength(0);
  });

  it('offline and encrypted devices get errors in words; the verification code opens the stream', async () => {
    const offline = site(1, { online: false });
    const encrypted = site(1, { verificationCode: 'ABCDEF' });
    const cloud = await cloudWith([offline, encrypted]);
    const hcc = client(cloud);
    const cameras = await hcc.listCameras();
    const ask = (serial: string, code?: string) => {
      const camera = cameras.find((c) => c.deviceSerial === serial)!;
      expect(camera.online).toBe(serial !== offline.serialNumber);
      return hcc.liveAddress({
        resourceId: camera.id,
        deviceSerial: serial,
        protocol: 'rtmp',
        quality: 'main',
        expireSeconds: 3600,
        ...(code ? { code } : {}),
      });
    };
    const down = await failure(ask(offline.serialNumber));
    expect(down).toMatchObject({ code: 'EVZ20007', kind: 'device' });
    expect(down.message).toContain('offline');
    const locked = await failure(ask(encrypted.serialNumber));
    expect(locked.code).toBe('EVZ60019');
    expect(locked.message).toContain('verification code');
    expect((await failure(ask(encrypted.serialNumber, 'WRONG1'))).code).toBe('EVZ10001');
    expect((await ask(encrypted.serialNumber, 'ABCDEF')).url).toMatch(/^rtmp:\/\//);
  });
});
