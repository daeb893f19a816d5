/**
 * Real video for simulated devices: a camera-side RTSP server (a MediaMTX of its own, with
 * Digest auth like a Hikvision device) serving `/Streaming/Channels/<id>` for every channel,
 * fed by ffmpeg test patterns. Stream ids ending in 01 get the main pattern, the others the
 * small sub-stream pattern; they are relayed on demand, so 16 channels cost two encoders.
 *
 * Like a camera's encoder, each pattern's can be asked for a key frame at once
 * (`requestKeyFrame`, what `PUT Streaming/channels/<id>/requestKeyFrame` does): see
 * PatternStream for how an IDR gets into the running RTSP stream without a break.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { stringify } from 'yaml';
import { freePort } from './net.ts';
import { stopChild } from './process.ts';

export interface SimVideoOptions {
  /** The MediaMTX executable. */
  mediamtx: string;
  /** The ffmpeg executable (default `ffmpeg`). */
  ffmpeg?: string;
  /** Camera credentials viewers (hikbridge) must present. */
  username: string;
  password: string;
  /** RTSP port; default a free one. */
  rtspPort?: number;
  main?: PatternSize;
  sub?: PatternSize;
  /**
   * Seconds between the encoders' own key frames (default 1). Cameras ship with 2-4 s (the
   * captures' `keyFrameInterval`), which is what a key-frame request is there to beat.
   */
  keyFrameIntervalSeconds?: number;
  /**
   * Encoders that make a key frame at once when asked (`requestKeyFrame`): four ffmpeg per
   * pattern and raw frames through this process (see PatternStream). Off (default): one ffmpeg
   * per pattern, as light as a test needs; a request is answered but the next key frame comes
   * on the encoder's own interval.
   */
  keyFrameRequests?: boolean;
}

export interface PatternSize {
  width: number;
  height: number;
  fps: number;
  codec?: 'h264' | 'h265';
}

export interface SimVideo {
  rtspPort: number;
  /** The camera's MediaMTX control API (no login from 127.0.0.1): who is reading which stream. */
  apiUrl: string;
  /** Makes the encoder of stream `streamId`'s pattern send a key frame now (as the device would). */
  requestKeyFrame(streamId: number): void;
  /** Key frames made on request so far, per pattern. */
  requestedKeyFrames(): { main: number; sub: number };
  stop(): Promise<void>;
}

/** The videos running in this process, by RTSP port: how a simulated device finds its encoder. */
const videosByPort = new Map<number, SimVideo>();

/**
 * For the device's `requestKeyFrame` endpoint: asks the video whose RTSP server listens on
 * `rtspPort` for a key frame on `streamId`; false when no video of this process listens there
 * (the device then answers as a camera would, with no picture to show for it).
 */
export function requestSimKeyFrame(rtspPort: number, streamId: number): boolean {
  const video = videosByPort.get(rtspPort);
  video?.requestKeyFrame(streamId);
  return video !== undefined;
}

const DEFAULT_MAIN: PatternSize = { width: 640, height: 360, fps: 15 };
const DEFAULT_SUB: PatternSize = { width: 320, height: 180, fps: 15 };

