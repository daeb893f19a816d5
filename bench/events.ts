/**
 * Real-time events at fleet scale: N simulated cameras (one process) each keep an alertStream
 * open to a gateway (a second process, started as `hikbridge start` with SQLite in a temp dir
 * and a private Mosquitto); the cameras then send stamped motion episodes (an "active", then
 * its "inactive" a short fixed time later) at an aggregate rate, and a third process measures
 * how long each post takes to reach an SSE client and an MQTT subscriber. Reports latency per
 * path, events/s delivered, episodes the gateway ended by itself, and the gateway process's CPU
 * and peak RSS. The gateway runs with the product's defaults (pictures at episode start on)
 * unless `--snapshots off`; it may be another checkout's (`--gateway-dir`) for an A/B.
 * Before the load, with MQTT on, the gateway's controls inventory reads every device: the
 * requests the devices received for it and how long it took are reported too (events-inventory.ts),
 * and the load starts once it is done.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Broker, startBroker } from './events-broker.ts';
import { type ClientsProcess, type ClientsResult, startClientsProcess } from './events-clients.ts';
import {
  type DeviceRequest,
  type InventoryReads,
  summarizeInventory,
  waitForInventory,
} from './events-inventory.ts';
import {
  checkoutOf,
  cpuTimeMs,
  type GatewayProcess,
  loginToGateway,
  residentMb,
  startGatewayProcess,
  THIS_CHECKOUT,
} from './gateway-process.ts';
import { type SimProcess, startSimProcess } from './sim-process.ts';
import { parseOptions, percentile, round } from './stats.ts';

const ADMIN_PASSWORD = 'Bench-Admin-42!';
const DEVICE_PASSWORD = 'Hik12345!';
const BASE_TOPIC = 'hikbridge';
/** Time between arming the load on every device and its first event, per device (at least 3 s). */
const LEAD_MS_PER_DEVICE = 3;
/** How long to wait after the last event for stragglers. */
const DRAIN_MS = 5000;
/**
 * The gateway's default quiet period (`events.quietSeconds`): an episode without news for this
 * long is ended by the gateway itself. Episodes must end well before it, or the device's own
 * "inactive" loses the race and means nothing (the episode is already over).
 */
const DEFAULT_QUIET_MS = 10_000;

