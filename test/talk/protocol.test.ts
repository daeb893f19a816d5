/**
 * The two-way audio protocol pieces on their own: the pacer's schedule (with a fake clock, so
 * timer lateness can be made up), the bounded queue, codec names, and a device that answers the
 * upload at once instead of at the end (the simulator does the latter).
 */
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AudioQueue,
  G711_FRAME_BYTES,
  g711CodecOf,
  newPaceStats,
  paceG711,
} from '../../src/protocols/audio/index.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import { openTwoWayAudio } from '../../src/protocols/isapi/two-way-audio.ts';

/** A clock that only moves when the pacer sleeps; every sleep overshoots by `overshootMs`. */
function fakeClock(overshootMs: number) {
  let time = 1000;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
    sleep: async (ms: number) => {
      time += ms + overshootMs;
    },
  };
}

async function collect(frames: AsyncGenerator<Buffer>, clock: { now: () => number }) {
  const out: Array<{ at: number; frame: Buffer }> = [];
  for await (const frame of frames) out.push({ at: clock.now(), frame });
  return out;
}

function filledQueue(bytes: number, value = 0x11): AudioQueue {
  const queue = new AudioQueue({ maxBytes: 1 << 20, overflow: 'pause' });
  queue.push(Buffer.alloc(bytes, value));
  queue.end();
  return queue;
}

describe('paceG711', () => {
  it('keeps a drift-free 20 ms schedule although every timer fires late', async () => {
    const clock = fakeClock(7);
    const stats = newPaceStats();
    const out = await collect(
      paceG711(filledQueue(100 * G711_FRAME_BYTES), { codec: 'mulaw', leadFrames: 2, stats, ...clock }),
      clock,
    );
    expect(out).toHaveLength(100);
    const start = out[0]!.at;
    // Frame n goes out at (n - 2) * 20 ms, never more than one overshoot late: lateness does not add up.
    for (const [n, { at }] of out.entries()) {
      const due = start + Math.max(0, n - 2) * 20;
      expect(at - due).toBeGreaterThanOrEqual(0);
      expect(at - due).toBeLessThanOrEqual(7);
    }
    expect(stats).toMatchObject({ frames: 100, silenceFrames: 0, resyncs: 0 });
  });

  it('after a long stall it restarts the schedule instead of bursting the backlog', async () => {
    const clock = fakeClock(0);
    const stats = newPaceStats();
    const frames = paceG711(filledQueue(50 * G711_FRAME_BYTES), {
      codec: 'mulaw',
      leadFrames: 0,
      stats,
      ...clock,
    });
    const times: number[] = [];
    for await (const _frame of frames) {
      times.push(clock.now());
      if (times.length === 10) clock.advance(500); // the connection blocked for half a second
    }
    expect(stats.resyncs).toBe(1);
    // From the 11th frame on the spacing is 20 ms again, not 25 frames at once.
    for (let i = 11; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(20);
  });

  it('pads the last partial frame and fills gaps of a live source with silence, then gives up', async () => {
    const clock = fakeClock(0);
    const padded = await collect(paceG711(filledQueue(200), { codec: 'alaw', ...clock }), clock);
    expect(padded.map(({ frame }) => frame.length)).toEqual([160, 160]);
    expect(padded[1]!.frame.subarray(40).every((byte) => byte === 0xd5)).toBe(true);

    const live = new AudioQueue({ maxBytes: 2400, overflow: 'drop-oldest' });
    live.push(Buffer.alloc(160, 0x22));
    const stats = newPaceStats();
    const out = await collect(paceG711(live, { codec: 'mulaw', maxGapMs: 200, stats, ...clock }), clock);
    expect(out[0]!.frame[0]).toBe(0x22);
    expect(out.slice(1).every(({ frame }) => frame.every((byte) => byte === 0xff))).toBe(true);
    expect(stats.starved).toBe(true);
    expect(stats.silenceFrames).toBeGreaterThanOrEqual(9);
    expect(stats.silenceFrames).toBeLessThanOrEqual(11);
  });
});

describe('AudioQueue', () => {
  it('drop-oldest keeps the newest bytes within its bound', () => {
    const queue = new AudioQueue({ maxBytes: 400, overflow: 'drop-oldest' });
    for (let i = 0; i < 10; i++) queue.push(Buffer.alloc(100, i));
    expect(queue.size).toBe(400);
    expect(queue.dropped).toBe(600);
    expect(queue.take(400)![0]).toBe(6);
  });

  it('pause asks the producer to wait at the bound and to go on once half is taken', () => {
    const queue = new AudioQueue({ maxBytes: 400, overflow: 'pause' });
    let resumed = 0;
    queue.onDrain(() => resumed++);
    expect(queue.push(Buffer.alloc(300))).toBe(true);
    expect(queue.push(Buffer.alloc(300))).toBe(false);
    expect(queue.take(160)).toHaveLength(160);
    expect(resumed).toBe(0);
    queue.take(300);
    expect(resumed).toBe(1);
    expect(queue.take(160)).toBeUndefined(); // 140 left, not ended: wait for more
    queue.end();
    expect(queue.take(160)).toHaveLength(140);
  });
});

describe('g711CodecOf', () => {
  it('knows the names devices use', () => {
    expect(['G.711ulaw', 'G.711U', 'PCMU', 'G711ulaw'].map(g711CodecOf)).toEqual(Array(4).fill('mulaw'));
    expect(['G.711alaw', 'G.711A', 'PCMA'].map(g711CodecOf)).toEqual(Array(3).fill('alaw'));
    expect(['G.726', 'AAC', 'MP2L2', 'G.722.1', 'PCM'].map(g711CodecOf)).toEqual(Array(5).fill(undefined));
  });
});

// ---------------------------------------------------------------------------------------------

interface Upload {
  bytes: Buffer;
  head: string;
  closed: boolean;
}

const sockets = new Set<Socket>();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  for (const close of closers.splice(0)) await close();
});

