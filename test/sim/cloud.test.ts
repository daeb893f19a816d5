/**
 * The simulated HikCentral Connect cloud (sim/cloud.ts) on its own, over HTTP: tokens that
 * expire by the injected clock or are revoked, the 5 calls/s window on that clock, devices and
 * cameras changed during a run, an outage, a rotated secret, the /__sim/cloud/ control endpoints
 * and the check the RTMP origin makes before a play (validatePlay). No video here: see
 * cloud-origin.test.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { handleCloudControl } from '../../sim/cloud-control.ts';
import { type SimCloud, type SimCloudDevice, type SimCloudOptions, startSimCloud } from '../../sim/index.ts';

const APP_KEY = 'cloud-test-app-key';
const SECRET = 'Cloud-Test-Secret-7';
/** A whole second, so announced expiry times (epoch seconds) are exact. */
const START = Date.UTC(2026, 0, 1, 12, 0, 0);

const clouds: SimCloud[] = [];
afterEach(async () => {
  await Promise.all(clouds.splice(0).map((cloud) => cloud.close()));
});

interface Envelope {
  errorCode: string;
  message: string;
  data?: Record<string, unknown>;
}

/** A cloud on a clock the test moves by hand. */
async function cloudAt(extra: Partial<SimCloudOptions> = {}) {
  const clock = { now: START };
  const cloud = await startSimCloud({
    appKey: APP_KEY,
    secretKey: SECRET,
    devices: [nvr('SIMT000001', 3), nvr('SIMT000002', 2)],
    now: () => clock.now,
    // Most tests are not about the limit; the limit's tests set it.
    rateLimitPerSecond: 0,
    ...extra,
  });
  clouds.push(cloud);
  return { cloud, clock };
}

function nvr(serialNumber: string, cameras: number): SimCloudDevice {
  return {
    serialNumber,
    name: `NVR ${serialNumber}`,
    category: 'NVR',
    cameras: Array.from({ length: cameras }, (_, i) => ({ name: `Camera ${i + 1}`, channelNo: i + 1 })),
  };
}

async function post(url: string, body: unknown, token?: string): Promise<Envelope> {
  const answer = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { token } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  expect(answer.status).toBe(200);
  return (await answer.json()) as Envelope;
}

async function tokenOf(cloud: SimCloud, appKey = APP_KEY, secretKey = SECRET): Promise<Envelope> {
  return post(`${cloud.url}/api/hccgw/platform/v1/token/get`, { appKey, secretKey });
}

async function token(cloud: SimCloud): Promise<string> {
  const answer = await tokenOf(cloud);
  expect(answer.errorCode).toBe('0');
  return answer.data!.accessToken as string;
}

const devices = (cloud: SimCloud, token: string) =>
  post(`${cloud.areaUrl}/api/hccgw/resource/v1/devices/get`, { pageIndex: 1, pageSize: 100 }, token);

interface CameraRow {
  id: string;
  name: string;
  online: string;
  device: { devInfo: { serialNo: string }; channelInfo: { no: number } };
}

async function cameras(cloud: SimCloud, token: string): Promise<CameraRow[]> {
  const answer = await post(
    `${cloud.areaUrl}/api/hccgw/resource/v1/areas/cameras/get`,
    { pageIndex: 1, pageSize: 100, filter: { areaID: '-1', includeSubArea: '1' } },
    token,
  );
  expect(answer.errorCode).toBe('0');
  return answer.data!.camera as CameraRow[];
}

function liveAddress(cloud: SimCloud, token: string, camera: CameraRow, quality = '1', expireTime = 3600) {
  return post(
    `${cloud.areaUrl}/api/hccgw/video/v1/live/address/get`,
    {
      resourceId: camera.id,
      deviceSerial: camera.device.devInfo.serialNo,
      type: '1',
      protocol: 3,
      quality,
      expireTime,
    },
    token,
  );
}

/** An RTMP URL's MediaMTX path and query, as the origin's auth request carries them. */
function playOf(url: string): { path: string; query: string } {
  const parsed = new URL(url);
  return { path: parsed.pathname.slice(1), query: parsed.search.slice(1) };
}

function find(rows: CameraRow[], serial: string, channelNo: number): CameraRow {
  const row = rows.find((r) => r.device.devInfo.serialNo === serial && r.device.channelInfo.no === channelNo);
  if (!row) throw new Error(`no camera ${serial}/${channelNo}`);
  return row;
}

