/**
 * Real-time events at fleet scale: N simulated cameras (one process) each keep an alertStream
 * open to a gateway (a second process, started as `hikbridge start` with SQLite in a temp dir
 * and a private Mosquitto); the cameras then send stamped alarms at an aggregate rate, and a
 * third process measures how long each takes to reach an SSE client and an MQTT subscriber.
 * Reports latency per path, events/s delivered, the gateway process's CPU and peak RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/core/config/index.ts';
import { loadOrCreateSecretKey } from '../src/core/secrets.ts';
import { createStore } from '../src/core/store/index.ts';
import { channelsFrom, describedFields, entitiesFrom } from '../src/modules/devices/registry.ts';
import { CURRENT_SETTINGS_VERSION } from '../src/modules/devices/settings-version.ts';
import { IsapiClient, parseDeviceUrl } from '../src/protocols/isapi/client.ts';
import { type DeviceDescription, discoverDevice } from '../src/protocols/isapi/discovery.ts';
import { type Broker, startBroker } from './events-broker.ts';
import { type ClientsProcess, type ClientsResult, startClientsProcess } from './events-clients.ts';
import { cpuTimeMs, type GatewayProcess, residentMb, startGatewayProcess } from './gateway-process.ts';
import { type SimProcess, startSimProcess } from './sim-process.ts';
import { parseOptions, percentile, round } from './stats.ts';

const ADMIN_PASSWORD = 'Bench-Admin-42!';
const DEVICE_PASSWORD = 'Hik12345!';
const BASE_TOPIC = 'hikbridge';
/** Time between the load being armed on every device and its first event. */
const LEAD_MS = 3000;
/** How long to wait after the last event for stragglers. */
const DRAIN_MS = 5000;

