/**
 * Live video: time from a viewer's request to its first decoded frame, on the gateway's
 * on-demand path and, interleaved in the same run, on a plain MediaMTX on-demand path to the
 * same simulated camera (no gateway in front) and on the camera's own RTSP stream; cold (the
 * path has let go of the camera) and warm (another viewer keeps it live). The gateway's path is
 * measured twice: with a camera that has the ISAPI key-frame request (the gateway asks for a
 * key frame when a viewer joins) and with one that answers 404 (firmware without it: viewers
 * wait for the camera's own key frame). Then the CPU/RSS of MediaMTX and the gateway while N
 * viewers watch one camera. Everything real: the simulated camera serves ffmpeg test-pattern
 * video over Digest RTSP (sim/video.ts) with a key frame every `--keyframe-seconds`, the gateway
 * runs in a process of its own as a user starts it (`hikbridge start --config FILE`, possibly
 * another checkout's: `--gateway-dir`) and supervises its own MediaMTX, viewers are ffmpeg
 * processes reading the RTSP URL the API hands out (a viewer token as the password).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { startSimDevice } from '../sim/index.ts';
import { freePort } from '../sim/net.ts';
import { type PatternSize, startSimVideo } from '../sim/video.ts';
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

export interface LiveBenchOptions {
  runs: number;
  viewers: number;
  seconds: number;
  keyframeSeconds: number;
  /** The camera's main stream (default 1280x720 at 25 fps). */
  stream?: PatternSize;
  gatewayDir?: string;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
}

/** Where a viewer reads from. */
type Target = 'hikbridge' | 'hikbridge-no-key-frame-request' | 'mediamtx' | 'camera';
const PATH_TARGETS: Target[] = ['hikbridge', 'hikbridge-no-key-frame-request', 'mediamtx'];
/**
 * First packets: until ffmpeg has copied one video packet. It still needs the stream's parameter
 * sets for that; the camera's SDP carries them, but on a fresh MediaMTX on-demand path they come
 * in band with the key frame, so there it waits for a key frame too (or for a requested one).
 */
const PACKET_TARGETS: Target[] = ['hikbridge', 'mediamtx', 'camera'];

export async function runLiveBench(args: string[]): Promise<void> {
  const options = parseOptions(args, {
    runs: 20,
    viewers: 16,
    seconds: 20,
    keyframeSeconds: 4,
    gatewayDir: THIS_CHECKOUT,
  });
  const results = await liveBench({
    ...options,
    gatewayDir: String(options.gatewayDir),
    progress: (text) => process.stderr.write(`${text}\n`),
  });
  for (const result of results) line(result);
}