describe('the clock', () => {
  it('decides token expiry: OPEN000006 from the announced expireTime on, TOKEN_NOT_FOUND once revoked', async () => {
    const { cloud, clock } = await cloudAt({ tokenLifetimeSeconds: 60 });
    const answer = await tokenOf(cloud);
    expect(answer.data!.expireTime).toBe(START / 1000 + 60);
    const value = answer.data!.accessToken as string;
    expect((await devices(cloud, value)).errorCode).toBe('0');
    clock.now = START + 59_999;
    expect((await devices(cloud, value)).errorCode).toBe('0');
    clock.now = START + 60_000;
    expect((await devices(cloud, value)).errorCode).toBe('OPEN000006');
    const fresh = await token(cloud);
    expect((await devices(cloud, fresh)).errorCode).toBe('0');
    cloud.revokeTokens();
    expect((await devices(cloud, fresh)).errorCode).toBe('TOKEN_NOT_FOUND');
    expect((await devices(cloud, value)).errorCode).toBe('TOKEN_NOT_FOUND');
    expect(cloud.calls.map((call) => call.at)).toEqual([
      START,
      START,
      START + 59_999,
      ...Array(5).fill(START + 60_000),
    ]);
  });

  it('decides live address expiry: answered in ms from the clock, expire= in seconds', async () => {
    const { cloud, clock } = await cloudAt();
    clock.now = START + 1234;
    const value = await token(cloud);
    const [camera] = await cameras(cloud, value);
    const answer = await liveAddress(cloud, value, camera!, '2', 30);
    expect(answer.data!.expireTime).toBe(START + 1234 + 30_000);
    expect(answer.data!.url).toMatch(
      new RegExp(`^rtmp://[^/]+/v3/openlive/SIMT000001_1_2\\?expire=${START / 1000 + 31}&id=`),
    );
    expect(cloud.issued.at(-1)).toMatchObject({
      expiresAt: START + 31_234,
      expireSeconds: 30,
      stream: 'SIMT000001_1_2',
    });
  });
});

describe('the rate limit', () => {
  it('refuses the call over 5 in a sliding second with VMS001001, token calls included', async () => {
    const { cloud, clock } = await cloudAt({ rateLimitPerSecond: 5, rateLimitToleranceMs: 0 });
    const value = await token(cloud);
    for (let i = 1; i <= 4; i++) {
      clock.now = START + i * 100;
      expect((await devices(cloud, value)).errorCode).toBe('0');
    }
    clock.now = START + 999;
    expect((await devices(cloud, value)).errorCode).toBe('VMS001001');
    expect((await tokenOf(cloud)).errorCode).toBe('VMS001001');
    // The token call at START leaves the window: one place frees up, and only one.
    clock.now = START + 1000;
    expect((await devices(cloud, value)).errorCode).toBe('0');
    expect((await devices(cloud, value)).errorCode).toBe('VMS001001');
    clock.now = START + 1100;
    expect((await devices(cloud, value)).errorCode).toBe('0');
    expect(cloud.calls.map((call) => [call.host, call.at - START, call.errorCode])).toEqual([
      ['bootstrap', 0, '0'],
      ['area', 100, '0'],
      ['area', 200, '0'],
      ['area', 300, '0'],
      ['area', 400, '0'],
      ['area', 999, 'VMS001001'],
      ['bootstrap', 999, 'VMS001001'],
      ['area', 1000, '0'],
      ['area', 1000, 'VMS001001'],
      ['area', 1100, '0'],
    ]);
  });

  it('forgives arrival jitter up to the tolerance (100 ms by default), no more', async () => {
    const { cloud, clock } = await cloudAt({ rateLimitPerSecond: 5 });
    const value = await token(cloud);
    for (let i = 0; i < 4; i++) expect((await devices(cloud, value)).errorCode).toBe('0');
    clock.now = START + 899;
    expect((await devices(cloud, value)).errorCode).toBe('VMS001001');
    clock.now = START + 900;
    expect((await devices(cloud, value)).errorCode).toBe('0');
  });

  it('is off with rateLimitPerSecond 0', async () => {
    const { cloud } = await cloudAt({ rateLimitPerSecond: 0 });
    const value = await token(cloud);
    const answers = await Promise.all(Array.from({ length: 30 }, () => devices(cloud, value)));
    expect(answers.every((answer) => answer.errorCode === '0')).toBe(true);
  });
});

