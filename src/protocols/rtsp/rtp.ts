/**
 * RTP (RFC 3550) packets for one outgoing audio stream: fixed 12-byte header, no CSRCs, no
 * extension. Sequence number and timestamp start at random values (as the RFC asks, so a
 * receiver cannot confuse two streams) and wrap at 16 and 32 bits.
 */
import { randomBytes } from 'node:crypto';

export const RTP_HEADER_BYTES = 12;

export interface RtpPacketizerOptions {
  payloadType: number;
  ssrc?: number;
  sequence?: number;
  timestamp?: number;
}

export class RtpPacketizer {
  readonly payloadType: number;
  readonly ssrc: number;
  private sequence: number;
  private timestamp: number;
  private first = true;
  /** Packets made so far. */
  count = 0;

  constructor(options: RtpPacketizerOptions) {
    if (!(Number.isInteger(options.payloadType) && options.payloadType >= 0 && options.payloadType <= 127)) {
      throw new RangeError('payloadType 0..127');
    }
    const random = randomBytes(10);
    this.payloadType = options.payloadType;
    this.ssrc = (options.ssrc ?? random.readUInt32BE(0)) >>> 0;
    this.sequence = (options.sequence ?? random.readUInt16BE(4)) & 0xffff;
    this.timestamp = (options.timestamp ?? random.readUInt32BE(6)) >>> 0;
  }

  /**
   * One packet around `payload`; the timestamp then moves on by `samples` (for 8 kHz G.711 one
   * sample per byte: 160 per 20 ms frame). The marker bit is set on the first packet only: for
   * audio it marks the start of a talkspurt (RFC 3551 §4.1), which lets the device reset its
   * jitter buffer.
   */
  packet(payload: Uint8Array, samples = payload.length): Buffer {
    const out = Buffer.allocUnsafe(RTP_HEADER_BYTES + payload.length);
    out[0] = 0x80; // version 2, no padding, no extension, no CSRC
    out[1] = (this.first ? 0x80 : 0) | this.payloadType;
    out.writeUInt16BE(this.sequence, 2);
    out.writeUInt32BE(this.timestamp, 4);
    out.writeUInt32BE(this.ssrc, 8);
    out.set(payload, RTP_HEADER_BYTES);
    this.first = false;
    this.count++;
    this.sequence = (this.sequence + 1) & 0xffff;
    this.timestamp = (this.timestamp + samples) >>> 0;
    return out;
  }
}

export interface RtpHeader {
  version: number;
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

/** Reads an RTP packet (CSRCs, extension and padding skipped); undefined if it is not one. */
export function parseRtp(packet: Buffer): RtpHeader | undefined {
  if (packet.length < RTP_HEADER_BYTES) return undefined;
  const version = packet[0]! >> 6;
  if (version !== 2) return undefined;
  let offset = RTP_HEADER_BYTES + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  let end = packet.length;
  if (packet[0]! & 0x20) end -= packet[packet.length - 1]!;
  if (offset > end) return undefined;
  return {
    version,
    marker: (packet[1]! & 0x80) !== 0,
    payloadType: packet[1]! & 0x7f,
    sequence: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    payload: packet.subarray(offset, end),
  };
}
