/**
 * Cloud cameras end to end with real processes: the simulated HikCentral Connect cloud (3
 * devices, 20 cameras) with its RTMP origin (a MediaMTX of its own that refuses expired URLs),
 * a gateway with its own MediaMTX, ffmpeg/ffprobe over RTSP and headless Chromium over WebRTC.
 * URLs and tokens live seconds here, so a viewer's session crosses several of each.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callsInBusiestSecond, type SimCloud, type SimCloudDevice, startSimCloud } from '../../sim/index.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { launchChromium } from '../support/browser.ts';
import { mediamtxBinary, mediaPorts, probeFrames, until } from '../support/mediamtx.ts';
import { requireTool } from '../support/system-tools.ts';

const APP_KEY = 'LiveTestAppKey-7c1d';
const SECRET = 'LiveTestSecret-5e2a9';
// 20 cameras renewed every 0.7 x 16 s: under 2 calls a second, well inside the account's 5.
const URL_LIFETIME_SECONDS = 16;
const TOKEN_LIFETIME_SECONDS = 12;

let sim: SimCloud;
let gw: TestGateway;
let accountId: string;

function fleet(): SimCloudDevice[] {
  const cameras = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ name: `Cam ${i + 1}`, channelNo: i + 1 }));
  return [
    { serialNumber: 'L20000001', name: 'Warehouse NVR', category: 'NVR', cameras: cameras(8) },
    { serialNumber: 'L20000002', name: 'Shop NVR', category: 'NVR', cameras: cameras(8) },
    { serialNumber: 'L20000003', name: 'Office NVR', category: 'NVR', cameras: cameras(4) },
  ];
}

/** The most calls the cloud saw within any one second. */
function maxCallsInAnySecond(): number {
  return callsInBusiestSecond(sim.calls.map((call) => call.at));
}

async function streamsOf(channelId: string) {
  const answer = await gw.api('GET', `/api/v1/channels/${channelId}/streams`);
  expect(answer.status).toBe(200);
  return answer.json as Array<{ path: string; codec: string; urls: Record<string, string> }>;
}

