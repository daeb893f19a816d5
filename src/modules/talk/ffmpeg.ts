/**
 * ffmpeg as the talk transcoder: any input it can read (a URL, or bytes on its stdin) comes out
 * as raw 8 kHz mono G.711 on its stdout, which feeds a bounded AudioQueue. The process never
 * outlives its session: `kill()` is always called, and a stuck or failing input is reported in
 * the user's words from what ffmpeg printed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { redactUrl } from '../../protocols/isapi/client.ts';
import { AudioQueue, feedQueue, type G711Codec } from '../../protocols/isapi/two-way-audio.ts';
import { FfmpegMissingError, TalkSourceError } from './errors.ts';

export type TranscodeInput =
  | { kind: 'url'; url: string }
  | { kind: 'stream'; stream: Readable; format?: string };

/** URL schemes of live sources: their latency is kept bounded by dropping the oldest audio. */
const LIVE_SCHEMES = new Set(['rtsp', 'rtsps', 'rtmp', 'rtmps', 'srt', 'udp', 'rtp']);
/**
 * ffmpeg protocols a URL source may use. `file` is deliberately absent: a URL from an API
 * client must not read files on the gateway (nor may a playlist it points to).
 */
const PROTOCOL_WHITELIST = 'tcp,udp,rtp,srtp,tls,http,https,httpproxy,crypto,rtmp,rtmps,rtmpt,rtmpts,srt';
/** What ffmpeg's stderr is kept of, for error messages. */
const STDERR_TAIL_BYTES = 4096;
/** Live: at most 300 ms waits in the queue. Files and uploads: 1 s, then ffmpeg is paused. */
const LIVE_QUEUE_BYTES = 2400;
const FILE_QUEUE_BYTES = 8000;

export function isLiveUrl(url: string): boolean {
  return LIVE_SCHEMES.has(schemeOf(url));
}

export function schemeOf(url: string): string {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? '';
}

/** The ffmpeg command line (without the program) for one input and codec. */
export function ffmpegArgs(input: TranscodeInput, codec: G711Codec): string[] {
  const args = ['-hide_banner', '-nostats', '-loglevel', 'error'];
  if (input.kind === 'url') {
    // stdin is not ours to read for a URL source; without -nostdin ffmpeg would wait for keys.
    args.push('-nostdin', '-protocol_whitelist', PROTOCOL_WHITELIST);
    const scheme = schemeOf(input.url);
    // TCP keeps RTSP audio intact through NAT and loss; live inputs should not be buffered.
    if (scheme === 'rtsp' || scheme === 'rtsps') args.push('-rtsp_transport', 'tcp');
    if (isLiveUrl(input.url)) args.push('-fflags', 'nobuffer');
    // A redirect could take the URL's own credentials to another origin (url-policy.ts: none followed).
    if (scheme === 'http' || scheme === 'https') args.push('-max_redirects', '0');
    args.push('-i', input.url);
  } else {
    if (input.format) args.push('-f', input.format);
    args.push('-i', 'pipe:0');
  }
  args.push(
    // The first audio track only; video, subtitles and data are dropped.
    '-map',
    '0:a:0',
    '-vn',
    '-sn',
    '-dn',
    '-ac',
    '1',
    '-ar',
    '8000',
    '-c:a',
    codec === 'alaw' ? 'pcm_alaw' : 'pcm_mulaw',
    '-f',
    codec,
    // Without this the raw muxer writes 32 KB blocks: seconds of delay for a live voice.
    '-flush_packets',
    '1',
    'pipe:1',
  );
  return args;
}

export interface TranscoderOptions {
  ffmpegPath: string;
  codec: G711Codec;
  input: TranscodeInput;
}

export class G711Transcoder {
  readonly queue: AudioQueue;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private stderr = '';
  private spawnError: Error | undefined;
  private killed = false;

