/**
 * Key-frame requests when a viewer joins (src/modules/media/key-frames.ts), with real processes:
 * a gateway supervising its MediaMTX, two simulated cameras on one simulated video (one has the
 * ISAPI key-frame request, one answers 404 like firmware without it), and ffmpeg viewers reading
 * a frame through the gateway. A viewer's join costs the camera exactly one request, which its
 * encoder honours; a camera that answered 404 is not asked again.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimDevice } from '../../sim/index.ts';
import type { SimDevice } from '../../sim/types.ts';
import { type SimVideo, startSimVideo } from '../../sim/video.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { mediamtxBinary, mediaPorts, until } from '../support/mediamtx.ts';
import { requireTool } from '../support/system-tools.ts';

const run = promisify(execFile);
const PASSWORD = 'Key-Frame-Cam-1';

let video: SimVideo;
let withRequest: SimDevice;
let without: SimDevice;
let gw: TestGateway;

async function addCamera(name: string, device: SimDevice): Promise<{ deviceId: string; rtsp: string }> {
  const body = { name, host: '127.0.0.1', port: device.port, username: 'admin', password: PASSWORD };
  const added = await gw.api('POST', '/api/v1/devices', { body });
  expect(added.status).toBe(201);
  const channels = await gw.api('GET', `/api/v1/devices/${added.json.id}/channels`);
  const channelId = channels.json[0].id;
  let rtsp = '';
  await until(
    async () => {
      const streams = (await gw.api('GET', `/api/v1/channels/${channelId}/streams`)).json;
      const main = streams.find((stream: { streamNo: number }) => stream.streamNo === 1);
      rtsp = main?.urls.rtsp ?? '';
      const live = main && (await gw.gateway.media.mediamtxApi.getPath(main.path));
      return live !== null && live !== undefined;
    },
    15_000,
    () => `no path for ${name}`,
  );
  return { deviceId: added.json.id, rtsp };
}

/** A viewer that decodes one frame and leaves (retried while the path is still being added). */
async function watchOneFrame(url: string): Promise<void> {
  const ffmpeg = requireTool('ffmpeg', 'ffmpeg');
  const args = ['-v', 'error', '-rtsp_transport', 'tcp', '-i', url, '-frames:v', '1', '-f', 'null', '-'];
  await run(ffmpeg, args, { timeout: 30_000 });
}

const keyFrameRequests = (device: SimDevice) =>
  device.requests.filter((each) => each.path.endsWith('/requestKeyFrame') && each.authorized);

/** Every watch and request of the gateway's key-frame requester has finished. */
async function settled(): Promise<void> {
  await until(
    () => gw.gateway.media.keyFrames.pending() === 0,
    30_000,
    () => 'key-frame watches still open',
  );
}

beforeAll(async () => {
  video = await startSimVideo({
    mediamtx: await mediamtxBinary(),
    ffmpeg: requireTool('ffmpeg', 'ffmpeg'),
    username: 'admin',
    password: PASSWORD,
    keyFrameIntervalSeconds: 2,
    keyFrameRequests: true,
  });
  const camera = (profile: string, serialNumber: string) =>
    startSimDevice({ profile, serialNumber, password: PASSWORD, rtspPort: video.rtspPort, heartbeatMs: 0 });
  withRequest = await camera('camera', 'DS-2CD2386G2-IU20240101AAWRKF0001');
  // Another camera of the same model (its own serial number), on firmware without the request.
  without = await camera('camera?requestKeyFrame=404', 'DS-2CD2386G2-IU20240101AAWRKF0002');
  gw = await startTestGateway({
    overrides: { media: { ...(await mediaPorts()), onDemandCloseAfterSeconds: 1 } },
  });
  await gw.gateway.media.ready();
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  await withRequest?.close();
  await without?.close();
  await video?.stop();
});

describe('a viewer joining a camera path', () => {
  it('makes the gateway ask the camera for a key frame exactly once, which the camera makes', async () => {
    const camera = await addCamera('Has Key Frames', withRequest);
    const before = video.requestedKeyFrames().main;
    await watchOneFrame(camera.rtsp);
    await until(
      () => keyFrameRequests(withRequest).length > 0,
      20_000,
      () => 'no key-frame request',
    );
    await settled();
    const requests = keyFrameRequests(withRequest);
    expect(requests.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: 'PUT', path: '/ISAPI/Streaming/channels/101/requestKeyFrame', status: 200 },
    ]);
    expect(video.requestedKeyFrames().main).toBe(before + 1);
    expect(gw.gateway.media.keyFrames.lacks(camera.deviceId)).toBe(false);
  }, 90_000);

  it('asks a camera that answered 404 no more, and its viewers still get their picture', async () => {
    const camera = await addCamera('No Key Frames', without);
    await watchOneFrame(camera.rtsp);
    await until(
      () => keyFrameRequests(without).length > 0,
      20_000,
      () => 'no key-frame request',
    );
    await settled();
    expect(keyFrameRequests(without).map((each) => each.status)).toEqual([404]);
    expect(gw.gateway.media.keyFrames.lacks(camera.deviceId)).toBe(true);
    // Later viewers, cold and warm, wait for the camera's own key frames: no request goes out.
    await watchOneFrame(camera.rtsp);
    const keeper = run(requireTool('ffmpeg', 'ffmpeg'), [
      ...['-v', 'error', '-rtsp_transport', 'tcp', '-i', camera.rtsp, '-t', '4', '-f', 'null', '-'],
    ]);
    await watchOneFrame(camera.rtsp);
    await keeper;
    await settled();
    expect(keyFrameRequests(without)).toHaveLength(1);
  }, 90_000);
});
