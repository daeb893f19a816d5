/**
 * Live video: time from a viewer's request to its first decoded frame on an on-demand path
 * (cold: MediaMTX must first connect to the camera; warm: the path is already live), and the
 * CPU/RSS of MediaMTX and the gateway while N viewers watch one camera. Everything real: the
 * simulated camera serves ffmpeg test-pattern video over Digest RTSP (sim/video.ts), the
 * gateway runs in a process of its own as a user starts it (`hikbridge start --config FILE`,
 * possibly another checkout's: `--gateway-dir`) and supervises its own MediaMTX, viewers are
 * ffmpeg processes reading the RTSP URL the API hands out (a viewer token as the password).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { startSimDevice } from '../sim/index.ts';
import { freePort } from '../sim/net.ts';
import { startSimVideo } from '../sim/video.ts';
import { provisionMediamtx } from '../src/modules/media/provision.ts';
import {
  checkoutOf,
  childPid,
  cpuTimeMs,
  type GatewayProcess,
  loginToGateway,
  residentMb,
  startGatewayProcess,
  THIS_CHECKOUT,
} from './gateway-process.ts';
import { parseOptions, percentile, round } from './stats.ts';

const PASSWORD = 'Bench-Pass-1';
const ADMIN_PASSWORD = 'Bench-Admin-42!';

export async function runLiveBench(args: string[]): Promise<void> {
  const options = parseOptions(args, { runs: 20, viewers: 16, seconds: 20, gatewayDir: THIS_CHECKOUT });
  const gatewayDir = resolve(String(options.gatewayDir));
  const print = (result: object) => line({ ...result, gateway: checkoutOf(gatewayDir) });
  requireCommand('ffmpeg');
  const mediamtx = (await provisionMediamtx({ onProgress: (m) => process.stderr.write(`${m}\n`) })).path;
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const video = await startSimVideo({
      mediamtx,
      username: 'admin',
      password: PASSWORD,
      main: { width: 1280, height: 720, fps: 25 },
    });
    cleanups.push(() => video.stop());
    const sim = await startSimDevice({ profile: 'camera', password: PASSWORD, rtspPort: video.rtspPort });
    cleanups.push(() => sim.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'hikbridge-bench-live-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const ports = {
      apiPort: await freePort(),
      rtspPort: await freePort(),
      webrtcPort: await freePort(),
      webrtcUdpPort: await freePort(),
      hlsPort: await freePort(),
    };
    const gateway = await startGatewayProcess({
      gatewayDir,
      dataDir,
      config: {
        dataDir,
        server: { host: '127.0.0.1', port: 0 },
        auth: { adminPassword: ADMIN_PASSWORD },
        log: { level: 'warn' },
        // The same MediaMTX build whichever checkout runs, so an A/B compares the gateways.
        media: { ...ports, binary: mediamtx, onDemandCloseAfterSeconds: 1 },
      },
      onLogLine: (line) => process.stderr.write(`gateway: ${line.slice(0, 400)}\n`),
    });
    cleanups.push(() => gateway.stop());
    const gatewayApi = await GatewayApi.login(gateway);
    const channelId = await gatewayApi.addCamera(sim.port);
    let stream = await gatewayApi.mainStream(channelId);
    const mediamtxPid = childPid(gateway.pid, 'mediamtx');
    if (mediamtxPid === undefined) throw new Error('the gateway runs no MediaMTX');
    // The gateway's MediaMTX answers its control API to the gateway alone; whether it is pulling
    // the camera shows on the camera's side, as one reader of the camera's stream.
    const pulling = async () => (await cameraReaders(video.apiUrl)) > 0;
    // Not counted: the media module adds the path a moment after the device (debounced).
    await firstFrameMs(stream.rtsp, 20_000);

    const cold: number[] = [];
    const warm: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      // Cold: the path has closed its camera connection (closeAfter 1 s) since the last viewer.
      await waitFor(async () => !(await pulling()), 10_000);
      await sleep(Math.random() * 1000);
      cold.push(await firstFrameMs(stream.rtsp));
      process.stderr.write(`cold run ${run + 1}/${options.runs}: ${round(cold.at(-1)!)} ms\n`);
    }
    // Fresh URLs before each phase: the viewer token in them expires.
    stream = await gatewayApi.mainStream(channelId);
    const keeper = viewer(stream.rtsp);
    await waitFor(pulling, 10_000);
    await firstFrameMs(stream.rtsp); // not counted: the path is live from here on
    for (let run = 0; run < options.runs; run++) {
      // Back-to-back viewers would all start just after a key frame; sample every phase of the GOP.
      await sleep(Math.random() * 1000);
      warm.push(await firstFrameMs(stream.rtsp));
    }
    keeper.child.kill('SIGKILL');
    for (const [mode, samples] of [
      ['cold', cold],
      ['warm', warm],
    ] as const) {
      print({
        bench: 'live',
        metric: 'first-frame',
        mode,
        stream: '1280x720 H.264 25 fps, key frame every second',
        runs: samples.length,
        p50Ms: round(percentile(samples, 50)),
        p95Ms: round(percentile(samples, 95)),
        maxMs: round(Math.max(...samples)),
      });
    }
    stream = await gatewayApi.mainStream(channelId);
    const pids = { gateway: gateway.pid, mediamtx: mediamtxPid };
    print(await measureViewers(pids, stream.rtsp, options.viewers, options.seconds));
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/** The gateway's REST API, called the way a user's script would. */
class GatewayApi {
  private constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  static async login(gateway: GatewayProcess): Promise<GatewayApi> {
    return new GatewayApi(gateway.url, await loginToGateway(gateway, ADMIN_PASSWORD));
  }

