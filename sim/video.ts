/**
 * Real video for simulated devices: a camera-side RTSP server (a MediaMTX of its own, with
 * Digest auth like a Hikvision device) serving `/Streaming/Channels/<id>` for every channel,
 * fed by ffmpeg test patterns. Stream ids ending in 01 get the main pattern, the others the
 * small sub-stream pattern; they are relayed on demand, so 16 channels cost two encoders.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './net.ts';
import { stopChild } from './process.ts';

export interface SimVideoOptions {
  /** The MediaMTX executable. */
  mediamtx: string;
  /** The ffmpeg executable (default `ffmpeg`). */
  ffmpeg?: string;
  /** Camera credentials viewers (hikbridge) must present. */
  username: string;
  password: string;
  /** RTSP port; default a free one. */
  rtspPort?: number;
  main?: PatternSize;
  sub?: PatternSize;
}

export interface PatternSize {
  width: number;
  height: number;
  fps: number;
  codec?: 'h264' | 'h265';
}

export interface SimVideo {
  rtspPort: number;
  /** The camera's MediaMTX control API (no login from 127.0.0.1): who is reading which stream. */
  apiUrl: string;
  stop(): Promise<void>;
}

const DEFAULT_MAIN: PatternSize = { width: 640, height: 360, fps: 15 };
const DEFAULT_SUB: PatternSize = { width: 320, height: 180, fps: 15 };

export async function startSimVideo(options: SimVideoOptions): Promise<SimVideo> {
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-simvideo-'));
  const rtspPort = options.rtspPort ?? (await freePort());
  const apiPort = await freePort();
  const local = `rtsp://127.0.0.1:${rtspPort}`;
  const onDemand = (pattern: string) => ({ source: `${local}/pattern/${pattern}`, sourceOnDemand: true });
  const config = {
    logLevel: 'error',
    api: true,
    apiAddress: `127.0.0.1:${apiPort}`,
    rtspAddress: `127.0.0.1:${rtspPort}`,
    rtspTransports: ['tcp'],
    rtspAuthMethods: ['digest'],
    authMethod: 'internal',
    authInternalUsers: [
      { user: options.username, pass: options.password, ips: [], permissions: [{ action: 'read' }] },
      {
        user: 'any',
        pass: '',
        ips: ['127.0.0.1'],
        permissions: [
          { action: 'publish', path: '~^pattern/' },
          { action: 'read', path: '~^pattern/' },
          { action: 'api' },
        ],
      },
    ],
    rtmp: false,
    hls: false,
    webrtc: false,
    srt: false,
    moq: false,
    paths: {
      'pattern/main': { source: 'publisher' },
      'pattern/sub': { source: 'publisher' },
      // Hikvision ids: channel * 100 + stream number (101 main, 102 sub, 1201...).
      '~^Streaming/[Cc]hannels/\\d*01$': onDemand('main'),
      '~^Streaming/[Cc]hannels/\\d+$': onDemand('sub'),
    },
  };
  const file = join(dir, 'camera.yml');
  writeFileSync(file, stringify(config), { mode: 0o600 });
  const children: ChildProcess[] = [];
  let log = '';
  const server = spawn(options.mediamtx, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(server);
  for (const stream of [server.stdout!, server.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-4000);
    });
  }
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      async () => (await fetch(`http://127.0.0.1:${apiPort}/v3/info`)).ok,
      10_000,
      () => log,
    );
    const patterns: Record<string, PatternSize> = {
      main: options.main ?? DEFAULT_MAIN,
      sub: options.sub ?? DEFAULT_SUB,
    };
    for (const [name, size] of Object.entries(patterns)) {
      children.push(publishPattern(options.ffmpeg ?? 'ffmpeg', `${local}/pattern/${name}`, size));
    }
    await until(
      async () => {
        const answer = await fetch(`http://127.0.0.1:${apiPort}/v3/paths/list`);
        const paths = ((await answer.json()) as { items: Array<{ name: string; ready: boolean }> }).items;
        return ['pattern/main', 'pattern/sub'].every((name) => paths.some((p) => p.name === name && p.ready));
      },
      15_000,
      () => `ffmpeg did not publish the test patterns (is ffmpeg installed?) ${log}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { rtspPort, apiUrl: `http://127.0.0.1:${apiPort}`, stop };
}

function publishPattern(ffmpeg: string, url: string, size: PatternSize): ChildProcess {
  const encoder =
    size.codec === 'h265' ? ['-c:v', 'libx265', '-x265-params', 'log-level=error'] : ['-c:v', 'libx264'];
  const args = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi'];
  args.push('-i', `testsrc2=size=${size.width}x${size.height}:rate=${size.fps}`);
  // One key frame a second: a new viewer waits at most that long for a picture.
  args.push(...encoder, '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(size.fps));
  args.push('-pix_fmt', 'yuv420p', '-f', 'rtsp', '-rtsp_transport', 'tcp', url);
  return spawn(ffmpeg, args, { stdio: 'ignore' });
}

async function until(check: () => Promise<boolean>, timeoutMs: number, detail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`simulated camera video did not start: ${detail()}`);
}
