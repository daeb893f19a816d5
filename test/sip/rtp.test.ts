/**
 * RTP G.711 to a doorbell in a SIP call (src/protocols/sip/rtp.ts): the packets on the wire as
 * a plain UDP socket sees them (header fields, 20 ms pacing, pauses without filler, the bounded
 * queue, what comes back on the same socket), then ffmpeg as the receiver, reading our stream
 * through an SDP file, must get back exactly the audio that was sent.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { AudioQueue, G711_FRAME_BYTES } from '../../src/protocols/audio/g711.ts';
import { parseRtp, type RtpHeader, RtpPacketizer } from '../../src/protocols/rtsp/rtp.ts';
import { RtpAudioSender, type SipLogEntry } from '../../src/protocols/sip/index.ts';
import { requireTool } from '../support/system-tools.ts';
import { LOOPBACK, waitFor } from './helpers.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openSender(options: Parameters<typeof RtpAudioSender.open>[0] = {}): Promise<RtpAudioSender> {
  const sender = await RtpAudioSender.open({ host: LOOPBACK, ...options });
  cleanups.push(() => sender.close());
  return sender;
}

interface Arrival {
  at: number;
  packet: RtpHeader;
}

/** The doorbell's end: a UDP socket that keeps every RTP packet it gets, with its arrival time. */
async function openReceiver(): Promise<{ socket: Socket; port: number; arrivals: Arrival[] }> {
  const socket = createSocket('udp4');
  const arrivals: Arrival[] = [];
  socket.on('message', (data) => {
    const packet = parseRtp(data);
    if (packet) arrivals.push({ at: performance.now(), packet });
  });
  await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { socket, port: socket.address().port, arrivals };
}

/** `count` 20 ms frames, frame i filled with byte `first + i` so each can be told apart. */
function frames(count: number, first = 0x10): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.alloc(G711_FRAME_BYTES, (first + i) & 0xff));
}

function endedQueue(chunks: Buffer[]): AudioQueue {
  const queue = new AudioQueue({ maxBytes: 1 << 20, overflow: 'pause' });
  for (const chunk of chunks) queue.push(chunk);
  queue.end();
  return queue;
}

const plus = (a: number, b: number, bits: 16 | 32) => (bits === 16 ? (a + b) & 0xffff : (a + b) >>> 0);

