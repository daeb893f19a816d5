/**
 * Talk test harness: a real store, devices module and talk module against simulated devices on
 * loopback, real ffmpeg for making and decoding audio, and a small DFT to check what arrived.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach } from 'vitest';
import { type SimDevice, type SimDeviceOptions, startSimDevice } from '../../sim/index.ts';
import { Bus, type BusEvents } from '../../src/core/bus.ts';
import { createLogger } from '../../src/core/logger.ts';
import { createStore, type Store } from '../../src/core/store/index.ts';
import { DevicesModule } from '../../src/modules/devices/index.ts';
import { TalkModule, type TalkSettings } from '../../src/modules/talk/index.ts';
import { settingsOf } from '../support/settings.ts';
import { requireTool } from '../support/system-tools.ts';

export const FFMPEG = requireTool('ffmpeg', 'ffmpeg');
const PASSWORD = 'Hik12345!';
const dir = mkdtempSync(join(tmpdir(), 'hikbridge-talk-'));
const cleanups: Array<() => Promise<unknown> | unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

export function onCleanup(cleanup: () => Promise<unknown> | unknown): void {
  cleanups.push(cleanup);
}

export interface Harness {
  store: Store;
  bus: Bus;
  devices: DevicesModule;
  talk: TalkModule;
  /** Bus events of the talk module, in order. */
  events: Array<{ name: keyof BusEvents; payload: unknown }>;
  /** Starts a simulated device and adds it to the gateway. */
  addSim(
    options: Partial<SimDeviceOptions> & Pick<SimDeviceOptions, 'profile'>,
    beforeAdd?: (sim: SimDevice) => void,
  ): Promise<AddedSim>;
}

export interface AddedSim {
  sim: SimDevice;
  deviceId: string;
}

export async function harness(settings: Partial<TalkSettings> = {}): Promise<Harness> {
  const store = await createStore({
    url: join(dir, `${randomBytes(6).toString('hex')}.db`),
    secretKey: randomBytes(32),
  });
  cleanups.push(() => store.close());
  const logger = createLogger({ level: process.env.TALK_TEST_LOG ? 'debug' : 'silent' });
  const bus = new Bus();
  const devices = new DevicesModule({
    store,
    bus,
    logger,
    settings: settingsOf('devices', {
      requestTimeoutMs: 5000,
      supervisor: { checkIntervalSeconds: 60, minBackoffSeconds: 1, maxBackoffSeconds: 5 },
    }),
  });
  await devices.start();
  cleanups.push(() => devices.stop());
  const talk = new TalkModule({
    store,
    bus,
    logger,
    devices,
    settings: { ...settingsOf('talk'), ffmpegPath: 'ffmpeg', requestTimeoutMs: 5000, ...settings },
  });
  await talk.start();
  cleanups.push(() => talk.stop());
  const events: Harness['events'] = [];
  for (const name of ['talk.started', 'talk.ended'] as const) {
    bus.on(name, (payload) => events.push({ name, payload }));
  }
  return {
    store,
    bus,
    devices,
    talk,
    events,
    async addSim(options, beforeAdd) {
      const sim = await startSimDevice({ heartbeatMs: 0, snapshotDelayMs: 0, ...options });
      cleanups.push(() => sim.close());
      beforeAdd?.(sim);
      const url = new URL(sim.url);
      const device = await devices.registry.add({
        host: url.hostname,
        port: Number(url.port),
        password: PASSWORD,
      });
      return { sim, deviceId: device.id };
    },
  };
}

/** Runs ffmpeg and returns its stdout. */
export function ffmpeg(args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG, ['-hide_banner', '-loglevel', 'error', ...args], {
      stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('error', reject);
    // 'close', not 'exit': stdout may still hold data when the process has exited.
    child.once('close', (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg ${args.join(' ')}: ${err}`)),
    );
    if (input) {
      child.stdin!.on('error', () => {});
      child.stdin!.end(input);
    }
  });
}

/** A sine tone as a file ffmpeg made (16 kHz WAV by default, so the gateway has to resample). */
export function tone(
  seconds: number,
  options: { frequency?: number; format?: string } = {},
): Promise<Buffer> {
  const { frequency = 1000, format = 'wav' } = options;
  const codec = format === 'mp3' ? ['-c:a', 'libmp3lame', '-b:a', '64k'] : [];
  return ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${frequency}:duration=${seconds}`,
    '-ar',
    '16000',
    '-ac',
    '1',
    ...codec,
    '-f',
    format,
    'pipe:1',
  ]);
}

/** Raw 8 kHz G.711 back to 16-bit PCM samples, decoded by ffmpeg. */
export async function decodeG711(bytes: Buffer, codec: 'mulaw' | 'alaw'): Promise<Int16Array> {
  const pcm = await ffmpeg(
    ['-f', codec, '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-f', 's16le', 'pipe:1'],
    bytes,
  );
  return new Int16Array(pcm.buffer, pcm.byteOffset, Math.floor(pcm.length / 2));
}

/** The strongest frequency in 50..3950 Hz: a coarse DFT scan, then a 1 Hz refinement. */
export function dominantFrequency(samples: Int16Array, rate = 8000): number {
  const window = samples.subarray(0, Math.min(samples.length, rate)); // up to 1 s: 1 Hz resolution
  const power = (frequency: number): number => {
    let re = 0;
    let im = 0;
    const step = (2 * Math.PI * frequency) / rate;
    for (let i = 0; i < window.length; i++) {
      re += window[i]! * Math.cos(step * i);
      im -= window[i]! * Math.sin(step * i);
    }
    return re * re + im * im;
  };
  const best = (from: number, to: number, step: number): number => {
    let top = from;
    let topPower = -1;
    for (let f = from; f <= to; f += step) {
      const p = power(f);
      if (p > topPower) {
        topPower = p;
        top = f;
      }
    }
    return top;
  };
  const coarse = best(50, 3950, 10);
  return best(coarse - 10, coarse + 10, 1);
}

/** RMS of the samples, to tell a tone from silence. */
export function rms(samples: Int16Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** ffmpeg processes that are children of this test process. */
export function ffmpegChildren(): number[] {
  try {
    const out = execFileSync('pgrep', ['-P', String(process.pid), '-x', 'ffmpeg'], { encoding: 'utf8' });
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => Number(line));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Samples how many bytes the simulator has received, every `intervalMs`, until stopped. */
export function watchArrivals(sim: SimDevice, channel = 1, intervalMs = 20) {
  const samples: Array<{ at: number; bytes: number }> = [];
  const timer = setInterval(() => {
    samples.push({ at: performance.now(), bytes: sim.audioReceived(channel).length });
  }, intervalMs);
  return {
    samples,
    stop: () => clearInterval(timer),
    /** When the received byte count first reached `bytes`. */
    reached(bytes: number): number | undefined {
      return samples.find((sample) => sample.bytes >= bytes)?.at;
    },
  };
}

/** The two-way audio requests the device accepted, in order: `PUT close`, `PUT open`, ... */
export function audioRequests(sim: SimDevice, channel = 1): string[] {
  const prefix = `/ISAPI/System/TwoWayAudio/channels/${channel}/`;
  return sim.requests
    .filter((r) => r.authorized && r.path.startsWith(prefix))
    .map((r) => `${r.method} ${r.path.slice(prefix.length)} ${r.status}`);
}

/** Serves `body` over HTTP on loopback; returns its URL. */
export async function serveFile(body: Buffer, contentType: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/audio`;
}

export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
