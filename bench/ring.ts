/**
 * Ring latency over SIP ("emulate SIP proxy", issue 13): how long from a doorbell's INVITE to
 * the `doorbell-ring` start reaching an SSE client and an MQTT subscriber. Everything real: the
 * gateway in a process of its own (`hikbridge start --config FILE`, SQLite in a temp dir, a
 * private Mosquitto, live video off), N simulated doorbells in another process, each on its own
 * loopback address and added through the API in emulate mode (auto-configuration off), and one
 * SIPp per doorbell from that address over UDP: REGISTER (all at once, checked through the API),
 * then rings: a random pause, INVITE, 180, CANCEL after `--holdMs`, 200/487, ACK, again.
 *
 * Each ring's start time is SIPp's own: the wall-clock time (µs) it logs right after sending the
 * INVITE (`-trace_msg`). The SSE client and the MQTT subscriber run in this process and stamp
 * arrivals with the same clock (performance.timeOrigin + performance.now()); both carry the
 * SIP Call-ID (`attributes.callId` on SSE, `details.callId` in `<base>/<device>/ringing/attributes`
 * on MQTT), which matches each arrival to its INVITE. Home Assistant's doorbell event entity
 * (`<base>/<device>/ring/state`, `{"event_type":"ring"}`) carries no call id: it is matched by
 * doorbell and order and reported apart. Fails (non-zero exit) when a doorbell does not
 * register, a SIPp call fails, or a ring is lost or delivered twice.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, type MqttClient } from 'mqtt';
import { wallClockMs } from '../sim/control.ts';
import {
  describeSippRun,
  freeSipPort,
  SIPP_SCENARIOS,
  type SippResult,
  sippBlocks,
  startSipp,
} from '../test/support/sipp.ts';
import { seededRandom } from './cloud-model.ts';
import { startBroker } from './events-broker.ts';
import {
  checkoutOf,
  cpuTimeMs,
  type GatewayProcess,
  loginToGateway,
  startGatewayProcess,
  THIS_CHECKOUT,
} from './gateway-process.ts';
import { type DoorbellAddress, doorbellHost, startDoorbellsProcess } from './ring-doorbells.ts';
import { parseOptions, percentile, round } from './stats.ts';

const ADMIN_PASSWORD = 'Bench-Admin-42!';
const DEVICE_PASSWORD = 'Bell-Pass-77';
const BASE_TOPIC = 'hikbridge';
/** The pause at the end of each call in bell-ring-loop.xml. */
const CLOSING_PAUSE_MS = 100;
/** How long to wait for deliveries after the last ring. */
const DRAIN_MS = 10_000;

type Sink = 'sse' | 'mqtt';