  constructor(private readonly options: TranscoderOptions) {
    const { input } = options;
    const live = input.kind === 'url' && isLiveUrl(input.url);
    this.queue = new AudioQueue(
      live
        ? { maxBytes: LIVE_QUEUE_BYTES, overflow: 'drop-oldest' }
        : { maxBytes: FILE_QUEUE_BYTES, overflow: 'pause' },
    );
    this.child = spawn(options.ffmpegPath, ffmpegArgs(input, options.codec), {
      stdio: [input.kind === 'stream' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
      this.child.once('error', (error) => {
        this.spawnError = error;
        this.queue.end(error);
        resolve({ code: null, signal: null });
      });
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    feedQueue(this.child.stdout!, this.queue);
    if (input.kind === 'stream') this.pipeInput(input.stream);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves once audio has come out; rejects with what went wrong otherwise. */
  async firstAudio(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(timeoutMs);
    await this.queue.whenReadable(AbortSignal.any([signal, timeout]));
    if (this.queue.size > 0) return;
    if (signal.aborted) throw signal.reason;
    if (timeout.aborted && !this.queue.ended) {
      throw new TalkSourceError(
        `No audio came from the source within ${Math.round(timeoutMs / 1000)} s${this.detail()}.`,
      );
    }
    throw (await this.failure()) ?? new TalkSourceError('The source ended before any audio came out of it.');
  }

  /** After the output ended: why, if ffmpeg failed (undefined when it finished normally or we killed it). */
  async failure(): Promise<Error | undefined> {
    const exit = await Promise.race([this.exited, delay(2000).then(() => undefined)]);
    if (this.spawnError) return this.missing(this.spawnError);
    if (this.killed || !exit || exit.code === 0) return undefined;
    return new TalkSourceError(this.describeFailure());
  }

  /** Ends ffmpeg now (SIGKILL: nothing of a live transcode is worth flushing) and waits for it. */
  async kill(): Promise<void> {
    this.killed = true;
    if (this.child.exitCode === null && this.child.signalCode === null && !this.spawnError) {
      this.child.kill('SIGKILL');
    }
    await Promise.race([this.exited, delay(3000)]);
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    this.child.stdin?.destroy();
  }

  private pipeInput(stream: Readable): void {
    const stdin = this.child.stdin!;
    // ffmpeg may exit before reading everything (bad input, kill): not an error of ours.
    stdin.on('error', () => {});
    stream.on('error', () => stdin.end());
    stream.pipe(stdin);
    // The session owns the stream: once ffmpeg is gone nobody reads it, so it is destroyed.
    void this.exited.then(() => {
      stream.unpipe(stdin);
      stream.destroy();
    });
  }

  private missing(error: Error): Error {
    const code = (error as NodeJS.ErrnoException).code;
    const detail = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : error.message;
    return new FfmpegMissingError(this.options.ffmpegPath, detail);
  }

  private describeFailure(): string {
    const lines = this.stderr
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !BOILERPLATE.some((pattern) => pattern.test(line)));
    const all = lines.join('\n');
    if (/matches no streams|does not contain any stream/i.test(all)) return 'The source has no audio track.';
    const first = lines[0]?.replace(/^\[[^\]]*\]\s*/, '');
    const detail = first ? redactUrl(first).slice(0, 300) : 'ffmpeg failed without saying why';
    // Bytes that never became audio are not audio, whatever the probe guessed them to be (random
    // data is sometimes taken for MP3); a URL that fails is more often unreachable or refused.
    if (this.queue.received === 0 && this.options.input.kind === 'stream') {
      return `The uploaded data is not audio ffmpeg can decode (${detail}).`;
    }
    if (this.queue.received === 0) return `The audio source could not be read: ${detail}`;
    return `The audio source failed: ${detail}`;
  }

  private detail(): string {
    const text = this.stderr.trim().split('\n').at(-1)?.trim();
    return text ? ` (ffmpeg: ${redactUrl(text).slice(0, 200)})` : '';
  }
}

const BOILERPLATE = [/^To ignore this/i, /^Conversion failed/i, /^Error opening input files?/i];

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Whether ffmpeg can be started at `path` (`ffmpeg -version`); the error message when not. */
export function checkFfmpeg(path: string, timeoutMs = 5000): Promise<string | undefined> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(path, ['-hide_banner', '-version'], { stdio: 'ignore', windowsHide: true });
    } catch (error) {
      resolve((error as Error).message);
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(`"${path} -version" did not finish within ${timeoutMs} ms`);
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      const code = (error as NodeJS.ErrnoException).code;
      resolve(code === 'ENOENT' ? `"${path}" not found` : error.message);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? undefined : `"${path} -version" exited with code ${code}`);
    });
  });
}