describe('RtpAudioSender on the wire', () => {
  it('sends one RTP packet per 20 ms frame: version 2, the payload type, one SSRC, marker on the first, sequence +1, timestamp +160', async () => {
    const receiver = await openReceiver();
    const sender = await openSender();
    expect(sender.port).toBeGreaterThan(0);
    const sent = frames(60);
    const startedAt = performance.now();
    const end = await sender.start(
      { address: LOOPBACK, port: receiver.port, payloadType: 0 },
      { codec: 'PCMU', queue: endedQueue(sent) },
    );
    expect(end).toBe('source-ended');
    await waitFor('60 packets at the receiver', () => receiver.arrivals.length === 60);

    const packets = receiver.arrivals.map((arrival) => arrival.packet);
    packets.forEach((packet, i) => {
      expect(packet.version).toBe(2);
      expect(packet.payloadType).toBe(0);
      expect(packet.marker).toBe(i === 0);
      expect(packet.ssrc).toBe(sender.ssrc);
      expect(packet.payload.equals(sent[i]!)).toBe(true);
      if (i === 0) return;
      expect(packet.sequence).toBe(plus(packets[i - 1]!.sequence, 1, 16));
      expect(packet.timestamp).toBe(plus(packets[i - 1]!.timestamp, 160, 32));
    });
    expect({ packets: sender.packetsSent, bytes: sender.bytesSent, skipped: sender.framesSkipped }).toEqual({
      packets: 60,
      bytes: 60 * G711_FRAME_BYTES,
      skipped: 0,
    });

    // Real time: 59 intervals of 20 ms, counted from the start of sending (not from the first
    // arrival: a busy receiver may read the first packet late and the next ones together). Load
    // only delays packets, so "never early" holds; the average bounds drift.
    const times = receiver.arrivals.map((arrival) => arrival.at - startedAt);
    const average = times[59]! / 59;
    expect(average).toBeGreaterThanOrEqual(19);
    expect(average).toBeLessThanOrEqual(30);
    expect(times.filter((t, i) => t < i * 20 - 5)).toEqual([]);
  });

  it('sends nothing while the source has nothing, then marks the next talkspurt with the timestamp moved on by the pause', async () => {
    const receiver = await openReceiver();
    const sender = await openSender();
    const remote = { address: LOOPBACK, port: receiver.port, payloadType: 8 };
    const run = sender.start(remote, { codec: 'PCMA' });
    const first = frames(5, 0x20);
    for (const frame of first) sender.push(frame);
    await waitFor('the first talkspurt', () => receiver.arrivals.length === 5);
    const skippedBefore = sender.framesSkipped;
    await waitFor('ten silent slots', () => sender.framesSkipped >= skippedBefore + 10);
    const second = frames(5, 0x40);
    for (const frame of second) sender.push(frame);
    await waitFor('the second talkspurt', () => receiver.arrivals.length === 10);
    sender.end();
    expect(await run).toBe('source-ended');
    expect(sender.sending).toBe(false);

    // A new run (the user talks again): same stream, the timestamp moved on by the time between.
    const third = frames(3, 0x60);
    const lastSlot = performance.now();
    await waitFor('a pause between runs', () => performance.now() - lastSlot >= 200);
    expect(await sender.start(remote, { codec: 'alaw', queue: endedQueue(third) })).toBe('source-ended');
    await waitFor('the third talkspurt', () => receiver.arrivals.length === 13);

    const packets = receiver.arrivals.map((arrival) => arrival.packet);
    expect(packets.map((packet) => packet.payload[0])).toEqual(
      [...first, ...second, ...third].map((frame) => frame[0]),
    ); // no silence (0xD5) went out
    expect(packets.map((packet) => packet.marker)).toEqual(
      packets.map((_, i) => i === 0 || i === 5 || i === 10),
    );
    expect(new Set(packets.map((packet) => packet.ssrc))).toEqual(new Set([sender.ssrc]));
    expect(new Set(packets.map((packet) => packet.payloadType))).toEqual(new Set([8]));
    packets.forEach((packet, i) => {
      if (i > 0) expect(packet.sequence).toBe(plus(packets[i - 1]!.sequence, 1, 16));
      if (i > 0 && !packet.marker) expect(packet.timestamp).toBe(plus(packets[i - 1]!.timestamp, 160, 32));
    });
    for (const spurt of [5, 10]) {
      const jump = (packets[spurt]!.timestamp - packets[spurt - 1]!.timestamp) >>> 0;
      const wallMs = receiver.arrivals[spurt]!.at - receiver.arrivals[spurt - 1]!.at;
      expect(jump).toBeGreaterThanOrEqual(160 * 11); // at least the ten silent slots
      // 8 samples per ms of the pause, within what two loaded event loops make of it.
      expect(Math.abs(jump / 8 - wallMs)).toBeLessThan(120);
    }
    expect(sender.packetsSent).toBe(13);
  });

  it('keeps at most its queue: a burst larger than it loses its oldest bytes, never the pacing', async () => {
    const receiver = await openReceiver();
    const sender = await openSender();
    const startedAt = performance.now();
    const run = sender.start(
      { address: LOOPBACK, port: receiver.port, payloadType: 0 },
      { codec: 'PCMU', maxQueueBytes: 10 * G711_FRAME_BYTES },
    );
    const burst = frames(50);
    const accepted = burst.map((frame) => sender.push(frame));
    expect(accepted.at(-1)).toBe(false); // full: the producer is told
    expect(sender.queue!.size).toBe(10 * G711_FRAME_BYTES);
    expect(sender.queue!.dropped).toBe(40 * G711_FRAME_BYTES);
    sender.end();
    expect(await run).toBe('source-ended');
    await waitFor('every sent packet', () => receiver.arrivals.length === sender.packetsSent);
    expect(receiver.arrivals.map((arrival) => arrival.packet.payload[0])).toEqual(
      burst.slice(40).map((frame) => frame[0]),
    );
    const spread = receiver.arrivals.at(-1)!.at - startedAt;
    expect(spread).toBeGreaterThanOrEqual(9 * 20 - 5); // paced, not a burst
    expect(() => sender.push(burst[0]!)).toThrow(/needs a run/);
  });

  it('stops a run on its signal or stop(), and a closed sender sends nothing more', async () => {
    const receiver = await openReceiver();
    const sender = await openSender();
    const remote = { address: LOOPBACK, port: receiver.port, payloadType: 0 };
    const controller = new AbortController();
    const run = sender.start(remote, { codec: 'PCMU', signal: controller.signal });
    sender.push(Buffer.concat(frames(100)));
    await waitFor('some packets', () => receiver.arrivals.length >= 3);
    controller.abort();
    expect(await run).toBe('aborted');

    const second = sender.start(remote, { codec: 'PCMU' });
    expect(() => sender.start(remote, { codec: 'PCMU' })).toThrow(/while a run is sending/);
    sender.stop();
    expect(await second).toBe('aborted');

    const third = sender.start(remote, { codec: 'PCMU' });
    sender.push(Buffer.concat(frames(100)));
    const before = receiver.arrivals.length;
    await waitFor('the third run sending', () => receiver.arrivals.length > before);
    await sender.close();
    expect(await third).toBe('aborted');
    const sentAtClose = sender.packetsSent;
    expect(receiver.arrivals.length).toBeLessThanOrEqual(sentAtClose);
    await sender.close(); // twice is fine
    expect(() => sender.start(remote, { codec: 'PCMU' })).toThrow(/after close/);
  });

  it('refuses what it cannot send to', async () => {
    const sender = await openSender();
    const start =
      (remote: { address: string; port: number; payloadType: number }, codec = 'PCMU') =>
      () =>
        sender.start(remote, { codec: codec as 'PCMU' });
    expect(start({ address: '::1', port: 4000, payloadType: 0 })).toThrow(/IPv4/);
    expect(start({ address: 'doorbell.local', port: 4000, payloadType: 0 })).toThrow(/IPv4/);
    expect(start({ address: LOOPBACK, port: 0, payloadType: 0 })).toThrow(/port/);
    expect(start({ address: LOOPBACK, port: 4000, payloadType: 128 })).toThrow(/payload type/);
    expect(start({ address: LOOPBACK, port: 4000, payloadType: 0 }, 'G722')).toThrow(/G\.711/);
    expect(sender.sending).toBe(false);
    await expect(RtpAudioSender.open({ host: LOOPBACK, port: sender.port })).rejects.toThrow(/EADDRINUSE/);
    await expect(RtpAudioSender.open({ host: '::1' })).rejects.toThrow(/IPv4/);
  });
});

