/**
 * Two-way audio over the ONVIF RTSP backchannel: the protocol pieces on their own (message
 * codec, SDP, RTP, the client against a scripted server for the answers a simulator rarely
 * gives), then end to end through the talk module against the simulator's RTSP server, where
 * what arrived is decoded back with ffmpeg and must still be the tone that was sent, in time.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimDevice } from '../../sim/index.ts';
import { freePort } from '../../sim/net.ts';
import {
  TalkCodecError,
  TalkNoBackchannelError,
  TalkSpeakerBusyError,
  TalkUnsupportedError,
} from '../../src/modules/talk/index.ts';
import {
  BACKCHANNEL_REQUIRE,
  findBackchannel,
  type InterleavedFrame,
  interleavedFrame,
  openBackchannel,
  parseRtp,
  parseRtspUrl,
  parseSdp,
  parseSessionHeader,
  parseTransportHeader,
  RtpPacketizer,
  RtspBadCredentialsError,
  RtspConnectionError,
  type RtspIncomingRequest,
  RtspParser,
  RtspStatusError,
  RtspTimeoutError,
  resolveControl,
  serializeRequest,
} from '../../src/protocols/rtsp/index.ts';
import {
  audioRequests,
  decodeG711,
  dominantFrequency,
  ffmpegChildren,
  harness,
  rms,
  tone,
  waitFor,
} from './support.ts';

// ---------------------------------------------------------------------------------------------
// A Hikvision-shaped SDP (video and audio the camera sends, plus the backchannel it takes).

const BASE = 'rtsp://10.0.0.5:554/Streaming/Channels/101/';
const HIK_SDP = [
  'v=0',
  'o=- 1700000000 1700000000 IN IP4 10.0.0.5',
  's=Media Presentation',
  't=0 0',
  `a=control:${BASE}`,
  'm=video 0 RTP/AVP 96',
  'c=IN IP4 0.0.0.0',
  'a=recvonly',
  `a=control:${BASE}trackID=1`,
  'a=rtpmap:96 H265/90000',
  'm=audio 0 RTP/AVP 0',
  'a=recvonly',
  `a=control:${BASE}trackID=2`,
  'a=rtpmap:0 PCMU/8000',
  'm=audio 0 RTP/AVP 8',
  'a=sendonly',
  `a=control:${BASE}trackID=4`,
  'a=rtpmap:8 PCMA/8000',
  '',
].join('\r\n');

describe('RTSP message codec', () => {
  it('writes a request with CSeq first, its headers, and Content-Length only with a body', () => {
    const text = serializeRequest({
      method: 'DESCRIBE',
      uri: 'rtsp://h/Streaming/Channels/101',
      cseq: 7,
      headers: { Accept: 'application/sdp', Require: BACKCHANNEL_REQUIRE, Session: undefined },
    }).toString();
    expect(text).toBe(
      'DESCRIBE rtsp://h/Streaming/Channels/101 RTSP/1.0\r\nCSeq: 7\r\nAccept: application/sdp\r\n' +
        'Require: www.onvif.org/ver20/backchannel\r\n\r\n',
    );
    expect(
      serializeRequest({
        method: 'SET_PARAMETER',
        uri: '*',
        cseq: 1,
        body: Buffer.from('a: b\r\n'),
      }).toString(),
    ).toContain('Content-Length: 6\r\n\r\na: b\r\n');
    // A header value cannot smuggle another header or request in.
    expect(() =>
      serializeRequest({ method: 'OPTIONS', uri: '*', cseq: 1, headers: { X: 'a\r\nB: c' } }),
    ).toThrow();
    expect(() => serializeRequest({ method: 'OPTIONS', uri: 'a b', cseq: 1 })).toThrow();
  });

  it('reads answers split anywhere, with repeated headers, bodies and interleaved frames in between', () => {
    const sdp = 'v=0\r\ns=x\r\n';
    const stream = Buffer.concat([
      Buffer.from(
        'RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm="a", nonce="n"\r\n',
      ),
      Buffer.from('WWW-Authenticate: Basic realm="a"\r\n\r\n'),
      interleavedFrame(1, Buffer.from([1, 2, 3])),
      Buffer.from(`\r\nRTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`),
      Buffer.from('GET_PARAMETER rtsp://client/ RTSP/1.0\r\nCSeq: 9\r\n\r\n'),
    ]);
    const parser = new RtspParser();
    const frames = [];
    for (const byte of stream) frames.push(...parser.push(Buffer.from([byte])));
    expect(frames.map((f) => f.kind)).toEqual(['response', 'interleaved', 'response', 'request']);
    const [challenge, data, ok, request] = frames as [
      Extract<(typeof frames)[0], { kind: 'response' }>,
      InterleavedFrame,
      Extract<(typeof frames)[0], { kind: 'response' }>,
      RtspIncomingRequest,
    ];
    expect(challenge.status).toBe(401);
    expect(challenge.headers['www-authenticate']).toHaveLength(2);
    expect(data).toMatchObject({ channel: 1, data: Buffer.from([1, 2, 3]) });
    expect(ok.body.toString()).toBe(sdp);
    expect(request).toMatchObject({ method: 'GET_PARAMETER', uri: 'rtsp://client/' });
    expect(parser.pending).toBe(0);
  });

  it('refuses what is not RTSP, and heads or bodies over the limits, instead of buffering them', () => {
    expect(() => new RtspParser().push(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(/start line/);
    expect(() => new RtspParser().push(Buffer.from('\u0000\u0001garbage bytes here'))).toThrow(
      /unexpected bytes/,
    );
    expect(() => new RtspParser().push(Buffer.from(`RTSP/1.0 200 OK\r\nX: ${'a'.repeat(20_000)}`))).toThrow(
      /head over/,
    );
    expect(() =>
      new RtspParser().push(Buffer.from('RTSP/1.0 200 OK\r\nContent-Length: 999999\r\n\r\n')),
    ).toThrow(/body of 999999/);
  });

  it('reads Session and Transport headers', () => {
    expect(parseSessionHeader('1234ABCD;timeout=30')).toEqual({ id: '1234ABCD', timeoutSeconds: 30 });
    expect(parseSessionHeader('1234ABCD')).toEqual({ id: '1234ABCD', timeoutSeconds: 60 });
    expect(parseTransportHeader('RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=0A0B')).toEqual({
      protocol: 'RTP/AVP/TCP',
      interleaved: [2, 3],
      params: { unicast: '', interleaved: '2-3', ssrc: '0A0B' },
    });
  });

  it('splits an RTSP URL into where to connect, what to request, and its credentials', () => {
    expect(parseRtspUrl('rtsp://ad%40min:p%3Ass@cam.local:8554/Streaming/Channels/101?x=1')).toEqual({
      host: 'cam.local',
      port: 8554,
      url: 'rtsp://cam.local:8554/Streaming/Channels/101?x=1',
      credentials: { username: 'ad@min', password: 'p:ss' },
    });
    expect(parseRtspUrl('rtsp://[::1]/a')).toMatchObject({
      host: '::1',
      port: 554,
      url: 'rtsp://[::1]:554/a',
    });
    expect(() => parseRtspUrl('http://cam/')).toThrow(/rtsp/);
  });
});

describe('SDP: finding the backchannel', () => {
  it('takes the send-only audio track of a camera SDP, not the audio the camera sends', () => {
    const sdp = parseSdp(HIK_SDP);
    expect(sdp.media.map((m) => `${m.type} ${m.direction}`)).toEqual([
      'video recvonly',
      'audio recvonly',
      'audio sendonly',
    ]);
    expect(findBackchannel(sdp, BASE)).toEqual({
      kind: 'found',
      track: {
        control: `${BASE}trackID=4`,
        payloadType: 8,
        encoding: 'PCMA',
        codec: 'alaw',
        clockRate: 8000,
      },
    });
  });

  it('resolves relative controls against the base, with or without its trailing slash', () => {
    expect(resolveControl('trackID=4', 'rtsp://h/Streaming/Channels/101')).toBe(
      'rtsp://h/Streaming/Channels/101/trackID=4',
    );
    expect(resolveControl('trackID=4', 'rtsp://h/Streaming/Channels/101/')).toBe(
      'rtsp://h/Streaming/Channels/101/trackID=4',
    );
    expect(resolveControl('*', 'rtsp://h/x/')).toBe('rtsp://h/x/');
    expect(resolveControl(undefined, 'rtsp://h/x/')).toBe('rtsp://h/x/');
    expect(resolveControl('rtsp://other/y', 'rtsp://h/x/')).toBe('rtsp://other/y');
  });

  it('knows static payload types without an rtpmap, dynamic ones by their rtpmap, and the session direction', () => {
    const staticPcmu = parseSdp('v=0\r\nm=audio 0 RTP/AVP 0\r\na=sendonly\r\na=control:back\r\n');
    expect(findBackchannel(staticPcmu, 'rtsp://h/s')).toMatchObject({
      kind: 'found',
      track: { control: 'rtsp://h/s/back', payloadType: 0, encoding: 'PCMU', codec: 'mulaw' },
    });
    const dynamic = parseSdp('v=0\r\na=sendonly\r\nm=audio 0 RTP/AVP 97\r\na=rtpmap:97 PCMU/8000\r\n');
    expect(findBackchannel(dynamic, 'rtsp://h/s')).toMatchObject({
      kind: 'found',
      track: { payloadType: 97 },
    });
  });

  it('tells "no backchannel" from "a backchannel in a codec we cannot send"', () => {
    expect(findBackchannel(parseSdp(HIK_SDP.replace('a=sendonly', 'a=recvonly')), BASE)).toEqual({
      kind: 'none',
      media: ['video recvonly', 'audio recvonly', 'audio recvonly'],
    });
    const g726 = parseSdp(
      'v=0\r\nm=audio 0 RTP/AVP 97 96\r\na=rtpmap:97 G726-32/8000\r\na=rtpmap:96 PCMU/16000\r\na=sendonly\r\n',
    );
    expect(findBackchannel(g726, BASE)).toEqual({ kind: 'codec', codecs: ['G726-32/8000', 'PCMU/16000'] });
  });
});

describe('RTP packetization', () => {
  it('numbers packets on, moves the clock 160 samples per 20 ms frame, marks only the first', () => {
    const rtp = new RtpPacketizer({
      payloadType: 0,
      ssrc: 0xdeadbeef,
      sequence: 65534,
      timestamp: 0xffffff00,
    });
    const frame = Buffer.alloc(160, 0xff);
    const packets = [0, 1, 2, 3].map(() => parseRtp(rtp.packet(frame))!);
    expect(packets.map((p) => p.sequence)).toEqual([65534, 65535, 0, 1]);
    expect(packets.map((p) => p.timestamp)).toEqual([0xffffff00, 0xffffffa0, 0x40, 0xe0]);
    expect(packets.map((p) => p.marker)).toEqual([true, false, false, false]);
    expect(new Set(packets.map((p) => p.ssrc))).toEqual(new Set([0xdeadbeef]));
    expect(packets.every((p) => p.version === 2 && p.payloadType === 0 && p.payload.equals(frame))).toBe(
      true,
    );
  });

  it('puts a 12-byte header before the payload and frames it for the RTSP connection', () => {
    const packet = new RtpPacketizer({ payloadType: 8, ssrc: 1, sequence: 5, timestamp: 9 }).packet(
      Buffer.from([0xd5]),
    );
    expect([...packet]).toEqual([0x80, 0x88, 0, 5, 0, 0, 0, 9, 0, 0, 0, 1, 0xd5]);
    expect([...interleavedFrame(2, packet).subarray(0, 4)]).toEqual([0x24, 2, 0, 13]);
  });

  it('starts at random numbers, so two streams cannot be mistaken for each other', () => {
    const a = parseRtp(new RtpPacketizer({ payloadType: 0 }).packet(Buffer.alloc(160)))!;
    const b = parseRtp(new RtpPacketizer({ payloadType: 0 }).packet(Buffer.alloc(160)))!;
    expect([a.ssrc, a.sequence, a.timestamp]).not.toEqual([b.ssrc, b.sequence, b.timestamp]);
  });
});

// ---------------------------------------------------------------------------------------------
// A scripted RTSP server, for answers the simulator does not give (it is a well-behaved device).

type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'silence';
type Script = Record<string, (request: RtspIncomingRequest, n: number) => Reply>;

interface Scripted {
  url: string;
  requests: RtspIncomingRequest[];
  rtp: InterleavedFrame[];
}

const servers: Server[] = [];
const connections = new Set<Socket>();
afterEach(async () => {
  // Open connections first, or close() would wait for the clients.
  for (const socket of connections) socket.destroy();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** Session-level `*` control and a relative track control, both resolved against Content-Base. */
