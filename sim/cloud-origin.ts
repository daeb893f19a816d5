/**
 * The simulated cloud's RTMP origin: what `rtmp://<host>/v3/openlive/SN_1_2?expire=…&id=…`
 * plays. A MediaMTX of its own serves RTMP on a free loopback port; one ffmpeg publishes a test
 * pattern (main 640x360 and sub 320x180, both 15 fps H.264, a key frame each second) to the
 * internal paths `pattern/main` and `pattern/sub` over RTSP, and any `v3/openlive/<name>_1` or
 * `_2` relays one of them on demand, so every camera's stream plays for the price of two
 * encoders. MediaMTX asks our small HTTP endpoint about every request (authMethod http): the
 * patterns and the API from loopback pass; a read of a live stream passes only when `validate`
 * (the cloud's check of the URL's id and expiry) says so. Every such play is counted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { isLoopback } from './cloud-http.ts';
import type { PlayVerdict } from './cloud-live.ts';
import { freePort } from './net.ts';
import { stopChild } from './process.ts';

export interface CloudOriginOptions {
  /** The MediaMTX executable. */
  mediamtx: string;
  /** The ffmpeg executable (default `ffmpeg`). */
  ffmpeg?: string;
  /** Decides a read of `v3/openlive/<name>`; `query` is the raw query string (no `?`). */
  validate: (play: { path: string; query: string }) => boolean | PlayVerdict;
  /** Clock for the plays' `at` (default Date.now); the cloud passes its own. */
  now?: () => number;
}

export interface OriginPlay {
  /** The MediaMTX path read, e.g. `v3/openlive/SN_1_2` (never the query). */
  path: string;
  accepted: boolean;
  reason: string;
  at: number;
}

export interface CloudOrigin {
  /** `127.0.0.1:<port>`: the host of the RTMP URLs. */
  rtmpHost: string;
  rtmpPort: number;
  /** The origin MediaMTX's control API (loopback, no login): who reads what. */
  apiUrl: string;
  /** Live-stream plays asked for, newest last (the last 10 000). */
  plays: OriginPlay[];
  stop(): Promise<void>;
}

const MAX_PLAYS = 10_000;
const LIVE_PATH = /^v3\/openlive\/.+/;
const PATTERNS = { main: { width: 640, height: 360 }, sub: { width: 320, height: 180 } };
const FPS = 15;
/** A free port can be taken by someone else before MediaMTX binds it: try again with others. */
const START_ATTEMPTS = 3;

export async function startCloudOrigin(options: CloudOriginOptions): Promise<CloudOrigin> {
  const plays: OriginPlay[] = [];
  const auth = await startAuthEndpoint(options, plays);
  for (let attempt = 1; ; attempt++) {
    try {
      const media = await startMedia(options, auth.url);
      return {
        ...media.ports,
        plays,
        stop: async () => {
          await media.stop();
          await auth.close();
        },
      };
    } catch (error) {
      const portTaken = error instanceof Error && /address already in use/i.test(error.message);
      if (!portTaken || attempt >= START_ATTEMPTS) {
        await auth.close();
        throw error;
      }
    }
  }
}

