/**
 * The ONVIF RTSP audio backchannel (ONVIF Streaming Specification, "Back channel connection"):
 * DESCRIBE with `Require: www.onvif.org/ver20/backchannel` makes the device add a send-only
 * audio track to its SDP; SETUP of that track (RTP interleaved on the RTSP connection), PLAY,
 * then RTP packets of G.711 go to the device's speaker. A keep-alive holds the session, and
 * TEARDOWN ends it whatever ended the talk.
 *
 * Two steps on purpose: `openBackchannel` only asks (DESCRIBE tells the codec, so audio can be
 * transcoded for it); `play()` takes the speaker. A caller can make sure its audio works in
 * between, and so never cut someone off for a source that turns out to be broken.
 *
 * Pacing is the caller's: `send` puts each frame on the wire when it arrives (see paceG711 in
 * ../audio/g711.ts, the same queue and pacer the ISAPI upload uses).
 */
import {
  type AudioSendEnd,
  DEFAULT_TAIL_MS,
  G711_FRAME_BYTES,
  type G711Codec,
  sleepUnlessAborted,
  whenAborted,
} from '../audio/g711.ts';
import type { Credentials } from '../http/digest.ts';
import { AbortedError, DeviceError } from '../http/errors.ts';
import { DEFAULT_TIMEOUT_MS, hostLabel, RtspClient } from './client.ts';
import {
  RtspBackchannelCodecError,
  RtspConnectionError,
  RtspError,
  RtspNoBackchannelError,
  RtspProtocolError,
} from './errors.ts';
import {
  header,
  interleavedFrame,
  parseSessionHeader,
  parseTransportHeader,
  type SessionHeader,
} from './message.ts';
import { RtpPacketizer } from './rtp.ts';
import { type BackchannelTrack, findBackchannel, parseSdp, resolveControl } from './sdp.ts';

/** The RTSP option tag (RFC 2326 `Require`) that asks for the backchannel. */
export const BACKCHANNEL_REQUIRE = 'www.onvif.org/ver20/backchannel';

export interface BackchannelOptions {
  /** `rtsp://host[:port]/path`; user info in it is taken when `credentials` is not given. */
  url: string;
  credentials?: Credentials;
  /** Connecting and each request (default 10 s). */
  timeoutMs?: number;
  /** Give up when the device takes no audio for this long (default 10 s). */
  stallTimeoutMs?: number;
  /** Keep-alive period; default half the session timeout the device announces. */
  keepAliveMs?: number;
  userAgent?: string;
  signal?: AbortSignal;
}

export interface RtspTarget {
  host: string;
  port: number;
  /** The URL without user info: what goes on the request line and into Digest. */
  url: string;
  credentials?: Credentials;
}

/** Splits an RTSP URL into where to connect, the request URL and the credentials in it. */
export function parseRtspUrl(url: string): RtspTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`not a URL: ${url.replace(/\/\/[^@/]*@/, '//***@')}`);
  }
  if (parsed.protocol !== 'rtsp:') throw new TypeError(`not an rtsp:// URL (${parsed.protocol})`);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new TypeError('an rtsp:// URL without a host');
  const port = parsed.port ? Number(parsed.port) : 554;
  const credentials = parsed.username
    ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
    : undefined;
  const path = parsed.pathname || '/';
  return {
    host,
    port,
    url: `rtsp://${hostLabel(host, port)}${path}${parsed.search}`,
    ...(credentials ? { credentials } : {}),
  };
}

/** How `send` ended when it did not fail (the same words as the ISAPI upload). */
export type BackchannelEnd = AudioSendEnd;

export interface BackchannelSendOptions {
  signal?: AbortSignal;
  /** After the last frame, wait this long before TEARDOWN may follow, so the device plays what it holds (default DEFAULT_TAIL_MS). */
  tailMs?: number;
  /** Called with the payload bytes of every packet written. */
  onSent?: (bytes: number) => void;
}

/**
 * Connects, OPTIONS, DESCRIBE with the backchannel requirement. Resolves with the described
 * (not yet set up) backchannel; throws RtspNoBackchannelError when the device offers none,
 * RtspBackchannelCodecError when it is not G.711, and the usual RTSP errors otherwise. Whatever
 * is resolved must be `close()`d.
 */
