/**
 * Real MediaMTX and ffmpeg for the live-video suites: the binary hikbridge provisions, and a
 * "camera" RTSP server — a separate MediaMTX with Digest auth, like a Hikvision device — into
 * which ffmpeg publishes an H.264 test pattern at the camera's own paths
 * (`/Streaming/Channels/101`, `/102`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { provisionMediamtx } from '../../src/modules/media/provision.ts';
import { MediamtxApi } from '../../src/protocols/mediamtx/api.ts';
import { freePort } from './postgres.ts';
import { requireTool } from './system-tools.ts';

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

export interface CameraVideo {
  rtspPort: number;
  /** Publishes (again) after stop/start of the publisher. */
  publishers: ChildProcess[];
  stop(): Promise<void>;
}

export interface CameraVideoOptions {
  username: string;
  password: string;
  /** Streams to publish: id -> size; default 101 at 640x360 and 102 at 320x180. */
  streams?: Record<string, { width: number; height: number; codec?: 'h264' | 'h265' }>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
}

/** A camera's RTSP server with moving test video; ready when every stream is being published. */
export async function startCameraVideo(options: CameraVideoOptions): Promise<CameraVideo> {
  const ffmpeg = requireTool('ffmpeg', 'ffmpeg');
  const binary = await mediamtxBinary();
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-camvideo-'));
  const rtspPort = await freePort();
  const apiPort = await freePort();
  const config = {
    logLevel: 'warn',
    api: true,
    apiAddress: `127.0.0.1:${apiPort}`,
    rtspAddress: `127.0.0.1:${rtspPort}`,
    rtspTransports: ['tcp'],
    // Hikvision cameras ask for Digest.
    rtspAuthMethods: ['digest'],
    authMethod: 'internal',
    authInternalUsers: [
      { user: options.username, pass: options.password, ips: [], permissions: [{ action: 'read' }] },
      { user: 'any', pass: '', ips: ['127.0.0.1'], permissions: [{ action: 'publish' }, { action: 'api' }] },
    ],
    rtmp: false,
    hls: false,
    webrtc: false,
    srt: false,
    moq: false,
    paths: { all_others: {} },
  };
  const file = join(dir, 'camera.yml');
  writeFileSync(file, stringify(config));
  const server = spawn(binary, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let serverLog = '';
  server.stdout!.on('data', (chunk: Buffer) => {
    serverLog = (serverLog + chunk.toString()).slice(-4000);
  });
  const api = new MediamtxApi({ baseUrl: `http://127.0.0.1:${apiPort}`, timeoutMs: 1000 });
  const streams = options.streams ?? {
    '101': { width: 640, height: 360 },
    '102': { width: 320, height: 180 },
  };
  const publishers: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(publishers.map(stopChild));
    await stopChild(server);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      () => api.info().then(() => true),
      10_000,
      () => `camera MediaMTX did not start: ${serverLog}`,
    );
    for (const [id, size] of Object.entries(streams)) {
      const encoder =
        size.codec === 'h265' ? ['-c:v', 'libx265', '-x265-params', 'log-level=error'] : ['-c:v', 'libx264'];
      const args = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi'];
      args.push('-i', `testsrc2=size=${size.width}x${size.height}:rate=15`);
      args.push(
        ...encoder,
        '-preset',
        'ultrafast',
        '-tune',
        'zerolatency',
        '-g',
        '15',
        '-pix_fmt',
        'yuv420p',
      );
      args.push(
        '-f',
        'rtsp',
        '-rtsp_transport',
        'tcp',
        `rtsp://127.0.0.1:${rtspPort}/Streaming/Channels/${id}`,
      );
      publishers.push(spawn(ffmpeg, args, { stdio: 'ignore' }));
    }
    await until(
      async () => {
        const ready = (await api.listPaths()).filter((path) => path.ready).map((path) => path.name);
        return Object.keys(streams).every((id) => ready.includes(`Streaming/Channels/${id}`));
      },
      15_000,
      () => `ffmpeg did not publish the test pattern: ${serverLog}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { rtspPort, publishers, stop };
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