describe('RtpAudioSender receiving (symmetric RTP)', () => {
  it('counts and hands over the RTP the doorbell sends to our port, drops anything else, survives a throwing handler', async () => {
    const logs: SipLogEntry[] = [];
    const handed: RtpHeader[] = [];
    const sender = await openSender({
      log: (entry) => logs.push(entry),
      onPacket: (packet) => {
        handed.push(packet);
        if (handed.length === 1) throw new Error('handler bug');
      },
    });
    const doorbell = await openReceiver();
    const sendFromDoorbell = (data: Buffer) =>
      new Promise<void>((resolve, reject) =>
        doorbell.socket.send(data, sender.port, LOOPBACK, (error) => (error ? reject(error) : resolve())),
      );

    const microphone = new RtpPacketizer({ payloadType: 0 });
    const rtcpSenderReport = Buffer.alloc(28);
    rtcpSenderReport[0] = 0x80;
    rtcpSenderReport[1] = 200;
    rtcpSenderReport.writeUInt16BE(6, 2);
    const badPadding = microphone.packet(Buffer.alloc(4));
    badPadding[0]! |= 0x20;
    badPadding[badPadding.length - 1] = 200; // more padding than the packet holds
    const garbage = [
      Buffer.alloc(0),
      Buffer.from([0x80]),
      Buffer.alloc(11, 0x80),
      Buffer.from('INVITE sip:10102@192.168.0.114 SIP/2.0\r\n\r\n'),
      Buffer.concat([Buffer.from([0x40, 0]), Buffer.alloc(30)]), // RTP version 1
      rtcpSenderReport,
      badPadding,
      Buffer.alloc(2000, 0xff),
    ];
    const voice = frames(5, 0x30).map((frame) => microphone.packet(frame));
    for (const [i, datagram] of [...garbage, ...voice].entries()) {
      await sendFromDoorbell(datagram);
      if (i === 3) await sendFromDoorbell(voice[0]!); // interleaved, and handed over first
    }
    const total = garbage.length + voice.length + 1;
    await waitFor('every datagram judged', () => sender.packetsReceived + sender.datagramsIgnored === total);
    expect(sender.packetsReceived).toBe(voice.length + 1);
    expect(sender.datagramsIgnored).toBe(garbage.length);
    expect(sender.bytesReceived).toBe((voice.length + 1) * G711_FRAME_BYTES);
    expect(handed.map((packet) => packet.payload[0])).toEqual([0x30, 0x30, 0x31, 0x32, 0x33, 0x34]);
    expect(handed[1]).toMatchObject({ version: 2, payloadType: 0, ssrc: microphone.ssrc });
    expect(sender.lastSource).toEqual({ address: LOOPBACK, port: doorbell.port });
    expect(logs).toEqual([expect.objectContaining({ level: 'error', message: 'RTP packet handler failed' })]);

    // The same socket still sends: our audio reaches the doorbell's socket.
    const end = await sender.start(
      { address: LOOPBACK, port: doorbell.port, payloadType: 0 },
      { codec: 'PCMU', queue: endedQueue(frames(2, 0x70)) },
    );
    expect(end).toBe('source-ended');
    await waitFor('our audio at the doorbell', () => doorbell.arrivals.length === 2);
    expect(doorbell.arrivals[0]!.packet.ssrc).toBe(sender.ssrc);
  });
});

