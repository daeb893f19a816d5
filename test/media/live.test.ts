/**
 * Live video end to end with real processes: a simulated camera whose RTSP server (MediaMTX
 * with Digest auth) carries ffmpeg's H.264 test pattern, a gateway that supervises its own
 * MediaMTX, and ffprobe reading decoded frames from the gateway's path. MediaMTX is killed
 * mid-test and must come back with its paths.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimDevice } from '../../sim/index.ts';
import type { SimDevice } from '../../sim/types.ts';
import { API_USER } from '../../src/modules/media/auth-hook.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { launchChromium } from '../support/browser.ts';
import { type CameraVideo, mediaPorts, probeFrames, startCameraVideo, until } from '../support/mediamtx.ts';
import { requireTool } from '../support/system-tools.ts';

const run = promisify(execFile);
// `@` and `#` must be URL-encoded in the RTSP source (a classic cause of camera 401s).
const CAMERA_PASSWORD = 'Cam-P@ss#1';

let video: CameraVideo;
let sim: SimDevice;
let gw: TestGateway;
let ports: Awaited<ReturnType<typeof mediaPorts>>;
let channelId: string;

async function probeRefused(url: string): Promise<string> {
  const ffprobe = requireTool('ffprobe', 'ffmpeg');
  try {
    await run(ffprobe, ['-v', 'error', '-rtsp_transport', 'tcp', url], { timeout: 20_000 });
    return 'played';
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
}

beforeAll(async () => {
  video = await startCameraVideo({ username: 'admin', password: CAMERA_PASSWORD });
  sim = await startSimDevice({
    profile: 'camera',
    username: 'admin',
    password: CAMERA_PASSWORD,
    rtspPort: video.rtspPort,
  });
  ports = await mediaPorts();
  gw = await startTestGateway({ overrides: { media: { ...ports, onDemandCloseAfterSeconds: 2 } } });
  await gw.gateway.media.ready();
  const added = await gw.api('POST', '/api/v1/devices', {
    body: {
      name: 'Front Door',
      host: '127.0.0.1',
      port: sim.port,
      username: 'admin',
      password: CAMERA_PASSWORD,
    },
  });
  expect(added.status).toBe(201);
  const channels = await gw.api('GET', '/api/v1/channels');
  channelId = channels.json[0].id;
  await until(
    async () => (await gw.api('GET', `/api/v1/channels/${channelId}/streams`)).json.length >= 2,
    5000,
    () => 'no streams',
  );
  // MediaMTX gets the paths right after the device change (debounced): wait for them too.
  await until(
    async () => (await gw.gateway.media.mediamtxApi.listPathConfigs()).length === 2,
    10_000,
    () => 'paths not in MediaMTX',
  );
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  await sim?.close();
  await video?.stop();
});

describe('live video through the supervised MediaMTX', () => {
  it('lists each stream with its path, URLs and a browser-playable default', async () => {
    const { json: streams } = await gw.api('GET', `/api/v1/channels/${channelId}/streams`);
    const main = streams.find((stream: { name: string }) => stream.name === 'main');
    expect(main.path).toBe('front-door/main');
    expect(main.urls.rtsp).toMatch(
      new RegExp(`^rtsp://viewer:[^@]+@127\\.0\\.0\\.1:${ports.rtspPort}/front-door/main$`),
    );
    expect(main.urls.whep).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${ports.webrtcPort}/front-door/main/whep\\?token=`),
    );
    expect(main.urls.hls).toContain(`:${ports.hlsPort}/front-door/main/index.m3u8?token=`);
    expect(streams.filter((stream: { default: boolean }) => stream.default)).toHaveLength(1);
    // The camera's password never reaches API output.
    expect(JSON.stringify(streams)).not.toContain(encodeURIComponent(CAMERA_PASSWORD));
    expect(JSON.stringify(streams)).not.toContain(CAMERA_PASSWORD);
  });

  it('configures MediaMTX with an on-demand path per stream, sourced from the camera', async () => {
    const api = gw.gateway.media.mediamtxApi;
    const paths = await api.listPathConfigs();
    const main = paths.find((path) => path.name === 'front-door/main')!;
    expect(main.sourceOnDemand).toBe(true);
    expect(main.rtspTransport).toBe('tcp');
    expect(main.source).toBe(
      `rtsp://admin:${encodeURIComponent(CAMERA_PASSWORD)}@127.0.0.1:${video.rtspPort}/Streaming/Channels/101`,
    );
    expect(paths.map((path) => path.name).sort()).toEqual(['front-door/main', 'front-door/sub']);
    // Nobody watches yet: the camera has not been asked for video.
    const live = await api.getPath('front-door/main');
    expect(live?.ready ?? false).toBe(false);
  });

  it("answers its control API only to the gateway's own per-start credentials", async () => {
    const pathsList = `http://127.0.0.1:${ports.apiPort}/v3/config/paths/list`;
    const basic = (user: string, password: string) =>
      `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const { json: streams } = await gw.api('GET', `/api/v1/channels/${channelId}/streams`);
    const viewerToken = new URL(streams[0].urls.whep).searchParams.get('token')!;
    const reader = new URL(gw.gateway.media.internalRtspUrl('front-door/main'));
    const attempts: Record<string, Record<string, string>> = {
      'no credentials': {},
      'the API user with a guessed password': { authorization: basic(API_USER, 'guess') },
      'the API user with no password': { authorization: basic(API_USER, '') },
      // Credentials that do open other doors of MediaMTX must not open this one.
      "hikbridge's own reader": {
        authorization: basic(decodeURIComponent(reader.username), decodeURIComponent(reader.password)),
      },
      'a viewer token': { authorization: basic('viewer', viewerToken) },
      'an API token': { authorization: `Bearer ${gw.token}` },
    };
    // MediaMTX holds each refusal up to 4 s (against guessing): ask all at once.
    const answers = await Promise.all(
      Object.entries(attempts).map(async ([who, headers]) => {
        const answer = await fetch(pathsList, { headers, signal: AbortSignal.timeout(15_000) });
        return { who, status: answer.status, body: await answer.text() };
      }),
    );
    for (const { who, status, body } of answers) {
      expect({ who, status }).toEqual({ who, status: 401 });
      expect(body).not.toContain('front-door');
      expect(body).not.toContain(encodeURIComponent(CAMERA_PASSWORD));
    }
    // A change without credentials is refused as well, and changes nothing.
    const added = await fetch(`http://127.0.0.1:${ports.apiPort}/v3/config/paths/add/intruder`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'publisher' }),
      signal: AbortSignal.timeout(15_000),
    });
    expect(added.status).toBe(401);
    // The gateway's own client still reads and manages its paths.
    const names = (await gw.gateway.media.mediamtxApi.listPathConfigs()).map((path) => path.name);
    expect(names.sort()).toEqual(['front-door/main', 'front-door/sub']);
    // Nothing is excluded from the hook's judgement, and metrics and pprof stay off.
    expect(await gw.gateway.media.mediamtxApi.globalConfig()).toMatchObject({
      metrics: false,
      pprof: false,
      authHTTPExclude: [],
    });
  }, 40_000);

  it('plays the camera over RTSP with the viewer token; refuses without it', async () => {
    const { json: streams } = await gw.api('GET', `/api/v1/channels/${channelId}/streams`);
    const main = streams.find((stream: { name: string }) => stream.name === 'main');
    const probe = await probeFrames(main.urls.rtsp);
    expect(probe.codec).toBe('h264');
    expect(probe.width).toBe(640);
    expect(probe.frames).toBeGreaterThan(5);

    const bare = `rtsp://127.0.0.1:${ports.rtspPort}/front-door/main`;
    expect(await probeRefused(bare)).toMatch(/401|Unauthorized/i);
    const forged = main.urls.rtsp.replace(/viewer:[^@]+@/, 'viewer:forged.token@');
    expect(await probeRefused(forged)).toMatch(/401|Unauthorized/i);
    // An API token works as the password too (for players configured once).
    const withApiToken = `rtsp://any:${encodeURIComponent(gw.token)}@127.0.0.1:${ports.rtspPort}/front-door/sub`;
    expect((await probeFrames(withApiToken)).width).toBe(320);
  });

  it('comes back with its paths after MediaMTX is killed, and playback resumes', async () => {
    const pid = gw.gateway.media.enginePid!;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await until(
      () => gw.gateway.media.status().restarts >= 1 && gw.gateway.media.status().state === 'running',
      15_000,
      () => `MediaMTX did not come back: ${JSON.stringify(gw.gateway.media.status())}`,
    );
    expect(gw.gateway.media.enginePid).not.toBe(pid);
    const api = gw.gateway.media.mediamtxApi;
    await until(
      async () => (await api.listPathConfigs()).length === 2,
      5000,
      () => 'paths not restored',
    );
    const { json: streams } = await gw.api('GET', `/api/v1/channels/${channelId}/streams`);
    const probe = await probeFrames(
      streams.find((stream: { name: string }) => stream.name === 'main').urls.rtsp,
    );
    expect(probe.frames).toBeGreaterThan(5);
    expect(gw.logs()).toMatch(/MediaMTX was killed by SIGKILL; restarting it/);
    const metrics = await gw.api('GET', '/metrics');
    expect(metrics.text).toMatch(/^hikbridge_media_up 1$/m);
    expect(metrics.text).toMatch(/^hikbridge_media_restarts [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^hikbridge_media_paths 2$/m);
  });

  it('takes the snapshot from the live stream when the camera picture endpoint fails', async () => {
    sim.setFault({ kind: 'status', status: 500, paths: ['/ISAPI/Streaming/channels/101/picture'] });
    try {
      const answer = await fetch(`${gw.url}/api/v1/channels/${channelId}/snapshot.jpg`, {
        headers: { authorization: `Bearer ${gw.token}` },
        signal: AbortSignal.timeout(30_000),
      });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-hikbridge-snapshot-source')).toBe('stream');
      const jpeg = Buffer.from(await answer.arrayBuffer());
      expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
      expect(jpeg.length).toBeGreaterThan(2000);
    } finally {
      sim.clearFaults();
    }
  });

  it('plays in headless Chromium over WebRTC (WHEP) and resumes after MediaMTX is killed', async () => {
    const { json: streams } = await gw.api('GET', `/api/v1/channels/${channelId}/streams`);
    const main = streams.find((stream: { name: string }) => stream.name === 'main');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(main.urls.webrtc);
      // Counts frames the browser actually decoded and presented, across reconnects.
      await page.evaluate(`(() => {
        const video = document.querySelector('video');
        window.presented = 0;
        const tick = () => {
          window.presented += 1;
          video.requestVideoFrameCallback(tick);
        };
        video.requestVideoFrameCallback(tick);
      })()`);
      const presented = () => page.evaluate<number>('window.presented');
      await until(
        async () => (await presented()) >= 15,
        20_000,
        () => 'the browser decoded no video',
      );
      expect(await page.evaluate<number>("document.querySelector('video').videoWidth")).toBe(640);

      process.kill(gw.gateway.media.enginePid!, 'SIGKILL');
      await until(
        () => gw.gateway.media.status().state !== 'running',
        5000,
        () => 'kill not noticed',
      );
      const before = await presented();
      // The page retries by itself; the restarted MediaMTX must have the path again.
      await until(
        async () => (await presented()) >= before + 15,
        30_000,
        () => 'playback did not resume',
      );
    } finally {
      await browser.close();
    }
  }, 90_000);

  it('follows device changes: a removed device loses its paths', async () => {
    const api = gw.gateway.media.mediamtxApi;
    const channel = await gw.api('GET', `/api/v1/channels/${channelId}`);
    const removed = await gw.api('DELETE', `/api/v1/devices/${channel.json.deviceId}`);
    expect(removed.status).toBe(204);
    await until(
      async () => (await api.listPathConfigs()).length === 0,
      5000,
      () => 'paths not removed',
    );
    // The config file holds no camera credentials: paths live only in MediaMTX's memory.
    const file = readFileSync(join(gw.dataDir, 'mediamtx', 'mediamtx.yml'), 'utf8');
    expect(file).not.toContain(CAMERA_PASSWORD);
    expect(file).toContain('authHTTPAddress');
    // Nor did the camera password reach the log (MediaMTX's own lines included).
    expect(gw.logs()).not.toContain(CAMERA_PASSWORD);
    expect(gw.logs()).not.toContain(encodeURIComponent(CAMERA_PASSWORD));
    expect(gw.logs()).toContain('"module":"mediamtx"');
  });
});
