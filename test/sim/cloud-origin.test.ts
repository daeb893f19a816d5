/**
 * The simulated cloud's RTMP origin with real processes: MediaMTX serves RTMP, ffmpeg publishes
 * the test pattern, and ffprobe plays the addresses the cloud hands out. A fresh address plays
 * H.264 at the quality its name asks for; an expired one (the cloud clock moved past a 30 s
 * lifetime) or one with a tampered id is refused, and every play is counted with its reason.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimCloud, startCloudOrigin, startSimCloud } from '../../sim/index.ts';
import { mediamtxBinary } from '../support/mediamtx.ts';
import { requireTool } from '../support/system-tools.ts';

const APP_KEY = 'origin-test-key';
const SECRET = 'Origin-Test-Secret-3';
const SERIAL = 'SIMO000001';
/** A loaded two-core machine: MediaMTX, two encoders and ffprobe share it with other suites. */
const PLAY_BUDGET_MS = 90_000;

let cloud: SimCloud;
let ffprobe: string;
/** Added to the real time: the cloud's clock, moved forward to expire addresses. */
let clockOffsetMs = 0;
let token: string;

beforeAll(async () => {
  const ffmpeg = requireTool('ffmpeg', 'ffmpeg');
  ffprobe = requireTool('ffprobe', 'ffmpeg');
  cloud = await startSimCloud({
    appKey: APP_KEY,
    secretKey: SECRET,
    devices: [
      {
        serialNumber: SERIAL,
        name: 'Origin NVR',
        category: 'NVR',
        cameras: [
          { name: 'Camera 1', channelNo: 1 },
          { name: 'Camera 2', channelNo: 2 },
        ],
      },
    ],
    now: () => Date.now() + clockOffsetMs,
    origin: { mediamtx: await mediamtxBinary(), ffmpeg },
  });
  token = (await post(`${cloud.url}/api/hccgw/platform/v1/token/get`, { appKey: APP_KEY, secretKey: SECRET }))
    .accessToken as string;
}, 60_000);

afterAll(async () => {
  await cloud?.close();
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const answer = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const envelope = (await answer.json()) as { errorCode: string; data: Record<string, unknown> };
  expect(envelope.errorCode).toBe('0');
  return envelope.data;
}

/** A fresh RTMP address of camera `channelNo`, quality 1 (main) or 2 (sub). */
async function address(channelNo: number, quality: 1 | 2, expireTime = 3600): Promise<string> {
  const list = await post(
    `${cloud.areaUrl}/api/hccgw/resource/v1/areas/cameras/get`,
    { pageIndex: 1, pageSize: 10, filter: { deviceSerialNo: SERIAL } },
    { token },
  );
  const camera = (list.camera as Array<{ id: string; device: { channelInfo: { no: number } } }>).find(
    (c) => c.device.channelInfo.no === channelNo,
  )!;
  const live = await post(
    `${cloud.areaUrl}/api/hccgw/video/v1/live/address/get`,
    {
      resourceId: camera.id,
      deviceSerial: SERIAL,
      type: '1',
      protocol: 3,
      quality: String(quality),
      expireTime,
    },
    { token },
  );
  return live.url as string;
}

interface Probe {
  ok: boolean;
  streams: Array<{ codec_name: string; width: number; height: number }>;
  error: string;
}

/** ffprobe as a player: the stream's video, or why it could not be read. */
function probe(args: string[]): Promise<Probe> {
  const base = ['-v', 'error', '-rw_timeout', '15000000', '-show_streams', '-of', 'json'];
  return new Promise((resolve) => {
    execFile(ffprobe, [...base, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) return resolve({ ok: false, streams: [], error: stderr || error.message });
      resolve({
        ok: true,
        streams: (JSON.parse(stdout) as { streams: Probe['streams'] }).streams,
        error: '',
      });
    });
  });
}