// ---------------------------------------------------------------------------------------------
// ffmpeg as the doorbell

const FFMPEG = requireTool('ffmpeg', 'ffmpeg');

/** A free even UDP port whose odd neighbour (ffmpeg's RTCP) is free too. */
async function freeRtpPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, LOOPBACK, () => resolve()));
    const port = probe.address().port & ~1;
    probe.close();
    if (port >= 1024 && (await udpFree(port)) && (await udpFree(port + 1))) return port;
  }
  throw new Error('no free RTP port pair');
}

function udpFree(port: number): Promise<boolean> {
  const probe = createSocket('udp4');
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.bind(port, LOOPBACK, () => probe.close(() => resolve(true)));
  });
}

function udpBound(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .some((line) => line.trim().split(/\s+/)[1]?.endsWith(`:${hex}`));
}

/** 1 s of a 1 kHz tone as raw 8 kHz G.711. */
function toneG711(format: 'mulaw' | 'alaw'): Buffer {
  return execFileSync(
    FFMPEG,
    [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=1000:duration=1'],
      ...['-ar', '8000', '-ac', '1', '-f', format, 'pipe:1'],
    ],
    { maxBuffer: 1 << 20 },
  );
}

interface FfmpegReceiver {
  child: ChildProcess;
  output: () => Buffer;
  exited: Promise<number | null>;
  stderr: () => string;
}