describe('changes during a run', () => {
  it('devices and cameras go offline and come back', async () => {
    const { cloud } = await cloudAt();
    const value = await token(cloud);
    cloud.setDeviceOnline('SIMT000002', false);
    cloud.setCameraOnline('SIMT000001', 2, false);
    const listed = (await devices(cloud, value)).data!.device as Array<{
      serialNo: string;
      onlineStatus: number;
    }>;
    expect(listed.map((d) => [d.serialNo, d.onlineStatus])).toEqual([
      ['SIMT000001', 1],
      ['SIMT000002', 0],
    ]);
    const rows = await cameras(cloud, value);
    expect(rows.map((r) => r.online)).toEqual(['1', '0', '1', '0', '0']);
    expect((await liveAddress(cloud, value, find(rows, 'SIMT000001', 2))).errorCode).toBe('EVZ20007');
    expect((await liveAddress(cloud, value, find(rows, 'SIMT000002', 1))).errorCode).toBe('EVZ20007');
    cloud.setDeviceOnline('SIMT000002', true);
    cloud.setCameraOnline('SIMT000001', 2, true);
    expect((await cameras(cloud, value)).map((r) => r.online)).toEqual(['1', '1', '1', '1', '1']);
    expect((await liveAddress(cloud, value, find(rows, 'SIMT000001', 2))).errorCode).toBe('0');
  });

  it('a renamed camera keeps its id; a removed one is gone; an added one is a new resource', async () => {
    const { cloud } = await cloudAt();
    const value = await token(cloud);
    const before = await cameras(cloud, value);
    cloud.renameCamera('SIMT000001', 1, 'Gate');
    cloud.removeCamera('SIMT000001', 3);
    const after = await cameras(cloud, value);
    expect(find(after, 'SIMT000001', 1)).toMatchObject({
      id: find(before, 'SIMT000001', 1).id,
      name: 'Gate',
    });
    expect(after.map((r) => r.id)).not.toContain(find(before, 'SIMT000001', 3).id);
    expect((await liveAddress(cloud, value, find(before, 'SIMT000001', 3))).errorCode).toBe('OPEN000503');
    cloud.addCamera('SIMT000001', { name: 'Back door', channelNo: 3 });
    const added = find(await cameras(cloud, value), 'SIMT000001', 3);
    expect(added.name).toBe('Back door');
    expect(added.id).not.toBe(find(before, 'SIMT000001', 3).id);
    expect((await liveAddress(cloud, value, added)).errorCode).toBe('0');
  });

  it('refuses changes to what does not exist, and a channel twice', async () => {
    const { cloud } = await cloudAt();
    expect(() => cloud.setDeviceOnline('NOPE', false)).toThrow('no device with serial number NOPE');
    expect(() => cloud.removeCamera('SIMT000001', 9)).toThrow('device SIMT000001 has no camera on channel 9');
    expect(() => cloud.addCamera('SIMT000001', { name: 'Twin', channelNo: 1 })).toThrow(
      'already has a camera',
    );
  });

  it('does not change the devices it was given, nor follow changes made to them', async () => {
    const given = [nvr('SIMT000009', 1)];
    const { cloud } = await cloudAt({ devices: given });
    cloud.renameCamera('SIMT000009', 1, 'Renamed');
    given[0]!.cameras[0]!.online = false;
    expect(given[0]!.cameras[0]!.name).toBe('Camera 1');
    expect((await cameras(cloud, await token(cloud)))[0]).toMatchObject({ name: 'Renamed', online: '1' });
  });

  it('an outage drops every call without an answer, on both hosts, until it is over', async () => {
    const { cloud } = await cloudAt();
    const value = await token(cloud);
    cloud.setUnreachable(true);
    await expect(tokenOf(cloud)).rejects.toThrow();
    await expect(devices(cloud, value)).rejects.toThrow();
    expect(cloud.calls.slice(-2).map((call) => [call.host, call.errorCode])).toEqual([
      ['bootstrap', 'unreachable'],
      ['area', 'unreachable'],
    ]);
    cloud.setUnreachable(false);
    expect((await devices(cloud, value)).errorCode).toBe('0');
  });

  it('a rotated secret: the old key and secret are refused, tokens already out still work', async () => {
    const { cloud } = await cloudAt();
    const value = await token(cloud);
    cloud.setCredentials('rotated-key', 'Rotated-Secret-1');
    expect((await tokenOf(cloud)).errorCode).toBe('OPEN000001');
    expect((await tokenOf(cloud, 'rotated-key', SECRET)).errorCode).toBe('OPEN000002');
    expect((await tokenOf(cloud, 'rotated-key', 'Rotated-Secret-1')).errorCode).toBe('0');
    expect((await devices(cloud, value)).errorCode).toBe('0');
  });
});