export async function runEventsBench(args: string[]): Promise<void> {
  const options = parseOptions(args, {
    devices: 1000,
    rate: 200,
    seconds: 20,
    profile: 'camera',
    /** on = snapshot on every episode start (events.snapshotOnStart, mqtt.snapshotOnEvent). */
    snapshots: 'off',
    /**
     * store = written to the store before the gateway starts (a restart with the fleet);
     * registry = added through the registry (probe, save) while it runs, `concurrency` at a time.
     */
    register: 'store',
    concurrency: 32,
    /** Extra Node.js options for the gateway process, e.g. "--trace-gc" (space-separated). */
    nodeArgs: '',
  });
  if (options.snapshots !== 'on' && options.snapshots !== 'off') throw new Error('--snapshots is on or off');
  if (options.register !== 'store' && options.register !== 'registry')
    throw new Error('--register is store or registry');
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
      120_000,
    );
    cleanups.push(() => sim.stop());
    const dataDir = mkdtempSync(join(tmpdir(), 'hikbridge-bench-events-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const overrides = gatewayConfig(dataDir, broker, options.snapshots === 'on');
    const streams = new StreamLog();

    const registerStarted = performance.now();
    let deviceIds: string[] = [];
    if (options.register === 'store') {
      // A gateway restarted with the fleet in its store: the way a 1000-device site boots.
      deviceIds = await seedStore(overrides, sim);
      progress(
        `stored ${deviceIds.length} devices in ${round((performance.now() - registerStarted) / 1000, 1)} s`,
      );
    }
    const gateway = await startGatewayProcess({
      dataDir,
      config: overrides,
      nodeArgs: String(options.nodeArgs).split(' ').filter(Boolean),
      onLogLine: (text) => streams.read(text),
    });
    const gatewayStarted = Date.now();
    cleanups.push(() => gateway.stop());
    const token = await login(gateway);
    if (options.register === 'registry') {
      deviceIds = await registerAll(gateway, token, sim, options.concurrency);
    }
    const registerSeconds = (performance.now() - registerStarted) / 1000;
    progress(`registered ${deviceIds.length} devices in ${round(registerSeconds, 1)} s`);
    await streams.waitForConnected(deviceIds, 180_000);
    const connectSeconds = (performance.now() - registerStarted) / 1000;
    progress(`all ${deviceIds.length} alert streams connected after ${round(connectSeconds, 1)} s`);

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
    report(options, run, result, {
      registerSeconds,
      connectSeconds,
      gatewayUpSecondsAtRunStart: (run.startAt - gatewayStarted) / 1000,
    });
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

interface RunFigures {
  sent: number;
  /** Wall-clock ms of the first event. */
  startAt: number;
  seconds: number;
  cpuPercent: number;
  peakRssMb: number;
  runPeakRssMb: number;
  rssBeforeRunMb: number;
  reconnects: number;
}

function gatewayConfig(dataDir: string, broker: Broker, snapshots: boolean): Record<string, unknown> {
  return {
    dataDir,
    server: { host: '127.0.0.1', port: 0 },
    auth: { adminPassword: ADMIN_PASSWORD },
    log: { level: 'info' },
    events: { snapshotOnStart: snapshots },
    mqtt: { url: broker.url, baseTopic: BASE_TOPIC, snapshotOnEvent: snapshots },
    // Live video is not what this measures (and would need MediaMTX).
    media: { enabled: false },
  };
}

/**
 * Writes the fleet into the gateway's store before it starts, as the registry would have: one
 * device per profile is probed for real, the copies differ in address and serial number.
 */
async function seedStore(overrides: Record<string, unknown>, sim: SimProcess): Promise<string[]> {
  const config = loadConfig({ env: {}, overrides });
  const secret = await loadOrCreateSecretKey({
    keyFile: config.secrets.keyFile,
    ...(config.secrets.key ? { key: config.secrets.key } : {}),
  });
  const store = await createStore({ url: config.database.url, secretKey: secret.key });
  try {
    const infos = await mapLimited(sim.urls, 50, async (deviceUrl) => {
      const url = new URL(deviceUrl);
      const info = await simControl<{ name: string; serialNumber: string | null }>(url, 'GET', 'info');
      return { ...info, url };
    });
    const probed = new Map<string, DeviceDescription>();
    const ids: string[] = [];
    for (const info of infos) {
      let description = probed.get(info.name);
      if (!description) {
        const client = new IsapiClient(parseDeviceUrl(info.url.href));
        description = await discoverDevice(client).finally(() => client.close());
        probed.set(info.name, description);
      }
      const copy = { ...description, serialNumber: info.serialNumber ?? description.serialNumber };
      ids.push(await storeDevice(store, info.url, copy));
    }
    return ids;
  } finally {
    await store.close();
  }
}

async function storeDevice(
  store: Awaited<ReturnType<typeof createStore>>,
  url: URL,
  description: DeviceDescription,
): Promise<string> {
  return store.transaction(async (tx) => {
    const device = await tx.devices.insert({
      name: `${description.model} ${description.serialNumber}`,
      host: url.hostname,
      port: Number(url.port),
      https: url.protocol === 'https:',
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      tlsFingerprint: null,
      insecureTls: false,
      httpPortOverride: null,
      snapshotUrlOverride: null,
      channelOverride: null,
      defaultStream: null,
      settingsVersion: CURRENT_SETTINGS_VERSION,
      enabled: true,
      ...describedFields(description),
    });
    await tx.channels.replaceForDevice(device.id, channelsFrom(description));
    await tx.entities.replaceForDevice(device.id, entitiesFrom(description));
    return device.id;
  });
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
 * Arms the load on every device (device i starts i/rate s after a common start, so the fleet
 * sends one event every 1/rate s), then measures the gateway while it runs.
 */
async function runLoad(
  sim: SimProcess,
  options: { devices: number; rate: number; seconds: number },
  clients: ClientsProcess,
  streams: StreamLog,
  gatewayPid: number,
): Promise<RunFigures> {
  const perDevice = options.rate / options.devices;
  const startAt = Date.now() + LEAD_MS;
  const totals = await mapLimited(sim.urls, 50, async (deviceUrl, index) => {
    const load = {
      rate: perDevice,
      seconds: options.seconds,
      startAt,
      offsetMs: (index * 1000) / options.rate,
      event: { type: 'VMD', channel: 1 },
      toggle: true,
      stamp: true,
    };
    return (await simControl<{ events: number }>(new URL(deviceUrl), 'POST', 'load', load)).events;
  });
  const sent = totals.reduce((a, b) => a + b, 0);
  if (Date.now() > startAt) progress('warning: arming the load took longer than the lead time');
  progress(`sending ${sent} events over ${options.seconds} s (${options.rate}/s)`);
  await sleep(startAt - Date.now());

  const rssBeforeRun = residentMb(gatewayPid).rssMb;
  const reconnectsBefore = streams.lost;
  const cpuBefore = cpuTimeMs(gatewayPid);
  const wallBefore = performance.now();
  let runPeakRss = rssBeforeRun;
  const rssTimer = setInterval(() => {
    runPeakRss = Math.max(runPeakRss, residentMb(gatewayPid).rssMb);
  }, 250);
  await sleep(options.seconds * 1000);
  const cpu = cpuTimeMs(gatewayPid) - cpuBefore;
  const elapsed = performance.now() - wallBefore;
  const drainUntil = Date.now() + DRAIN_MS;
  while (Date.now() < drainUntil && (clients.counts.sse < sent || clients.counts.mqtt < sent))
    await sleep(100);
  clearInterval(rssTimer);
  return {
    sent,
    startAt,
    seconds: elapsed / 1000,
    cpuPercent: (cpu / elapsed) * 100,
    peakRssMb: residentMb(gatewayPid).peakRssMb,
    runPeakRssMb: runPeakRss,
    rssBeforeRunMb: rssBeforeRun,
    reconnects: streams.lost - reconnectsBefore,
  };
}

function report(
  options: { devices: number; rate: number; seconds: number; snapshots: string; register: string },
  run: RunFigures,
  result: ClientsResult,
  setup: { registerSeconds: number; connectSeconds: number; gatewayUpSecondsAtRunStart: number },
): void {
  const common = {
    bench: 'events',
    devices: options.devices,
    rate: options.rate,
    seconds: options.seconds,
    snapshots: options.snapshots,
    register: options.register,
  };
  for (const path of ['sse', 'mqtt'] as const) {
    const samples = result[path];
    const span = result[`${path}Span`];
    const spanSeconds = span ? (span[1] - span[0]) / 1000 : 0;
    line({
      ...common,
      path,
      sent: run.sent,
      delivered: samples.length,
      lost: run.sent - samples.length,
      eventsPerSecond: round(spanSeconds > 0 ? (samples.length - 1) / spanSeconds : 0, 1),
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

async function login(gateway: GatewayProcess): Promise<string> {
  const response = await fetch(`${gateway.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`login failed: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
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
