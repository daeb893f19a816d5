/**
 * The audio of a SIP call: G.711 to the doorbell's speaker as RTP over UDP (RFC 3550, RFC 3551),
 * and the doorbell's microphone counted as it arrives on the same socket (symmetric RTP).
 *
 * Two steps on purpose: `open` binds the socket first, because its port goes into the SDP
 * answer (the 200 OK) before anyone knows what to say; `start` then aims it at the address the
 * offer gave and sends what a queue holds, 160 bytes (20 ms) per packet on the real-time
 * schedule of paceG711 (../audio/g711.ts, the same pacer and bounded queue the other talk links
 * use), so the doorbell never gets a burst.
 *
 * Unlike the other links, nothing is sent while the source has nothing: RTP needs no filler,
 * the RTP timestamp goes on with the time that passed, and the first packet after a pause has
 * the marker bit, which tells the doorbell a talkspurt starts (RFC 3551 §4.1).
 *
 * Pure protocol: no application state. IPv4 only, like the SIP transport. No RTCP.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  AudioQueue,
  type AudioSendEnd,
  G711_FRAME_BYTES,
  G711_FRAME_MS,
  G711_SAMPLE_RATE,
  type G711Codec,
  g711CodecOf,
  newPaceStats,
  type PaceStats,
  paceG711,
} from '../audio/g711.ts';
import { parseRtp, type RtpHeader, RtpPacketizer } from '../rtsp/rtp.ts';
import type { G711Name, RemoteRtp } from './sdp.ts';
import type { SipLog } from './transport.ts';

/** Our queue when the caller brings none: 300 ms, newest kept (a live voice). */
export const RTP_DEFAULT_QUEUE_BYTES = 2400;

const SAMPLES_PER_MS = G711_SAMPLE_RATE / 1000;

/** Where a datagram came from. */
export interface RtpPeer {
  address: string;
  port: number;
}

export interface RtpAudioSenderOptions {
  /** Address to bind (IPv4): default 0.0.0.0. */
  host?: string;
  /** Port to bind; 0 (default) picks a free one. */
  port?: number;
  /** Every RTP packet that arrives (the doorbell's microphone), parsed; see also `onPacket`. */
  onPacket?: (packet: RtpHeader, from: RtpPeer) => void;
  /** Socket errors, send failures and a throwing `onPacket` are reported here. */
  log?: SipLog;
}

export interface RtpStartOptions {
  /** The codec the SDP answer chose (`PCMU`/`PCMA`, or ffmpeg's `mulaw`/`alaw`). */
  codec: G711Name | G711Codec;
  /**
   * Where the G.711 comes from, e.g. a transcoder's queue. Without one the sender makes its own
   * (`maxQueueBytes`, oldest bytes dropped when full) for `push` and `end`.
   */
  queue?: AudioQueue;
  /** The size of the sender's own queue (default RTP_DEFAULT_QUEUE_BYTES). */
  maxQueueBytes?: number;
  /** Stops sending (the socket stays open; `start` may be called again). */
  signal?: AbortSignal;
  /** Stop after the source gave nothing for this long (default 0: never, the call decides). */
  maxGapMs?: number;
  /** Frames sent at once before pacing starts (default 0: a doorbell's jitter buffer copes). */
  leadFrames?: number;
  /** Monotonic milliseconds (default performance.now), for the pacer and the timestamp gaps. */
  now?: () => number;
}

/** How a run of `start` ended: its queue ended and was sent, or it was stopped. */
export type RtpSendEnd = Exclude<AudioSendEnd, 'device-ended'>;

/** Where the stream stands between runs: the same SSRC, sequence and timestamp go on. */
interface StreamState {
  ssrc: number;
  sequence: number;
  timestamp: number;
  /** Monotonic time of the last frame slot (sent or skipped); undefined before the first run. */
  lastSlotAt: number | undefined;
}