export async function runEventsBench(args: string[]): Promise<void> {
  const options = parseOptions(args, {
    devices: 1000,
    rate: 200,
    seconds: 20,
    profile: 'camera',
    /** Time from each episode's "active" to its "inactive" (at most; see loadSchedule). */
    episodeMs: 1000,
    /**
     * on = the product's defaults: a picture at every episode start (events.snapshotOnStart,
     * mqtt.snapshotOnEvent); off = both switched off, to see the event path alone.
     */
    snapshots: 'on',
    /**
     * restart = added through the API of one gateway, measured on the next start (a site that
     * restarts with its fleet); registry = added through the API of the measured gateway while
     * it runs, `concurrency` at a time.
     */
    register: 'restart',
    concurrency: 32,
    /** Extra Node.js options for the gateway process, e.g. "--trace-gc" (space-separated). */
    nodeArgs: '',
    /** The checkout whose gateway runs (a git worktree of another commit, for an A/B). */
    gatewayDir: THIS_CHECKOUT,
  });
  if (options.snapshots !== 'on' && options.snapshots !== 'off') throw new Error('--snapshots is on or off');
  if (options.register !== 'restart' && options.register !== 'registry')
    throw new Error('--register is restart or registry');
  if (!(options.episodeMs > 0 && options.episodeMs <= DEFAULT_QUIET_MS / 2))
    throw new Error(
      `--episodeMs must be above 0 and at most half the quiet period (${DEFAULT_QUIET_MS / 2})`,
    );
  const gatewayDir = resolve(String(options.gatewayDir));
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const broker = await startBroker();
    cleanups.push(() => broker.stop());
    progress(`starting ${options.devices} simulated ${options.profile} devices in another process`);
    const sim = await startSimProcess(
      [
        '--profile',
        String(options.profile),
        '--count',
        String(options.devices),
        '--password',
        DEVICE_PASSWORD,
      ],
      options.devices,
      scaledTimeout(120_000, options.devices),
    );
    cleanups.push(() => sim.stop());
    const dataDir = mkdtempSync(join(tmpdir(), 'hikbridge-bench-events-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const start = (onLogLine: (line: string) => void, nodeArgs: string[] = []) =>
      startGatewayProcess({
        gatewayDir,
        dataDir,
        config: gatewayConfig(dataDir, broker, options.snapshots === 'on'),
        nodeArgs,
        onLogLine,
        timeoutMs: scaledTimeout(120_000, options.devices),
      });
    const nodeArgs = String(options.nodeArgs).split(' ').filter(Boolean);
    const streams = new StreamLog();

    const registerStarted = performance.now();
    let deviceIds: string[] = [];
    let registerSeconds = 0;
    if (options.register === 'restart') {
      const first = await start((text) => new StreamLog().read(text));
      try {
        deviceIds = await registerAll(first, await patientLogin(first), sim, options.concurrency);
      } finally {
        await first.stop();
      }
      registerSeconds = (performance.now() - registerStarted) / 1000;
      progress(`added ${deviceIds.length} devices in ${round(registerSeconds, 1)} s; restarting the gateway`);
    }
    const gatewaySpawned = performance.now();
    const gatewaySpawnedAt = Date.now();
    const gateway = await start((text) => streams.read(text), nodeArgs);
    const gatewayStarted = Date.now();
    cleanups.push(() => gateway.stop());
    const token = await patientLogin(gateway);
    if (options.register === 'registry') {
      const addStarted = performance.now();
      deviceIds = await registerAll(gateway, token, sim, options.concurrency);
      registerSeconds = (performance.now() - addStarted) / 1000;
      progress(`added ${deviceIds.length} devices in ${round(registerSeconds, 1)} s`);
    }
    await streams.waitForConnected(deviceIds, scaledTimeout(180_000, options.devices));
    const connectSeconds = (performance.now() - gatewaySpawned) / 1000;
    progress(`all ${deviceIds.length} alert streams connected ${round(connectSeconds, 1)} s after the start`);
    const inventory = await measureInventory(sim, gatewaySpawnedAt);
    progress(
      `controls inventory: ${inventory.requests} requests to ${inventory.devicesRead} devices, the last ${inventory.doneAfterStartSeconds} s after the start`,
    );
    if (inventory.devicesRead < deviceIds.length)
      progress(`warning: ${deviceIds.length - inventory.devicesRead} devices' controls not read in time`);

    const clients = await startClientsProcess({
      apiUrl: gateway.url,
      token,
      mqttUrl: broker.url,
      baseTopic: BASE_TOPIC,
    });
    cleanups.push(() => clients.stop());
    // Let discovery, initial states and the clients' subscriptions settle before measuring.
    await sleep(2000);

    const run = await runLoad(sim, options, clients, streams, gateway.pid);
    cleanups.pop();
    const result = await clients.stop();
    report({ ...options, gatewayDir }, run, result, {
      registerSeconds,
      connectSeconds,
      gatewayUpSecondsAtRunStart: (run.startAt - gatewayStarted) / 1000,
      inventory,
    });
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/**
 * Logs in, trying again when the gateway does not answer in time: just after a start with a
 * large fleet on a busy machine, the start-up (every device checked, streams opened, the
 * controls read) can hold a login past the helper's 10 s.
 */
async function patientLogin(gateway: GatewayProcess): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await loginToGateway(gateway, ADMIN_PASSWORD);
    } catch (error) {
      if (attempt >= 6 || !(error instanceof Error && error.name === 'TimeoutError')) throw error;
      progress(`the gateway did not answer the login in time (attempt ${attempt}); trying again`);
    }
  }
}

/**
 * Waits for the controls inventory to have read every device (each device's last inventory
 * request 3 s old), then sums up the requests the devices received for it since the start.
 */
