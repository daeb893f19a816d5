/**
 * ISAPI two-way audio ("talk"): the channel list and a device session (close, open, one long
 * audioData upload, close). The G.711 it sends is queued and paced by ../audio/g711.ts, which
 * the RTSP back-channel uses too.
 *
 * Pure protocol: no application state.
 */
import { performance } from 'node:perf_hooks';
import { type AudioSendEnd, DEFAULT_TAIL_MS, sleepUnlessAborted, whenAborted } from '../audio/g711.ts';
import { readSome } from '../http/body.ts';
import { AbortedError, DeviceError } from '../http/errors.ts';
import type { HttpResponse, StreamResponse } from '../http/types.ts';
import type { IsapiClient } from './client.ts';
import { errorForAnswer } from './errors.ts';
import { parseResponseStatus, STATUS_BUSY } from './status.ts';
import { bool, children, int, looksLikeXml, parseXml, text } from './xml.ts';

// The G.711 pieces used to live here; callers that import them from this file keep working.
export * from '../audio/g711.ts';

export const TWO_WAY_AUDIO_PATH = '/ISAPI/System/TwoWayAudio/channels';

export interface TwoWayAudioChannel {
  id: number;
  /** The channel's two-way audio setting (not whether a session is open). */
  enabled: boolean;
  /** As the device writes it: `G.711ulaw`, `G.711alaw`, `G.726`, `AAC`... */
  codec: string;
}

/** The device's speaker is taken: another client talks, or a doorbell rings. */
export class TwoWayAudioBusyError extends DeviceError {
  constructor(host: string, channelId: number) {
    super(
      'device_busy',
      `${host} refused to open two-way audio channel ${channelId}: its speaker is in use. Another app ` +
        '(Hik-Connect, an indoor station, another gateway) may be talking, or the doorbell is ringing: ' +
        'answer or hang up the call first.',
    );
  }
}

/** Open answered "invalid operation": the channel's talk switch is off, or the model cannot talk. */
export class TwoWayAudioRefusedError extends DeviceError {
  constructor(host: string, channelId: number, detail: string) {
    super(
      'device_error',
      `${host} refused to open two-way audio channel ${channelId} (${detail}). Two-way audio may be ` +
        "switched off in the camera's audio settings, or the model has no speaker output.",
    );
  }
}

/** The device stopped reading the audio we send. */
export class AudioStalledError extends DeviceError {
  constructor(host: string, ms: number) {
    super(
      'timeout',
      `${host} stopped accepting two-way audio for ${Math.round(ms / 1000)} s. The device may be overloaded or the network congested.`,
    );
  }
}

