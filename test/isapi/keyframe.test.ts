/**
 * The key-frame request over ISAPI (src/protocols/isapi/keyframe.ts) against the simulated
 * camera and its real video: the device accepts it and its encoder makes a key frame; a device
 * without it (404 notSupport) or an account without the right (403) is told apart from a device
 * that merely failed; a device that does not answer costs no more than the short timeout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { type SimVideo, startSimVideo } from '../../sim/video.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import { NotSupportedError, PermissionDeniedError } from '../../src/protocols/isapi/errors.ts';
import {
  keyFrameRequestPath,
  lacksKeyFrameRequest,
  requestKeyFrame,
} from '../../src/protocols/isapi/keyframe.ts';
import { mediamtxBinary } from '../support/mediamtx.ts';
import { requireTool } from '../support/system-tools.ts';

const PASSWORD = 'Key-Frame-42';
const open: Array<{ close(): Promise<void> } | { stop(): Promise<void> }> = [];

afterEach(async () => {
  for (const each of open.splice(0).reverse()) await ('close' in each ? each.close() : each.stop());
});

async function camera(
  profile = 'camera',
  video?: SimVideo,
): Promise<{ device: SimDevice; client: IsapiClient }> {
  const device = await startSimDevice({
    profile,
    password: PASSWORD,
    heartbeatMs: 0,
    ...(video ? { rtspPort: video.rtspPort } : {}),
  });
  open.push(device);
  const client = new IsapiClient({ baseUrl: device.url, username: 'admin', password: PASSWORD });
  open.push(client);
  return { device, client };
}

const keyFrameRequests = (device: SimDevice) =>
  device.requests.filter((each) => each.path.endsWith('/requestKeyFrame') && each.authorized);

describe('requestKeyFrame', () => {
  it('names the stream resource and refuses ids that are none', () => {
    expect(keyFrameRequestPath(101)).toBe('/ISAPI/Streaming/channels/101/requestKeyFrame');
    expect(keyFrameRequestPath(1202)).toBe('/ISAPI/Streaming/channels/1202/requestKeyFrame');
    expect(() => keyFrameRequestPath(0)).toThrow(RangeError);
    expect(() => keyFrameRequestPath(1.5)).toThrow(RangeError);
  });

  it('is accepted by a camera that has it, whose encoder then makes a key frame', async () => {
    const video = await startSimVideo({
      mediamtx: await mediamtxBinary(),
      ffmpeg: requireTool('ffmpeg', 'ffmpeg'),
      username: 'admin',
      password: PASSWORD,
      keyFrameRequests: true,
    });
    open.push(video);
    const { device, client } = await camera('camera', video);
    await requestKeyFrame(client, 102);
    expect(video.requestedKeyFrames()).toEqual({ main: 0, sub: 1 });
    await requestKeyFrame(client, 101);
    expect(video.requestedKeyFrames()).toEqual({ main: 1, sub: 1 });
    expect(keyFrameRequests(device).map(({ method, status }) => ({ method, status }))).toEqual([
      { method: 'PUT', status: 200 },
      { method: 'PUT', status: 200 },
    ]);
  }, 60_000);

  it('tells "the device lacks it" (404 notSupport, 403) from other failures', async () => {
    for (const [status, kind] of [
      [404, NotSupportedError],
      [403, PermissionDeniedError],
    ] as const) {
      const { device, client } = await camera(`camera?requestKeyFrame=${status}`);
      const error = await requestKeyFrame(client, 101).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(kind);
      expect(lacksKeyFrameRequest(error)).toBe(true);
      expect(keyFrameRequests(device).map((each) => each.status)).toEqual([status]);
    }
    // A stream the camera does not have is "no such resource" too.
    const { client } = await camera();
    expect(lacksKeyFrameRequest(await requestKeyFrame(client, 109).catch((caught: unknown) => caught))).toBe(
      true,
    );
  }, 60_000);

  it('gives up after its short timeout on a device that does not answer, and that is no "lacks it"', async () => {
    const { device, client } = await camera();
    device.setFault({ kind: 'stall', paths: ['/ISAPI/Streaming/channels/101/requestKeyFrame'] });
    const started = Date.now();
    const error = await requestKeyFrame(client, 101, { timeoutMs: 300 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(lacksKeyFrameRequest(error)).toBe(false);
    // The timeout, not the client's default (seconds): generous for a loaded machine.
    expect(Date.now() - started).toBeLessThan(3000);
  }, 30_000);
});
