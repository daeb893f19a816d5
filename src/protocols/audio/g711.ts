/**
 * G.711 for two-way audio, shared by both links to a device's speaker (ISAPI audioData upload and
 * the ONVIF RTSP back-channel): codec names, the bounded queue between the transcoder and the
 * link, and the real-time pacing devices need, because they play whatever arrives, when it
 * arrives: a burst is either dropped or played too fast.
 *
 * Pure protocol: no application state. Transcoding to G.711 is the caller's business (ffmpeg);
 * this file only moves 8 kHz mono G.711 bytes at the right speed.
 */
import { performance } from 'node:perf_hooks';

/** 8 kHz mono G.711: one byte per sample. */
export const G711_SAMPLE_RATE = 8000;
/** 20 ms of G.711, the packet size devices themselves use. */
export const G711_FRAME_BYTES = 160;
export const G711_FRAME_MS = 20;
/**
 * After the last frame, how long a link waits before its session may be closed, so the device
 * plays what it still holds in its buffer instead of being cut off.
 */
export const DEFAULT_TAIL_MS = 300;

/** The two G.711 flavours, named like ffmpeg's raw formats (`-f mulaw` / `-f alaw`). */
export type G711Codec = 'mulaw' | 'alaw';

/** How sending audio to a device ended when it did not fail (the same words for both links). */
export type AudioSendEnd = 'source-ended' | 'device-ended' | 'aborted';

/** The G.711 flavour of a device codec name; undefined for anything we cannot send. */
export function g711CodecOf(deviceCodec: string): G711Codec | undefined {
  const name = deviceCodec.toLowerCase().replace(/[\s._-]/g, '');
  if (/^(g711)?(u|mu)law$|^g711u$|^pcmu$/.test(name)) return 'mulaw';
  if (/^(g711)?alaw$|^g711a$|^pcma$/.test(name)) return 'alaw';
  return undefined;
}

/** The byte a G.711 decoder turns into zero amplitude. */
export function g711Silence(codec: G711Codec): number {
  return codec === 'alaw' ? 0xd5 : 0xff;
}

// ---------------------------------------------------------------------------------------------
// Buffering

export type OverflowPolicy = 'pause' | 'drop-oldest';

export interface AudioQueueOptions {
  /** Bytes held at most (G.711: 8000 per second). */
  maxBytes: number;
  /**
   * `pause`: ask the producer to wait (files and uploads: nothing is lost, memory stays bounded).
   * `drop-oldest`: keep the newest bytes (live sources: latency stays bounded instead).
   */
  overflow: OverflowPolicy;
}

