/**
 * Real MediaMTX and ffmpeg for the live-video suites: the binary hikbridge provisions, free
 * ports for it, and the simulated camera's RTSP video (sim/video.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type SimVideo, startSimVideo } from '../../sim/video.ts';
import { provisionMediamtx } from '../../src/modules/media/provision.ts';
import { freePort } from './postgres.ts';
import { requireTool } from './system-tools.ts';

const run = promisify(execFile);

/** The MediaMTX the gateway would use (the global setup has built it if it was missing). */
export async function mediamtxBinary(): Promise<string> {
  return (await provisionMediamtx()).path;
}

/** Free ports for one gateway's MediaMTX, as `media` config overrides. */
export async function mediaPorts(): Promise<{
  apiPort: number;
  rtspPort: number;
  webrtcPort: number;
  webrtcUdpPort: number;
  hlsPort: number;
}> {
  return {
    apiPort: await freePort(),
    rtspPort: await freePort(),
    webrtcPort: await freePort(),
    webrtcUdpPort: await freePort(),
    hlsPort: await freePort(),
  };
}

export type CameraVideo = SimVideo;

/** A camera's RTSP server with moving test video (see sim/video.ts). */
export async function startCameraVideo(options: { username: string; password: string }): Promise<SimVideo> {
  const ffmpeg = requireTool('ffmpeg', 'ffmpeg');
  return startSimVideo({ ...options, mediamtx: await mediamtxBinary(), ffmpeg });
}

export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  message: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${message()}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
}

/** Decoded video frames ffprobe reads from `url` in about two seconds. */
export async function probeFrames(url: string): Promise<{ codec: string; width: number; frames: number }> {
  const ffprobe = requireTool('ffprobe', 'ffmpeg');
  const answer = await run(
    ffprobe,
    [
      '-v',
      'error',
      '-rtsp_transport',
      'tcp',
      '-select_streams',
      'v:0',
      '-read_intervals',
      '%+2',
      '-count_frames',
      '-show_entries',
      'stream=codec_name,width,nb_read_frames',
      '-of',
      'json',
      url,
    ],
    { timeout: 30_000 },
  );
  const stream = (JSON.parse(answer.stdout) as { streams: Array<Record<string, string | number>> })
    .streams[0]!;
  return {
    codec: String(stream.codec_name),
    width: Number(stream.width),
    frames: Number(stream.nb_read_frames),
  };
}