/** Runs the benchmark; answers its result lines (first frames, ratios, viewers). */
export async function liveBench(options: LiveBenchOptions): Promise<object[]> {
  const gatewayDir = resolve(options.gatewayDir ?? THIS_CHECKOUT);
  const progress = options.progress ?? (() => {});
  const size = options.stream ?? { width: 1280, height: 720, fps: 25 };
  requireCommand('ffmpeg');
  const mediamtx = (await provisionMediamtx({ onProgress: progress })).path;
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const video = await startSimVideo({
      mediamtx,
      username: 'admin',
      password: PASSWORD,
      main: size,
      keyFrameIntervalSeconds: options.keyframeSeconds,
      keyFrameRequests: true,
    });
    cleanups.push(() => video.stop());
    // Two cameras on the one video: firmware with the key-frame request and firmware without.
    const camera = (profile: string, serialNumber: string) =>
      startSimDevice({ profile, serialNumber, password: PASSWORD, rtspPort: video.rtspPort, heartbeatMs: 0 });
    const withRequest = await camera('camera', 'DS-2CD2386G2-IU20240101AAWRBENCH1');
    cleanups.push(() => withRequest.close());
    const withoutRequest = await camera('camera?requestKeyFrame=404', 'DS-2CD2386G2-IU20240101AAWRBENCH2');
    cleanups.push(() => withoutRequest.close());
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
      onLogLine: (text) => progress(`gateway: ${text.slice(0, 400)}`),
    });
    cleanups.push(() => gateway.stop());
    const cameraUrl = `rtsp://admin:${PASSWORD}@127.0.0.1:${video.rtspPort}/Streaming/Channels/101`;
    const plain = await startPlainMediamtx(mediamtx, cameraUrl);
    cleanups.push(() => plain.stop());
    const gatewayApi = await GatewayApi.login(gateway);
    const channels = {
      hikbridge: await gatewayApi.addCamera('Bench Camera', withRequest.port),
      'hikbridge-no-key-frame-request': await gatewayApi.addCamera('Old Firmware', withoutRequest.port),
    };
    const mediamtxPid = childPid(gateway.pid, 'mediamtx');
    if (mediamtxPid === undefined) throw new Error('the gateway runs no MediaMTX');
    // Fresh URLs before each phase: the viewer token in them expires.
    const urls = async (): Promise<Record<Target, string>> => ({
      hikbridge: (await gatewayApi.mainStream(channels.hikbridge)).rtsp,
      'hikbridge-no-key-frame-request': (
        await gatewayApi.mainStream(channels['hikbridge-no-key-frame-request'])
      ).rtsp,
      mediamtx: plain.url,
      camera: cameraUrl,
    });
    // The gateway's MediaMTX answers its control API to the gateway alone; whether anything pulls
    // the camera shows on the camera's side, as readers of the camera's stream.
    const idle = async () => (await cameraReaders(video.apiUrl)) === 0;
    let url = await urls();
    // Not counted: the media module adds the paths a moment after the devices (debounced), and
    // the camera without the request answers its one 404 here, which the gateway remembers.
    for (const target of PATH_TARGETS) await firstFrameMs(url[target], 20_000);
    const gop = options.keyframeSeconds * 1000;
    // When the camera got the gateway's key-frame request, from the viewer's start (hikbridge runs).
    const requestAt = { cold: [] as number[], warm: [] as number[] };
    const timedFirstFrame = async (target: Target, viewerUrl: string, mode: 'cold' | 'warm') => {
      const asked = (since: number) =>
        withRequest.requests.filter((each) => each.path.endsWith('/requestKeyFrame') && each.at >= since);
      const since = Date.now();
      const ms = await firstFrameMs(viewerUrl);
      const request = target === 'hikbridge' ? asked(since)[0] : undefined;
      if (request) requestAt[mode].push(request.at - since);
      return ms;
    };
    const samples = { cold: newSamples(), warm: newSamples() };
    const packets = { cold: newSamples(), warm: newSamples() };
    // Each run: every target's first frame and first packet, in a random order.
    const measurements = [
      ...[...PATH_TARGETS, 'camera' as const].map((target) => ({ target, packet: false })),
      ...PACKET_TARGETS.map((target) => ({ target, packet: true })),
    ];
    for (let run = 0; run < options.runs; run++) {
      for (const { target, packet } of shuffled(measurements)) {
        // Cold: every path has closed its camera connection (closeAfter 1 s) since the last viewer.
        await waitFor(idle, 15_000);
        if (packet) {
          packets.cold[target].push(await firstPacketMs(url[target]));
          continue;
        }
        // A pause over a whole key-frame interval samples every phase of it: viewers started back
        // to back (or just after another's requested key frame) would all land at the same one.
        await sleep(Math.random() * gop);
        samples.cold[target].push(await timedFirstFrame(target, url[target], 'cold'));
      }
      progress(
        `cold run ${run + 1}/${options.runs}: ${summary(samples.cold)}; packets ${summary(packets.cold)}`,
      );
    }
    url = await urls();
    const keepers = PATH_TARGETS.map((target) => viewer(url[target]));
    await waitFor(async () => (await cameraReaders(video.apiUrl)) >= PATH_TARGETS.length, 15_000);
    for (const target of PATH_TARGETS) await firstFrameMs(url[target]); // not counted: live from here on
    for (let run = 0; run < options.runs; run++) {
      for (const { target, packet } of shuffled(measurements)) {
        if (packet) {
          packets.warm[target].push(await firstPacketMs(url[target]));
          continue;
        }
        await sleep(Math.random() * gop);
        samples.warm[target].push(await timedFirstFrame(target, url[target], 'warm'));
      }
      progress(
        `warm run ${run + 1}/${options.runs}: ${summary(samples.warm)}; packets ${summary(packets.warm)}`,
      );
    }
    for (const keeper of keepers) keeper.child.kill('SIGKILL');
    const stream = `${size.width}x${size.height} H.264 ${size.fps} fps, key frame every ${options.keyframeSeconds} s`;
    const results: object[] = [];
    for (const mode of ['cold', 'warm'] as const) {
      for (const target of [...PATH_TARGETS, 'camera'] as const) {
        const list = samples[mode][target];
        const asked =
          target === 'hikbridge'
            ? {
                keyFrameRequests: requestAt[mode].length,
                keyFrameRequestAtP50Ms: round(percentile(requestAt[mode], 50)),
              }
            : {};
        results.push({
          bench: 'live',
          metric: 'first-frame',
          mode,
          target,
          stream,
          ...stats(list),
          ...asked,
        });
      }
      for (const target of PACKET_TARGETS) {
        const list = packets[mode][target];
        results.push({ bench: 'live', metric: 'first-packet', mode, target, stream, ...stats(list) });
      }
      results.push(ratios(mode, samples[mode], packets[mode], options.keyframeSeconds));
    }
    url = await urls();
    const pids = { gateway: gateway.pid, mediamtx: mediamtxPid };
    results.push(await measureViewers(pids, url.hikbridge, options.viewers, options.seconds));
    return results.map((result) => ({ ...result, gateway: checkoutOf(gatewayDir) }));
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