/** ffmpeg reading our RTP through an SDP file, writing what it decoded (or copied) to stdout. */
function ffmpegReceiver(sdp: string, outputArgs: string[]): FfmpegReceiver {
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-rtp-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const sdpPath = join(dir, 'in.sdp');
  writeFileSync(sdpPath, sdp);
  const child = spawn(
    FFMPEG,
    [
      ...['-hide_banner', '-nostats', '-loglevel', 'error'],
      // No packet for 2 s ends the input, and so ffmpeg, cleanly: the stream is over.
      ...['-protocol_whitelist', 'file,udp,rtp', '-listen_timeout', '2', '-i', sdpPath],
      ...outputArgs,
      'pipe:1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  return { child, output: () => Buffer.concat(chunks), exited, stderr: () => stderr };
}

function audioSdp(port: number, payloadType: number, name: string): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=hikbridge rtp test',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP ${payloadType}`,
    `a=rtpmap:${payloadType} ${name}/8000`,
    'a=recvonly',
    '',
  ].join('\r\n');
}

/** Sends `audio` from a fresh sender to ffmpeg on `port`; returns what ffmpeg wrote once it has exited. */
async function sendToFfmpeg(
  receiver: FfmpegReceiver,
  port: number,
  payloadType: number,
  codec: 'PCMU' | 'PCMA',
  audio: Buffer,
): Promise<Buffer> {
  await waitFor('ffmpeg listening for RTP', () => udpBound(port), 15_000);
  const sender = await openSender();
  const end = await sender.start(
    { address: LOOPBACK, port, payloadType },
    { codec, queue: endedQueue([audio]) },
  );
  expect(end).toBe('source-ended');
  expect(sender.packetsSent).toBe(audio.length / G711_FRAME_BYTES);
  // ffmpeg ends by itself once no packet came for its listen_timeout (2 s).
  const exit = await Promise.race([
    receiver.exited,
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000).unref()),
  ]);
  expect(exit, receiver.stderr()).toBe(0);
  return receiver.output();
}

describe('RtpAudioSender to ffmpeg', () => {
  it('PCMU: ffmpeg copies out exactly the bytes we sent', async () => {
    const audio = toneG711('mulaw');
    expect(audio.length).toBe(8000);
    const port = await freeRtpPort();
    const receiver = ffmpegReceiver(audioSdp(port, 0, 'PCMU'), ['-c:a', 'copy', '-f', 'mulaw']);
    const output = await sendToFfmpeg(receiver, port, 0, 'PCMU', audio);
    expect(output.equals(audio)).toBe(true);
  });

  it('PCMA: ffmpeg decodes the 1 kHz tone we sent, at full level and length', async () => {
    const audio = toneG711('alaw');
    const port = await freeRtpPort();
    const receiver = ffmpegReceiver(audioSdp(port, 8, 'PCMA'), ['-f', 's16le', '-ac', '1', '-ar', '8000']);
    const pcm = await sendToFfmpeg(receiver, port, 8, 'PCMA', audio);
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, Math.floor(pcm.length / 2));
    expect(samples.length).toBe(8000);
    // Zero crossings: a 1 kHz sine crosses zero 2000 times a second.
    let crossings = 0;
    for (let i = 1; i < samples.length; i++) if (samples[i - 1]! < 0 !== samples[i]! < 0) crossings++;
    expect(crossings).toBeGreaterThan(1950);
    expect(crossings).toBeLessThan(2050);
    // lavfi's sine is at 1/8 of full scale: RMS about 4096 / sqrt(2).
    let sum = 0;
    for (const sample of samples) sum += sample * sample;
    const rms = Math.sqrt(sum / samples.length);
    expect(rms).toBeGreaterThan(2500);
    expect(rms).toBeLessThan(3300);
  });
});