export async function runRingBench(args: string[]): Promise<void> {
  const options = parseOptions(args, {
    doorbells: 20,
    rings: 400,
    /** How long each ring lasts before the doorbell cancels it (SIPp -d). */
    holdMs: 300,
    /** Each doorbell pauses a random time in this range before each ring (seeded: --seed). */
    pauseMinMs: 200,
    pauseMaxMs: 1500,
    seed: 1,
    /** on = the product's defaults (a picture at each ring start, published over MQTT too). */
    snapshots: 'on',
    gatewayDir: THIS_CHECKOUT,
  });
  if (!(Number.isInteger(options.doorbells) && options.doorbells >= 1 && options.doorbells <= 250))
    throw new Error('--doorbells is 1-250 (one loopback address each, from 127.0.0.2)');
  if (!(Number.isInteger(options.rings) && options.rings >= options.doorbells))
    throw new Error('--rings must be a whole number, at least one per doorbell');
  if (!(options.holdMs >= 50 && options.holdMs <= 5000)) throw new Error('--holdMs is 50-5000');
  if (!(options.pauseMinMs >= 0 && options.pauseMaxMs >= options.pauseMinMs && options.pauseMaxMs <= 60_000))
    throw new Error('--pauseMinMs and --pauseMaxMs: 0 <= min <= max <= 60000');
  if (options.snapshots !== 'on' && options.snapshots !== 'off') throw new Error('--snapshots is on or off');
  const gatewayDir = resolve(String(options.gatewayDir));
  const sipp = requireSipp();
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const broker = await startBroker();
    cleanups.push(() => broker.stop());
    progress(
      `starting ${options.doorbells} simulated doorbells on 127.0.0.2-${doorbellHost(options.doorbells - 1)}`,
    );
    const bells = await startDoorbellsProcess({ count: options.doorbells, password: DEVICE_PASSWORD });
    cleanups.push(() => bells.stop());
    const dataDir = mkdtempSync(join(tmpdir(), 'hikbridge-bench-ring-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const gateway = await startGatewayProcess({
      gatewayDir,
      dataDir,
      config: gatewayConfig(dataDir, broker.url, options.snapshots === 'on'),
      onLogLine: reportGatewayTrouble,
    });
    cleanups.push(() => gateway.stop());
    const api = new GatewayApi(gateway, await loginToGateway(gateway, ADMIN_PASSWORD));
    const deviceIds = await addDoorbells(api, bells.doorbells);
    const sipPort = await emulateSip(api, deviceIds);
    progress(
      `${deviceIds.length} doorbells in "emulate SIP proxy" mode; the gateway's SIP port is ${sipPort}`,
    );

    const sinks = new Sinks();
    cleanups.push(() => sinks.close());
    await sinks.open(gateway.url, api.token, broker.url);

    const peers = await Promise.all(
      bells.doorbells.map(async (bell, index) => ({
        index,
        host: bell.host,
        deviceId: deviceIds[index]!,
        port: await freeSipPort(bell.host),
      })),
    );
    await registerAll(api, sipp, sipPort, peers);
    progress(`all ${peers.length} doorbells registered`);

    const cpuBefore = cpuTimeMs(gateway.pid);
    const started = performance.now();
    const runs = await ringAll(sipp, sipPort, peers, { ...options, dir: dataDir });
    const runMs = performance.now() - started;
    const cpuMs = cpuTimeMs(gateway.pid) - cpuBefore;

    const failures = runs.filter((run) => run.result.code !== 0);
    const calls = runs.flatMap((run) => invitesOf(run.result.messages, peers[run.index]!.deviceId));
    await sinks.drain(calls, DRAIN_MS);
    checkClock();
    const figures = measure(calls, sinks);
    line({
      bench: 'ring',
      doorbells: options.doorbells,
      rings: calls.length,
      ringP50Ms: round(percentile(figures.ring, 50)),
      ringP99Ms: round(percentile(figures.ring, 99)),
      ringMaxMs: round(maxOf(figures.ring)),
      sse: figures.sse,
      mqtt: figures.mqtt,
      mqttRingEvent: figures.ringEvent,
      lost: figures.sse.lost + figures.mqtt.lost,
      duplicates: figures.sse.duplicates + figures.mqtt.duplicates,
      holdMs: options.holdMs,
      pauseMs: [options.pauseMinMs, options.pauseMaxMs],
      seed: options.seed,
      snapshots: options.snapshots,
      maxRingingAtOnce: figures.maxRingingAtOnce,
      ringsWhileAnotherRang: figures.ringsWhileAnotherRang,
      inviteRetransmissions: figures.retransmissions,
      failedSippRuns: failures.length,
      runSeconds: round(runMs / 1000, 1),
      ringsPerSecond: round(calls.length / (runMs / 1000), 1),
      gatewayCpuPercentOfOneCore: round((cpuMs / runMs) * 100, 1),
      gateway: checkoutOf(gatewayDir),
      machine: machine(),
    });
    const problems: string[] = [];
    if (failures.length > 0) problems.push(describeFailures(failures, peers));
    if (calls.length < options.rings)
      problems.push(`${calls.length} rings placed, ${options.rings} asked for`);
    if (figures.sse.lost + figures.mqtt.lost > 0)
      problems.push(`rings lost: ${figures.sse.lost} on SSE, ${figures.mqtt.lost} on MQTT`);
    if (figures.sse.duplicates + figures.mqtt.duplicates > 0)
      problems.push(
        `rings delivered twice: ${figures.sse.duplicates} on SSE, ${figures.mqtt.duplicates} on MQTT`,
      );
    if (figures.ringEvent.missing > 0 || figures.ringEvent.extra > 0)
      problems.push(
        `MQTT ring events: ${figures.ringEvent.missing} missing, ${figures.ringEvent.extra} more than rings`,
      );
    if (problems.length > 0) throw new Error(`ring benchmark failed:\n${problems.join('\n')}`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/**
 * The product's defaults but for what a benchmark must set: where data and the broker are, the
 * admin password, the SIP server on loopback only, live video off (no video flows here).
 * `snapshots: false` switches the pictures at ring start off.
 */
function gatewayConfig(dataDir: string, mqttUrl: string, snapshots: boolean): Record<string, unknown> {
  return {
    dataDir,
    server: { host: '127.0.0.1', port: 0 },
    auth: { adminPassword: ADMIN_PASSWORD },
    ...(snapshots ? {} : { events: { snapshotOnStart: false } }),
    mqtt: { url: mqttUrl, baseTopic: BASE_TOPIC, ...(snapshots ? {} : { snapshotOnEvent: false }) },
    media: { enabled: false },
    doorbell: { sipHost: '127.0.0.1' },
  };
}

/** Warnings and errors of the gateway, on stderr (the info lines, one per ring, are not). */
function reportGatewayTrouble(text: string): void {
  if (/"level":(40|50|60)\b|"level":"(warn|error|fatal)"/.test(text))
    progress(`gateway: ${text.slice(0, 400)}`);
}

// -----------------------------------------------------------------------------------------------
// Setting up through the API

class GatewayApi {
  constructor(
    private readonly gateway: GatewayProcess,
    readonly token: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown, status = 200): Promise<T> {
    const response = await fetch(`${this.gateway.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
    if (response.status !== status)
      throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
}

interface SipView {
  status: { state: string; detail: string | null; listenPort: number | null };
}

/** Adds every doorbell (probe, save), four at a time; the ids in the doorbells' order. */
async function addDoorbells(api: GatewayApi, doorbells: DoorbellAddress[]): Promise<string[]> {
  const ids = new Array<string>(doorbells.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < doorbells.length) {
      const index = next++;
      const { host, port } = doorbells[index]!;
      const body = { name: `Door ${index + 1}`, host, port, username: 'admin', password: DEVICE_PASSWORD };
      ids[index] = (await api.call<{ id: string }>('POST', '/api/v1/devices', body, 201)).id;
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, doorbells.length) }, worker));
  return ids;
}

/** Every doorbell in "emulate SIP proxy" mode on the shared port, not auto-configured; the port. */
async function emulateSip(api: GatewayApi, deviceIds: string[]): Promise<number> {
  const ports = new Set<number | null>();
  for (const id of deviceIds) {
    const view = await api.call<SipView>('PUT', `/api/v1/devices/${id}/sip`, {
      mode: 'emulate',
      emulate: { autoConfigure: false },
    });
    ports.add(view.status.listenPort);
  }
  const [port] = [...ports];
  if (ports.size !== 1 || typeof port !== 'number')
    throw new Error(`the doorbells were given SIP ports ${[...ports].join(', ')}; one shared port expected`);
  return port;
}

// -----------------------------------------------------------------------------------------------
// SIPp

interface Peer {
  index: number;
  host: string;
  deviceId: string;
  /** SIPp's local port (UDP) on the doorbell's address. */
  port: number;
}

function requireSipp(): string {
  try {
    execFileSync('sh', ['-c', 'command -v sipp'], { stdio: 'ignore' });
  } catch {
    throw new Error('sipp is missing: install the Debian package "sip-tester"');
  }
  return 'sipp';
}

function sippArgs(sipPort: number, peer: Peer, scenario: string, extra: string[] = []): string[] {
  return [
    `127.0.0.1:${sipPort}`,
    '-sf',
    `${SIPP_SCENARIOS}${scenario}`,
    '-t',
    'u1',
    '-i',
    peer.host,
    '-p',
    String(peer.port),
    ...extra,
  ];
}

/** Every doorbell registers at the same time; then the API must say each one is registered. */
async function registerAll(api: GatewayApi, sipp: string, sipPort: number, peers: Peer[]): Promise<void> {
  const runs = await Promise.all(
    peers.map((peer) => startSipp(sippArgs(sipPort, peer, 'bell-register.xml'), { binary: sipp }).result),
  );
  const problems: string[] = [];
  runs.forEach((run, index) => {
    const answered = sippBlocks(run.messages, 'received').some((block) => /SIP\/2\.0 200 /.test(block));
    if (run.code !== 0 || !answered)
      problems.push(`${peers[index]!.host}: REGISTER not accepted\n${describeSippRun(run)}`);
  });
  for (const peer of peers) {
    const view = await api.call<SipView>('GET', `/api/v1/devices/${peer.deviceId}/sip`);
    if (view.status.state !== 'registered')
      problems.push(
        `${peer.host}: the API says "${view.status.state}" (${view.status.detail ?? 'no detail'})`,
      );
  }
  if (problems.length > 0) throw new Error(`doorbells did not register:\n${problems.join('\n')}`);
}

interface RingPlan {
  rings: number;
  holdMs: number;
  pauseMinMs: number;
  pauseMaxMs: number;
  seed: number;
  /** Where the injection files go. */
  dir: string;
}

/**
 * Every doorbell rings its share of the rings, all at the same time, one call at a time each.
 * The pauses before the rings come from the benchmark (an injection file per doorbell, seeded),
 * not from SIPp's random pauses: those are the same in every SIPp started in the same second,
 * so every doorbell would ring in step with the others.
 */
async function ringAll(
  sipp: string,
  sipPort: number,
  peers: Peer[],
  plan: RingPlan,
): Promise<Array<{ index: number; result: SippResult }>> {
  const share = (index: number) =>
    Math.floor(plan.rings / peers.length) + (index < plan.rings % peers.length ? 1 : 0);
  const most = share(0);
  // Generous: every ring at its longest pause, its hold, and a second of answers.
  const perRingMs = plan.pauseMaxMs + plan.holdMs + CLOSING_PAUSE_MS + 1000;
  const timeoutSeconds = Math.ceil((most * perRingMs) / 1000) + 30;
  progress(
    `ringing: ${plan.rings} rings, ${most} per doorbell at most, each ${plan.holdMs} ms, ` +
      `${plan.pauseMinMs}-${plan.pauseMaxMs} ms apart`,
  );
  const random = seededRandom(plan.seed);
  return Promise.all(
    peers.map(async (peer) => {
      const pauses = Array.from({ length: share(peer.index) }, () =>
        Math.round(plan.pauseMinMs + random() * (plan.pauseMaxMs - plan.pauseMinMs)),
      );
      const injection = join(plan.dir, `ring-pauses-${peer.index + 1}.csv`);
      writeFileSync(injection, ['SEQUENTIAL', ...pauses.map((ms) => `${ms};`), ''].join('\n'));
      const args = sippArgs(sipPort, peer, 'bell-ring-loop.xml', [
        '-inf',
        injection,
        '-l',
        '1',
        '-r',
        '10',
        '-d',
        String(plan.holdMs),
      ]);
      const run = startSipp(args, { binary: sipp, calls: pauses.length, timeoutSeconds });
      return { index: peer.index, result: await run.result };
    }),
  );
}

/**
 * Which doorbells' SIPp runs failed, what answers broke their calls (`503 Service Unavailable`
 * x 98...), and the first failed run in full: fifty full runs would bury the cause.
 */
function describeFailures(failures: Array<{ index: number; result: SippResult }>, peers: Peer[]): string {
  const answers = new Map<string, number>();
  for (const { result } of failures) {
    for (const match of result.errors.matchAll(/received '(SIP\/2\.0 \d{3}[^\r\n']*)/g))
      answers.set(match[1]!, (answers.get(match[1]!) ?? 0) + 1);
  }
  const hosts = failures.map((run) => peers[run.index]!.host).join(', ');
  const breaking = [...answers].map(([answer, count]) => `${answer} x ${count}`).join(', ') || 'none logged';
  return (
    `SIPp failed for ${failures.length} doorbells (${hosts}); unexpected answers: ${breaking}\n` +
    `the first one in full:\n${describeSippRun(failures[0]!.result)}`
  );
}

/** One ring as SIPp placed it. */
interface PlacedCall {
  callId: string;
  deviceId: string;
  /** Wall-clock ms of the first INVITE (SIPp's log). */
  inviteAt: number;
  /** Wall-clock ms of the CANCEL, when it was sent. */
  cancelAt: number | undefined;
  /** INVITEs sent again because no answer came within SIPp's 500 ms. */
  retransmissions: number;
}

/**
 * The calls in a SIPp message log. Each message there starts with a line of dashes and the
 * local time SIPp read (gettimeofday) right after sending or receiving it, to the microsecond.
 */
function invitesOf(messages: string, deviceId: string): PlacedCall[] {
  const calls = new Map<string, PlacedCall>();
  for (const block of messages.split(/^(?=-{20,} \d{4}-\d\d-\d\d )/m)) {
    const head = /^-{20,} (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})[^\n]*\n[^\n]*message sent/.exec(
      block,
    );
    if (!head) continue;
    const [, year, month, day, hour, minute, second, micros] = head.map(Number) as number[];
    const at = new Date(year!, month! - 1, day!, hour!, minute!, second!).getTime() + (micros ?? 0) / 1000;
    const method = /^\s*(INVITE|CANCEL) sip:/m.exec(block)?.[1];
    const callId = /^\s*Call-ID:\s*(\S+)/im.exec(block)?.[1];
    if (!method || !callId) continue;
    const call = calls.get(callId);
    if (method === 'INVITE') {
      if (call) call.retransmissions++;
      else calls.set(callId, { callId, deviceId, inviteAt: at, cancelAt: undefined, retransmissions: 0 });
    } else if (call && call.cancelAt === undefined) {
      call.cancelAt = at;
    }
  }
  return [...calls.values()];
}

// -----------------------------------------------------------------------------------------------
// The receiving side: an SSE client and an MQTT subscriber

/** Ring starts as they arrived (wall-clock ms), by call id and, for the ring event entity, by device. */
class Sinks {
  readonly arrivals: Record<Sink, Map<string, number[]>> = { sse: new Map(), mqtt: new Map() };
  /** Ring starts without a call id (a polled ring), per sink. */
  readonly withoutCallId: Record<Sink, number> = { sse: 0, mqtt: 0 };
  /** `<base>/<device>/ring/state` messages per device. */
  readonly ringEvents = new Map<string, number[]>();
  private sse: { destroy(): void } | undefined;
  private mqtt: MqttClient | undefined;

  async open(apiUrl: string, token: string, mqttUrl: string): Promise<void> {
    this.mqtt = await subscribe(
      mqttUrl,
      [`${BASE_TOPIC}/+/ringing/attributes`, `${BASE_TOPIC}/+/ring/state`],
      (topic, payload, retained) => {
        const at = wallClockMs();
        if (retained) return; // an old state handed over on subscribing
        const [, deviceId, entity] = topic.split('/');
        if (entity === 'ring') {
          push(this.ringEvents, deviceId!, at);
          return;
        }
        const attributes = parseJson(payload) as {
          kind?: unknown;
          state?: unknown;
          details?: { callId?: unknown };
        };
        if (attributes?.kind === 'doorbell-ring' && attributes.state === 'start')
          this.record('mqtt', attributes.details?.callId, at);
      },
    );
    this.sse = await openSse(apiUrl, token, (event, at) => {
      const ring = event as { kind?: unknown; state?: unknown; attributes?: { callId?: unknown } };
      if (ring.kind === 'doorbell-ring' && ring.state === 'start')
        this.record('sse', ring.attributes?.callId, at);
    });
  }

  private record(sink: Sink, callId: unknown, at: number): void {
    if (typeof callId === 'string') push(this.arrivals[sink], callId, at);
    else this.withoutCallId[sink]++;
  }

  /** Waits until every call has arrived on both sinks (and each ring event), at most `timeoutMs`. */
  async drain(calls: PlacedCall[], timeoutMs: number): Promise<void> {
    const perDevice = countBy(calls.map((call) => call.deviceId));
    const complete = () =>
      calls.every((call) => this.arrivals.sse.has(call.callId) && this.arrivals.mqtt.has(call.callId)) &&
      [...perDevice].every(([deviceId, count]) => (this.ringEvents.get(deviceId)?.length ?? 0) >= count);
    const until = Date.now() + timeoutMs;
    while (!complete() && Date.now() < until) await sleep(50);
  }

  async close(): Promise<void> {
    this.sse?.destroy();
    await this.mqtt?.endAsync(true);
  }
}

function subscribe(
  url: string,
  topics: string[],
  onMessage: (topic: string, payload: Buffer, retained: boolean) => void,
): Promise<MqttClient> {
  const client = connect(url, { clientId: `bench-ring-${process.pid}`, clean: true, connectTimeout: 10_000 });
  client.on('message', (topic, payload, packet) => onMessage(topic, payload, packet.retain));
  return new Promise((resolve, reject) => {
    client.once('connect', () =>
      client.subscribe(topics, { qos: 0 }, (error) => (error ? reject(error) : resolve(client))),
    );
    client.once('error', reject);
  });
}

/** GET the SSE stream; `onEvent` gets each `event: event` payload and the time its chunk arrived. */
function openSse(
  apiUrl: string,
  token: string,
  onEvent: (event: unknown, at: number) => void,
): Promise<{ destroy(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${apiUrl}/api/v1/events/stream`,
      { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, timeout: 10_000 },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`SSE answered HTTP ${res.statusCode}`));
          return;
        }
        req.setTimeout(0); // connected: the stream is quiet between rings
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          const at = wallClockMs();
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const lines = buffer.slice(0, end).split('\n');
            buffer = buffer.slice(end + 2);
            if (!lines.includes('event: event')) continue;
            const data = lines
              .filter((each) => each.startsWith('data: '))
              .map((each) => each.slice(6))
              .join('\n');
            const event = parseJson(data);
            if (event !== undefined) onEvent(event, at);
          }
          // A runaway event without its blank line must not grow the buffer for ever.
          if (buffer.length > 1_000_000) buffer = '';
        });
        resolve({ destroy: () => req.destroy() });
      },
    );
    req.on('timeout', () => req.destroy(new Error('the SSE stream did not answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

// -----------------------------------------------------------------------------------------------
// Figures

interface SinkFigures {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  delivered: number;
  lost: number;
  duplicates: number;
  /** Ring starts that named a call SIPp did not place, or none (a polled ring). */
  unmatched: number;
}

function measure(calls: PlacedCall[], sinks: Sinks) {
  const known = new Set(calls.map((call) => call.callId));
  const perSink = (sink: Sink): { figures: SinkFigures; latency: Map<string, number> } => {
    const latency = new Map<string, number>();
    let duplicates = 0;
    for (const call of calls) {
      const arrived = sinks.arrivals[sink].get(call.callId);
      if (!arrived) continue;
      latency.set(call.callId, arrived[0]! - call.inviteAt);
      duplicates += arrived.length - 1;
    }
    const samples = [...latency.values()];
    const strangers = [...sinks.arrivals[sink].keys()].filter((callId) => !known.has(callId)).length;
    return {
      latency,
      figures: {
        ...spread(samples),
        delivered: samples.length,
        lost: calls.length - samples.length,
        duplicates,
        unmatched: strangers + sinks.withoutCallId[sink],
      },
    };
  };
  const sse = perSink('sse');
  const mqtt = perSink('mqtt');
  // A ring has reached "the user" once both have it: the slower of the two counts.
  const ring = calls.flatMap((call) => {
    const a = sse.latency.get(call.callId);
    const b = mqtt.latency.get(call.callId);
    return a === undefined || b === undefined ? [] : [Math.max(a, b)];
  });
  return {
    sse: sse.figures,
    mqtt: mqtt.figures,
    ring,
    ringEvent: ringEventFigures(calls, sinks.ringEvents),
    ...overlap(calls),
    retransmissions: calls.reduce((sum, call) => sum + call.retransmissions, 0),
  };
}

/** The MQTT ring event entity: the k-th message of a doorbell is taken for its k-th ring. */
function ringEventFigures(calls: PlacedCall[], arrivals: Map<string, number[]>) {
  const samples: number[] = [];
  let missing = 0;
  let extra = 0;
  const byDevice = new Map<string, number[]>();
  for (const call of calls) push(byDevice, call.deviceId, call.inviteAt);
  for (const [deviceId, invites] of byDevice) {
    invites.sort((a, b) => a - b);
    const got = arrivals.get(deviceId) ?? [];
    invites.forEach((inviteAt, k) => {
      if (got[k] !== undefined) samples.push(got[k] - inviteAt);
    });
    missing += Math.max(0, invites.length - got.length);
    extra += Math.max(0, got.length - invites.length);
  }
  return { ...spread(samples), delivered: samples.length, missing, extra };
}

/** How often doorbells rang together: the most at one moment, and the rings that began while another doorbell rang. */
function overlap(calls: PlacedCall[]): { maxRingingAtOnce: number; ringsWhileAnotherRang: number } {
  const edges = calls.flatMap((call) => [
    { at: call.inviteAt, step: 1 },
    { at: call.cancelAt ?? call.inviteAt, step: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let ringing = 0;
  let most = 0;
  let together = 0;
  for (const edge of edges) {
    if (edge.step === 1 && ringing > 0) together++;
    ringing += edge.step;
    most = Math.max(most, ringing);
  }
  return { maxRingingAtOnce: most, ringsWhileAnotherRang: together };
}

function spread(samples: number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  return {
    p50Ms: round(percentile(samples, 50)),
    p99Ms: round(percentile(samples, 99)),
    maxMs: round(maxOf(samples)),
  };
}

/**
 * Arrivals are read on performance.timeOrigin + performance.now(), SIPp reads gettimeofday():
 * the monotonic clock behind performance.now() must not have drifted from the wall clock since
 * this process started (NTP slewing), or every latency would be off by as much.
 */
function checkClock(): void {
  const drift = wallClockMs() - Date.now();
  if (drift < -1 || drift > 2)
    progress(`warning: this process's clock is ${round(drift)} ms off the wall clock`);
}

function machine(): Record<string, unknown> {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    node: process.version,
    loadAverage1m: round(loadavg()[0] ?? 0),
  };
}

// -----------------------------------------------------------------------------------------------
// Small helpers

function maxOf(samples: number[]): number {
  return samples.length ? samples.reduce((a, b) => Math.max(a, b)) : Number.NaN;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function countBy(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

function parseJson(text: string | Buffer): unknown {
  try {
    return JSON.parse(text.toString());
  } catch {
    return undefined;
  }
}

function line(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function progress(message: string): void {
  process.stderr.write(`ring: ${message}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