type Samples = Record<Target, number[]>;

function newSamples(): Samples {
  return { hikbridge: [], 'hikbridge-no-key-frame-request': [], mediamtx: [], camera: [] };
}

function summary(samples: Samples): string {
  return Object.entries(samples)
    .filter(([, list]) => list.length > 0)
    .map(([target, list]) => `${target} ${round(list.at(-1)!, 0)} ms`)
    .join(', ');
}

function stats(list: number[]) {
  return {
    runs: list.length,
    p50Ms: round(percentile(list, 50)),
    p95Ms: round(percentile(list, 95)),
    maxMs: round(Math.max(...list)),
  };
}

/**
 * hikbridge against a plain MediaMTX on the same camera (p50 and p95) and the targets: without
 * key-frame requests the gateway adds at most 10 % to a cold start (both wait for the camera's
 * key frame, so with 20 runs the phase of the key-frame interval blurs this by more than 10 %);
 * with them, first frames beat the key-frame interval (cold p50 < 700 ms, warm p50 < 400 ms at a
 * 4 s interval), and a kept-warm path starts under 500 ms.
 */
function ratios(mode: 'cold' | 'warm', frames: Samples, packets: Samples, keyframeSeconds: number) {
  const ratio = (samples: Samples, target: Target, rank: number) =>
    round(percentile(samples[target], rank) / percentile(samples.mediamtx, rank), 3);
  const both = (samples: Samples, target: Target) => ({
    p50: ratio(samples, target, 50),
    p95: ratio(samples, target, 95),
  });
  const p50 = percentile(frames.hikbridge, 50);
  return {
    bench: 'live',
    metric: 'ratio-to-mediamtx',
    mode,
    keyframeSeconds,
    firstPacket: both(packets, 'hikbridge'),
    firstFrame: both(frames, 'hikbridge'),
    firstFrameNoKeyFrameRequest: both(frames, 'hikbridge-no-key-frame-request'),
    targets:
      mode === 'cold'
        ? {
            firstPacketP50AtMost1_1x: ratio(packets, 'hikbridge', 50) <= 1.1,
            firstFrameP50Under700Ms: p50 < 700,
          }
        : { firstFrameP50Under500Ms: p50 < 500, firstFrameP50Under400Ms: p50 < 400 },
  };
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/**
 * A plain MediaMTX with one on-demand path pulling the camera, tuned like the gateway's paths
 * (RTSP over TCP, close 1 s after the last viewer), with no authentication: what a user would
 * run without hikbridge.
 */
async function startPlainMediamtx(
  binary: string,
  source: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-bench-plain-'));
  const [rtspPort, apiPort] = [await freePort(), await freePort()];
  const config = {
    logLevel: 'error',
    api: true,
    apiAddress: `127.0.0.1:${apiPort}`,
    rtspAddress: `127.0.0.1:${rtspPort}`,
    rtspTransports: ['tcp'],
    authMethod: 'internal',
    authInternalUsers: [
      { user: 'any', pass: '', ips: [], permissions: [{ action: 'read' }, { action: 'api' }] },
    ],
    rtmp: false,
    hls: false,
    webrtc: false,
    srt: false,
    moq: false,
    paths: {
      camera: {
        source,
        rtspTransport: 'tcp',
        sourceOnDemand: true,
        sourceOnDemandStartTimeout: '10s',
        sourceOnDemandCloseAfter: '1s',
      },
    },
  };
  const file = join(dir, 'plain.yml');
  writeFileSync(file, stringify(config), { mode: 0o600 });
  const child = spawn(binary, [file], { stdio: 'ignore' });
  const stop = async () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${apiPort}/v3/info`)).ok, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `rtsp://127.0.0.1:${rtspPort}/camera`, stop };
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

  /** Adds a simulated camera; answers its first channel's id. */
  async addCamera(name: string, port: number): Promise<string> {
    const body = { name, host: '127.0.0.1', port, username: 'admin', password: PASSWORD };
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
    // No probing buffer: ffmpeg would otherwise wait seconds to "analyze" the stream first. Not
    // `-fflags nobuffer`: it drops the first packet a fresh on-demand path delivers (a key frame),
    // and the decoder then waits for the next one, which no player does.
    const args = ['-v', 'error', '-probesize', '32', '-analyzeduration', '0'];
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

/**
 * A viewer that copies the first video packet, key frame or not (`-copyinkf`), and exits: the
 * time until video flows, whatever the key-frame phase.
 */
function firstPacketMs(url: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const args = ['-v', 'error', '-probesize', '32', '-analyzeduration', '0', '-rtsp_transport', 'tcp'];
    args.push('-i', url, '-map', '0:v', '-c', 'copy', '-copyinkf', '-frames:v', '1', '-f', 'null', '-');
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