async function measureInventory(sim: SimProcess, since: number): Promise<InventoryReads> {
  const records = await waitForInventory(
    (index) => simControl<DeviceRequest[]>(new URL(sim.urls[index]!), 'GET', 'requests'),
    sim.urls.length,
    since,
    {
      quietMs: 3000,
      pollMs: 2000,
      timeoutMs: scaledTimeout(180_000, sim.urls.length * 4),
      concurrency: 16,
      onRound: (done) => {
        const seconds = round((Date.now() - since) / 1000);
        if (done < sim.urls.length)
          progress(`controls inventory: ${done} devices read ${seconds} s after the start`);
      },
    },
  );
  return summarizeInventory(records, since);
}

/** A time budget that grows with the fleet (2000 devices take twice as long to start as 1000). */
function scaledTimeout(baseMs: number, devices: number): number {
  return Math.max(baseMs, (baseMs / 1000) * devices);
}

interface RunFigures {
  sent: number;
  /** Time from each episode's "active" to its "inactive". */
  episodeMs: number;
  /** Wall-clock ms of the first event. */
  startAt: number;
  /** Wall-clock ms between which starts and ends both go out at the full rate. */
  steady: [number, number];
  cpuPercent: number;
  peakRssMb: number;
  runPeakRssMb: number;
  rssBeforeRunMb: number;
  reconnects: number;
}

/**
 * The product's defaults but for what a benchmark must set: where data and the broker are, the
 * admin password, info logs (the stream log lines are read), and live video off (it would need
 * MediaMTX, and no video flows here). `snapshots: false` switches pictures off.
 */
function gatewayConfig(dataDir: string, broker: Broker, snapshots: boolean): Record<string, unknown> {
  return {
    dataDir,
    server: { host: '127.0.0.1', port: 0 },
    auth: { adminPassword: ADMIN_PASSWORD },
    log: { level: 'info' },
    ...(snapshots ? {} : { events: { snapshotOnStart: false } }),
    mqtt: { url: broker.url, baseTopic: BASE_TOPIC, ...(snapshots ? {} : { snapshotOnEvent: false }) },
    media: { enabled: false },
  };
}