export async function openBackchannel(options: BackchannelOptions): Promise<RtspBackchannel> {
  const target = parseRtspUrl(options.url);
  const credentials = options.credentials ?? target.credentials;
  const client = await RtspClient.connect({
    host: target.host,
    port: target.port,
    ...(credentials ? { credentials } : {}),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const signal = options.signal;
  try {
    // OPTIONS only tells which keep-alive the device knows; its answer never stops us.
    const probe = await client.request('OPTIONS', target.url, { signal, accept: () => true });
    const methods = (header(probe, 'public') ?? '').toUpperCase().split(/\s*,\s*/);
    const described = await client.request('DESCRIBE', target.url, {
      signal,
      headers: { Accept: 'application/sdp', Require: BACKCHANNEL_REQUIRE },
      // 551 Option not supported: the RFC 2326 way of saying "no such feature here".
      accept: (status) => status === 551,
    });
    if (described.status === 551) {
      throw new RtspNoBackchannelError(
        client.label,
        'it answered 551 Option not supported to the backchannel request',
        551,
      );
    }
    const base = header(described, 'content-base') ?? header(described, 'content-location') ?? target.url;
    const sdp = parseSdp(described.body.toString('utf8'));
    const found = findBackchannel(sdp, base);
    if (found.kind === 'none') {
      const tracks = found.media.length > 0 ? found.media.join(', ') : 'none';
      throw new RtspNoBackchannelError(
        client.label,
        `its stream description has no send-only audio track; tracks: ${tracks}`,
      );
    }
    if (found.kind === 'codec') throw new RtspBackchannelCodecError(client.label, found.codecs);
    return new RtspBackchannel(client, {
      track: found.track,
      aggregate: resolveControl(sdp.control, base),
      keepAliveMethod: methods.includes('GET_PARAMETER') ? 'GET_PARAMETER' : 'OPTIONS',
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      stallTimeoutMs: options.stallTimeoutMs ?? 10_000,
      ...(options.keepAliveMs ? { keepAliveMs: options.keepAliveMs } : {}),
    });
  } catch (error) {
    client.destroy();
    throw error;
  }
}

interface BackchannelSetup {
  track: BackchannelTrack;
  /** The URL for session-wide requests (PLAY, keep-alive, TEARDOWN). */
  aggregate: string;
  keepAliveMethod: 'GET_PARAMETER' | 'OPTIONS';
  timeoutMs: number;
  stallTimeoutMs: number;
  keepAliveMs?: number;
}

const STOP = Symbol('stop');

export class RtspBackchannel {
  readonly track: BackchannelTrack;
  /** Keep-alive requests answered, for statistics. */
  keepAlives = 0;
  private session: SessionHeader | undefined;
  private channel = 0;
  private packetizer: RtpPacketizer;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private keepAliveMethod: 'GET_PARAMETER' | 'OPTIONS';
  private keepAliveBusy = false;
  /** Why the session cannot go on (keep-alive refused, connection lost). */
  private failure: Error | undefined;
  /** Fires on `failure` and on close(), so a running send() stops at once. */
  private readonly stopped = new AbortController();
  private closed = false;

  constructor(
    private readonly client: RtspClient,
    private readonly setup: BackchannelSetup,
  ) {
    this.track = setup.track;
    this.keepAliveMethod = setup.keepAliveMethod;
    this.packetizer = new RtpPacketizer({ payloadType: setup.track.payloadType });
    void client.ended.then((error) => {
      if (!this.closed)
        this.fail(error ?? new RtspConnectionError(client.label, 'the device closed the RTSP connection'));
    });
  }

  get codec(): G711Codec {
    return this.track.codec;
  }

  /** The device's RTSP session id, once set up. */
  get sessionId(): string | undefined {
    return this.session?.id;
  }

  get host(): string {
    return this.client.label;
  }

  /** SETUP of the backchannel track (interleaved over this connection), then PLAY; starts the keep-alive. */
  async play(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.closed) throw new AbortedError(this.client.label);
    if (this.session) return;
    const signal = options.signal;
    const answer = await this.client.request('SETUP', this.track.control, {
      signal,
      headers: { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1', Require: BACKCHANNEL_REQUIRE },
    });
    const session = parseSessionHeader(header(answer, 'session'));
    if (!session)
      throw new RtspProtocolError(this.client.label, 'SETUP was answered without a Session header');
    this.session = session;
    const transport = parseTransportHeader(header(answer, 'transport'));
    if (transport && !/\/TCP$/i.test(transport.protocol)) {
      throw new RtspError(
        'not_supported',
        `${this.client.label} set up the audio backchannel over ${transport.protocol} although RTP over the RTSP connection was asked for.`,
      );
    }
    // The device may pick other channel numbers than the ones asked for: its answer counts.
    this.channel = transport?.interleaved?.[0] ?? 0;
    const play = (url: string, perTrackNext: boolean) =>
      this.client.request('PLAY', url, {
        signal,
        headers: { Session: session.id, Range: 'npt=0.000-', Require: BACKCHANNEL_REQUIRE },
        accept: (status) => perTrackNext && status === 459,
      });
    // Aggregate control first (the ONVIF way); a device that wants it per track says 459.
    if ((await play(this.setup.aggregate, true)).status === 459) await play(this.track.control, false);
    const period = this.setup.keepAliveMs ?? Math.max(1000, (session.timeoutSeconds * 1000) / 2);
    this.keepAliveTimer = setInterval(() => void this.keepAlive(), period);
    this.keepAliveTimer.unref();
  }

  /**
   * Sends already-paced G.711 frames as RTP, one packet per frame (G711_FRAME_BYTES, 20 ms), each
   * as soon as it comes.
   * Resolves when the frames end (after `tailMs`), the device closed the connection, or `signal`
   * fired; throws when the device stopped taking audio or refused the keep-alive.
   */
  async send(
    frames: AsyncIterable<Uint8Array>,
    options: BackchannelSendOptions = {},
  ): Promise<BackchannelEnd> {
    if (!this.session) throw new Error('RtspBackchannel.send before play()');
    if (this.closed) return 'aborted';
    const signals = [this.stopped.signal, ...(options.signal ? [options.signal] : [])];
    const signal = AbortSignal.any(signals);
    const stop = whenAborted(signal).then((): typeof STOP => STOP);
    const iterator = frames[Symbol.asyncIterator]();
    let sourceEnded = false;
    try {
      for (;;) {
        const next = await Promise.race([iterator.next(), stop]);
        if (next === STOP) break;
        if (next.done) {
          sourceEnded = true;
          break;
        }
        await this.write(next.value, signal, options.onSent);
      }
    } catch (error) {
      // Aborted or cut off: `outcome` below tells which; anything else (a stall) is a failure.
      if (!(error instanceof AbortedError || error instanceof RtspConnectionError))
        throw this.failure ?? error;
    } finally {
      // The generator may be waiting on its own timer; it is told to finish, not awaited.
      if (!sourceEnded) void iterator.return?.(undefined)?.catch(() => {});
    }
    const end = this.outcome(options.signal);
    if (end) return end;
    await sleepUnlessAborted(options.tailMs ?? DEFAULT_TAIL_MS, signal);
    return this.outcome(options.signal) ?? 'source-ended';
  }

  /**
   * TEARDOWN (when a session was set up and the connection still stands), then closes the
   * connection. Safe to call twice; never throws, returns the TEARDOWN failure for logging.
   */
  async close(): Promise<DeviceError | undefined> {
    if (this.closed) return undefined;
    this.closed = true;
    clearInterval(this.keepAliveTimer);
    this.stopped.abort();
    let failure: DeviceError | undefined;
    if (this.session && this.client.open) {
      try {
        await this.client.request('TEARDOWN', this.setup.aggregate, {
          headers: { Session: this.session.id },
          timeoutMs: this.setup.timeoutMs,
        });
      } catch (error) {
        failure =
          error instanceof DeviceError
            ? error
            : new RtspError('device_error', `TEARDOWN failed: ${String(error)}`);
      }
    }
    await this.client.close();
    return failure;
  }

  private async write(
    frame: Uint8Array,
    signal: AbortSignal,
    onSent?: (bytes: number) => void,
  ): Promise<void> {
    for (let offset = 0; offset < frame.length; offset += G711_FRAME_BYTES) {
      if (signal.aborted) throw new AbortedError(this.client.label);
      const payload = frame.subarray(offset, offset + G711_FRAME_BYTES);
      const packet = this.packetizer.packet(payload);
      if (!this.client.write(interleavedFrame(this.channel, packet))) {
        // A full send buffer: the device stopped reading. Waiting is bounded by the stall limit.
        if (!this.client.open) throw new AbortedError(this.client.label);
        await this.client.drained(this.setup.stallTimeoutMs, signal);
      }
      onSent?.(payload.length);
    }
  }

  /** Whether the send is over, and how, apart from the frames running out. */
  private outcome(callerSignal: AbortSignal | undefined): BackchannelEnd | undefined {
    if (this.failure instanceof RtspConnectionError) return 'device-ended';
    if (this.failure) throw this.failure;
    if (callerSignal?.aborted || this.closed) return 'aborted';
    return undefined;
  }

  private async keepAlive(): Promise<void> {
    if (this.keepAliveBusy || this.closed || !this.session) return;
    this.keepAliveBusy = true;
    try {
      const answer = await this.client.request(this.keepAliveMethod, this.setup.aggregate, {
        headers: { Session: this.session.id },
        timeoutMs: this.setup.timeoutMs,
        // A device that does not know GET_PARAMETER after all: OPTIONS keeps sessions alive too.
        accept: (status) => this.keepAliveMethod === 'GET_PARAMETER' && [405, 451, 501].includes(status),
      });
      if (answer.status >= 300) this.keepAliveMethod = 'OPTIONS';
      else this.keepAlives++;
    } catch (error) {
      if (!this.closed) this.fail(error as Error);
    } finally {
      this.keepAliveBusy = false;
    }
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    clearInterval(this.keepAliveTimer);
    this.stopped.abort();
  }
}