/**
 * A device without authentication that answers an audioData upload with 200 at once and keeps
 * reading (firmware differs: the simulator answers at the end). `hangUpAfter` bytes, it drops
 * the connection, as a device does when its own session ends.
 */
async function earlyAnswerDevice(hangUpAfter = Number.POSITIVE_INFINITY) {
  const uploads: Upload[] = [];
  const requests: string[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    let upload: Upload | undefined;
    socket.on('close', () => {
      if (upload) upload.closed = true;
    });
    socket.on('data', (chunk: Buffer) => {
      if (upload) {
        upload.bytes = Buffer.concat([upload.bytes, chunk]);
        if (upload.bytes.length >= hangUpAfter) socket.destroy();
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0 && !upload; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.subarray(0, end).toString('latin1');
        pending = pending.subarray(end + 4);
        const [method, target] = head.split(' ');
        requests.push(`${method} ${target}`);
        if (target!.includes('/audioData')) {
          upload = { bytes: pending, head, closed: false };
          uploads.push(upload);
          socket.write(
            'HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\nconnection: close\r\n\r\n',
          );
          return;
        }
        const body = target!.endsWith('/open')
          ? '<TwoWayAudioSession><sessionId>abc</sessionId></TwoWayAudioSession>'
          : '<ResponseStatus><statusCode>1</statusCode><statusString>OK</statusString></ResponseStatus>';
        socket.write(
          `HTTP/1.1 200 OK\r\ncontent-type: application/xml\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  const client = new IsapiClient({
    baseUrl: `http://127.0.0.1:${port}`,
    auth: 'none',
    requestTimeoutMs: 2000,
  });
  closers.push(() => client.close());
  return { client, uploads, requests };
}

function paced(frames: number, signal?: AbortSignal) {
  return paceG711(filledQueue(frames * G711_FRAME_BYTES, 0x42), {
    codec: 'mulaw',
    ...(signal ? { signal } : {}),
  });
}

describe('a device that answers the upload at once', () => {
  it('gets every byte raw on one connection, with Content-Length 0 and no chunking', async () => {
    const device = await earlyAnswerDevice();
    const session = await openTwoWayAudio(device.client, 1);
    expect(session.sessionId).toBe('abc');
    const end = await session.send(paced(25), { tailMs: 0 });
    expect(end).toBe('source-ended');
    expect(await session.close()).toBeUndefined();
    const [upload] = device.uploads;
    expect(upload!.bytes).toHaveLength(25 * 160);
    expect(upload!.head).toMatch(/content-length: 0/i);
    expect(upload!.head).not.toMatch(/transfer-encoding/i);
    expect(upload!.head).toMatch(/content-type: application\/octet-stream/i);
    expect(device.requests).toEqual([
      'PUT /ISAPI/System/TwoWayAudio/channels/1/close',
      'PUT /ISAPI/System/TwoWayAudio/channels/1/open',
      'PUT /ISAPI/System/TwoWayAudio/channels/1/audioData?sessionId=abc',
      'PUT /ISAPI/System/TwoWayAudio/channels/1/close',
    ]);
    await expect.poll(() => upload!.closed).toBe(true);
  });

  it('hanging up mid-stream ends the upload as device-ended', async () => {
    const device = await earlyAnswerDevice(1600);
    const session = await openTwoWayAudio(device.client, 1);
    const end = await session.send(paced(200), { tailMs: 0 });
    expect(end).toBe('device-ended');
    await session.close();
    expect(device.uploads[0]!.bytes.length).toBeLessThan(200 * 160);
  });

  it('an abort ends the upload at once', async () => {
    const device = await earlyAnswerDevice();
    const session = await openTwoWayAudio(device.client, 1);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    const end = await session.send(paced(500, controller.signal), { signal: controller.signal });
    expect(end).toBe('aborted');
    // The source holds 10 s of audio: well under that, with room for a loaded machine.
    expect(performance.now() - started).toBeLessThan(5000);
    await session.close();
  });
});
