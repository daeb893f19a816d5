/**
 * Two-way audio sessions per channel: open/close, bytes received on audioData uploads, and the
 * G.711 silence a device streams back on audioData downloads.
 */
import { randomBytes } from 'node:crypto';

/** Cap on recorded bytes per channel (about 35 minutes of 8 kHz G.711). */
export const MAX_RECORDED_BYTES = 16 * 1024 * 1024;
/** 20 ms of 8 kHz mono G.711: what devices send per packet. */
export const FRAME_BYTES = 160;
export const FRAME_MS = 20;

/** G.711 silence: 0xFF in u-law, 0xD5 in A-law. */
export function silenceByte(codec: string): number {
  return /alaw/i.test(codec) ? 0xd5 : 0xff;
}

interface Session {
  id: string;
  /** Streams (uploads and downloads) to end when the session closes. */
  streams: Set<() => void>;
}

export interface ChannelConfig {
  /** Two-way audio switched on for the channel (clients may PUT it on); not the session state. */
  enabled: boolean;
  codec: string;
}

export class TwoWayAudio {
  private readonly sessions = new Map<number, Session>();
  private readonly received = new Map<number, Buffer[]>();
  private readonly sizes = new Map<number, number>();
  private readonly configs = new Map<number, ChannelConfig>();

  constructor(
    readonly channels: number[],
    codec: string,
  ) {
    for (const channel of channels) this.configs.set(channel, { enabled: true, codec });
  }

  has(channel: number): boolean {
    return this.channels.includes(channel);
  }

  config(channel: number): ChannelConfig {
    return this.configs.get(channel) ?? { enabled: false, codec: 'G.711ulaw' };
  }

  configure(channel: number, update: Partial<ChannelConfig>): void {
    this.configs.set(channel, { ...this.config(channel), ...update });
  }

  isOpen(channel: number): boolean {
    return this.sessions.has(channel);
  }

  /** Opens a session; undefined when one is already open (the device is busy talking). */
  open(channel: number): string | undefined {
    if (this.sessions.has(channel)) return undefined;
    const id = randomBytes(16).toString('hex');
    this.sessions.set(channel, { id, streams: new Set() });
    return id;
  }

  close(channel: number): void {
    const session = this.sessions.get(channel);
    if (!session) return;
    this.sessions.delete(channel);
    for (const end of session.streams) end();
  }

  /** True when a session is open and the sessionId (optional on devices) matches it. */
  accepts(channel: number, sessionId: string | null): boolean {
    const session = this.sessions.get(channel);
    return !!session && (!sessionId || sessionId === session.id);
  }

  /** Registers a stream to end when the session closes; returns the unregister function. */
  attach(channel: number, end: () => void): () => void {
    const session = this.sessions.get(channel);
    if (!session) {
      end();
      return () => {};
    }
    session.streams.add(end);
    return () => session.streams.delete(end);
  }

  record(channel: number, chunk: Buffer): void {
    const size = this.sizes.get(channel) ?? 0;
    if (size >= MAX_RECORDED_BYTES) return;
    const piece = chunk.subarray(0, MAX_RECORDED_BYTES - size);
    const list = this.received.get(channel) ?? [];
    list.push(Buffer.from(piece));
    this.received.set(channel, list);
    this.sizes.set(channel, size + piece.length);
  }

  receivedBytes(channel: number): Buffer {
    return Buffer.concat(this.received.get(channel) ?? []);
  }

  closeAll(): void {
    for (const channel of [...this.sessions.keys()]) this.close(channel);
  }
}
