/**
 * A live source, the way a browser microphone arrives: Opus published to a MediaMTX path (here
 * by ffmpeg, in the browser's place), read by the talk module from its RTSP URL, transcoded and
 * paced to the simulated device.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediamtxBinary } from '../support/mediamtx.ts';
import { freePort } from '../support/postgres.ts';
import {
  audioRequests,
  decodeG711,
  dominantFrequency,
  FFMPEG,
  ffmpeg,
  ffmpegChildren,
  harness,
  rms,
  waitFor,
  watchArrivals,
} from './support.ts';

let server: ChildProcess | undefined;
let publisher: ChildProcess | undefined;
let micUrl = '';
const dir = mkdtempSync(join(tmpdir(), 'hikbridge-talk-live-'));

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Attempts at starting MediaMTX: another process may take the free port before it binds it. */
const START_ATTEMPTS = 5;

/**
 * MediaMTX serving RTSP on a free port. MediaMTX cannot tell which port it got for port 0, so
 * a port found free is used, and a new one tried when another process bound it first.
 */
async function startServer(): Promise<{ child: ChildProcess; port: number; log: () => string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = {
      logLevel: 'info', // its "started with listeners" line says the port is bound
      api: false,
      rtspAddress: `127.0.0.1:${port}`,
      rtspTransports: ['tcp'],
      rtmp: false,
      hls: false,
      webrtc: false,
      srt: false,
      // MoQ would create auto.crt/auto.key in the working directory.
      moq: false,
      paths: { all_others: {} },
    };
    // YAML is a superset of JSON.
    const file = join(dir, 'mediamtx.yml');
    writeFileSync(file, JSON.stringify(config));
    const child = spawn(await mediamtxBinary(), [file], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    let log = '';
    const listening = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 15_000);
      const keep = (chunk: Buffer) => {
        log = (log + chunk.toString()).slice(-4000);
        if (log.includes('[RTSP] started with listeners')) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (listening) return { child, port, log: () => log };
    await stop(child);
    if (!log.includes('address already in use') || attempt === START_ATTEMPTS)
      throw new Error(`MediaMTX did not start listening on ${port}:\n${log}`);
  }
}

beforeAll(async () => {
  const started = await startServer();
  server = started.child;
  const rtspPort = started.port;
  const serverLog = started.log;
  micUrl = `rtsp://127.0.0.1:${rtspPort}/mic`;
  // The browser's part: Opus at 48 kHz, published in real time.
  publisher = spawn(
    FFMPEG,
    [
      ...[
        '-hide_banner',
        '-loglevel',
        'error',
        '-re',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=1000:sample_rate=48000',
      ],
      ...['-c:a', 'libopus', '-b:a', '32k', '-f', 'rtsp', '-rtsp_transport', 'tcp', micUrl],
    ],
    { stdio: 'ignore' },
  );
  // Generous: on a loaded machine MediaMTX and the publisher can take a while to come up.
  const deadline = performance.now() + 30_000;
  for (;;) {
    try {
      await ffmpeg(['-rtsp_transport', 'tcp', '-i', micUrl, '-t', '0.1', '-f', 'null', '-']);
      break;
    } catch (error) {
      if (performance.now() > deadline) {
        throw new Error(`the microphone stream never became readable: ${error}\nMediaMTX: ${serverLog()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}, 45_000);

afterAll(async () => {
  await stop(publisher);
  await stop(server);
  rmSync(dir, { recursive: true, force: true });
});

describe('talk: a live RTSP source', () => {
  it('is transcoded and paced in real time until stopped', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera' });
    const arrivals = watchArrivals(sim);
    const started = await h.talk.startSession({ deviceId, source: { url: micUrl } });
    expect(started.codec).toBe('mulaw');
    // Measure once audio has flowed for 2.6 s at the device, however long it took to start.
    await waitFor(() => arrivals.reached(1) !== undefined, 20_000);
    const flowing = arrivals.reached(1)!;
    await waitFor(() => (arrivals.samples.at(-1)?.at ?? 0) >= flowing + 2600, 20_000);
    const ended = await h.talk.stopSession(started.sessionId);
    arrivals.stop();
    expect(ended.reason).toBe('stopped');

    // The rate at the device is the spoken rate: 8000 bytes per second.
    const first = arrivals.reached(1)!;
    const from = arrivals.samples.find((s) => s.at >= first + 1000)!;
    const to = arrivals.samples.find((s) => s.at >= first + 2500)!;
    const rate = ((to.bytes - from.bytes) * 1000) / (to.at - from.at);
    expect(rate).toBeGreaterThan(8000 * 0.85);
    expect(rate).toBeLessThan(8000 * 1.15);

    const received = sim.audioReceived(1);
    const samples = await decodeG711(received, 'mulaw');
    expect(Math.abs(dominantFrequency(samples.subarray(4000)) - 1000)).toBeLessThanOrEqual(20);
    expect(rms(samples.subarray(4000))).toBeGreaterThan(1000);
    expect(audioRequests(sim).at(-1)).toBe('PUT close 200');
    expect(ffmpegChildren().filter((pid) => pid !== publisher?.pid)).toEqual([]);
  });
});
