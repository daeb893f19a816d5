/**
 * The simulated doorbells of the ring benchmark, in a process of their own (the benchmark's
 * clock readings must not wait behind the simulators' work): N doorbells from the simulator,
 * each on its own loopback address (127.0.0.2, 127.0.0.3...), since the gateway tells the
 * doorbells of an emulated SIP proxy apart by their source address. `hikbridge sim` listens on
 * one address only, hence this small runner.
 *
 * Parent side: startDoorbellsProcess(). Child protocol on stdout: one JSON line
 * `{"type":"ready","doorbells":[{"host","port"}...]}`; it stops when its stdin closes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type SimDevice, startSimDevice } from '../sim/index.ts';
import { stopChild } from './sim-process.ts';

export interface DoorbellAddress {
  host: string;
  port: number;
}

export interface DoorbellsProcess {
  doorbells: DoorbellAddress[];
  stop(): Promise<void>;
}

interface DoorbellsConfig {
  count: number;
  password: string;
}

const SELF = fileURLToPath(import.meta.url);

/** The loopback address of doorbell `index` (0-based): 127.0.0.2 onwards. */
export function doorbellHost(index: number): string {
  return `127.0.0.${index + 2}`;
}

export function startDoorbellsProcess(
  config: DoorbellsConfig,
  timeoutMs = 60_000,
): Promise<DoorbellsProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the simulated doorbells did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the simulated doorbells exited with code ${code} before they were ready`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let message: { type?: string; doorbells?: DoorbellAddress[] };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        return;
      }
      if (message.type !== 'ready' || !message.doorbells) return;
      clearTimeout(timer);
      resolve({ doorbells: message.doorbells, stop: () => stopDoorbells(child) });
    });
  });
}

function stopDoorbells(child: ChildProcess): Promise<void> {
  child.stdin?.end();
  return stopChild(child, 5000);
}

/** Child: start the doorbells, report where they listen, close them when stdin closes. */
async function runDoorbells(config: DoorbellsConfig): Promise<void> {
  const devices: SimDevice[] = [];
  let closing = false;
  const close = async (): Promise<never> => {
    if (!closing) {
      closing = true;
      await Promise.allSettled(devices.map((device) => device.close()));
    }
    process.exit(0);
  };
  process.stdin.on('end', () => void close());
  process.stdin.resume();
  process.on('SIGTERM', () => void close());
  for (let index = 0; index < config.count; index++) {
    devices.push(
      await startSimDevice({
        profile: 'doorbell',
        host: doorbellHost(index),
        password: config.password,
        // Each doorbell its own serial number: the gateway knows a device again by it.
        serialNumber: `SIMRING${String(index + 1).padStart(5, '0')}`,
      }),
    );
  }
  const doorbells = devices.map((device, index) => ({ host: doorbellHost(index), port: device.port }));
  process.stdout.write(`${JSON.stringify({ type: 'ready', doorbells })}\n`);
}

if (process.argv[1] === SELF) {
  runDoorbells(JSON.parse(process.argv[2] ?? '{}') as DoorbellsConfig).catch((error: unknown) => {
    process.stderr.write(`ring doorbells: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
