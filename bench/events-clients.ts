/**
 * The receiving side of the events benchmark, in a process of its own so the gateway's CPU
 * figure is the gateway's: one SSE client on /api/v1/events/stream and one MQTT subscriber on
 * the entity attributes topics. Every stamped event (see sim/control.ts `stampOf`) gives one
 * latency sample: receive time minus the simulator's emit time, both on the machine's wall
 * clock (performance.timeOrigin + performance.now(), µs precision, comparable across processes).
 * Ends without a stamp are the gateway's own (quiet period, stream lost): they are counted, as
 * each stands for a device "inactive" that arrived when its episode was already over.
 *
 * Parent side: startClientsProcess(). Child protocol on stdout, one JSON object per line:
 * {"type":"ready"}, {"type":"progress","sse":N,"mqtt":N} every 250 ms, and {"type":"result",...}
 * after "stop" arrives on stdin.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from 'mqtt';
import { stampOf, wallClockMs } from '../sim/control.ts';

export interface ClientsConfig {
  apiUrl: string;
  token: string;
  mqttUrl: string;
  baseTopic: string;
}

export interface ClientsResult {
  /** Latency samples in ms, in arrival order. */
  sse: number[];
  mqtt: number[];
  /** Emit time (wall clock ms) of each sample, same order. */
  sseEmitted: number[];
  mqttEmitted: number[];
  /** Episode ends the gateway made itself (no stamp), per path. */
  sseGatewayEnds: number;
  mqttGatewayEnds: number;
}

export interface ClientsProcess {
  readonly counts: { sse: number; mqtt: number; sseGatewayEnds: number; mqttGatewayEnds: number };
  stop(): Promise<ClientsResult>;
}

const SELF = fileURLToPath(import.meta.url);

export function startClientsProcess(config: ClientsConfig, timeoutMs = 20_000): Promise<ClientsProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const counts = { sse: 0, mqtt: 0, sseGatewayEnds: 0, mqttGatewayEnds: 0 };
  let onResult: ((result: ClientsResult) => void) | undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the SSE/MQTT clients were not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the SSE/MQTT clients exited with code ${code}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let message: { type: string } & Record<string, unknown>;
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        process.stderr.write(`events clients: unreadable line (${line.length} characters)\n`);
        return;
      }
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve({ counts, stop: () => stopClients(child, (done) => (onResult = done)) });
      } else if (message.type === 'progress') {
        counts.sse = message.sse as number;
        counts.mqtt = message.mqtt as number;
        counts.sseGatewayEnds = message.sseGatewayEnds as number;
        counts.mqttGatewayEnds = message.mqttGatewayEnds as number;
      } else if (message.type === 'result') {
        onResult?.(message as unknown as ClientsResult);
      }
    });
  });
}

function stopClients(
  child: ChildProcess,
  listen: (done: (result: ClientsResult) => void) => void,
): Promise<ClientsResult> {
  return new Promise((resolve, reject) => {
    listen(resolve);
    child.removeAllListeners('exit');
    child.once('exit', (code) => reject(new Error(`the SSE/MQTT clients exited with code ${code}`)));
    child.stdin!.write('stop\n');
  });
}

/** Child: connect both clients, collect samples until told to stop. */
async function runClients(config: ClientsConfig): Promise<void> {
  const sse: number[] = [];
  const mqtt: number[] = [];
  const emitted = { sse: [] as number[], mqtt: [] as number[] };
  const gatewayEnds = { sse: 0, mqtt: 0 };
  const sample = (path: 'sse' | 'mqtt', list: number[], stamp: number, at: number): void => {
    list.push(at - stamp);
    emitted[path].push(stamp);
  };

  const subscriber = connect(config.mqttUrl, { clientId: `bench-sub-${process.pid}`, clean: true });
  subscriber.on('message', (_topic, payload, packet) => {
    const at = wallClockMs();
    // A retained message is an old state handed over on subscribing, not a new event.
    if (packet.retain) return;
    let attributes: { state?: unknown; details?: { description?: unknown } };
    try {
      attributes = JSON.parse(payload.toString('utf8')) as typeof attributes;
    } catch {
      return;
    }
    const stamp = stampOf(attributes.details?.description);
    if (stamp !== undefined) sample('mqtt', mqtt, stamp, at);
    else if (attributes.state === 'end') gatewayEnds.mqtt++;
  });
  await new Promise<void>((resolve, reject) => {
    subscriber.once('connect', () =>
      subscriber.subscribe(`${config.baseTopic}/+/+/attributes`, { qos: 0 }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    subscriber.once('error', reject);
  });

  const sseSocket = await openSse(config, (json, at) => {
    const event = json as { state?: unknown; attributes?: { description?: unknown } };
    const stamp = stampOf(event.attributes?.description);
    if (stamp !== undefined) sample('sse', sse, stamp, at);
    else if (event.state === 'end') gatewayEnds.sse++;
  });

  const counts = () => ({
    sse: sse.length,
    mqtt: mqtt.length,
    sseGatewayEnds: gatewayEnds.sse,
    mqttGatewayEnds: gatewayEnds.mqtt,
  });
  const progress = setInterval(() => print({ type: 'progress', ...counts() }), 250);
  print({ type: 'ready' });
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'stop') return;
    clearInterval(progress);
    const result = {
      type: 'result',
      sse,
      mqtt,
      sseEmitted: emitted.sse,
      mqttEmitted: emitted.mqtt,
      sseGatewayEnds: gatewayEnds.sse,
      mqttGatewayEnds: gatewayEnds.mqtt,
    };
    sseSocket.destroy();
    // stdout is a pipe (asynchronous): exit only once the whole result has been handed over.
    subscriber.end(true, () => process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0)));
  });
}

/** GET the SSE stream; calls `onEvent` with each `event: event` payload and its arrival time. */
function openSse(
  config: ClientsConfig,
  onEvent: (json: unknown, at: number) => void,
): Promise<{ destroy(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${config.apiUrl}/api/v1/events/stream`,
      { headers: { authorization: `Bearer ${config.token}`, accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`SSE answered HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          const at = wallClockMs();
          buffer += chunk;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
            if (!block.includes('event: event\n')) continue;
            const data = block.slice(block.indexOf('data: ') + 6);
            onEvent(JSON.parse(data), at);
          }
        });
        resolve({ destroy: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

if (process.argv[1] === SELF) {
  runClients(JSON.parse(process.argv[2] ?? '{}') as ClientsConfig).catch((error: unknown) => {
    process.stderr.write(`events clients: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