export interface RequestTiming {
  /** Per request (default: the client's request timeout). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** `GET /ISAPI/System/TwoWayAudio/channels`; throws NotSupportedError when the device has none. */
export async function listTwoWayAudioChannels(
  client: IsapiClient,
  options: RequestTiming = {},
): Promise<TwoWayAudioChannel[]> {
  const doc = await client.getXml(TWO_WAY_AUDIO_PATH, options);
  return children(doc.node, 'TwoWayAudioChannel').flatMap((node) => {
    const id = int(node, 'id');
    if (id === undefined) return [];
    return [
      {
        id,
        enabled: bool(node, 'enabled') !== false,
        codec: text(node, 'audioCompressionType') ?? 'unknown',
      },
    ];
  });
}

/** `PUT .../close`. A device without an open session answers OK too. */
export async function closeTwoWayAudio(
  client: IsapiClient,
  channelId: number,
  options: RequestTiming = {},
): Promise<void> {
  await client.call({ ...options, method: 'PUT', path: `${TWO_WAY_AUDIO_PATH}/${channelId}/close` });
}

export interface OpenOptions extends RequestTiming {
  /** How long the device gets to take the last bytes and say goodbye (default 10 s). */
  uploadTimeoutMs?: number;
  /** Abort when the device takes no audio for this long (default 10 s). */
  stallTimeoutMs?: number;
}

/**
 * Opens a talk session: `close` first (a stale session, ours or another client's after a crash,
 * makes `open` answer busy), then `open`. Whatever happens, call `close()` on the result.
 */
export async function openTwoWayAudio(
  client: IsapiClient,
  channelId: number,
  options: OpenOptions = {},
): Promise<TwoWayAudioSession> {
  const timing = { timeoutMs: options.timeoutMs, signal: options.signal };
  try {
    await closeTwoWayAudio(client, channelId, timing);
  } catch (error) {
    // Best effort: a device that cannot close answers the open below with the real reason.
    if (!(error instanceof DeviceError) || error.code === 'aborted') throw error;
  }
  const path = `${TWO_WAY_AUDIO_PATH}/${channelId}/open`;
  const response = await client.http.request({ ...timing, method: 'PUT', path });
  const body = response.body.length <= 64 * 1024 ? response.body.toString('utf8') : '';
  const failure = openFailure(client, channelId, path, response, body);
  if (failure) {
    // The device may have half-opened a session; leave nothing behind that blocks the next try.
    await closeTwoWayAudio(client, channelId, timing).catch(() => {});
    throw failure;
  }
  return new TwoWayAudioSession(client, channelId, sessionIdOf(body), options);
}

function openFailure(
  client: IsapiClient,
  channelId: number,
  path: string,
  response: HttpResponse,
  body: string,
): DeviceError | undefined {
  const status = parseResponseStatus(body);
  const ok = response.status >= 200 && response.status < 300;
  if (ok && (!status || status.statusCode === 1 || status.statusCode === 0)) return undefined;
  // Devices say "busy" with 403 or 503 and statusCode 2; a plain 403 would read as missing rights.
  if (
    response.status === 503 ||
    status?.statusCode === STATUS_BUSY ||
    /busy/i.test(status?.subStatusCode ?? '')
  )
    return new TwoWayAudioBusyError(client.host, channelId);
  if (status?.subStatusCode === 'invalidOperation')
    return new TwoWayAudioRefusedError(client.host, channelId, status.statusString ?? 'Invalid Operation');
  return errorForAnswer(
    { host: client.host, username: client.username, path },
    response.status,
    body,
    status,
  );
}

function sessionIdOf(body: string): string | undefined {
  if (!looksLikeXml(body)) return undefined;
  try {
    const doc = parseXml(body);
    return doc.root === 'TwoWayAudioSession' ? text(doc.node, 'sessionId') : undefined;
  } catch {
    return undefined;
  }
}

/** How an upload ended when it did not fail. */
export type UploadEnd = AudioSendEnd;

export interface SendOptions {
  signal?: AbortSignal;
  /**
   * After the last byte, wait this long before the session may be closed, so the device plays
   * what it still holds in its buffer instead of being cut off (default DEFAULT_TAIL_MS, 300 ms).
   */
  tailMs?: number;
  /** Called with every chunk handed to the connection (for statistics). */
  onSent?: (bytes: number) => void;
}

/** An open device talk session. */
export class TwoWayAudioSession {
  private closed = false;
  private upload: AbortController | undefined;
  /** The upload's answer, which devices send only once `close` has ended the upload. */
  private answered: Promise<StreamResponse> | undefined;

  constructor(
    private readonly client: IsapiClient,
    readonly channelId: number,
    /** Given by devices that want it back on audioData; older firmware gives none. */
    readonly sessionId: string | undefined,
    private readonly options: OpenOptions,
  ) {}

  /**
   * Streams already-paced G.711 (see paceG711) on one `PUT .../audioData` with
   * `Content-Length: 0`, raw bytes after the head, never chunked. Resolves once the audio has
   * ended (and the tail has played), the device ended the upload, or `signal` fired. Devices
   * answer the upload only when it ends, so nothing waits for an answer before sending.
   */
  async send(audio: AsyncIterable<Uint8Array>, options: SendOptions = {}): Promise<UploadEnd> {
    if (this.closed) throw new AbortedError(this.client.host);
    const query = this.sessionId ? `?sessionId=${encodeURIComponent(this.sessionId)}` : '';
    const upload = new AbortController();
    this.upload = upload;
    const signal = options.signal ? AbortSignal.any([upload.signal, options.signal]) : upload.signal;
    const watch = new ConsumerWatch(this.client.host, this.options.stallTimeoutMs ?? 10_000);
    const done = { sourceEnded: false };
    const body = watched(audio, watch, done, options.onSent);
    const uploadTimeoutMs = this.options.uploadTimeoutMs ?? 10_000;

    const answered = this.client.http.stream({
      method: 'PUT',
      path: `${TWO_WAY_AUDIO_PATH}/${this.channelId}/audioData${query}`,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': '0' },
      body,
      signal,
      timeoutMs: uploadTimeoutMs,
    });
    this.answered = answered;
    // Awaited below where it matters; this only keeps an early rejection from counting as unhandled.
    answered.catch(() => {});
    try {
      const first = await Promise.race([
        answered.then((answer) => ({ kind: 'answer' as const, answer })),
        watch.finished.then((end) => ({ kind: 'body' as const, end })),
        whenAborted(signal).then(() => ({ kind: 'aborted' as const })),
      ]);
      if (first.kind === 'aborted') return 'aborted';
      if (first.kind === 'answer') {
        await this.checkEarlyAnswer(first.answer);
        // A device that answers at once (some do) keeps reading: go on until the audio ends or
        // the connection stops taking it (the answer's own body says nothing about that).
        const end = await Promise.race([watch.finished, whenAborted(signal).then(() => 'aborted' as const)]);
        if (end === 'aborted') return 'aborted';
        if (end instanceof Error) throw end;
        if (!done.sourceEnded) return 'device-ended';
      } else if (first.end instanceof Error) {
        throw first.end;
      } else if (!done.sourceEnded) {
        // The connection stopped pulling audio before it ended: the device hung up, or failed.
        await withTimeout(answered, uploadTimeoutMs); // throws the transport error, if that was it
        return 'device-ended';
      }
      await sleepUnlessAborted(options.tailMs ?? DEFAULT_TAIL_MS, signal);
      return signal.aborted ? 'aborted' : 'source-ended';
    } catch (error) {
      if (signal.aborted && !(error instanceof AudioStalledError)) return 'aborted';
      throw error;
    } finally {
      // The upload connection stays until `close()`: the device ends it and answers then.
      watch.stop();
    }
  }

