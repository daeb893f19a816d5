/**
 * The simulated camera's key-frame request: `PUT Streaming/channels/<id>/requestKeyFrame` puts
 * an IDR into the RTSP stream a reader already gets, within seconds, though the encoder's own
 * interval is ten minutes; the stream goes on without a break. A camera flagged without it
 * answers 404 notSupport (or 403) and its video makes no key frame.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { type SimVideo, startSimVideo } from '../../sim/video.ts';
import { mediamtxBinary, until } from '../support/mediamtx.ts';
import { requireTool } from '../support/system-tools.ts';
import { client, PASSWORD } from './helpers.ts';

const KEY_FRAME_101 = '/ISAPI/Streaming/channels/101/requestKeyFrame';
const open: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

async function cameraWithVideo(profile: string): Promise<{ video: SimVideo; device: SimDevice }> {
  const video = await startSimVideo({
    mediamtx: await mediamtxBinary(),
    ffmpeg: requireTool('ffmpeg', 'ffmpeg'),
    username: 'admin',
    password: PASSWORD,
    // Far longer than the test: any key frame a reader sees after joining was asked for.
    keyFrameIntervalSeconds: 600,
    keyFrameRequests: true,
  });
  open.push(() => video.stop());
  const device = await startSimDevice({
    profile,
    password: PASSWORD,
    rtspPort: video.rtspPort,
    heartbeatMs: 0,
  });
  open.push(() => device.close());
  return { video, device };
}

/** Readers of the camera's stream 101 (its own MediaMTX API). */
async function readers(video: SimVideo): Promise<number> {
  const answer = await fetch(`${video.apiUrl}/v3/paths/list`, { signal: AbortSignal.timeout(5000) });
  const items = ((await answer.json()) as { items: Array<{ name: string; readers: unknown[] }> }).items;
  return items.find((item) => item.name === 'Streaming/Channels/101')?.readers.length ?? 0;
}

describe('requestKeyFrame on the simulated camera', () => {
  it('puts an IDR into the running RTSP stream at once', async () => {
    const { video, device } = await cameraWithVideo('camera');
    const ffprobe = requireTool('ffprobe', 'ffmpeg');
    const url = `rtsp://admin:${encodeURIComponent(PASSWORD)}@127.0.0.1:${video.rtspPort}/Streaming/Channels/101`;
    const reader = spawn(ffprobe, [
      ...['-v', 'error', '-rtsp_transport', 'tcp', '-select_streams', 'v', '-show_packets'],
      ...['-show_entries', 'packet=pts_time,flags', '-of', 'csv', url],
    ]);
    open.push(async () => reader.kill('SIGKILL'));
    const packets: string[] = [];
    createInterface({ input: reader.stdout }).on('line', (text) => packets.push(text));
    await until(
      async () => (await readers(video)) === 1,
      20_000,
      () => 'the reader did not join',
    );
    const answer = await client(device).text(KEY_FRAME_101, { method: 'PUT' });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('<statusCode>1</statusCode>');
    expect(video.requestedKeyFrames()).toEqual({ main: 1, sub: 0 });
    // ffprobe shows packets from the first key frame on (it needs one to read the stream at all).
    await until(
      () => packets.some((text) => text.includes(',K')),
      20_000,
      () => 'no key frame came',
    );
    // ...and the stream goes on after it: the next encoder carries on with P frames.
    await until(
      () => packets.filter((text) => !text.includes(',K')).length >= 10,
      20_000,
      () => 'stream stopped',
    );
  }, 90_000);

  for (const status of [404, 403]) {
    it(`answers ${status} on a camera flagged without it, and its video makes no key frame`, async () => {
      const { video, device } = await cameraWithVideo(`camera?requestKeyFrame=${status}`);
      const answer = await client(device).text(KEY_FRAME_101, { method: 'PUT' });
      expect(answer.status).toBe(status);
      expect(answer.body).toContain(status === 404 ? 'notSupport' : 'invalidOperation');
      expect(video.requestedKeyFrames()).toEqual({ main: 0, sub: 0 });
    }, 60_000);
  }

  it('refuses a stream the camera does not have and a GET', async () => {
    const device = await startSimDevice({ profile: 'camera', password: PASSWORD, heartbeatMs: 0 });
    open.push(() => device.close());
    const digest = client(device);
    const status = async (path: string, method: string) => (await digest.text(path, { method })).status;
    expect(await status('/ISAPI/Streaming/channels/109/requestKeyFrame', 'PUT')).toBe(404);
    expect(await status(KEY_FRAME_101, 'GET')).toBe(405);
    // Without a video of its own the device still answers like a camera that has the request.
    expect(await status(KEY_FRAME_101, 'PUT')).toBe(200);
  }, 30_000);
});