  /** Adds the simulated camera; answers its first channel's id. */
  async addCamera(port: number): Promise<string> {
    const body = { host: '127.0.0.1', port, username: 'admin', password: PASSWORD };
    const device = await this.call<{ id: string }>('POST', '/api/v1/devices', body, 201);
    const channels = await this.call<Array<{ id: string }>>('GET', `/api/v1/devices/${device.id}/channels`);
    if (!channels[0]) throw new Error('the camera has no channel');
    return channels[0].id;
  }

  /** The channel's main stream: its MediaMTX path and the RTSP URL a viewer opens. */
  async mainStream(channelId: string): Promise<{ path: string; rtsp: string }> {
    type LiveStream = { streamNo: number; path: string; urls: { rtsp: string } };
    const streams = await this.call<LiveStream[]>('GET', `/api/v1/channels/${channelId}/streams`);
    const main = streams.find((each) => each.streamNo === 1);
    if (!main) throw new Error('the channel has no main stream');
    return { path: main.path, rtsp: main.urls.rtsp };
  }

  private async call<T>(method: string, path: string, body?: unknown, status = 200): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    if (response.status !== status)
      throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
}

/**
 * An ffmpeg viewer that decodes one frame and exits: its run time is the time to first frame.
 * With `retryForMs`, failed attempts are repeated until one succeeds within that time.
 */
async function firstFrameMs(url: string, retryForMs = 0): Promise<number> {
  const until = Date.now() + retryForMs;
  for (;;) {
    try {
      return await oneFirstFrame(url);
    } catch (error) {
      if (Date.now() > until) throw error;
      await sleep(250);
    }
  }
}

function oneFirstFrame(url: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // No probing buffer: ffmpeg would otherwise wait seconds to "analyze" the stream first.
    const args = ['-v', 'error', '-fflags', 'nobuffer', '-probesize', '32', '-analyzeduration', '0'];
    args.push('-rtsp_transport', 'tcp', '-i', url, '-frames:v', '1', '-f', 'null', '-');
    const child = spawn('ffmpeg', args);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`viewer failed with exit code ${code}`));
    });
  });
}