/** A viewer that keeps reading: ffmpeg decoding to nowhere, reporting its frame count. */
function startViewer(url: string): {
  frames: () => number;
  process: ChildProcess;
  stop: () => Promise<void>;
} {
  const ffmpeg = requireTool('ffmpeg', 'ffmpeg');
  const child = spawn(
    ffmpeg,
    [
      '-v',
      'error',
      '-rtsp_transport',
      'tcp',
      '-i',
      url,
      '-f',
      'null',
      '-',
      '-progress',
      'pipe:1',
      '-stats_period',
      '0.5',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let frames = 0;
  child.stdout!.on('data', (chunk: Buffer) => {
    for (const match of chunk.toString().matchAll(/^frame=(\d+)$/gm)) frames = Number(match[1]);
  });
  child.stderr!.resume();
  return {
    frames: () => frames,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

beforeAll(async () => {
  const ffmpeg = requireTool('ffmpeg', 'ffmpeg');
  sim = await startSimCloud({
    appKey: APP_KEY,
    secretKey: SECRET,
    devices: fleet(),
    tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS,
    maxUrlLifetimeSeconds: URL_LIFETIME_SECONDS,
    origin: { mediamtx: await mediamtxBinary(), ffmpeg },
  });
  gw = await startTestGateway({
    overrides: {
      media: { ...(await mediaPorts()), onDemandCloseAfterSeconds: 2 },
      cloud: { defaultBaseUrl: sim.url, urlLifetimeSeconds: 30, renewAtFraction: 0.7 },
    },
  });
  gw.scan.addSecret(APP_KEY);
  gw.scan.addSecret(SECRET);
  await gw.gateway.media.ready();
  const added = await gw.api('POST', '/api/v1/cloud/accounts', {
    body: { name: 'Stores', appKey: APP_KEY, secretKey: SECRET, sync: false },
  });
  expect(added.status).toBe(201);
  accountId = added.json.id;
}, 180_000);

afterAll(async () => {
  // The live URLs' keys must not show anywhere the gateway let out (checked when it stops).
  for (const issued of sim?.issued ?? []) {
    const query = new URL(issued.url).searchParams;
    gw?.scan.addSecret(query.get('t') ?? undefined);
    gw?.scan.addSecret(new URL(issued.url).search.slice(1));
  }
  await gw?.stop();
  await sim?.close();
}, 60_000);

describe('cloud cameras through hikbridge', () => {
  it('imports 20 cameras from 3 devices and lists them as channels with paths', async () => {
    const synced = await gw.api('POST', `/api/v1/cloud/accounts/${accountId}/sync?wait=true`);
    expect(synced.status).toBe(200);
    expect(synced.json).toMatchObject({ ok: true, devices: 3, cameras: 20, added: 20, failed: 0 });
    const channels = (await gw.api('GET', '/api/v1/channels')).json as Array<{ id: string; source: string }>;
    expect(channels.filter((channel) => channel.source === 'cloud')).toHaveLength(20);
    await until(
      async () => (await gw.gateway.media.mediamtxApi.listPathConfigs()).length === 20,
      15_000,
      () => 'cloud paths not in MediaMTX',
    );
    expect(maxCallsInAnySecond()).toBeLessThanOrEqual(5);
  }, 120_000);

  it('plays a cloud camera over RTSP while its URL and the token expire several times', async () => {
    const cameras = (await gw.api('GET', `/api/v1/cloud/cameras?accountId=${accountId}`)).json as Array<{
      id: string;
      resourceId: string;
    }>;
    const camera = cameras[0]!;
    const [stream] = await streamsOf(camera.id);
    expect(stream!.codec).toBe('H.264');
    expect(await probeFrames(stream!.urls.rtsp!)).toMatchObject({
      codec: 'h264',
      frames: expect.any(Number),
    });

    const viewer = startViewer(stream!.urls.rtsp!);
    try {
      await until(
        () => viewer.frames() > 15,
        30_000,
        () => 'the viewer got no frames',
      );
      const acceptedBefore = sim.origin!.plays.filter((play) => play.accepted).length;
      const renewalsBefore = sim.issued.filter((each) => each.resourceId === camera.resourceId).length;
      const tokensBefore = sim.calls.filter((call) => call.path.includes('token')).length;
      const framesBefore = viewer.frames();
      // Three renewals (over two URL lifetimes) and a token's expiry pass while the viewer watches.
      await until(
        () =>
          sim.issued.filter((each) => each.resourceId === camera.resourceId).length >= renewalsBefore + 3 &&
          sim.calls.filter((call) => call.path.includes('token')).length >= tokensBefore + 1,
        90_000,
        () => 'URLs or the token were not renewed while the viewer watched',
      );
      expect(viewer.process.exitCode).toBeNull();
      // Playback went on: frames kept coming, and the origin saw no new play for this camera
      // (a changed path source would have made MediaMTX connect again).
      const framesAfter = viewer.frames();
      expect(framesAfter - framesBefore).toBeGreaterThan(100);
      await until(
        () => viewer.frames() > framesAfter,
        10_000,
        () => 'frames stopped',
      );
      const replays = sim
        .origin!.plays.slice(acceptedBefore)
        .filter((play) => play.path.includes('L20000001_1_'));
      expect(replays.filter((play) => play.accepted)).toHaveLength(0);
      expect(gw.gateway.cloud.sources.pendingCount).toBe(1);
    } finally {
      await viewer.stop();
    }
    // Nobody watches: the renewed URL goes to MediaMTX, and a new viewer plays at once.
    await until(
      () => gw.gateway.cloud.sources.pendingCount === 0,
      20_000,
      () => 'renewed URL never applied',
    );
    // A fresh on-demand pull from the relay: on a loaded machine its start can time out once
    // (MediaMTX then answers 400), so it gets a few tries; what matters is the renewed URL plays.
    let frames = 0;
    await until(
      async () => {
        frames = (await probeFrames(stream!.urls.rtsp!)).frames;
        return frames > 0;
      },
      60_000,
      () => 'the renewed URL does not play',
    );
    expect(frames).toBeGreaterThan(0);
    expect(maxCallsInAnySecond()).toBeLessThanOrEqual(5);
  }, 240_000);

  it('plays another cloud camera in headless Chromium over WebRTC', async () => {
    const cameras = (await gw.api('GET', `/api/v1/cloud/cameras?accountId=${accountId}`)).json as Array<{
      id: string;
    }>;
    const [stream] = await streamsOf(cameras[12]!.id);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(stream!.urls.webrtc!);
      await page.evaluate(`(() => {
        const video = document.querySelector('video');
        window.presented = 0;
        const tick = () => { window.presented += 1; video.requestVideoFrameCallback(tick); };
        video.requestVideoFrameCallback(tick);
      })()`);
      await until(
        async () => (await page.evaluate<number>('window.presented')) >= 15,
        30_000,
        () => 'Chromium presented no frames',
      );
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('takes a snapshot from the stream, and the old initialize route answers viewer URLs', async () => {
    const cameras = (await gw.api('GET', `/api/v1/cloud/cameras?accountId=${accountId}`)).json as Array<{
      id: string;
    }>;
    const picture = await fetch(`${gw.url}/api/v1/channels/${cameras[3]!.id}/snapshot.jpg`, {
      headers: { authorization: `Bearer ${gw.token}` },
      signal: AbortSignal.timeout(30_000),
    });
    expect(picture.status).toBe(200);
    expect(picture.headers.get('x-hikbridge-snapshot-source')).toBe('stream');
    const jpeg = Buffer.from(await picture.arrayBuffer());
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));

    const initialized = await gw.api('POST', '/api/hikvision/initialize');
    expect(initialized.status).toBe(200);
    expect(initialized.json.accounts).toEqual([{ id: accountId, name: 'Stores', ok: true, error: null }]);
    expect(initialized.json.cameras).toHaveLength(20);
    for (const camera of initialized.json.cameras) {
      expect(camera.viewerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[a-z0-9-]+\/main\/\?token=/);
      expect(camera.rtsp).toMatch(/^rtsp:\/\//);
    }
    const openapi = (await gw.api('GET', '/api/v1/openapi.json')).json as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/api/hikvision/initialize',
        '/api/v1/cloud/accounts',
        '/api/v1/cloud/accounts/{id}/sync',
      ]),
    );
    expect(maxCallsInAnySecond()).toBeLessThanOrEqual(5);
  }, 120_000);
});