/** The endpoint MediaMTX POSTs every authentication request to (authMethod: http). */
async function startAuthEndpoint(options: CloudOriginOptions, plays: OriginPlay[]) {
  const now = options.now ?? Date.now;
  const server = createServer((req, res) => {
    readJson(req).then(
      (request) => answerAuth(request, res),
      () => deny(res),
    );
  });
  const answerAuth = (request: Record<string, unknown>, res: ServerResponse) => {
    const action = String(request.action ?? '');
    const path = String(request.path ?? '');
    const fromLoopback = isLoopback(String(request.ip ?? ''));
    if (fromLoopback && (action === 'api' || isPatternUse(action, path))) return allow(res);
    if (action !== 'read' || !LIVE_PATH.test(path)) return deny(res);
    const verdict = asVerdict(options.validate({ path, query: String(request.query ?? '') }));
    plays.push({ path, accepted: verdict.accepted, reason: verdict.reason, at: now() });
    if (plays.length > MAX_PLAYS) plays.splice(0, plays.length - MAX_PLAYS);
    return verdict.accepted ? allow(res) : deny(res);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/auth`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function isPatternUse(action: string, path: string): boolean {
  return (action === 'publish' || action === 'read') && path.startsWith('pattern/');
}

function asVerdict(answer: boolean | PlayVerdict): PlayVerdict {
  if (typeof answer === 'boolean') return { accepted: answer, reason: answer ? 'valid' : 'refused' };
  return answer;
}

function allow(res: ServerResponse): void {
  res.writeHead(200).end();
}

function deny(res: ServerResponse): void {
  res.writeHead(401).end();
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', reject);
    req.on('end', () => {
      try {
        const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (value === null || typeof value !== 'object') throw new Error('not an object');
        resolve(value as Record<string, unknown>);
      } catch (error) {
        reject(error);
      }
    });
  });
}

interface OriginPorts {
  rtmpHost: string;
  rtmpPort: number;
  apiUrl: string;
}

/** MediaMTX and the pattern publisher, ready to play; stop() ends both and removes the files. */
async function startMedia(
  options: CloudOriginOptions,
  authUrl: string,
): Promise<{ ports: OriginPorts; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-simcloud-'));
  const [rtmpPort, rtspPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const file = join(dir, 'origin.yml');
  writeFileSync(file, stringify(originConfig({ rtmpPort, rtspPort, apiPort, authUrl })), { mode: 0o600 });
  const children: ChildProcess[] = [];
  const server = spawn(options.mediamtx, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(server);
  const log = tail(server);
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  };
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  try {
    await until(async () => (await fetch(`${apiUrl}/v3/info`)).ok, server, 15_000, log);
    const rtsp = `rtsp://127.0.0.1:${rtspPort}`;
    children.push(publishPatterns(options.ffmpeg ?? 'ffmpeg', `${rtsp}/pattern/main`, `${rtsp}/pattern/sub`));
    await until(
      () => patternsReady(apiUrl),
      server,
      20_000,
      () => `ffmpeg did not publish (is ffmpeg installed?) ${log()}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { ports: { rtmpHost: `127.0.0.1:${rtmpPort}`, rtmpPort, apiUrl }, stop };
}

function originConfig(ports: { rtmpPort: number; rtspPort: number; apiPort: number; authUrl: string }) {
  const relay = (pattern: string) => ({
    source: `rtsp://127.0.0.1:${ports.rtspPort}/pattern/${pattern}`,
    sourceOnDemand: true,
  });
  return {
    logLevel: 'error',
    api: true,
    apiAddress: `127.0.0.1:${ports.apiPort}`,
    rtsp: true,
    rtspAddress: `127.0.0.1:${ports.rtspPort}`,
    rtspTransports: ['tcp'],
    rtmp: true,
    rtmpAddress: `127.0.0.1:${ports.rtmpPort}`,
    hls: false,
    webrtc: false,
    srt: false,
    moq: false,
    authMethod: 'http',
    authHTTPAddress: ports.authUrl,
    // Even the API asks the endpoint: one place decides everything.
    authHTTPExclude: [],
    paths: {
      'pattern/main': { source: 'publisher' },
      'pattern/sub': { source: 'publisher' },
      // `_<channel>_<quality>`: quality 1 is the main stream, 2 the sub stream.
      '~^v3/openlive/.+_1$': relay('main'),
      '~^v3/openlive/.+_2$': relay('sub'),
    },
  };
}

/** One ffmpeg, two encoders: the pattern at both sizes, each published to its own path. */
function publishPatterns(ffmpeg: string, mainUrl: string, subUrl: string): ChildProcess {
  const { main, sub } = PATTERNS;
  const args = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi'];
  args.push('-i', `testsrc2=size=${main.width}x${main.height}:rate=${FPS}`);
  args.push('-filter_complex', `[0:v]split=2[main][big];[big]scale=${sub.width}:${sub.height}[sub]`);
  for (const [label, url] of [
    ['main', mainUrl],
    ['sub', subUrl],
  ]) {
    // One key frame a second: a new viewer waits at most that long for a picture.
    args.push('-map', `[${label}]`, '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency');
    args.push('-g', String(FPS), '-pix_fmt', 'yuv420p', '-f', 'rtsp', '-rtsp_transport', 'tcp', url!);
  }
  return spawn(ffmpeg, args, { stdio: 'ignore' });
}

async function patternsReady(apiUrl: string): Promise<boolean> {
  const answer = await fetch(`${apiUrl}/v3/paths/list`);
  const paths = ((await answer.json()) as { items: Array<{ name: string; ready: boolean }> }).items;
  return ['pattern/main', 'pattern/sub'].every((name) => paths.some((p) => p.name === name && p.ready));
}

/** The last 4000 characters MediaMTX wrote, for error messages. */
function tail(child: ChildProcess): () => string {
  let log = '';
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-4000);
    });
  }
  return () => log;
}

/** Polls `check` until it holds; fails at the deadline or as soon as MediaMTX has exited. */
async function until(
  check: () => Promise<boolean>,
  server: ChildProcess,
  timeoutMs: number,
  detail: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && server.exitCode === null && server.signalCode === null) {
    try {
      if (await check()) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const exited = server.exitCode !== null || server.signalCode !== null;
  throw new Error(`the cloud's RTMP origin did not start${exited ? ' (MediaMTX exited)' : ''}: ${detail()}`);
}