describe('validatePlay: the check before the origin plays a stream', () => {
  it('accepts an issued address for its own stream until it expires by the cloud clock', async () => {
    const { cloud, clock } = await cloudAt();
    const value = await token(cloud);
    const rows = await cameras(cloud, value);
    const main = playOf((await liveAddress(cloud, value, rows[0]!, '1', 30)).data!.url as string);
    expect(main.path).toBe('v3/openlive/SIMT000001_1_1');
    expect(cloud.validatePlay(main.path, main.query)).toBe(true);
    expect(cloud.validatePlay(`/${main.path}`, `?${main.query}`)).toBe(true);
    clock.now = START + 29_999;
    expect(cloud.validatePlay(main.path, main.query)).toBe(true);
    clock.now = START + 30_000;
    expect(cloud.explainPlay(main.path, main.query)).toEqual({
      accepted: false,
      reason: 'the address has expired',
    });
  });

  it('refuses a tampered id or expire, another stream, a removed or offline camera', async () => {
    const { cloud } = await cloudAt();
    const value = await token(cloud);
    const rows = await cameras(cloud, value);
    const { path, query } = playOf((await liveAddress(cloud, value, rows[0]!)).data!.url as string);
    const id = new URLSearchParams(query).get('id')!;
    const tampered = (from: string, to: string) => cloud.explainPlay(path, query.replace(from, to)).reason;
    expect(tampered(`id=${id}`, `id=${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`)).toBe(
      'no address with this id was issued',
    );
    expect(tampered(`id=${id}`, 'x=1')).toBe('no address with this id was issued');
    const expire = new URLSearchParams(query).get('expire')!;
    expect(tampered(`expire=${expire}`, `expire=${Number(expire) + 3600}`)).toBe(
      'expire differs from the issued one',
    );
    expect(cloud.explainPlay(path.replace('_1_1', '_1_2'), query).reason).toBe(
      'the id was issued for another stream',
    );
    expect(cloud.explainPlay(path.replace('_1_1', '_2_1'), query).reason).toBe(
      'the id was issued for another stream',
    );
    expect(cloud.explainPlay('pattern/main', query).reason).toBe('not a live stream path');
    cloud.setCameraOnline('SIMT000001', 1, false);
    expect(cloud.explainPlay(path, query)).toEqual({ accepted: false, reason: 'the camera is offline' });
    cloud.setCameraOnline('SIMT000001', 1, true);
    expect(cloud.validatePlay(path, query)).toBe(true);
    cloud.removeCamera('SIMT000001', 1);
    cloud.addCamera('SIMT000001', { name: 'Camera 1 again', channelNo: 1 });
    expect(cloud.explainPlay(path, query)).toEqual({ accepted: false, reason: 'the camera was removed' });
  });
});