const SCRIPTED_SDP = [
  'v=0',
  's=scripted',
  'a=control:*',
  'm=audio 0 RTP/AVP 0',
  'a=sendonly',
  'a=control:trackID=4',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

const DEFAULT_SCRIPT: Script = {
  OPTIONS: () => ({
    status: 200,
    headers: { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER' },
  }),
  DESCRIBE: (request) => ({
    status: 200,
    headers: { 'Content-Type': 'application/sdp', 'Content-Base': `${request.uri}/` },
    body: SCRIPTED_SDP,
  }),
  SETUP: () => ({
    status: 200,
    headers: { Session: 'S1;timeout=60', Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' },
  }),
  PLAY: () => ({ status: 200, headers: { Session: 'S1' } }),
  GET_PARAMETER: () => ({ status: 200, headers: { Session: 'S1' } }),
  TEARDOWN: () => ({ status: 200 }),
};

async function scripted(overrides: Script = {}): Promise<Scripted> {
  const script = { ...DEFAULT_SCRIPT, ...overrides };
  const requests: RtspIncomingRequest[] = [];
  const rtp: InterleavedFrame[] = [];
  const counts = new Map<string, number>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    const parser = new RtspParser();
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      for (const frame of parser.push(chunk)) {
        if (frame.kind === 'interleaved') rtp.push(frame);
        if (frame.kind !== 'request') continue;
        requests.push(frame);
        const n = (counts.get(frame.method) ?? 0) + 1;
        counts.set(frame.method, n);
        const reply = script[frame.method]?.(frame, n) ?? { status: 501 };
        if (reply === 'silence') continue;
        const body = reply.body ?? '';
        const lines = [`RTSP/1.0 ${reply.status} Scripted`, `CSeq: ${frame.headers.cseq?.[0]}`];
        for (const [name, value] of Object.entries(reply.headers ?? {})) lines.push(`${name}: ${value}`);
        if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
        socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const port = (server.address() as { port: number }).port;
  return { url: `rtsp://127.0.0.1:${port}/Streaming/Channels/101`, requests, rtp };
}

const methods = (s: Scripted) => s.requests.map((r) => r.method);
const headerOf = (r: RtspIncomingRequest | undefined, name: string) => r?.headers[name.toLowerCase()]?.[0];

async function* frames(count: number, intervalMs = 0): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i++) {
    if (intervalMs) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    yield Buffer.alloc(160, i & 0xff);
  }
}

describe('RTSP backchannel client (scripted server)', () => {
  it('asks with the Require tag, sets up the track over TCP, plays, sends RTP on the channel the server chose, tears down', async () => {
    const server = await scripted({
      SETUP: () => ({
        status: 200,
        headers: { Session: 'S1;timeout=60', Transport: 'RTP/AVP/TCP;unicast;interleaved=6-7' },
      }),
    });
    const link = await openBackchannel({ url: server.url, timeoutMs: 2000 });
    expect(link.track).toMatchObject({
      control: `${server.url}/trackID=4`,
      encoding: 'PCMU',
      payloadType: 0,
    });
    await link.play();
    expect(link.sessionId).toBe('S1');
    let sent = 0;
    expect(await link.send(frames(5), { tailMs: 0, onSent: (n) => (sent += n) })).toBe('source-ended');
    expect(await link.close()).toBeUndefined();
    expect(methods(server)).toEqual(['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN']);
    const [, describe, setup, play, teardown] = server.requests;
    expect(headerOf(describe, 'require')).toBe(BACKCHANNEL_REQUIRE);
    expect(headerOf(describe, 'accept')).toBe('application/sdp');
    expect(setup!.uri).toBe(`${server.url}/trackID=4`);
    expect(headerOf(setup, 'require')).toBe(BACKCHANNEL_REQUIRE);
    expect(headerOf(setup, 'transport')).toBe('RTP/AVP/TCP;unicast;interleaved=0-1');
    expect(play!.uri).toBe(`${server.url}/`); // aggregate control (`*` = the base)
    expect(headerOf(play, 'session')).toBe('S1');
    expect(headerOf(teardown, 'session')).toBe('S1');
    await waitFor(() => server.rtp.length === 5);
    expect(sent).toBe(800);
    expect(server.rtp.every((f) => f.channel === 6 && f.data.length === 172)).toBe(true);
    expect(server.rtp.map((f) => parseRtp(f.data)!.payload[0])).toEqual([0, 1, 2, 3, 4]);
  });

  it('461 Unsupported Transport on SETUP is said plainly, and no TEARDOWN follows a session that never was', async () => {
    const server = await scripted({ SETUP: () => ({ status: 461 }) });
    const link = await openBackchannel({ url: server.url, timeoutMs: 2000 });
    const failure = await link.play().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RtspStatusError);
    expect(failure).toMatchObject({ status: 461, code: 'not_supported' });
    expect((failure as Error).message).toMatch(
      /refused to carry the audio backchannel over the RTSP connection \(461/,
    );
    await link.close();
    expect(methods(server)).toEqual(['OPTIONS', 'DESCRIBE', 'SETUP']);
  });

  it('454 Session Not Found on PLAY fails, and TEARDOWN is still sent for the session SETUP made', async () => {
    const server = await scripted({ PLAY: () => ({ status: 454 }) });
    const link = await openBackchannel({ url: server.url, timeoutMs: 2000 });
    await expect(link.play()).rejects.toMatchObject({
      status: 454,
      message: expect.stringMatching(/no longer knows our RTSP session/),
    });
    await link.close();
    expect(methods(server)).toEqual(['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN']);
    expect(headerOf(server.requests.at(-1), 'session')).toBe('S1');
  });

  it('459 Aggregate Operation Not Allowed: PLAY goes again on the track', async () => {
    const server = await scripted({
      PLAY: (request) => ({ status: request.uri.endsWith('trackID=4') ? 200 : 459 }),
    });
    const link = await openBackchannel({ url: server.url, timeoutMs: 2000 });
    await link.play();
    await link.close();
    expect(server.requests.filter((r) => r.method === 'PLAY').map((r) => r.uri)).toEqual([
      `${server.url}/`,
      `${server.url}/trackID=4`,
    ]);
  });

  it('a device that never answers times out at the step it hangs on', async () => {
    const server = await scripted({ DESCRIBE: () => 'silence' });
    const startedAt = performance.now();
    const failure = await openBackchannel({ url: server.url, timeoutMs: 300 }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RtspTimeoutError);
    expect((failure as Error).message).toMatch(/did not answer RTSP DESCRIBE within 300 ms/);
    // Not hanging on: the time the message states, plus room for a loaded machine.
    expect(performance.now() - startedAt).toBeLessThan(5000);
  });

  it('nothing on the RTSP port is "unreachable"', async () => {
    const port = await freePort();
    const url = `rtsp://127.0.0.1:${port}/Streaming/Channels/101`;
    const failure = await openBackchannel({ url, timeoutMs: 1000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RtspConnectionError);
    expect(failure).toMatchObject({ code: 'unreachable' });
    expect((failure as Error).message).toMatch(new RegExp(`nothing listens on RTSP port ${port}`));
  });

  it('Basic when that is all the device offers; a stale Digest nonce gets one more try; a refused password does not', async () => {
    const basic = await scripted({
      DESCRIBE: (request) =>
        headerOf(request, 'authorization') === `Basic ${Buffer.from('admin:pw').toString('base64')}`
          ? DEFAULT_SCRIPT.DESCRIBE!(request, 0)
          : { status: 401, headers: { 'WWW-Authenticate': 'Basic realm="cam"' } },
    });
    await (
      await openBackchannel({ url: basic.url, credentials: { username: 'admin', password: 'pw' } })
    ).close();
    expect(basic.requests.filter((r) => r.method === 'DESCRIBE')).toHaveLength(2);

    const stale = await scripted({
      DESCRIBE: (request, n) => {
        if (n === 3) return DEFAULT_SCRIPT.DESCRIBE!(request, n);
        const nonce = n === 1 ? 'first' : 'second';
        return {
          status: 401,
          headers: {
            'WWW-Authenticate': `Digest realm="cam", nonce="${nonce}", stale="${n === 2 ? 'TRUE' : 'FALSE'}"`,
          },
        };
      },
    });
    await (
      await openBackchannel({ url: stale.url, credentials: { username: 'admin', password: 'pw' } })
    ).close();
    const describes = stale.requests.filter((r) => r.method === 'DESCRIBE');
    expect(
      describes.map((r) => /nonce="(\w+)"/.exec(headerOf(r, 'authorization') ?? '')?.[1] ?? null),
    ).toEqual([null, 'first', 'second']);
    // RFC 2069 Digest (no qop), as RTSP servers send it; the uri is the request URL.
    expect(headerOf(describes[1], 'authorization')).toMatch(
      new RegExp(
        `^Digest username="admin", realm="cam", nonce="first", uri="${stale.url}", response="[0-9a-f]{32}"$`,
      ),
    );

    const refused = await scripted({
      DESCRIBE: () => ({ status: 401, headers: { 'WWW-Authenticate': 'Digest realm="cam", nonce="n"' } }),
    });
    const failure = await openBackchannel({
      url: refused.url,
      credentials: { username: 'admin', password: 'bad' },
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RtspBadCredentialsError);
    expect(refused.requests.filter((r) => r.method === 'DESCRIBE')).toHaveLength(2);
  });

  it('keeps the session alive at half its timeout, with OPTIONS when GET_PARAMETER is not offered', async () => {
    const server = await scripted({
      OPTIONS: () => ({ status: 200, headers: { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN' } }),
      SETUP: () => ({
        status: 200,
        headers: { Session: 'S1;timeout=2', Transport: 'RTP/AVP/TCP;interleaved=0-1' },
      }),
    });
    const link = await openBackchannel({ url: server.url, timeoutMs: 2000 });
    await link.play();
    const end = await link.send(frames(120, 20), { tailMs: 0 }); // 2.4 s
    await link.close();
    expect(end).toBe('source-ended');
    const keepAlives = server.requests.slice(4, -1);
    expect(keepAlives.length).toBeGreaterThanOrEqual(2);
    expect(keepAlives.every((r) => r.method === 'OPTIONS' && headerOf(r, 'session') === 'S1')).toBe(true);
  });

  it('a refused keep-alive ends the send with its error', async () => {
    const server = await scripted({
      SETUP: () => ({
        status: 200,
        headers: { Session: 'S1;timeout=2', Transport: 'RTP/AVP/TCP;interleaved=0-1' },
      }),
      GET_PARAMETER: () => ({ status: 454 }),
    });
    const link = await openBackchannel({ url: server.url, timeoutMs: 2000 });
    await link.play();
    await expect(link.send(frames(200, 20), { tailMs: 0 })).rejects.toMatchObject({ status: 454 });
    await link.close();
    expect(methods(server).at(-1)).toBe('TEARDOWN');
  });
});

// ---------------------------------------------------------------------------------------------
// End to end: the talk module and the simulator's RTSP server.

/** The RTSP requests the device got, as `METHOD status`. */
function rtspLog(sim: SimDevice): string[] {
  return sim.rtspRequests.map((r) => `${r.method} ${r.status}`);
}

function watchBackchannel(sim: SimDevice, intervalMs = 20) {
  const samples: Array<{ at: number; bytes: number }> = [];
  const timer = setInterval(
    () => samples.push({ at: performance.now(), bytes: sim.backchannelStats.bytes }),
    intervalMs,
  );
  return {
    stop: () => clearInterval(timer),
    reached: (bytes: number) => samples.find((sample) => sample.bytes >= bytes)?.at,
  };
}

/** ISAPI two-way audio requests (adding the device already lists the channels once). */
const twoWayAudioRequests = (sim: SimDevice) =>
  sim.requests.filter((r) => r.authorized && r.path.startsWith('/ISAPI/System/TwoWayAudio')).length;

describe('talk over the ONVIF backchannel (simulator)', () => {
  it('a 1 kHz tone arrives as PCMU RTP that decodes to 1 kHz, in real time, then the session is torn down', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera', onvifBackchannel: true });
    const wav = await tone(2);
    const isapiBefore = twoWayAudioRequests(sim);
    const arrivals = watchBackchannel(sim);
    const startedAt = performance.now();
    const started = await h.talk.startSession({
      deviceId,
      method: 'onvif',
      source: { stream: Readable.from([wav]) },
    });
    expect(started).toMatchObject({ deviceId, method: 'onvif', codec: 'mulaw', state: 'talking' });
    expect(h.talk.getSession(started.sessionId).method).toBe('onvif');
    const ended = await started.ended;
    const elapsed = performance.now() - startedAt;
    arrivals.stop();
    expect(ended).toMatchObject({ reason: 'input-ended', error: null });

    const received = sim.backchannelAudio();
    expect(received.length).toBeGreaterThanOrEqual(15_840);
    expect(received.length).toBeLessThanOrEqual(16_160);
    expect(ended.bytesSent).toBe(received.length);
    const samples = await decodeG711(received, 'mulaw');
    expect(Math.abs(dominantFrequency(samples.subarray(2000)) - 1000)).toBeLessThanOrEqual(20);
    expect(rms(samples)).toBeGreaterThan(1000);

    // Real time: spread over about 2 s, not a burst.
    expect(elapsed).toBeGreaterThan(1900);
    expect(elapsed).toBeLessThan(4500);
    const first = arrivals.reached(1)!;
    const half = arrivals.reached(8000)!;
    const all = arrivals.reached(received.length)!;
    expect(all - first).toBeGreaterThan(1800);
    expect(all - first).toBeLessThan(2600);
    expect(half - first).toBeGreaterThan(800);
    expect(half - first).toBeLessThan(1300);

    // Well-formed RTP: one stream, numbered without gaps, 160 samples apart, marked once at the start.
    expect(sim.backchannelStats).toMatchObject({
      packets: received.length / 160,
      sequenceErrors: 0,
      timestampErrors: 0,
      wrongPayloadType: 0,
      firstMarker: true,
      markers: 1,
      sessions: 1,
      teardowns: 1,
      timeouts: 0,
    });
    expect(sim.backchannelStats.ssrcs).toHaveLength(1);

    // The whole exchange, TEARDOWN last; the backchannel asked for on DESCRIBE and SETUP.
    expect(rtspLog(sim)).toEqual([
      'OPTIONS 200',
      'DESCRIBE 401',
      'DESCRIBE 200',
      'SETUP 200',
      'PLAY 200',
      'TEARDOWN 200',
    ]);
    const [, , describe, setup, play, teardown] = sim.rtspRequests;
    const base = `rtsp://127.0.0.1:${sim.backchannelPort}/Streaming/Channels/101`;
    expect(describe).toMatchObject({ uri: base, require: BACKCHANNEL_REQUIRE, authorized: true });
    expect(setup).toMatchObject({ uri: `${base}/trackID=4`, require: BACKCHANNEL_REQUIRE });
    expect(setup!.transport).toBe('RTP/AVP/TCP;unicast;interleaved=0-1');
    expect(play!.session).toMatch(/^\d+$/);
    expect(teardown!.session).toBe(play!.session);

    // ISAPI two-way audio was not touched at all; nothing left behind.
    expect(twoWayAudioRequests(sim)).toBe(isapiBefore);
    expect(audioRequests(sim)).toEqual([]);
    expect(h.talk.listSessions()).toEqual([]);
    expect(ffmpegChildren()).toEqual([]);
  });

  it('a device whose backchannel is PCMA gets A-law that decodes to 1 kHz', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera', onvifBackchannel: { codec: 'PCMA' } });
    const started = await h.talk.startSession({
      deviceId,
      method: 'onvif',
      source: { stream: Readable.from([await tone(1)]) },
    });
    expect(started.codec).toBe('alaw');
    expect((await started.ended).reason).toBe('input-ended');
    const received = sim.backchannelAudio();
    expect(received.length).toBeGreaterThanOrEqual(7_840);
    const samples = await decodeG711(received, 'alaw');
    expect(Math.abs(dominantFrequency(samples.subarray(1000)) - 1000)).toBeLessThanOrEqual(20);
    // Decoded as µ-law instead, A-law bytes would not be a clean tone of that level.
    expect(rms(samples)).toBeGreaterThan(1000);
    expect(sim.backchannelStats).toMatchObject({ wrongPayloadType: 0, sequenceErrors: 0, teardowns: 1 });
  });

  it('auto: a device without ISAPI two-way audio talks over its backchannel; one with it keeps ISAPI', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera', onvifBackchannel: true }, (device) =>
      device.setFault({ kind: 'status', status: 404, paths: ['/ISAPI/System/TwoWayAudio'] }),
    );
    const isapiBefore = twoWayAudioRequests(sim);
    const started = await h.talk.startSession({
      deviceId,
      source: { stream: Readable.from([await tone(1)]) },
    });
    expect(started.method).toBe('onvif');
    expect((await started.ended).reason).toBe('input-ended');
    const samples = await decodeG711(sim.backchannelAudio(), 'mulaw');
    expect(Math.abs(dominantFrequency(samples.subarray(1000)) - 1000)).toBeLessThanOrEqual(20);
    // ISAPI was asked first (and said notSupport), then the backchannel did the work.
    expect(twoWayAudioRequests(sim) - isapiBefore).toBe(1);
    expect(sim.requests.at(-1)).toMatchObject({ path: '/ISAPI/System/TwoWayAudio/channels', status: 404 });
    expect(rtspLog(sim).at(-1)).toBe('TEARDOWN 200');

    // A channel listed, but open answers notSupport: the audio already transcoded goes to the backchannel.
    const listed = await h.addSim({
      profile: 'camera',
      serialNumber: 'SIMBC0000003',
      onvifBackchannel: true,
    });
    listed.sim.setFault({
      kind: 'status',
      status: 404,
      paths: ['/ISAPI/System/TwoWayAudio/channels/1/open'],
    });
    const fallback = await h.talk.startSession({
      deviceId: listed.deviceId,
      source: { stream: Readable.from([await tone(0.5)]) },
    });
    expect(fallback).toMatchObject({ method: 'onvif', codec: 'mulaw' });
    expect((await fallback.ended).reason).toBe('input-ended');
    expect(audioRequests(listed.sim)).toEqual(['PUT close 200', 'PUT open 404', 'PUT close 200']);
    expect(listed.sim.backchannelAudio().length).toBeGreaterThanOrEqual(3840);
    expect(rtspLog(listed.sim).at(-1)).toBe('TEARDOWN 200');

    const other = await h.addSim({ profile: 'camera', serialNumber: 'SIMBC0000002', onvifBackchannel: true });
    const isapi = await h.talk.startSession({
      deviceId: other.deviceId,
      source: { stream: Readable.from([await tone(0.5)]) },
    });
    expect(isapi.method).toBe('isapi');
    await isapi.ended;
    expect(other.sim.audioReceived(1).length).toBeGreaterThan(3000);
    expect(other.sim.rtspRequests).toEqual([]);
  });

  it('a wrong password is said as such, after one refused attempt, and nothing is left behind', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera', onvifBackchannel: true });
    sim.setFault({ kind: 'wrongPassword' }); // changed on the device after it was added
    const attempt = h.talk.startSession({
      deviceId,
      method: 'onvif',
      source: { stream: Readable.from([await tone(1)]) },
    });
    await expect(attempt).rejects.toMatchObject({ code: 'device_bad_credentials' });
    await expect(attempt).rejects.toThrow(/rejected the username "admin" or its password on RTSP/);
    // One challenge, one refused login: no retry that would count towards the device's lock.
    expect(rtspLog(sim)).toEqual(['OPTIONS 200', 'DESCRIBE 401', 'DESCRIBE 401']);
    expect(sim.rtspRequests.filter((r) => r.authenticated)).toHaveLength(1);
    expect(h.talk.listSessions()).toEqual([]);
    expect(ffmpegChildren()).toEqual([]);
  });

  it('a device without a backchannel says "no backchannel", whether it ignores the Require tag or refuses it', async () => {
    const h = await harness();
    const source = async () => ({ stream: Readable.from([await tone(1)]) });
    for (const missing of ['ignore', '551'] as const) {
      const { sim, deviceId } = await h.addSim({
        profile: 'camera',
        serialNumber: `SIMBC-${missing}`,
        onvifBackchannel: { missing },
      });
      const attempt = h.talk.startSession({ deviceId, method: 'onvif', source: await source() });
      await expect(attempt).rejects.toBeInstanceOf(TalkNoBackchannelError);
      await expect(attempt).rejects.toMatchObject({ code: 'talk_no_backchannel', status: 409 });
      await expect(attempt).rejects.toThrow(
        missing === 'ignore'
          ? /offers no ONVIF audio backchannel.*no send-only audio track/
          : /551 Option not supported/,
      );
      expect(
        rtspLog(sim).filter((line) => !line.startsWith('OPTIONS') && !line.startsWith('DESCRIBE')),
      ).toEqual([]);
      expect(audioRequests(sim)).toEqual([]);
    }
    expect(ffmpegChildren()).toEqual([]);

    // auto, and neither way exists: the device cannot talk, said once for both.
    const { deviceId } = await h.addSim(
      { profile: 'camera', onvifBackchannel: { missing: 'ignore' } },
      (device) => device.setFault({ kind: 'status', status: 404, paths: ['/ISAPI/System/TwoWayAudio'] }),
    );
    const attempt = h.talk.startSession({ deviceId, source: await source() });
    await expect(attempt).rejects.toBeInstanceOf(TalkUnsupportedError);
    await expect(attempt).rejects.toThrow(/no ISAPI two-way audio, and no ONVIF audio backchannel/);

    // auto, and nothing listens on the RTSP port the device reports: the same, saying so.
    const rtspPort = await freePort();
    const silent = await h.addSim({ profile: 'camera', serialNumber: 'SIMBC0000009', rtspPort }, (device) =>
      device.setFault({ kind: 'status', status: 404, paths: ['/ISAPI/System/TwoWayAudio'] }),
    );
    const unreachable = h.talk.startSession({ deviceId: silent.deviceId, source: await source() });
    await expect(unreachable).rejects.toBeInstanceOf(TalkUnsupportedError);
    await expect(unreachable).rejects.toThrow(new RegExp(`RTSP port ${rtspPort}, .* could not be reached`));
  });

  it('a speaker another client holds over its backchannel is busy, not a failure', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera', onvifBackchannel: true });
    const other = await openBackchannel({
      url: `rtsp://127.0.0.1:${sim.backchannelPort}/Streaming/Channels/101`,
      credentials: { username: 'admin', password: 'Hik12345!' },
    });
    await other.play();
    const attempt = h.talk.startSession({
      deviceId,
      method: 'onvif',
      source: { stream: Readable.from([await tone(1)]) },
    });
    await expect(attempt).rejects.toBeInstanceOf(TalkSpeakerBusyError);
    await expect(attempt).rejects.toThrow(/speaker of "[^"]+" is in use.*\(503\)/);
    expect(ffmpegChildren()).toEqual([]);
    await other.close();

    // Free again once the other client tore down.
    const started = await h.talk.startSession({
      deviceId,
      method: 'onvif',
      source: { stream: Readable.from([await tone(0.3)]) },
    });
    expect((await started.ended).reason).toBe('input-ended');
  });

  it('a backchannel in a codec other than G.711 names it', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera', onvifBackchannel: { codec: 'G726' } });
    const attempt = h.talk.startSession({
      deviceId,
      method: 'onvif',
      source: { stream: Readable.from([await tone(1)]) },
    });
    await expect(attempt).rejects.toBeInstanceOf(TalkCodecError);
    await expect(attempt).rejects.toThrow(/G726-32\/8000/);
    expect(sim.backchannelStats.sessions).toBe(0);
  });

  it('keep-alives hold a session longer than the device timeout', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({
      profile: 'camera',
      onvifBackchannel: { sessionTimeoutSeconds: 2 },
    });
    const started = await h.talk.startSession({
      deviceId,
      method: 'onvif',
      source: { stream: Readable.from([await tone(3.5)]) },
    });
    const ended = await started.ended;
    expect(ended).toMatchObject({ reason: 'input-ended', error: null });
    expect(sim.backchannelAudio().length).toBeGreaterThanOrEqual(27_840);
    expect(sim.backchannelStats).toMatchObject({ timeouts: 0, teardowns: 1, sequenceErrors: 0 });
    // Every 1 s (half the 2 s timeout) during 3.5 s of audio.
    expect(rtspLog(sim).filter((line) => line === 'GET_PARAMETER 200').length).toBeGreaterThanOrEqual(2);
  });

  it('stopping mid-stream tears the session down and kills ffmpeg at once', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera', onvifBackchannel: true });
    const started = await h.talk.startSession({
      deviceId,
      method: 'onvif',
      source: { stream: Readable.from([await tone(60)]) },
    });
    await waitFor(() => sim.backchannelStats.bytes >= 4000);
    const stopAt = performance.now();
    const ended = await h.talk.stopSession(started.sessionId);
    // A minute of audio was queued: stopping takes far less, even on a loaded machine.
    expect(performance.now() - stopAt).toBeLessThan(5000);
    expect(ended.reason).toBe('stopped');
    expect(rtspLog(sim).at(-1)).toBe('TEARDOWN 200');
    expect(sim.backchannelStats.teardowns).toBe(1);
    expect(sim.backchannelAudio().length).toBeLessThan(24_000);
    expect(ffmpegChildren()).toEqual([]);
  });

  it('the device dropping the connection ends the session as device-ended', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera', onvifBackchannel: true });
    const started = await h.talk.startSession({
      deviceId,
      method: 'onvif',
      source: { stream: Readable.from([await tone(30)]) },
    });
    await waitFor(() => sim.backchannelStats.bytes >= 2000);
    await sim.close();
    const ended = await started.ended;
    expect(ended.reason).toBe('device-ended');
    expect(ffmpegChildren()).toEqual([]);
  });

  it('a method that does not exist is refused as input', async () => {
    const h = await harness();
    const { deviceId } = await h.addSim({ profile: 'camera' });
    await expect(
      h.talk.startSession({
        deviceId,
        method: 'sip' as never,
        source: { stream: Readable.from([Buffer.alloc(0)]) },
      }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