/** A bounded byte FIFO between the transcoder and the pacer. */
export class AudioQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  private bytes = 0;
  private finished = false;
  private failure: Error | undefined;
  private waiters: Array<() => void> = [];
  private drainListeners: Array<() => void> = [];
  /** Bytes thrown away by `drop-oldest`. */
  dropped = 0;
  /** Bytes ever accepted. */
  received = 0;

  constructor(private readonly options: AudioQueueOptions) {}

  get size(): number {
    return this.bytes;
  }

  /** No more data will come (it may still hold some). */
  get ended(): boolean {
    return this.finished;
  }

  /** Why the producer ended, if it failed. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Adds bytes; false means "stop producing until `onDrain`" (policy `pause`). */
  push(chunk: Uint8Array): boolean {
    if (this.finished || chunk.length === 0) return !this.finished;
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.chunks.push(buffer);
    this.bytes += buffer.length;
    this.received += buffer.length;
    if (this.options.overflow === 'drop-oldest' && this.bytes > this.options.maxBytes) {
      const excess = this.bytes - this.options.maxBytes;
      this.discard(excess);
      this.dropped += excess;
    }
    this.wake();
    return this.bytes < this.options.maxBytes;
  }

  end(error?: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = error;
    this.wake();
  }

  /** Exactly `n` bytes, or fewer only when the producer has ended; undefined when there are not enough. */
  take(n: number): Buffer | undefined {
    if (this.bytes === 0 || (this.bytes < n && !this.finished)) return undefined;
    const size = Math.min(n, this.bytes);
    const out = Buffer.allocUnsafe(size);
    let written = 0;
    while (written < size) {
      const chunk = this.chunks[this.head]!;
      const piece = Math.min(chunk.length, size - written);
      chunk.copy(out, written, 0, piece);
      written += piece;
      if (piece === chunk.length) this.head++;
      else this.chunks[this.head] = chunk.subarray(piece);
    }
    this.bytes -= size;
    this.compact();
    if (this.options.overflow === 'pause' && this.bytes < this.options.maxBytes / 2) {
      for (const listener of this.drainListeners) listener();
    }
    return out;
  }

  /** Called when a paused producer may go on. */
  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  /** Resolves when data arrives, the producer ends, or `signal` fires. */
  whenReadable(signal?: AbortSignal): Promise<void> {
    if (this.bytes > 0 || this.finished || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private discard(n: number): void {
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[this.head]!;
      if (chunk.length <= left) {
        left -= chunk.length;
        this.head++;
      } else {
        this.chunks[this.head] = chunk.subarray(left);
        left = 0;
      }
    }
    this.bytes -= n;
    this.compact();
  }

  private compact(): void {
    if (this.head > 64 || this.head === this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** Feeds a Readable (ffmpeg's stdout) into a queue with back-pressure; ends the queue with it. */
export function feedQueue(source: NodeJS.ReadableStream, queue: AudioQueue): void {
  queue.onDrain(() => source.resume());
  source.on('data', (chunk: Buffer) => {
    if (!queue.push(chunk)) source.pause();
  });
  source.once('end', () => queue.end());
  source.once('error', (error: Error) => queue.end(error));
  source.once('close', () => queue.end());
}

// ---------------------------------------------------------------------------------------------
// Pacing

export interface PaceOptions {
  codec: G711Codec;
  signal?: AbortSignal;
  /** Frames sent at once before real-time pacing starts, a small cushion against jitter (default 2). */
  leadFrames?: number;
  /**
   * Behind schedule by more than this (a stalled connection, a starved event loop), the schedule
   * restarts from now instead of sending the backlog as a burst the device cannot play (default 100 ms).
   */
  maxLateMs?: number;
  /**
   * While the source has nothing (a live source's jitter), send silence so the device's clock
   * keeps running; after this long without any input, stop (default 10 s; 0 = never stop).
   */
  maxGapMs?: number;
  /** Statistics, updated as frames go out. */
  stats?: PaceStats;
  /** Monotonic milliseconds (default performance.now); tests inject their own. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface PaceStats {
  frames: number;
  /** Frames of silence sent while the source had nothing. */
  silenceFrames: number;
  /** Times the schedule restarted after falling behind. */
  resyncs: number;
  /** The source went quiet for longer than maxGapMs. */
  starved: boolean;
}

export function newPaceStats(): PaceStats {
  return { frames: 0, silenceFrames: 0, resyncs: 0, starved: false };
}

/**
 * Yields 160-byte (20 ms) G.711 frames in real time. Frame n is due at t0 + (n - lead) * 20 ms
 * on a monotonic clock, so timer lateness never accumulates (no drift); the last partial frame
 * is padded with silence. Ends when the queue ends and is empty, on `signal`, or when the
 * source has been silent for `maxGapMs`.
 */
export async function* paceG711(queue: AudioQueue, options: PaceOptions): AsyncGenerator<Buffer> {
  const now = options.now ?? (() => performance.now());
  const wait = options.sleep ?? sleepUnlessAborted;
  const lead = Math.max(0, options.leadFrames ?? 2);
  const maxLate = options.maxLateMs ?? 100;
  const maxGap = options.maxGapMs ?? 10_000;
  const stats = options.stats ?? newPaceStats();
  const silenceByte = g711Silence(options.codec);
  const signal = options.signal;
  let origin = now();
  let lastInputAt = origin;
  for (let n = 0; !signal?.aborted; n++) {
    const due = origin + Math.max(0, n - lead) * G711_FRAME_MS;
    const early = due - now();
    if (early > 0) await wait(early, signal);
    if (signal?.aborted) return;
    let frame = queue.take(G711_FRAME_BYTES);
    if (frame) {
      lastInputAt = now();
      if (frame.length < G711_FRAME_BYTES) frame = pad(frame, silenceByte);
    } else if (queue.ended) {
      return;
    } else {
      if (maxGap > 0 && now() - lastInputAt >= maxGap) {
        stats.starved = true;
        return;
      }
      frame = Buffer.alloc(G711_FRAME_BYTES, silenceByte);
      stats.silenceFrames++;
    }
    const late = now() - due;
    if (late > maxLate) {
      // Restart the schedule so this frame counts as due now.
      origin = now() - Math.max(0, n - lead) * G711_FRAME_MS;
      stats.resyncs++;
    }
    stats.frames++;
    yield frame;
  }
}

function pad(frame: Buffer, silenceByte: number): Buffer {
  const full = Buffer.alloc(G711_FRAME_BYTES, silenceByte);
  frame.copy(full);
  return full;
}

// ---------------------------------------------------------------------------------------------
// Waiting, for the pacer and for both links

/** Resolves after `ms`, or at once when `signal` fires (never rejects). */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when `signal` fires (at once if it already has). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
