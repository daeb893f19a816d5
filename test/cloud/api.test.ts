/**
 * The cloud routes through a real gateway (live video off): accounts, syncs, cameras, cloud
 * cameras as channels, and what bad input gets. The gateway's secret scan at stop checks that
 * neither the key, the secret nor a live URL's key ever showed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimCloud, startSimCloud } from '../../sim/index.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { freePort } from '../support/postgres.ts';

const APP_KEY = 'ApiTestAppKey-31f0';
const SECRET = 'ApiTestSecret-8d7e6';

let sim: SimCloud;
let gw: TestGateway;

beforeAll(async () => {
  sim = await startSimCloud({
    appKey: APP_KEY,
    secretKey: SECRET,
    devices: [
      {
        serialNumber: 'A30000001',
        name: 'Depot',
        cameras: [1, 2].map((n) => ({ name: `Depot ${n}`, channelNo: n })),
      },
      { serialNumber: 'A30000002', name: 'Lobby', cameras: [{ name: 'Lobby', channelNo: 1 }] },
    ],
  });
  gw = await startTestGateway({ overrides: { cloud: { defaultBaseUrl: sim.url } } });
  gw.scan.addSecret(APP_KEY);
}, 60_000);

afterAll(async () => {
  for (const issued of sim?.issued ?? [])
    gw?.scan.addSecret(new URL(issued.url).searchParams.get('t') ?? undefined);
  await gw?.stop();
  await sim?.close();
});

async function addAccount(): Promise<string> {
  const added = await gw.api('POST', '/api/v1/cloud/accounts', {
    body: { name: 'Depot', appKey: APP_KEY, secretKey: SECRET, sync: false },
  });
  expect(added.status, added.text).toBe(201);
  return added.json.id;
}

describe('cloud API', () => {
  it('refuses bad input in words and saves nothing', async () => {
    const missing = await gw.api('POST', '/api/v1/cloud/accounts', { body: { name: 'x', appKey: APP_KEY } });
    expect(missing.status).toBe(400);
    const wrong = await gw.api('POST', '/api/v1/cloud/accounts', {
      body: { name: 'x', appKey: APP_KEY, secretKey: 'Wrong-Secret-000' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.message).toMatch(/refused the SecretKey/);
    const closed = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await gw.api('POST', '/api/v1/cloud/accounts', {
      body: { name: 'x', appKey: APP_KEY, secretKey: SECRET, baseUrl: closed },
    });
    expect(unreachable.status).toBe(502);
    expect(unreachable.json.error.message).toMatch(/could not be reached.*Nothing was saved/s);
    const withPassword = await gw.api('POST', '/api/v1/cloud/accounts', {
      body: {
        name: 'x',
        appKey: APP_KEY,
        secretKey: SECRET,
        baseUrl: 'https://user:pw@ieu.hikcentralconnect.com',
      },
    });
    expect(withPassword.status).toBe(400);
    expect(withPassword.json.error.message).toMatch(/must not contain a user name or password/);
    expect((await gw.api('GET', '/api/v1/cloud/accounts')).json).toEqual([]);
  });

  it('adds, syncs, shows and removes an account; its cameras are channels', async () => {
    const id = await addAccount();
    const account = (await gw.api('GET', `/api/v1/cloud/accounts/${id}`)).json;
    expect(account).toMatchObject({ name: 'Depot', appKeyHint: '…31f0', baseUrl: sim.url, quality: 'main' });
    expect(JSON.stringify(account)).not.toContain(APP_KEY);

    const synced = await gw.api('POST', `/api/v1/cloud/accounts/${id}/sync?wait=true`);
    expect(synced.json).toMatchObject({ ok: true, devices: 2, cameras: 3, added: 3 });
    expect((await gw.api('GET', `/api/v1/cloud/accounts/${id}/sync`)).json).toMatchObject({
      phase: 'done',
      addressesTotal: 3,
      addressesDone: 3,
    });
    const started = await gw.api('POST', `/api/v1/cloud/accounts/${id}/sync`);
    expect(started.status).toBe(202);
    expect(started.json.phase).toBeDefined();

    const channels = (await gw.api('GET', '/api/v1/channels')).json as Array<Record<string, unknown>>;
    const lobby = channels.find((channel) => channel.name === 'Lobby')!;
    expect(lobby).toMatchObject({
      source: 'cloud',
      deviceId: id,
      enabled: true,
      streams: [{ id: 'main', codec: 'H.264', browserCompatible: true }],
      cloud: { deviceSerial: 'A30000002', status: 'ok' },
    });
    expect((await gw.api('GET', `/api/v1/channels/${lobby.id}`)).json.id).toBe(lobby.id);
    // Live video is off in this gateway: no streams, but the channel is known.
    expect((await gw.api('GET', `/api/v1/channels/${lobby.id}/streams`)).status).toBe(200);

    const override = await gw.api('PATCH', `/api/v1/channels/${lobby.id}`, {
      body: { snapshotUrlOverride: 'http://10.0.0.9/pic.jpg' },
    });
    expect(override.status).toBe(400);
    expect(override.json.error.message).toMatch(/not a setting of a cloud camera/);
    const off = await gw.api('PATCH', `/api/v1/channels/${lobby.id}`, { body: { enabled: false } });
    expect(off.json.enabled).toBe(false);
    expect((await gw.api('GET', `/api/v1/cloud/cameras/${lobby.id}`)).json.status).toBe('disabled');
    await gw.api('PATCH', `/api/v1/channels/${lobby.id}`, { body: { enabled: true } });

    const renamed = await gw.api('PATCH', `/api/v1/cloud/accounts/${id}`, {
      body: { name: 'Depot and lobby' },
    });
    expect(renamed.json.name).toBe('Depot and lobby');
    const badSecret = await gw.api('PATCH', `/api/v1/cloud/accounts/${id}`, {
      body: { secretKey: 'Not-The-Secret-1' },
    });
    expect(badSecret.status).toBe(400);
    expect((await gw.api('POST', `/api/v1/cloud/accounts/${id}/sync?wait=true`)).json.ok).toBe(true);

    const health = (await gw.api('GET', '/health')).json;
    expect(JSON.stringify(health)).toContain('"cloud"');

    expect((await gw.api('DELETE', `/api/v1/cloud/accounts/${id}`)).status).toBe(204);
    expect((await gw.api('GET', `/api/v1/cloud/accounts/${id}`)).status).toBe(404);
    const after = (await gw.api('GET', '/api/v1/channels')).json as Array<{ source: string }>;
    expect(after.filter((channel) => channel.source === 'cloud')).toEqual([]);
  });

  it('switches quality, and deletes only cameras the cloud no longer lists', async () => {
    const id = await addAccount();
    await gw.api('POST', `/api/v1/cloud/accounts/${id}/sync?wait=true`);
    const cameras = (await gw.api('GET', `/api/v1/cloud/cameras?accountId=${id}`)).json as Array<{
      id: string;
      name: string;
    }>;
    const depot2 = cameras.find((camera) => camera.name === 'Depot 2')!;
    const sub = await gw.api('PATCH', `/api/v1/cloud/cameras/${depot2.id}`, { body: { quality: 'sub' } });
    expect(sub.json).toMatchObject({ quality: 'sub', qualityOverride: 'sub' });
    const deadline = Date.now() + 10_000;
    while ((await gw.api('GET', `/api/v1/cloud/cameras/${depot2.id}`)).json.status !== 'ok') {
      if (Date.now() > deadline) throw new Error('no sub-stream URL');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(sim.issued.at(-1)!.url).toContain('A30000001_2_2');

    expect((await gw.api('DELETE', `/api/v1/cloud/cameras/${depot2.id}`)).status).toBe(409);
    sim.removeCamera('A30000001', 2);
    expect((await gw.api('POST', `/api/v1/cloud/accounts/${id}/sync?wait=true`)).json.removed).toBe(1);
    expect((await gw.api('GET', `/api/v1/cloud/cameras/${depot2.id}`)).json.status).toBe('removed');
    expect((await gw.api('DELETE', `/api/v1/cloud/cameras/${depot2.id}`)).status).toBe(204);
    expect((await gw.api('GET', `/api/v1/cloud/cameras/${depot2.id}`)).status).toBe(404);
    const streamCode = await gw.api('PATCH', `/api/v1/cloud/cameras/${cameras[0]!.id}`, {
      body: { streamCode: 'not a code!' },
    });
    expect(streamCode.status).toBe(400);
    await gw.api('DELETE', `/api/v1/cloud/accounts/${id}`);
  });
});
