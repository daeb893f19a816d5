/**
 * `npm run bench -- ui-wall [--tiles 16] [--seconds 20]`: the web UI's live wall in Chromium.
 * A simulated NVR with `tiles` channels (real H.264 video from ffmpeg via the simulator's RTSP
 * server), a gateway in this process with its own MediaMTX, and headless Chromium (Debian's,
 * software decoding) showing every channel's sub stream over WebRTC. Reports:
 * - the first download of the UI (page, script, styles) in gzip bytes;
 * - per tile, page load to first frame and the WHEP negotiation (the UI's own measures);
 * - over `seconds` of steady playback: Chromium's CPU (all its processes, % of one core), frames
 *   decoded per tile per second, and the page's responsiveness: long tasks (> 50 ms) and the
 *   animation-frame intervals (p50 is the browser's own paint rate, about 33 ms headless; a p95
 *   near it means no frame was late).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { startSimDevice } from '../sim/index.ts';
import { freePort } from '../sim/net.ts';
import { startSimVideo } from '../sim/video.ts';
import { startGateway } from '../src/app.ts';
import { provisionMediamtx } from '../src/modules/media/provision.ts';
import { ensureUiBuild } from '../src/modules/web/build.ts';
import { launchChromium } from '../test/support/browser.ts';
import { parseOptions, percentile, round } from './stats.ts';

const PASSWORD = 'Bench-Pass-1';
const ADMIN_PASSWORD = 'Bench-Admin-1';

export async function runUiWallBench(args: string[]): Promise<void> {
  const options = parseOptions(args, { tiles: 16, seconds: 20 });
  const log = (message: string) => process.stderr.write(`[ui-wall] ${message}\n`);
  const mediamtx = (await provisionMediamtx()).path;
  const video = await startSimVideo({ mediamtx, username: 'admin', password: PASSWORD, ffmpeg: 'ffmpeg' });
  const nvr = await startSimDevice({
    profile: `nvr:${options.tiles}`,
    username: 'admin',
    password: PASSWORD,
    rtspPort: video.rtspPort,
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'hikbridge-bench-ui-'));
  const gateway = await startGateway({
    env: {},
    overrides: {
      dataDir,
      server: { host: '127.0.0.1', port: 0 },
      auth: { adminPassword: ADMIN_PASSWORD },
      log: { level: 'warn' },
      media: {
        apiPort: await freePort(),
        rtspPort: await freePort(),
        webrtcPort: await freePort(),
        webrtcUdpPort: await freePort(),
        hlsPort: await freePort(),
      },
    },
  });
  const browser = await launchChromium();
  try {
    await gateway.media.ready();
    const url = `http://127.0.0.1:${gateway.address.port}`;
    const token = await login(url);
    await addNvr(url, token, nvr.port);
    await waitForPaths(gateway, options.tiles * 2);
    log(`${options.tiles} channels ready; opening the wall`);

    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, baseURL: url });
    const page = await context.newPage();
    await page.goto('/');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    const clicked = performance.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitForAllTilesPlaying(page, options.tiles);
    const allPlayingMs = performance.now() - clicked;
    const measures = await page.evaluate<{ name: string; ms: number }[]>(
      "performance.getEntriesByType('measure').map((m) => ({ name: m.name, ms: m.duration }))",
    );
    log(
      `all ${options.tiles} tiles playing after ${Math.round(allPlayingMs)} ms; measuring ${options.seconds} s`,
    );

    const steady = await measureSteadyState(page, options.seconds);
    const firstFrames = measures.filter((m) => m.name.startsWith('first-frame')).map((m) => m.ms);
    const negotiations = measures.filter((m) => m.name.startsWith('whep-negotiation')).map((m) => m.ms);
    const phase = (name: string) => summary(measures.filter((m) => m.name.startsWith(name)).map((m) => m.ms));
    const result = {
      bench: 'ui-wall',
      tiles: options.tiles,
      seconds: options.seconds,
      uiDownloadGzipBytes: await uiDownloadBytes(),
      signInToAllTilesPlayingMs: Math.round(allPlayingMs),
      firstFrameMs: summary(firstFrames),
      whepNegotiationMs: summary(negotiations),
      streamUrlsMs: phase('stream-urls'),
      iceGatheringMs: phase('ice-gathering'),
      ...steady,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    await context.close();
  } finally {
    await browser.close();
    await gateway.stop();
    await nvr.close();
    await video.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function summary(samples: number[]) {
  return {
    p50: round(percentile(samples, 50), 0),
    p95: round(percentile(samples, 95), 0),
    max: round(Math.max(...samples), 0),
  };
}

async function login(url: string): Promise<string> {
  const answer = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  return ((await answer.json()) as { token: string }).token;
}

async function addNvr(url: string, token: string, port: number): Promise<void> {
  const answer = await fetch(`${url}/api/v1/devices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      name: 'Bench NVR',
      host: '127.0.0.1',
      port,
      username: 'admin',
      password: PASSWORD,
    }),
  });
  if (answer.status !== 201)
    throw new Error(`adding the NVR failed: ${answer.status} ${await answer.text()}`);
}

async function waitForPaths(gateway: Awaited<ReturnType<typeof startGateway>>, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await gateway.media.mediamtxApi.listPathConfigs()).length < count) {
    if (Date.now() > deadline) throw new Error(`MediaMTX did not get ${count} paths in 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Chromium's CPU, decoded frame rates and the page's responsiveness over `seconds`. */