export class RtpAudioSender {
  /** Payload bytes and packets that left, and frame slots skipped because the source had nothing. */
  packetsSent = 0;
  bytesSent = 0;
  framesSkipped = 0;
  /** Sends the network refused (counted, not fatal: UDP makes no promise anyway). */
  sendErrors = 0;
  /** RTP packets that arrived, and their payload bytes. */
  packetsReceived = 0;
  bytesReceived = 0;
  /** Datagrams that were not RTP (garbage, RTCP multiplexed on this port): counted and dropped. */
  datagramsIgnored = 0;
  /** Where the last RTP packet came from (symmetric RTP: usually the remote we send to). */
  lastSource: RtpPeer | undefined;
  onPacket: ((packet: RtpHeader, from: RtpPeer) => void) | undefined;
  /** The pacer's counts for the current (or last) run. */
  paceStats: PaceStats = newPaceStats();
  private remoteTarget: RemoteRtp | undefined;
  private runQueue: AudioQueue | undefined;
  private ownQueue: AudioQueue | undefined;
  private running: AbortController | undefined;
  private readonly stream: StreamState;
  private readonly closing = new AbortController();
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    readonly port: number,
    private readonly log: SipLog,
    options: RtpAudioSenderOptions,
  ) {
    this.onPacket = options.onPacket;
    // Random SSRC, sequence and timestamp (RFC 3550 §5.1), kept for the whole call.
    const random = randomBytes(10);
    this.stream = {
      ssrc: random.readUInt32BE(0),
      sequence: random.readUInt16BE(4),
      timestamp: random.readUInt32BE(6),
      lastSlotAt: undefined,
    };
    socket.on('message', (data, rinfo) => this.receive(data, { address: rinfo.address, port: rinfo.port }));
    // A socket error never ends the call on its own: it is reported, the socket kept.
    socket.on('error', (error) => this.log({ level: 'error', message: 'RTP socket error', error }));
  }

  /** Binds the UDP socket; its `port` is what the SDP answer announces. */
  static open(options: RtpAudioSenderOptions = {}): Promise<RtpAudioSender> {
    const host = options.host ?? '0.0.0.0';
    if (!isIPv4(host)) return Promise.reject(new RangeError(`RTP binds IPv4 addresses only, not ${host}`));
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, host, () => {
        socket.off('error', reject);
        const log = options.log ?? (() => {});
        resolve(new RtpAudioSender(socket, host, socket.address().port, log, options));
      });
    });
  }

  /** Where packets go, once started. */
  get remote(): RemoteRtp | undefined {
    return this.remoteTarget;
  }

  /** The stream's synchronization source, the same for every run. */
  get ssrc(): number {
    return this.stream.ssrc;
  }

  /** The current (or last) run's queue: its `size`, `dropped` and `received` tell how it went. */
  get queue(): AudioQueue | undefined {
    return this.runQueue;
  }

  /** A run is sending (or waiting for its source). */
  get sending(): boolean {
    return this.running !== undefined;
  }

  /**
   * Sends the queue's G.711 to `remote` as RTP until the queue ends, `signal` fires or the
   * sender closes. One run at a time; a later run goes on with the same stream (SSRC, next
   * sequence number, timestamp moved on by the time between). Throws at once on a bad remote,
   * a second run, or after close().
   */
  start(remote: RemoteRtp, options: RtpStartOptions): Promise<RtpSendEnd> {
    if (this.closed) throw new Error('RtpAudioSender.start after close()');
    if (this.running) throw new Error('RtpAudioSender.start while a run is sending');
    const codec = g711CodecOf(options.codec);
    if (!codec) throw new RangeError(`not a G.711 codec: ${options.codec}`);
    if (!isIPv4(remote.address))
      throw new RangeError(`RTP goes to IPv4 addresses only, not ${remote.address}`);
    if (!(Number.isInteger(remote.port) && remote.port > 0 && remote.port <= 0xffff)) {
      throw new RangeError(`RTP port 1..65535, not ${remote.port}`);
    }
    if (!(Number.isInteger(remote.payloadType) && remote.payloadType >= 0 && remote.payloadType <= 127)) {
      throw new RangeError(`RTP payload type 0..127, not ${remote.payloadType}`);
    }
    const queue =
      options.queue ??
      new AudioQueue({ maxBytes: options.maxQueueBytes ?? RTP_DEFAULT_QUEUE_BYTES, overflow: 'drop-oldest' });
    this.runQueue = queue;
    this.ownQueue = options.queue ? undefined : queue;
    this.remoteTarget = { ...remote };
    const running = new AbortController();
    this.running = running;
    const signal = AbortSignal.any([
      running.signal,
      this.closing.signal,
      ...(options.signal ? [options.signal] : []),
    ]);
    return this.run(queue, codec, signal, options).finally(() => {
      if (this.running !== running) return;
      this.running = undefined;
      this.ownQueue = undefined;
    });
  }

  /** Adds G.711 bytes to the sender's own queue; false when it is full (the oldest bytes went). */
  push(chunk: Uint8Array): boolean {
    if (!this.ownQueue) throw new Error('RtpAudioSender.push needs a run started without a queue');
    return this.ownQueue.push(chunk);
  }

  /** No more bytes for the own queue: the run sends what it holds, then ends. */
  end(): void {
    this.ownQueue?.end();
  }

  /** Stops the current run at once (what is queued is dropped); the socket stays open. */
  stop(): void {
    this.running?.abort();
  }

  /** Stops sending and closes the socket. Safe to call twice. */
  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => {
      this.closing.abort();
      this.ownQueue?.end();
      this.socket.close(() => resolve());
    });
    return this.closed;
  }

  private async run(
    queue: AudioQueue,
    codec: G711Codec,
    signal: AbortSignal,
    options: RtpStartOptions,
  ): Promise<RtpSendEnd> {
    const now = options.now ?? (() => performance.now());
    const stats = newPaceStats();
    this.paceStats = stats;
    this.skipPause(now());
    let packetizer: RtpPacketizer | undefined; // undefined: the next packet starts a talkspurt
    let silenceSeen = 0;
    const frames = paceG711(queue, {
      codec,
      signal,
      stats,
      now,
      leadFrames: options.leadFrames ?? 0,
      maxGapMs: options.maxGapMs ?? 0,
    });
    for await (const frame of frames) {
      this.stream.lastSlotAt = now();
      // The pacer fills a slot with silence when the source has nothing (and counts it in
      // silenceFrames before handing it over): such slots are not sent.
      if (stats.silenceFrames !== silenceSeen) {
        silenceSeen = stats.silenceFrames;
        this.stream.timestamp = (this.stream.timestamp + G711_FRAME_BYTES) >>> 0;
        this.framesSkipped++;
        packetizer = undefined;
        continue;
      }
      // A fresh packetizer per talkspurt: its first packet carries the marker bit.
      packetizer ??= new RtpPacketizer({
        payloadType: this.remoteTarget!.payloadType,
        ssrc: this.stream.ssrc,
        sequence: this.stream.sequence,
        timestamp: this.stream.timestamp,
      });
      this.send(packetizer.packet(frame), frame.length);
      this.stream.sequence = (this.stream.sequence + 1) & 0xffff;
      this.stream.timestamp = (this.stream.timestamp + frame.length) >>> 0;
    }
    return signal.aborted ? 'aborted' : 'source-ended';
  }

  /** Between runs the timestamp moves on by the time that passed, as if the pause had been sent. */
  private skipPause(at: number): void {
    const last = this.stream.lastSlotAt;
    if (last === undefined) return;
    const pauseMs = at - last - G711_FRAME_MS;
    if (pauseMs > 0)
      this.stream.timestamp = (this.stream.timestamp + Math.round(pauseMs * SAMPLES_PER_MS)) >>> 0;
  }

  private send(packet: Buffer, payloadBytes: number): void {
    if (this.closing.signal.aborted) return; // the socket is closing: sending would throw
    const remote = this.remoteTarget!;
    this.socket.send(packet, remote.port, remote.address, (error) => {
      if (!error) {
        this.packetsSent++;
        this.bytesSent += payloadBytes;
        return;
      }
      // Only the first is logged (50 a second would flood the log); the count tells the rest.
      if (this.sendErrors++ === 0) this.log({ level: 'warn', message: 'RTP send failed', error });
    });
  }

  private receive(data: Buffer, from: RtpPeer): void {
    // RTCP multiplexed on the RTP port has packet types 200..204 where RTP has marker + type (RFC 5761 §4).
    const packet = data.length > 1 && data[1]! >= 192 && data[1]! <= 223 ? undefined : parseRtp(data);
    if (!packet) {
      this.datagramsIgnored++;
      return;
    }
    this.packetsReceived++;
    this.bytesReceived += packet.payload.length;
    this.lastSource = from;
    if (!this.onPacket) return;
    try {
      this.onPacket(packet, from);
    } catch (error) {
      this.log({ level: 'error', message: 'RTP packet handler failed', error: error as Error });
    }
  }
}