/** Readers of the simulated camera's streams: 1 while the gateway's MediaMTX pulls it. */
async function cameraReaders(apiUrl: string): Promise<number> {
  const answer = await fetch(`${apiUrl}/v3/paths/list`, { signal: AbortSignal.timeout(5000) });
  const list = (await answer.json()) as { items: Array<{ name: string; readers: unknown[] }> };
  return list.items
    .filter((item) => item.name.startsWith('Streaming/'))
    .reduce((sum, item) => sum + item.readers.length, 0);
}

interface Viewer {
  child: ChildProcess;
  /** Bytes of video received so far (ffmpeg's progress report, once a second). */
  bytes: number;
}

/**
 * A viewer that receives the stream and writes it to /dev/null without decoding it (its own CPU
 * is not ours to measure); ffmpeg reports how much it received.
 */
function viewer(url: string): Viewer {
  const args = ['-v', 'error', '-progress', 'pipe:1', '-stats_period', '1', '-rtsp_transport', 'tcp'];
  args.push('-i', url, '-map', '0:v', '-c', 'copy', '-f', 'h264', '-y', '/dev/null');
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const state: Viewer = { child, bytes: 0 };
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const size = /^total_size=(\d+)/.exec(text);
    if (size) state.bytes = Number(size[1]);
  });
  return state;
}

/** N viewers copy the stream for `seconds`; MediaMTX and gateway CPU and memory meanwhile. */
async function measureViewers(
  pids: { gateway: number; mediamtx: number },
  url: string,
  count: number,
  seconds: number,
) {
  const viewers = Array.from({ length: count }, () => viewer(url));
  try {
    const received = () => viewers.map((each) => each.bytes);
    await waitFor(async () => received().every((bytes) => bytes > 0), 20_000);
    await sleep(3000);
    const cpuBefore = { mediamtx: cpuTimeMs(pids.mediamtx), gateway: cpuTimeMs(pids.gateway) };
    const bytesBefore = received();
    const startedAt = performance.now();
    let gatewayRss = 0;
    let mediamtxRss = 0;
    for (let elapsed = 0; elapsed < seconds; elapsed++) {
      await sleep(1000);
      gatewayRss = Math.max(gatewayRss, residentMb(pids.gateway).rssMb);
      mediamtxRss = Math.max(mediamtxRss, residentMb(pids.mediamtx).rssMb);
    }
    const wallMs = performance.now() - startedAt;
    const cpuPercent = (pid: number, before: number) => round(((cpuTimeMs(pid) - before) / wallMs) * 100);
    // Progress comes once a second, so the byte count lags by up to a second at both ends.
    const deltas = received().map((bytes, i) => bytes - bytesBefore[i]!);
    return {
      bench: 'live',
      metric: 'viewers',
      viewers: count,
      receiving: deltas.filter((delta) => delta > 0).length,
      seconds: round(wallMs / 1000),
      videoMbitPerSecond: round((deltas.reduce((a, b) => a + b, 0) * 8) / (wallMs / 1000) / 1e6),
      mediamtxCpuPercent: cpuPercent(pids.mediamtx, cpuBefore.mediamtx),
      gatewayCpuPercent: cpuPercent(pids.gateway, cpuBefore.gateway),
      mediamtxRssMb: round(mediamtxRss),
      gatewayRssMb: round(gatewayRss),
      // VmHWM: the most the gateway process ever held, start-up included.
      gatewayPeakRssMb: round(residentMb(pids.gateway).peakRssMb),
    };
  } finally {
    for (const each of viewers) each.child.kill('SIGKILL');
  }
}

function line(result: object): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function requireCommand(command: string): void {
  try {
    execFileSync(command, ['-version'], { stdio: 'ignore' });
  } catch {
    throw new Error(`${command} is missing: install the Debian package "ffmpeg"`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms`);
}