async function measureSteadyState(page: import('playwright-core').Page, seconds: number) {
  const framesBefore = await decodedPerTile(page);
  const cpuBefore = chromiumCpuTicks();
  const started = performance.now();
  const responsiveness = await page.evaluate<Responsiveness>(pageResponsiveness(seconds * 1000));
  const elapsedSeconds = (performance.now() - started) / 1000;
  const cpuTicks = chromiumCpuTicks() - cpuBefore;
  const framesAfter = await decodedPerTile(page);
  const fps = framesAfter.map((frames, i) => (frames - (framesBefore[i] ?? 0)) / elapsedSeconds);
  return {
    // Clock ticks are 1/100 s on Linux.
    chromiumCpuPercentOfOneCore: round((cpuTicks / 100 / elapsedSeconds) * 100, 0),
    decodedFpsPerTile: { p50: round(percentile(fps, 50), 1), min: round(Math.min(...fps), 1) },
    ...responsiveness,
  };
}

/** Polls (page.waitForFunction would need eval, which the UI's CSP rightly forbids). */
async function waitForAllTilesPlaying(page: import('playwright-core').Page, tiles: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const frames = await decodedPerTile(page);
    if (frames.length === tiles && frames.every((count) => count > 0)) return;
    if (Date.now() > deadline)
      throw new Error(`tiles playing after 120 s: ${frames.filter((f) => f > 0).length}/${tiles}`);
    await page.waitForTimeout(50);
  }
}

async function decodedPerTile(page: import('playwright-core').Page): Promise<number[]> {
  return page.evaluate<number[]>(
    "[...document.querySelectorAll('.tile video')].map((v) => v.getVideoPlaybackQuality().totalVideoFrames)",
  );
}

interface Responsiveness {
  longTasks: number;
  longestTaskMs: number;
  /** Headless Chromium paints at about 30 Hz: ~33 ms is its base interval, not jank. */
  animationFrameP50Ms: number;
  animationFrameP95Ms: number;
}

/**
 * Page code (a string: the bench's TypeScript has no DOM types): counts long tasks and collects
 * animation-frame intervals for `ms`, then answers a Responsiveness.
 */
function pageResponsiveness(ms: number): string {
  return `(async () => {
    const intervals = [];
    let longTasks = 0;
    let longestTaskMs = 0;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        longTasks++;
        longestTaskMs = Math.max(longestTaskMs, entry.duration);
      }
    });
    observer.observe({ type: 'longtask', buffered: false });
    await new Promise((resolve) => {
      let last = performance.now();
      const end = last + ${ms};
      const tick = (now) => {
        intervals.push(now - last);
        last = now;
        if (now < end) requestAnimationFrame(tick);
        else resolve();
      };
      requestAnimationFrame(tick);
    });
    observer.disconnect();
    intervals.sort((a, b) => a - b);
    const at = (q) => intervals[Math.min(intervals.length - 1, Math.floor(intervals.length * q))] ?? 0;
    return {
      longTasks,
      longestTaskMs: Math.round(longestTaskMs),
      animationFrameP50Ms: Math.round(at(0.5) * 10) / 10,
      animationFrameP95Ms: Math.round(at(0.95) * 10) / 10,
    };
  })()`;
}

/** User + system CPU ticks of every Chromium process on the machine (the bench's only browser). */
function chromiumCpuTicks(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!/chrom/i.test(name)) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended while being read.
    }
  }
  return ticks;
}

/** The UI's first download: the page plus the script and styles it loads, gzipped as served. */
async function uiDownloadBytes(): Promise<number> {
  const { dir } = await ensureUiBuild();
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const assets = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]!);
  return [Buffer.from(html), ...assets.map((name) => readFileSync(join(dir, 'assets', name)))]
    .map((body) => gzipSync(body, { level: 9 }).length)
    .reduce((a, b) => a + b, 0);
}