/** Adds every simulated device through the API (probe, then save), `concurrency` at a time. */
async function registerAll(
  gateway: GatewayProcess,
  token: string,
  sim: SimProcess,
  concurrency: number,
): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sim.urls.length) {
      const url = new URL(sim.urls[next++]!);
      const response = await fetch(`${gateway.url}/api/v1/devices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          host: url.hostname,
          port: Number(url.port),
          username: decodeURIComponent(url.username),
          password: decodeURIComponent(url.password),
        }),
        signal: AbortSignal.timeout(60_000),
      });
      if (response.status !== 201)
        throw new Error(`adding ${url.host}: HTTP ${response.status} ${await response.text()}`);
      ids.push(((await response.json()) as { id: string }).id);
      if (ids.length % 100 === 0) progress(`registered ${ids.length}/${sim.urls.length}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return ids;
}

/**
 * When the fleet posts. One post every 1/rate s (a slot): the "active" of each episode on the
 * even slots, device after device, and its "inactive" `gapMs` later on an odd slot, so posts
 * stay evenly spaced. `gapMs` is `episodeMs` rounded down to an odd number of slots, never more
 * than a device's own schedule leaves (its next episode starts 2 × devices slots later): it does
 * not grow with the fleet, so the device ends every episode before the gateway's quiet period
 * would. Every device sends whole episodes (an even number of posts).
 */
export interface Schedule {
  slotMs: number;
  gapMs: number;
  /** Posts per second from one device, and how many it sends. */
  perDeviceRate: number;
  postsPerDevice: number;
}

export function loadSchedule(devices: number, rate: number, seconds: number, episodeMs: number): Schedule {
  const slotMs = 1000 / rate;
  const fits = Math.floor(Math.min(episodeMs, devices * slotMs) / slotMs + 1e-9);
  const gapSlots = Math.max(1, fits % 2 === 0 ? fits - 1 : fits);
  return {
    slotMs,
    gapMs: gapSlots * slotMs,
    perDeviceRate: rate / devices,
    postsPerDevice: 2 * Math.max(1, Math.round((rate * seconds) / devices / 2)),
  };
}

/** Arms the load on every device, then measures the gateway while it runs. */
async function runLoad(
  sim: SimProcess,
  options: { devices: number; rate: number; seconds: number; episodeMs: number },
  clients: ClientsProcess,
  streams: StreamLog,
  gatewayPid: number,
): Promise<RunFigures> {
  const plan = loadSchedule(options.devices, options.rate, options.seconds, options.episodeMs);
  const startAt = Date.now() + Math.max(3000, options.devices * LEAD_MS_PER_DEVICE);
  const totals = await mapLimited(sim.urls, 50, async (deviceUrl, index) => {
    const load = {
      rate: plan.perDeviceRate,
      seconds: plan.postsPerDevice / plan.perDeviceRate,
      startAt,
      offsetMs: index * 2 * plan.slotMs,
      activeMs: plan.gapMs,
      event: { type: 'VMD', channel: 1 },
      toggle: true,
      stamp: true,
    };
    return (await simControl<{ events: number }>(new URL(deviceUrl), 'POST', 'load', load)).events;
  });
  const sent = totals.reduce((a, b) => a + b, 0);
  const loadMs = (sent * 1000) / options.rate;
  if (Date.now() > startAt) progress('warning: arming the load took longer than the lead time');
  progress(
    `sending ${sent} events over ${round(loadMs / 1000, 1)} s (${options.rate}/s), each episode ${round(plan.gapMs)} ms long`,
  );
  await sleep(startAt - Date.now());

  const rssBeforeRun = residentMb(gatewayPid).rssMb;
  const reconnectsBefore = streams.lost;
  let runPeakRss = rssBeforeRun;
  const rssTimer = setInterval(() => {
    runPeakRss = Math.max(runPeakRss, residentMb(gatewayPid).rssMb);
  }, 250);
  // CPU over the steady part: during the first episode length only starts go out, during the
  // last one (after loadMs) only ends.
  await sleep(startAt + plan.gapMs - Date.now());
  const cpuBefore = cpuTimeMs(gatewayPid);
  const wallBefore = performance.now();
  await sleep(startAt + loadMs - Date.now());
  const cpu = cpuTimeMs(gatewayPid) - cpuBefore;
  const elapsed = performance.now() - wallBefore;
  const drainUntil = Date.now() + plan.gapMs + DRAIN_MS;
  const accounted = (path: 'sse' | 'mqtt') => clients.counts[path] + clients.counts[`${path}GatewayEnds`];
  while (Date.now() < drainUntil && (accounted('sse') < sent || accounted('mqtt') < sent)) await sleep(100);
  clearInterval(rssTimer);
  return {
    sent,
    episodeMs: plan.gapMs,
    startAt,
    steady: [startAt + plan.gapMs, startAt + loadMs],
    cpuPercent: (cpu / elapsed) * 100,
    peakRssMb: residentMb(gatewayPid).peakRssMb,
    runPeakRssMb: runPeakRss,
    rssBeforeRunMb: rssBeforeRun,
    reconnects: streams.lost - reconnectsBefore,
  };
}

function report(
  options: {
    devices: number;
    rate: number;
    seconds: number;
    snapshots: string;
    register: string;
    gatewayDir: string;
  },
  run: RunFigures,
  result: ClientsResult,
  setup: {
    registerSeconds: number;
    connectSeconds: number;
    gatewayUpSecondsAtRunStart: number;
    inventory: InventoryReads;
  },
): void {
  const common = {
    bench: 'events',
    devices: options.devices,
    rate: options.rate,
    seconds: options.seconds,
    episodeMs: round(run.episodeMs),
    snapshots: options.snapshots,
    register: options.register,
    gateway: checkoutOf(options.gatewayDir),
  };
  for (const path of ['sse', 'mqtt'] as const) {
    const samples = result[path];
    const gatewayEnds = result[`${path}GatewayEnds`];
    line({
      ...common,
      path,
      sent: run.sent,
      delivered: samples.length,
      // Each one stands for a device "inactive" that came after the episode had ended.
      gatewayEnds,
      lost: run.sent - samples.length - gatewayEnds,
      eventsPerSecond: round(steadyRate(samples, result[`${path}Emitted`], run.steady), 1),
      p50Ms: round(percentile(samples, 50)),
      p99Ms: round(percentile(samples, 99)),
      maxMs: round(samples.length ? Math.max(...samples) : Number.NaN),
      worstSecond: worstSecond(samples, result[`${path}Emitted`], run.startAt),
    });
  }
  line({
    ...common,
    path: 'gateway',
    cpuPercentOfOneCore: round(run.cpuPercent, 1),
    peakRssMb: round(run.peakRssMb, 1),
    rssBeforeRunMb: round(run.rssBeforeRunMb, 1),
    runPeakRssMb: round(run.runPeakRssMb, 1),
    streamReconnectsDuringRun: run.reconnects,
    registerSeconds: round(setup.registerSeconds, 1),
    allStreamsConnectedSeconds: round(setup.connectSeconds, 1),
    gatewayUpSecondsAtRunStart: round(setup.gatewayUpSecondsAtRunStart, 1),
  });
  line({ ...common, path: 'controls-inventory', ...setup.inventory });
}

/** Deliveries per second that arrived while the fleet posted at the full rate. */
function steadyRate(samples: number[], emitted: number[], [from, to]: [number, number]): number {
  let arrived = 0;
  samples.forEach((latency, i) => {
    const at = emitted[i]! + latency;
    if (at >= from && at < to) arrived++;
  });
  return (arrived * 1000) / (to - from);
}

/** The one-second slice of the run (by emit time) with the highest p99: where a stall happened. */
function worstSecond(
  samples: number[],
  emitted: number[],
  startAt: number,
): { atSecond: number; p99Ms: number; maxMs: number } | null {
  const seconds = new Map<number, number[]>();
  samples.forEach((latency, i) => {
    const second = Math.floor((emitted[i]! - startAt) / 1000);
    const list = seconds.get(second);
    if (list) list.push(latency);
    else seconds.set(second, [latency]);
  });
  let worst: { atSecond: number; p99Ms: number; maxMs: number } | null = null;
  for (const [second, list] of seconds) {
    const p99 = percentile(list, 99);
    if (!worst || p99 > worst.p99Ms)
      worst = { atSecond: second, p99Ms: round(p99), maxMs: round(Math.max(...list)) };
  }
  return worst;
}

/** The gateway's log, read for "event stream connected" / "event stream lost" per device. */
class StreamLog {
  private readonly connected = new Set<string>();
  lost = 0;

  read(text: string): void {
    if (text.includes('"event stream connected"') || text.includes('"event stream reconnected')) {
      const id = /"deviceId":"([^"]+)"/.exec(text)?.[1];
      if (id) this.connected.add(id);
    } else if (text.includes('"event stream lost')) {
      this.lost++;
    } else if (text.includes('"level":"error"') || text.includes('"level":"fatal"')) {
      progress(`gateway error: ${text.slice(0, 400)}`);
    }
  }

  async waitForConnected(ids: string[], timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const missing = ids.filter((id) => !this.connected.has(id)).length;
      if (missing === 0) return;
      if (Date.now() > until) throw new Error(`${missing} alert streams still not connected`);
      await sleep(200);
    }
  }
}

/**
 * One call to a simulated device's /__sim/ control API, on a connection of its own (the global
 * fetch() would keep an idle connection pool per device, 1000 of them).
 */
function simControl<T>(device: URL, method: string, name: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      {
        host: device.hostname,
        port: Number(device.port),
        path: `/__sim/${name}`,
        method,
        agent: false,
        timeout: 10_000,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200)
            reject(new Error(`${device.host}/__sim/${name}: HTTP ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text) as T);
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${device.host}/__sim/${name}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function mapLimited<T, R>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function line(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function progress(message: string): void {
  process.stderr.write(`events: ${message}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