describe('/__sim/cloud/ control endpoints', () => {
  const control = async (cloud: SimCloud, name: string, body: unknown = {}) => {
    const answer = await fetch(`${cloud.url}/__sim/cloud/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
  };

  it('change the cloud like the methods do', async () => {
    const { cloud } = await cloudAt();
    const value = await token(cloud);
    const ok = { status: 200, body: { ok: true } };
    expect(await control(cloud, 'device-online', { serial: 'SIMT000002', online: false })).toEqual(ok);
    expect(
      await control(cloud, 'camera-online', { serial: 'SIMT000001', channelNo: 2, online: false }),
    ).toEqual(ok);
    expect(
      await control(cloud, 'rename-camera', { serial: 'SIMT000001', channelNo: 1, name: 'Gate' }),
    ).toEqual(ok);
    expect(await control(cloud, 'remove-camera', { serial: 'SIMT000001', channelNo: 3 })).toEqual(ok);
    expect(
      await control(cloud, 'add-camera', {
        serial: 'SIMT000002',
        camera: { name: 'Yard', channelNo: 7, online: false },
      }),
    ).toEqual(ok);
    const rows = await cameras(cloud, value);
    expect(rows.map((r) => [r.device.devInfo.serialNo, r.device.channelInfo.no, r.name, r.online])).toEqual([
      ['SIMT000001', 1, 'Gate', '1'],
      ['SIMT000001', 2, 'Camera 2', '0'],
      ['SIMT000002', 1, 'Camera 1', '0'],
      ['SIMT000002', 2, 'Camera 2', '0'],
      ['SIMT000002', 7, 'Yard', '0'],
    ]);
    expect(await control(cloud, 'fail-next', { errorCode: 'VMS000009', count: 2 })).toEqual(ok);
    expect((await devices(cloud, value)).errorCode).toBe('VMS000009');
    expect((await devices(cloud, value)).errorCode).toBe('VMS000009');
    expect((await devices(cloud, value)).errorCode).toBe('0');
    expect(await control(cloud, 'revoke-tokens')).toEqual(ok);
    expect((await devices(cloud, value)).errorCode).toBe('TOKEN_NOT_FOUND');
    expect(await control(cloud, 'credentials', { appKey: 'k2', secretKey: 's2' })).toEqual(ok);
    expect((await tokenOf(cloud, 'k2', 's2')).errorCode).toBe('0');
  });

  it('hang-next and unreachable leave calls unanswered, while control still answers', async () => {
    const { cloud } = await cloudAt();
    expect((await control(cloud, 'hang-next', { count: 1 })).status).toBe(200);
    const hung = await fetch(`${cloud.url}/api/hccgw/platform/v1/token/get`, {
      method: 'POST',
      body: JSON.stringify({ appKey: APP_KEY, secretKey: SECRET }),
      signal: AbortSignal.timeout(500),
    }).catch((error: Error) => error);
    expect(hung).toBeInstanceOf(Error);
    expect((hung as Error).name).toBe('TimeoutError');
    expect((await control(cloud, 'unreachable', { on: true })).status).toBe(200);
    await expect(tokenOf(cloud)).rejects.toThrow();
    expect((await control(cloud, 'unreachable', { on: false })).status).toBe(200);
    expect((await tokenOf(cloud)).errorCode).toBe('0');
    expect(cloud.calls.map((call) => call.errorCode)).toEqual(['hang', 'unreachable', '0']);
  });

  it('refuse bad input with the reason, and name the endpoints for an unknown one', async () => {
    const { cloud } = await cloudAt();
    expect(await control(cloud, 'device-online', { serial: 'NOPE', online: false })).toEqual({
      status: 400,
      body: { error: 'no device with serial number NOPE' },
    });
    expect(await control(cloud, 'device-online', { serial: 'SIMT000001', online: 'no' })).toEqual({
      status: 400,
      body: { error: 'online must be true or false' },
    });
    expect((await control(cloud, 'fail-next', { count: 1 })).body).toEqual({
      error: 'errorCode must be a non-empty string',
    });
    const unknown = await control(cloud, 'explode');
    expect(unknown.status).toBe(404);
    expect(unknown.body.endpoints).toContain('POST unreachable');
  });

  it('GET calls?since= gives the log from that time, without token, key, secret or code', async () => {
    const { cloud, clock } = await cloudAt();
    const value = await token(cloud);
    clock.now = START + 5000;
    await devices(cloud, value);
    const all = await fetch(`${cloud.url}/__sim/cloud/calls`);
    const text = await all.text();
    for (const secret of [APP_KEY, SECRET, value]) expect(text).not.toContain(secret);
    const calls = (JSON.parse(text) as { calls: Array<Record<string, unknown>> }).calls;
    expect(calls).toEqual([
      {
        host: 'bootstrap',
        path: '/api/hccgw/platform/v1/token/get',
        body: { appKey: '***', secretKey: '***' },
        tokenSent: false,
        errorCode: '0',
        at: START,
      },
      {
        host: 'area',
        path: '/api/hccgw/resource/v1/devices/get',
        body: { pageIndex: 1, pageSize: 100 },
        tokenSent: true,
        errorCode: '0',
        at: START + 5000,
      },
    ]);
    const later = (await (await fetch(`${cloud.url}/__sim/cloud/calls?since=${START + 1}`)).json()) as {
      calls: unknown[];
    };
    expect(later.calls).toEqual([calls[1]]);
  });

  it('answer loopback clients only', () => {
    let status = 0;
    const req = { socket: { remoteAddress: '192.0.2.7' }, method: 'POST', url: '/__sim/cloud/revoke-tokens' };
    const res = {
      writeHead: (code: number) => {
        status = code;
        return res;
      },
      end: () => res,
    };
    const cloud = { revokeTokens: () => expect.unreachable('a remote client changed the cloud') };
    handleCloudControl(
      cloud as unknown as SimCloud,
      req as unknown as IncomingMessage,
      res as unknown as ServerResponse,
      {},
    );
    expect(status).toBe(403);
  });
});
