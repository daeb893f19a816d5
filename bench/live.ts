/**
 * Live video: time from a viewer's request to its first decoded frame on an on-demand path
 * (cold: MediaMTX must first connect to the camera; warm: the path is already live), and the
 * CPU/RSS of MediaMTX and the gateway while N viewers watch one camera. Everything real: the
 * simulated camera serves ffmpeg test-pattern video over Digest RTSP (sim/video.ts), the
 * gateway supervises its own MediaMTX, viewers are ffmpeg processes.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { startSimDevice } from '../sim/index.ts';
import { freePort } from '../sim/net.ts';
import { startSimVideo } from '../sim/video.ts';
import { startGateway } from '../src/app.ts';
import { provisionMediamtx } from '../src/modules/media/provision.ts';
import { MediamtxApi } from '../src/protocols/mediamtx/api.ts';
import { parseOptions, percentile, round } from './stats.ts';

const PASSWORD = 'Bench-Pass-1';

export async function runLiveBench(args: string[]): Promise<void> {
  const options = parseOptions(args, { runs: 20, viewers: 16, seconds: 20 });
  requireCommand('ffmpeg');
  const mediamtx = (await provisionMediamtx({ onProgress: (m) => process.stderr.write(`${m}\n`) })).path;
  const video = await startSimVideo({
    mediamtx,
    username: 'admin',
    password: PASSWORD,
    main: { width: 1280, height: 720, fps: 25 },
  });
  const sim = await startSimDevice({ profile: 'camera', password: PASSWORD, rtspPort: video.rtspPort });
  const dataDir = mkdtempSync(join(tmpdir(), 'hikbridge-bench-live-'));
  const ports = {
    apiPort: await freePort(),
    rtspPort: await freePort(),
    webrtcPort: await freePort(),
    webrtcUdpPort: await freePort(),
    hlsPort: await freePort(),
  };
  const gateway = await startGateway({
    env: {},
    logDestination: new PassThrough().resume(),
    overrides: {
      dataDir,
      server: { host: '127.0.0.1', port: 0 },
      log: { level: 'warn' },
      media: { ...ports, binary: mediamtx, onDemandCloseAfterSeconds: 1 },
    },
  });
  try {
    await gateway.media.ready();
    const device = await gateway.devices.registry.add({
      host: '127.0.0.1',
      port: sim.port,
      username: 'admin',
      password: PASSWORD,
    });
    const [channel] = await gateway.store.channels.listByDevice(device.id);
    // The media module applies device changes a moment later (debounced).
    await waitFor(async () => gateway.media.pathName(channel!.id, 1) !== undefined, 10_000);
    const path = gateway.media.pathName(channel!.id, 1)!;
    const api = new MediamtxApi({ baseUrl: `http://127.0.0.1:${ports.apiPort}` });
    await waitFor(async () => (await api.getPath(path)) !== null, 10_000);
    const url = gateway.media.internalRtspUrl(path);

    const cold: number[] = [];
    const warm: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      // Cold: the path has closed its camera connection (closeAfter 1 s) since the last viewer.
      await waitFor(async () => !(await api.getPath(path))?.ready, 10_000);
      await sleep(Math.random() * 1000);
      cold.push(await firstFrameMs(url));
      process.stderr.write(`cold run ${run + 1}/${options.runs}: ${round(cold.at(-1)!)} ms\n`);
    }
    const keeper = viewer(url);
    await waitFor(async () => Boolean((await api.getPath(path))?.ready), 10_000);
    for (let run = 0; run < options.runs; run++) {
      // Back-to-back viewers would all start just after a key frame; sample every phase of the GOP.
      await sleep(Math.random() * 1000);
      warm.push(await firstFrameMs(url));
    }
    keeper.kill('SIGKILL');
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
    print(await measureViewers(gateway.media.enginePid!, url, api, path, options.viewers, options.seconds));
  } finally {
    await gateway.stop();
    await sim.close();
    await video.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** An ffmpeg viewer that decodes one frame and exits: its run time is the time to first frame. */
function firstFrameMs(url: string): Promise<number> {
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

/** A viewer that receives the stream without decoding it (its own CPU is not ours to measure). */
function viewer(url: string): ChildProcess {
  return spawn(
    'ffmpeg',
    ['-v', 'error', '-rtsp_transport', 'tcp', '-i', url, '-c', 'copy', '-f', 'null', '-'],
    {
      stdio: 'ignore',
    },
  );
}

async function measureViewers(
  mediamtxPid: number,
  url: string,
  api: MediamtxApi,
  path: string,
  count: number,
  seconds: number,
) {
  const viewers = Array.from({ length: count }, () => viewer(url));
  try {
    await waitFor(async () => ((await api.getPath(path))?.readers.length ?? 0) >= count, 20_000);
    await sleep(3000);
    const before = { mediamtx: cpuSeconds(mediamtxPid), gateway: process.cpuUsage(), at: performance.now() };
    const bytesBefore = (await api.getPath(path)) as unknown as { bytesSent: number };
    let gatewayRss = 0;
    let mediamtxRss = 0;
    for (let elapsed = 0; elapsed < seconds; elapsed++) {
      await sleep(1000);
      gatewayRss = Math.max(gatewayRss, process.memoryUsage().rss);
      mediamtxRss = Math.max(mediamtxRss, rssBytes(mediamtxPid));
    }
    const wallSeconds = (performance.now() - before.at) / 1000;
    const gatewayCpu = process.cpuUsage(before.gateway);
    const live = (await api.getPath(path)) as unknown as { bytesSent: number; readers: unknown[] };
    return {
      bench: 'live',
      metric: 'viewers',
      viewers: count,
      readers: live.readers.length,
      seconds: round(wallSeconds),
      outMbitPerSecond: round(((live.bytesSent - bytesBefore.bytesSent) * 8) / wallSeconds / 1e6),
      mediamtxCpuPercent: round(((cpuSeconds(mediamtxPid) - before.mediamtx) / wallSeconds) * 100),
      gatewayCpuPercent: round(((gatewayCpu.user + gatewayCpu.system) / 1e6 / wallSeconds) * 100),
      mediamtxRssMb: round(mediamtxRss / 1048576),
      gatewayRssMb: round(gatewayRss / 1048576),
    };
  } finally {
    for (const each of viewers) each.kill('SIGKILL');
  }
}

/** User + system CPU seconds of a process, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after "pid (comm) ".
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

function print(result: object): void {
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
  throw new Error('timed out waiting for MediaMTX');
}