export async function startSimVideo(options: SimVideoOptions): Promise<SimVideo> {
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-simvideo-'));
  const rtspPort = options.rtspPort ?? (await freePort());
  const apiPort = await freePort();
  const local = `rtsp://127.0.0.1:${rtspPort}`;
  const onDemand = (pattern: string) => ({ source: `${local}/pattern/${pattern}`, sourceOnDemand: true });
  const config = {
    logLevel: 'error',
    api: true,
    apiAddress: `127.0.0.1:${apiPort}`,
    rtspAddress: `127.0.0.1:${rtspPort}`,
    rtspTransports: ['tcp'],
    rtspAuthMethods: ['digest'],
    authMethod: 'internal',
    authInternalUsers: [
      { user: options.username, pass: options.password, ips: [], permissions: [{ action: 'read' }] },
      {
        user: 'any',
        pass: '',
        ips: ['127.0.0.1'],
        permissions: [
          { action: 'publish', path: '~^pattern/' },
          { action: 'read', path: '~^pattern/' },
          { action: 'api' },
        ],
      },
    ],
    rtmp: false,
    hls: false,
    webrtc: false,
    srt: false,
    moq: false,
    paths: {
      'pattern/main': { source: 'publisher' },
      'pattern/sub': { source: 'publisher' },
      // Hikvision ids: channel * 100 + stream number (101 main, 102 sub, 1201...).
      '~^Streaming/[Cc]hannels/\\d*01$': onDemand('main'),
      '~^Streaming/[Cc]hannels/\\d+$': onDemand('sub'),
    },
  };
  const file = join(dir, 'camera.yml');
  writeFileSync(file, stringify(config), { mode: 0o600 });
  const children: ChildProcess[] = [];
  const patterns: Pattern[] = [];
  let log = '';
  const server = spawn(options.mediamtx, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(server);
  for (const stream of [server.stdout!, server.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-4000);
    });
  }
  const stop = async () => {
    if (videosByPort.get(rtspPort) === video) videosByPort.delete(rtspPort);
    await Promise.all([...patterns.map((pattern) => pattern.stop()), ...children.map(stopChild)]);
    rmSync(dir, { recursive: true, force: true });
  };
  const keyFrameSeconds = options.keyFrameIntervalSeconds ?? 1;
  const patternOf = (streamId: number) => patterns[streamId % 100 === 1 ? 0 : 1];
  const video: SimVideo = {
    rtspPort,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    requestKeyFrame: (streamId) => patternOf(streamId)?.requestKeyFrame(),
    requestedKeyFrames: () => ({ main: patterns[0]?.keyFrames ?? 0, sub: patterns[1]?.keyFrames ?? 0 }),
    stop,
  };
  try {
    await until(
      async () => (await fetch(`http://127.0.0.1:${apiPort}/v3/info`)).ok,
      10_000,
      () => log,
    );
    const sizes: Record<string, PatternSize> = {
      main: options.main ?? DEFAULT_MAIN,
      sub: options.sub ?? DEFAULT_SUB,
    };
    for (const [name, size] of Object.entries(sizes)) {
      const ffmpeg = options.ffmpeg ?? 'ffmpeg';
      const url = `${local}/pattern/${name}`;
      patterns.push(
        options.keyFrameRequests
          ? new PatternStream(ffmpeg, url, size, keyFrameSeconds)
          : new PlainPattern(ffmpeg, url, size, keyFrameSeconds),
      );
    }
    await until(
      async () => {
        const answer = await fetch(`http://127.0.0.1:${apiPort}/v3/paths/list`);
        const paths = ((await answer.json()) as { items: Array<{ name: string; ready: boolean }> }).items;
        return ['pattern/main', 'pattern/sub'].every((name) => paths.some((p) => p.name === name && p.ready));
      },
      15_000,
      () => `ffmpeg did not publish the test patterns (is ffmpeg installed?) ${log}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  videosByPort.set(rtspPort, video);
  return video;
}

/** The patterns' common face: PlainPattern (one ffmpeg) or PatternStream (key frames on request). */
interface Pattern {
  keyFrames: number;
  requestKeyFrame(): void;
  stop(): Promise<void>;
}

/**
 * A test pattern from one ffmpeg (test source, encoder and RTSP publisher in one process), with
 * a key frame every `keyFrameSeconds`. It cannot make one on request: `requestKeyFrame` is a
 * no-op, counted as none made.
 */
class PlainPattern implements Pattern {
  readonly keyFrames = 0;
  private readonly child: ChildProcess;

  constructor(ffmpeg: string, url: string, size: PatternSize, keyFrameSeconds: number) {
    const encoder =
      size.codec === 'h265' ? ['-c:v', 'libx265', '-x265-params', 'log-level=error'] : ['-c:v', 'libx264'];
    const gop = Math.max(1, Math.round(size.fps * keyFrameSeconds));
    const args = ['-hide_banner', '-loglevel', 'error', '-nostats', '-re', '-f', 'lavfi'];
    args.push('-i', `testsrc2=size=${size.width}x${size.height}:rate=${size.fps}`);
    args.push(...encoder, '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(gop));
    args.push('-pix_fmt', 'yuv420p', '-f', 'rtsp', '-rtsp_transport', 'tcp', url);
    this.child = spawn(ffmpeg, args, { stdio: 'ignore' });
  }

  requestKeyFrame(): void {}

  async stop(): Promise<void> {
    await stopChild(this.child);
  }
}

/**
 * One test pattern published to the camera's RTSP server, with a key frame at any moment:
 * a generator writes raw frames, an encoder turns them into H.264 (or H.265) and a publisher
 * copies the elementary stream to RTSP. ffmpeg cannot be told to make a key frame while it
 * runs, so a request hands the frames to a spare encoder instead: one started beforehand,
 * opened with a frame whose output is dropped, and told to make its second frame an IDR
 * (`-force_key_frames expr:eq(n,1)`, with the parameter sets in front of it). The old
 * encoder's last pictures reach the publisher before the new one's IDR and frames keep their
 * numbers, so the RTSP stream and its readers go on without a break, one frame later with a
 * key frame.
 */
class PatternStream implements Pattern {
  /** Key frames made on request. */
  keyFrames = 0;
  private readonly frameBytes: number;
  private readonly gop: number;
  private readonly generator: ChildProcess;
  private readonly publisher: ChildProcess;
  private active: Encoder;
  private spare: Encoder;
  /** Output of the new encoder, held while the previous one's last pictures still go out. */
  private held: Buffer[] | undefined;
  private lastFrame: Buffer;
  /** Asked again while the previous switch still drains: switch once it is done. */
  private askedAgain = false;
  private stopped = false;

  constructor(
    private readonly ffmpeg: string,
    url: string,
    private readonly size: PatternSize,
    keyFrameSeconds: number,
  ) {
    this.frameBytes = (size.width * size.height * 3) / 2;
    this.gop = Math.max(1, Math.round(size.fps * keyFrameSeconds));
    this.lastFrame = Buffer.alloc(this.frameBytes, 128);
    this.publisher = spawn(ffmpeg, this.publisherArgs(url), { stdio: ['pipe', 'ignore', 'ignore'] });
    this.publisher.stdin!.on('error', () => undefined); // it may be gone first at stop
    this.active = this.startEncoder(false);
    this.spare = this.startSpare();
    this.generator = spawn(ffmpeg, this.generatorArgs(), { stdio: ['ignore', 'pipe', 'ignore'] });
    readFrames(this.generator.stdout!, this.frameBytes, (frame) => this.onFrame(frame));
  }

  /** The next frame goes to the spare encoder, which makes it an IDR. */
  requestKeyFrame(): void {
    if (this.stopped) return;
    if (this.held) {
      this.askedAgain = true;
      return;
    }
    const previous = this.active;
    this.active = this.spare;
    this.keyFrames += 1;
    this.held = [];
    // The previous encoder writes out what it has and exits; only then does the IDR follow.
    previous.child.stdin!.end();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      previous.draining = false;
      const held = this.held ?? [];
      this.held = undefined;
      for (const chunk of held) this.toPublisher(chunk);
      if (this.askedAgain) {
        this.askedAgain = false;
        this.requestKeyFrame();
      }
    };
    previous.child.stdout!.once('end', release);
    setTimeout(() => {
      previous.child.kill('SIGKILL');
      release();
    }, 2000).unref();
    this.spare = this.startSpare();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const children = [this.generator, this.publisher, this.active.child, this.spare.child];
    await Promise.all(children.map(stopChild));
  }

  private onFrame(frame: Buffer): void {
    this.lastFrame = frame;
    const stdin = this.active.child.stdin!;
    // Bounded: an encoder that falls behind loses frames rather than the simulator its memory.
    if (!stdin.writable || stdin.writableLength > 3 * this.frameBytes) return;
    stdin.write(frame);
  }

  private startSpare(): Encoder {
    const spare = this.startEncoder(true);
    // Frame 0 only opens the encoder (its output is dropped); frame 1 will be the forced IDR.
    spare.child.stdin!.write(this.lastFrame);
    return spare;
  }

  private startEncoder(spare: boolean): Encoder {
    const child = spawn(this.ffmpeg, this.encoderArgs(), { stdio: ['pipe', 'pipe', 'ignore'] });
    const encoder: Encoder = {
      child,
      draining: true,
      skip: spare ? outputFromSecondParameterSet(this.size.codec ?? 'h264') : undefined,
    };
    child.stdin!.on('error', () => undefined); // an encoder killed at a switch or at stop
    child.stdout!.on('data', (chunk: Buffer) => {
      let data: Buffer | undefined = chunk;
      if (encoder.skip) {
        data = encoder.skip(chunk);
        if (!data) return;
        encoder.skip = undefined;
      }
      if (encoder !== this.active) {
        if (encoder.draining && !encoder.skip) this.toPublisher(data);
      } else if (this.held) this.held.push(data);
      else this.toPublisher(data);
    });
    return encoder;
  }

  private toPublisher(chunk: Buffer): void {
    const stdin = this.publisher.stdin!;
    if (stdin.writable) stdin.write(chunk);
  }

  private generatorArgs(): string[] {
    const { width, height, fps } = this.size;
    const args = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi'];
    args.push('-i', `testsrc2=size=${width}x${height}:rate=${fps}`);
    return [...args, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'];
  }

  private encoderArgs(): string[] {
    const { width, height, fps, codec } = this.size;
    const args = ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p'];
    args.push('-s', `${width}x${height}`, '-framerate', String(fps), '-i', 'pipe:0');
    if (codec === 'h265') args.push('-c:v', 'libx265', '-x265-params', 'log-level=error');
    else args.push('-c:v', 'libx264');
    args.push('-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(this.gop));
    // An IDR (not an I frame a decoder cannot start at), its parameter sets in front of it.
    args.push('-forced-idr', '1', '-force_key_frames', 'expr:eq(n,1)');
    return [...args, '-f', codec === 'h265' ? 'hevc' : 'h264', 'pipe:1'];
  }

  private publisherArgs(url: string): string[] {
    const { fps, codec } = this.size;
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-use_wallclock_as_timestamps',
      '1',
      '-probesize',
      '32',
      '-analyzeduration',
      '0',
      '-f',
      codec === 'h265' ? 'hevc' : 'h264',
    ];
    args.push('-framerate', String(fps), '-i', 'pipe:0', '-c', 'copy');
    return [...args, '-f', 'rtsp', '-rtsp_transport', 'tcp', url];
  }
}

interface Encoder {
  child: ChildProcess;
  /** A replaced encoder's output still goes to the publisher until it ends. */
  draining: boolean;
  /** A spare's filter: nothing until its second frame's parameter sets (frame 0 is dropped). */
  skip: ((chunk: Buffer) => Buffer | undefined) | undefined;
}

/**
 * Drops an encoder's output up to its second parameter set (SPS for H.264, VPS for H.265):
 * what comes before is the priming frame. Start codes may straddle chunks: the last 3 bytes
 * are looked at again with the next chunk (a whole 4-byte start never fits in them twice).
 */
function outputFromSecondParameterSet(codec: 'h264' | 'h265'): (chunk: Buffer) => Buffer | undefined {
  const isParameterSet = (byte: number) =>
    codec === 'h265' ? ((byte >> 1) & 0x3f) === 32 : (byte & 0x1f) === 7;
  let seen = 0;
  let tail: Buffer = Buffer.alloc(0);
  return (chunk) => {
    const data = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
    for (let at = data.indexOf(START_CODE); at >= 0; at = data.indexOf(START_CODE, at + 3)) {
      if (at + 3 >= data.length || !isParameterSet(data[at + 3]!)) continue;
      seen += 1;
      // Keep the zero in front of a 4-byte start code: the publisher's parser sees it whole.
      if (seen === 2) return data.subarray(at > 0 && data[at - 1] === 0 ? at - 1 : at);
    }
    tail = data.subarray(Math.max(0, data.length - 3));
    return undefined;
  };
}

const START_CODE = Buffer.from([0, 0, 1]);

/** Cuts a raw video byte stream into frames of `frameBytes`. */
function readFrames(input: Readable, frameBytes: number, onFrame: (frame: Buffer) => void): void {
  let parts: Buffer[] = [];
  let length = 0;
  input.on('data', (chunk: Buffer) => {
    parts.push(chunk);
    length += chunk.length;
    while (length >= frameBytes) {
      const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
      onFrame(all.subarray(0, frameBytes));
      const rest = all.subarray(frameBytes);
      parts = rest.length > 0 ? [rest] : [];
      length = rest.length;
    }
  });
}

async function until(check: () => Promise<boolean>, timeoutMs: number, detail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`simulated camera video did not start: ${detail()}`);
}
