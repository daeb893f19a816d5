/**
 * Kept-warm channels: `PATCH /api/v1/channels/{id} {keepWarm: true}` makes MediaMTX pull the
 * stream the live wall shows (the H.264 sub stream) all the time, so a viewer starts at once;
 * switched off, the path is on demand again and the camera is left alone. Real MediaMTX, a
 * simulated camera with real video.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveProfile, startSimDevice } from '../../sim/index.ts';
import type { SimDevice, SimProfile } from '../../sim/types.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { type CameraVideo, mediaPorts, startCameraVideo, until } from '../support/mediamtx.ts';

const PASSWORD = 'Cam-Pass-2';
let video: CameraVideo;
let sim: SimDevice;
let gw: TestGateway;
let channelId: string;

/** The built-in camera with both streams in H.264. */
function h264Camera(): SimProfile {
  const profile = structuredClone(resolveProfile('camera'));
  const main = (
    profile.isapi['Streaming/channels/101'] as { response: Record<string, Record<string, unknown>> }
  ).response.StreamingChannel!.Video as Record<string, string>;
  main.videoCodecType = 'H.264';
  return profile;
}

const subPath = () =>
  gw.gateway.media.mediamtxApi.listPathConfigs().then((all) => all.find((p) => p.name.endsWith('/sub')));
const livePath = async (name: string) => gw.gateway.media.mediamtxApi.getPath(name);

beforeAll(async () => {
  video = await startCameraVideo({ username: 'admin', password: PASSWORD });
  sim = await startSimDevice({
    profile: h264Camera(),
    username: 'admin',
    password: PASSWORD,
    rtspPort: video.rtspPort,
  });
  gw = await startTestGateway({
    overrides: { media: { ...(await mediaPorts()), onDemandCloseAfterSeconds: 1 } },
  });
  await gw.gateway.media.ready();
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name: 'Porch', host: '127.0.0.1', port: sim.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  channelId = (await gw.api('GET', `/api/v1/devices/${added.json.id}/channels`)).json[0].id;
  await until(
    async () => (await subPath()) !== undefined,
    15_000,
    () => 'no sub path in MediaMTX',
  );
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  await sim?.close();
  await video?.stop();
});

it('keeps the sub stream running with no viewer, and lets it go when switched off', async () => {
  const before = await subPath();
  expect(before?.sourceOnDemand).toBe(true);
  expect((await gw.api('GET', `/api/v1/channels/${channelId}`)).json.keepWarm).toBe(false);

  const on = await gw.api('PATCH', `/api/v1/channels/${channelId}`, { body: { keepWarm: true } });
  expect(on.status, on.text).toBe(200);
  expect(on.json.keepWarm).toBe(true);
  await until(
    async () => (await subPath())?.sourceOnDemand === false,
    15_000,
    () => 'sub path still on demand',
  );
  const name = (await subPath())!.name;
  // Nobody watches, yet MediaMTX has the camera's stream ready; the main stream stays on demand.
  await until(
    async () => (await livePath(name))?.ready === true,
    20_000,
    () => 'kept-warm path not ready',
  );
  expect((await livePath(name))?.readers).toEqual([]);
  const main = (await gw.gateway.media.mediamtxApi.listPathConfigs()).find((p) => p.name.endsWith('/main'));
  expect(main?.sourceOnDemand).toBe(true);

  const off = await gw.api('PATCH', `/api/v1/channels/${channelId}`, { body: { keepWarm: false } });
  expect(off.json.keepWarm).toBe(false);
  await until(
    async () => (await subPath())?.sourceOnDemand === true,
    15_000,
    () => 'sub path still always on',
  );
  await until(
    async () => (await livePath(name))?.ready !== true,
    20_000,
    () => 'path still pulling the camera',
  );
}, 90_000);

it('refuses a keepWarm that is not a boolean, changing nothing', async () => {
  const bad = await gw.api('PATCH', `/api/v1/channels/${channelId}`, { body: { keepWarm: 'yes' } });
  expect(bad.status).toBe(400);
  expect(bad.json.error.message).toMatch(/keepWarm/);
  expect((await gw.api('GET', `/api/v1/channels/${channelId}`)).json.keepWarm).toBe(false);
});