function refusedAsUnknown(): number {
  return cloud.origin!.plays.filter((play) => play.reason === 'no address with this id was issued').length;
}

function playsOf(path: string) {
  return cloud.origin!.plays.filter((play) => play.path === path);
}

describe('the RTMP origin', () => {
  it(
    'plays a fresh address: H.264, main or sub by the name’s quality',
    async () => {
      expect(cloud.origin!.rtmpHost).toMatch(/^127\.0\.0\.1:\d+$/);
      const main = await address(1, 1);
      const sub = await address(2, 2);
      expect(main).toMatch(
        new RegExp(`^rtmp://${cloud.origin!.rtmpHost}/v3/openlive/${SERIAL}_1_1\\?expire=`),
      );
      const [mainVideo, subVideo] = await Promise.all([probe([main]), probe([sub])]);
      expect(mainVideo.error).toBe('');
      expect(mainVideo.streams).toMatchObject([{ codec_name: 'h264', width: 640, height: 360 }]);
      expect(subVideo.error).toBe('');
      expect(subVideo.streams).toMatchObject([{ codec_name: 'h264', width: 320, height: 180 }]);
      expect(playsOf(`v3/openlive/${SERIAL}_1_1`)).toMatchObject([
        { accepted: true, reason: 'issued address' },
      ]);
      expect(playsOf(`v3/openlive/${SERIAL}_2_2`)).toMatchObject([{ accepted: true }]);
    },
    PLAY_BUDGET_MS,
  );

  it(
    'plays with the app and stream key given apart (app v3/openlive, key SN_1_2?expire=…), as MediaMTX clients send them',
    async () => {
      const url = new URL(await address(1, 2));
      const streamKey = `${url.pathname.split('/').at(-1)}${url.search}`;
      const video = await probe([
        '-rtmp_app',
        'v3/openlive',
        '-rtmp_playpath',
        streamKey,
        `rtmp://${cloud.origin!.rtmpHost}`,
      ]);
      expect(video.error).toBe('');
      expect(video.streams).toMatchObject([{ codec_name: 'h264', width: 320, height: 180 }]);
    },
    PLAY_BUDGET_MS,
  );

  it(
    'refuses an address that expired on the cloud clock, and one with a tampered id',
    async () => {
      const expiring = await address(2, 1, 30);
      const tampered = (await address(1, 1)).replace(
        /([?&]id=)(\w)/,
        (_, key: string, first: string) => `${key}${first === 'a' ? 'b' : 'a'}`,
      );
      const path = `v3/openlive/${SERIAL}_2_1`;
      const before = playsOf(path).length;
      const forgedBefore = refusedAsUnknown();
      clockOffsetMs += 30_000;
      const [expired, forged] = await Promise.all([probe([expiring]), probe([tampered])]);
      expect(expired.ok).toBe(false);
      expect(expired.streams).toEqual([]);
      expect(forged.ok).toBe(false);
      expect(playsOf(path).slice(before)).toMatchObject([
        { accepted: false, reason: 'the address has expired' },
      ]);
      expect(refusedAsUnknown()).toBe(forgedBefore + 1);
    },
    PLAY_BUDGET_MS,
  );

  it(
    'stops: MediaMTX no longer answers, nothing listens on the RTMP port',
    async () => {
      // An origin of its own, so the other tests keep theirs whatever the order.
      const origin = await startCloudOrigin({
        mediamtx: await mediamtxBinary(),
        ffmpeg: requireTool('ffmpeg', 'ffmpeg'),
        validate: () => false,
      });
      const { apiUrl, rtmpPort } = origin;
      expect((await fetch(`${apiUrl}/v3/info`)).ok).toBe(true);
      expect(await accepts(rtmpPort)).toBe(true);
      await origin.stop();
      await expect(fetch(`${apiUrl}/v3/info`)).rejects.toThrow();
      expect(await accepts(rtmpPort)).toBe(false);
    },
    PLAY_BUDGET_MS,
  );
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