  /**
   * `PUT .../close`, then drops the upload connection. Safe to call twice; never throws (the
   * session is over either way), returns the close error for logging.
   */
  async close(): Promise<DeviceError | undefined> {
    if (this.closed) return undefined;
    this.closed = true;
    let failure: DeviceError | undefined;
    try {
      await closeTwoWayAudio(this.client, this.channelId, { timeoutMs: this.options.timeoutMs });
    } catch (error) {
      failure =
        error instanceof DeviceError
          ? error
          : new DeviceError('device_error', `closing two-way audio failed: ${String(error)}`);
    } finally {
      this.upload?.abort(new AbortedError(this.client.host));
      void this.answered?.then(settleLater, () => {});
    }
    return failure;
  }

  private async checkEarlyAnswer(answer: StreamResponse): Promise<void> {
    if (answer.status >= 200 && answer.status < 300) return;
    const body = (await readSome(answer.body, 64 * 1024, 2000)).toString('utf8');
    answer.close();
    const path = `${TWO_WAY_AUDIO_PATH}/${this.channelId}/audioData`;
    const status = parseResponseStatus(body);
    const context = { host: this.client.host, username: this.client.username, path };
    throw (
      errorForAnswer(context, answer.status, body, status) ??
      new DeviceError('device_error', `${this.client.host} refused the two-way audio upload.`)
    );
  }
}

/** Lets the device's own answer (sent once `close` ends the upload) arrive, then frees the slot. */
async function settleLater(response: StreamResponse): Promise<void> {
  const timer = setTimeout(() => response.close(), 5000);
  timer.unref();
  await ended(response).catch(() => {});
  clearTimeout(timer);
  response.close();
}

function ended(response: StreamResponse): Promise<void> {
  return new Promise((resolve) => {
    const body = response.body;
    if (body.destroyed || body.readableEnded) return resolve();
    body.on('error', () => resolve());
    body.once('close', () => resolve());
    body.once('end', () => resolve());
    body.resume();
  });
}

/**
 * Watches the HTTP connection pulling our audio: resolves `finished` when the iteration ends
 * (normally or because the connection gave up) and fails it when a pull is overdue, which is
 * how a device that stopped reading (full TCP window) shows up.
 */
class ConsumerWatch {
  readonly finished: Promise<Error | undefined>;
  private resolve!: (value: Error | undefined) => void;
  private waitingSince: number | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly host: string,
    private readonly stallMs: number,
  ) {
    this.finished = new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.timer = setInterval(() => this.check(), Math.max(100, Math.min(1000, stallMs / 4)));
    this.timer.unref();
  }

  /** A chunk was handed over and now waits to be taken. */
  handedOver(): void {
    this.waitingSince = performance.now();
  }

  /** The connection asked for the next chunk. */
  pulled(): void {
    this.waitingSince = undefined;
  }

  finish(error?: Error): void {
    this.stop();
    this.resolve(error);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    if (this.waitingSince === undefined || !(this.stallMs > 0)) return;
    const waited = performance.now() - this.waitingSince;
    if (waited >= this.stallMs) this.finish(new AudioStalledError(this.host, waited));
  }
}

async function* watched(
  audio: AsyncIterable<Uint8Array>,
  watch: ConsumerWatch,
  done: { sourceEnded: boolean },
  onSent: ((bytes: number) => void) | undefined,
): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of audio) {
      watch.handedOver();
      yield chunk;
      watch.pulled();
      onSent?.(chunk.length);
    }
    done.sourceEnded = true;
  } finally {
    watch.finish();
  }
}

/** Settles like `promise`, or rejects with a TimeoutError-like DeviceError after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new DeviceError('timeout', `the two-way audio upload did not end within ${ms} ms`)),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
