/**
 * The simulated doorbell's SIP user agent, against a proxy played here with a plain socket and
 * hand-written SIP (parsed and built with src/protocols/sip, which the simulator does not use).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import type { SimDevice, SimDeviceOptions } from '../../sim/index.ts';
import type { SimSipServer } from '../../sim/sip-settings.ts';
import { challenge, verifyAuthorization } from '../../src/protocols/sip/digest.ts';
import { header, tagOf, topVia } from '../../src/protocols/sip/headers.ts';
import {
  buildRequest,
  buildResponse,
  parseMessage,
  serializeMessage,
} from '../../src/protocols/sip/message.ts';
import { parseSdp } from '../../src/protocols/sip/sdp.ts';
import type { SipMessage, SipRequest } from '../../src/protocols/sip/types.ts';
import { client, onCleanup, sim } from './helpers.ts';

const LOOPBACK = '127.0.0.1';

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Received {
  message: SipMessage;
  from: { host: string; port: number };
  at: number;
  /** TCP: the connection it came on (answers go back there). */
  connection?: Socket;
}

/** A SIP proxy/registrar played by hand: records every message, answers what the test says. */
class TestProxy {
  readonly received: Received[] = [];
  /** Answers some messages by itself (e.g. every REGISTER with 200); true = handled. */
  auto: ((entry: Received) => boolean) | undefined;
  private readonly taken = new Set<Received>();
  private readonly connections: Socket[] = [];

  private constructor(
    readonly kind: 'udp' | 'tcp',
    readonly port: number,
    private readonly udp?: UdpSocket,
    private readonly server?: Server,
  ) {}

  static async udp(): Promise<TestProxy> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, () => resolve()));
    const proxy = new TestProxy('udp', socket.address().port, socket);
    socket.on('message', (data, info) => proxy.onData(data, { host: info.address, port: info.port }));
    onCleanup(() => proxy.close());
    return proxy;
  }

  static async tcp(): Promise<TestProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, () => resolve()));
    const proxy = new TestProxy('tcp', (server.address() as { port: number }).port, undefined, server);
    server.on('connection', (socket) => proxy.adopt(socket));
    onCleanup(() => proxy.close());
    return proxy;
  }

  private adopt(socket: Socket): void {
    this.connections.push(socket);
    let buffer = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length:\s*(\d+)/i.exec(buffer.toString('utf8', 0, end))?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        const frame = buffer.subarray(0, end + 4 + length);
        buffer = buffer.subarray(end + 4 + length);
        this.onData(frame, { host: socket.remoteAddress!, port: socket.remotePort! }, socket);
      }
    });
  }

  private onData(data: Buffer, from: Received['from'], connection?: Socket): void {
    const message = parseMessage(data, { transport: this.kind });
    const entry: Received = { message, from, at: performance.now(), connection };
    this.received.push(entry);
    if (this.auto?.(entry)) this.taken.add(entry);
  }

  /** The first message not taken yet that matches; taken from now on. */
  async next(what: string, match: (m: SipMessage) => boolean, timeoutMs = 10_000): Promise<Received> {
    let found: Received | undefined;
    await waitFor(
      what,
      () => {
        found = this.received.find((r) => !this.taken.has(r) && match(r.message));
        return found !== undefined;
      },
      timeoutMs,
    );
    this.taken.add(found!);
    return found!;
  }

  requests(method: string): Received[] {
    return this.received.filter((r) => r.message.kind === 'request' && r.message.method === method);
  }

  send(to: Received | { host: string; port: number }, data: SipMessage | string): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : serializeMessage(data);
    if (this.udp) {
      const peer = 'from' in to ? to.from : to;
      this.udp.send(bytes, peer.port, peer.host);
      return;
    }
    const connection = ('connection' in to ? to.connection : undefined) ?? this.connections.at(-1)!;
    connection.write(bytes);
  }

  reply(entry: Received, status: number, init: Parameters<typeof buildResponse>[3] = {}): void {
    this.send(entry, buildResponse(entry.message as SipRequest, status, undefined, init));
  }

  /** Every REGISTER answered 200 with its own Expires. */
  acceptRegistrations(): void {
    this.auto = (entry) => {
      if (!isRequest(entry.message, 'REGISTER')) return false;
      this.reply(entry, 200, { headers: { Expires: header(entry.message, 'Expires') ?? '60' } });
      return true;
    };
  }

  async close(): Promise<void> {
    if (this.udp) await new Promise<void>((resolve) => this.udp!.close(() => resolve()));
    for (const socket of this.connections) socket.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

const isRequest = (m: SipMessage, method: string): m is SipRequest =>
  m.kind === 'request' && m.method === method;
const isResponse = (m: SipMessage, status: number, method: string): boolean =>
  m.kind === 'response' && m.status === status && (header(m, 'CSeq') ?? '').endsWith(` ${method}`);

async function doorbell(options: Partial<SimDeviceOptions> = {}): Promise<SimDevice> {
  return sim({ profile: 'doorbell', sipPort: 0, sipT1Ms: 50, ...options });
}

/** SIP on, to `proxy`; button 1 calls room 1, whose number is 10102. */
function configure(device: SimDevice, proxy: TestProxy, server: Partial<SimSipServer> = {}): void {
  const settings = device.sipSettings!;
  settings.server = { ...settings.server, enabled: true, proxy: LOOPBACK, proxyPort: proxy.port, ...server };
  settings.phoneNumberRecords.set('1', ['10102']);
  settings.keys.set(1, '1');
  settings.changed();
}

/** A 200 answering an INVITE with PCMU audio on `rtpPort`. */
function answer200(proxy: TestProxy, invite: Received, rtpPort: number, toTag = 'pbx1'): void {
  const sdp = [
    'v=0',
    'o=pbx 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${rtpPort} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    'a=sendrecv',
    'm=video 0 RTP/AVP 96',
    '',
  ].join('\r\n');
  proxy.reply(invite, 200, {
    toTag,
    headers: { Contact: `<sip:10102@${LOOPBACK}:${proxy.port}>`, 'Content-Type': 'application/sdp' },
    body: sdp,
  });
}

describe('doorbell SIP agent: registration', () => {
  it('registers, answers a digest challenge once, and re-registers at half the granted expiry', async () => {
    const proxy = await TestProxy.udp();
    const device = await doorbell();
    const password = 'door-secret';
    configure(device, proxy, { userName: '10101', authId: 'auth10101', password, expires: 4 });
    expect(device.sipSettings!.registerStatus).toBe('registering');

    const realm = 'pbx.test';
    const nonces: string[] = [];
    const challengeAndCheck = async (): Promise<{ first: Received; second: Received }> => {
      const first = await proxy.next('REGISTER', (m) => isRequest(m, 'REGISTER'));
      expect(header(first.message, 'Authorization')).toBeUndefined();
      const nonce = `n${nonces.length}`;
      nonces.push(nonce);
      proxy.reply(first, 401, { toTag: 'reg', headers: { 'WWW-Authenticate': challenge({ realm, nonce }) } });
      const second = await proxy.next('REGISTER with credentials', (m) => isRequest(m, 'REGISTER'));
      const verdict = verifyAuthorization(header(second.message, 'Authorization'), {
        method: 'REGISTER',
        realm,
        password,
        nonce,
        username: 'auth10101',
        uri: (second.message as SipRequest).uri,
      });
      expect(verdict.ok).toBe(true);
      return { first, second };
    };

    const { first, second } = await challengeAndCheck();
    const register = second.message as SipRequest;
    expect(register.uri).toBe(`sip:${LOOPBACK}:${proxy.port}`);
    expect(header(register, 'From')).toMatch(
      new RegExp(`^<sip:10101@127\\.0\\.0\\.1:${proxy.port}>;tag=\\d+$`),
    );
    expect(header(register, 'To')).toBe(`<sip:10101@127.0.0.1:${proxy.port}>`);
    expect(header(register, 'Contact')).toBe(`<sip:10101@127.0.0.1:${device.sipPort}>`);
    expect(header(register, 'Expires')).toBe('4');
    expect(header(register, 'Call-ID')).toBe(header(first.message, 'Call-ID'));
    const seq = (m: SipMessage) => Number(header(m, 'CSeq')!.split(' ')[0]);
    expect(seq(register)).toBe(seq(first.message) + 1);
    expect(topVia(register)!.branch).not.toBe(topVia(first.message)!.branch);
    proxy.reply(second, 200, {
      toTag: 'reg',
      headers: { Contact: `<sip:10101@127.0.0.1:${device.sipPort}>;expires=4` },
    });
    await waitFor('registered', () => device.sipSettings!.registerStatus === 'registered');
    expect(device.sipState!.registeredTo).toBe(`${LOOPBACK}:${proxy.port}`);

    // The refresh: about half of the 4 s granted, same Call-ID, the next CSeq.
    const refresh = await challengeAndCheck();
    const waited = refresh.first.at - second.at;
    expect(waited).toBeGreaterThanOrEqual(1900);
    expect(waited).toBeLessThan(3900);
    expect(header(refresh.first.message, 'Call-ID')).toBe(header(register, 'Call-ID'));
    expect(seq(refresh.first.message)).toBe(seq(register) + 1);
    expect(device.sipSettings!.registerStatus).toBe('registered');
  });

  it('fails after timer F when the registrar never answers, retransmitting meanwhile, then retries', async () => {
    const proxy = await TestProxy.udp();
    const device = await doorbell({ sipT1Ms: 20 });
    configure(device, proxy);
    await waitFor('failed', () => device.sipSettings!.registerStatus === 'failed');
    const first = proxy.requests('REGISTER');
    const branch = topVia(first[0]!.message)!.branch;
    const sameBranch = first.filter((r) => topVia(r.message)!.branch === branch);
    // Timer E: 20, 40, 80, 160 (T2), 160... ms apart until 64·T1 = 1.28 s. Lower bounds are read
    // from the doorbell's own send times (a busy receiver can bunch arrivals together); upper
    // bounds from the arrivals.
    expect(sameBranch.length).toBeGreaterThanOrEqual(5);
    const cseq = header(first[0]!.message, 'CSeq');
    const sent = device.sipMessages!.filter(
      (m) => m.direction === 'out' && m.startLine.startsWith('REGISTER ') && m.cseq === cseq,
    );
    expect(sent.length).toBeGreaterThanOrEqual(5);
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(17);
    expect(sent[2]!.at - sent[1]!.at).toBeGreaterThanOrEqual(37);
    for (let i = 1; i < sameBranch.length; i++) {
      expect(sameBranch[i]!.at - sameBranch[i - 1]!.at).toBeLessThan(160 + 500);
    }
    // The back-off retry: a new transaction; answered, the doorbell is registered.
    proxy.acceptRegistrations();
    await waitFor('registered after retry', () => device.sipSettings!.registerStatus === 'registered');
    expect(new Set(proxy.requests('REGISTER').map((r) => topVia(r.message)!.branch)).size).toBeGreaterThan(1);
  });

  it('follows settings changes: a new proxy gets a REGISTER, the old one an un-REGISTER; disabled unregisters', async () => {
    const a = await TestProxy.udp();
    const b = await TestProxy.udp();
    a.acceptRegistrations();
    b.acceptRegistrations();
    const device = await doorbell();
    configure(device, a);
    await waitFor('registered to a', () => device.sipState!.registeredTo === `${LOOPBACK}:${a.port}`);

    const settings = device.sipSettings!;
    settings.server = { ...settings.server, proxyPort: b.port };
    settings.changed();
    await waitFor('registered to b', () => device.sipState!.registeredTo === `${LOOPBACK}:${b.port}`);
    await waitFor('un-REGISTER at a', () =>
      a.requests('REGISTER').some((r) => header(r.message, 'Expires') === '0'),
    );
    expect(b.requests('REGISTER').every((r) => header(r.message, 'Expires') === '60')).toBe(true);

    settings.server = { ...settings.server, enabled: false };
    settings.changed();
    expect(settings.registerStatus).toBe('unregistered');
    expect(device.sipState!.registeredTo).toBeNull();
    await waitFor('un-REGISTER at b', () =>
      b.requests('REGISTER').some((r) => header(r.message, 'Expires') === '0'),
    );
  });

  it('binds a new local port when the settings change it, and registers from there', async () => {
    const proxy = await TestProxy.udp();
    proxy.acceptRegistrations();
    const device = await sim({ profile: 'doorbell', sipT1Ms: 50 });
    configure(device, proxy);
    await waitFor('registered', () => device.sipSettings!.registerStatus === 'registered');
    const free = createSocket('udp4');
    await new Promise<void>((resolve) => free.bind(0, LOOPBACK, () => resolve()));
    const port = free.address().port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    const settings = device.sipSettings!;
    settings.server = { ...settings.server, localPort: port };
    settings.changed();
    await waitFor('bound to the new port', () => device.sipPort === port);
    await waitFor('REGISTER from the new port', () =>
      proxy
        .requests('REGISTER')
        .some((r) => header(r.message, 'Contact') === `<sip:10101@127.0.0.1:${port}>`),
    );
    await waitFor('registered again', () => device.sipSettings!.registerStatus === 'registered');
  });

  it('over TCP, a proxy that refuses the connection fails the registration at once (not after 64·T1)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, LOOPBACK, () => resolve()));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const device = await doorbell({ sipTransport: 'tcp', sipT1Ms: 500 });
    const settings = device.sipSettings!;
    const started = Date.now();
    settings.server = { ...settings.server, enabled: true, proxy: LOOPBACK, proxyPort: port };
    settings.changed();
    await waitFor('failed', () => settings.registerStatus === 'failed', 10_000);
    expect(Date.now() - started).toBeLessThan(32_000);
  });
});

describe('doorbell SIP agent: calls', () => {
  it('press → INVITE shaped like the capture → 180 → 200 → ACK → onCall → BYE from the proxy → idle', async () => {
    const proxy = await TestProxy.udp();
    proxy.acceptRegistrations();
    const device = await doorbell();
    configure(device, proxy);
    await waitFor('registered', () => device.sipSettings!.registerStatus === 'registered');

    const pressed = await fetch(`${device.url}/__sim/press`, { method: 'POST', body: '{"button": 1}' });
    const result = (await pressed.json()) as { ok: boolean; calling: boolean; callId: string };
    expect(result).toMatchObject({ ok: true, calling: true });
    expect(device.callStatus).toBe('ring');

    const invite = await proxy.next('INVITE', (m) => isRequest(m, 'INVITE'));
    const request = invite.message as SipRequest;
    expect(request.uri).toBe(`sip:10102@127.0.0.1:${proxy.port}`);
    expect(request.headers.map((h) => h.name)).toEqual([
      'Via',
      'From',
      'To',
      'Call-ID',
      'CSeq',
      'Contact',
      'Content-Type',
      'Max-Forwards',
      'User-Agent',
      'Subject',
      'Content-Length',
    ]);
    expect(header(request, 'Via')).toMatch(
      new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${device.sipPort};rport;branch=z9hG4bK\\d+$`),
    );
    expect(header(request, 'From')).toMatch(/^<sip:10101@127\.0\.0\.1>;tag=\d+$/);
    expect(header(request, 'To')).toBe(`<sip:10102@127.0.0.1:${proxy.port}>`);
    expect(header(request, 'Call-ID')).toBe(result.callId);
    expect(header(request, 'CSeq')).toBe('20 INVITE');
    expect(header(request, 'Contact')).toBe(`<sip:10101@127.0.0.1:${device.sipPort}>`);
    expect(header(request, 'Max-Forwards')).toBe('70');
    expect(header(request, 'User-Agent')).toBe('HKVS/2.0.0');
    expect(header(request, 'Subject')).toBe('This is a call to app.');
    const sdp = parseSdp(request.body);
    const [audio, video] = sdp.media;
    expect(audio).toMatchObject({ type: 'audio', formats: ['0', '8', '101'], direction: 'sendrecv' });
    expect(
      audio!.formats.map((pt) => `${audio!.rtpmaps.get(pt)?.encoding}/${audio!.rtpmaps.get(pt)?.clockRate}`),
    ).toEqual(['PCMU/8000', 'PCMA/8000', 'telephone-event/8000']);
    expect(audio!.connection).toEqual({ addressType: 'IP4', address: LOOPBACK });
    expect(video).toMatchObject({ type: 'video', direction: 'recvonly' });
    expect(video!.rtpmaps.get(video!.formats[0]!)).toMatchObject({ encoding: 'H264', clockRate: 90000 });
    expect(video!.fmtps.get(video!.formats[0]!)).toContain('profile-level-id=42801F');
    expect(audio!.port).toBe(device.sipState!.call!.rtpPort);

    proxy.reply(invite, 100);
    proxy.reply(invite, 180, { toTag: 'pbx1' });
    await waitFor('ringing', () => device.sipState!.call?.state === 'ringing');
    expect(device.callStatus).toBe('ring');

    const rtp = createSocket('udp4');
    await new Promise<void>((resolve) => rtp.bind(0, LOOPBACK, () => resolve()));
    onCleanup(() => new Promise<void>((resolve) => rtp.close(() => resolve())));
    answer200(proxy, invite, rtp.address().port);
    const ack = await proxy.next('ACK', (m) => isRequest(m, 'ACK'));
    expect((ack.message as SipRequest).uri).toBe(`sip:10102@${LOOPBACK}:${proxy.port}`);
    expect(header(ack.message, 'CSeq')).toBe('20 ACK');
    expect(tagOf(header(ack.message, 'To'))).toBe('pbx1');
    expect(topVia(ack.message)!.branch).not.toBe(topVia(request)!.branch);
    await waitFor('onCall', () => device.callStatus === 'onCall');
    const call = device.sipState!.call!;
    expect(call).toMatchObject({ state: 'connected', callId: result.callId });
    expect(call.remoteRtp).toEqual({ address: LOOPBACK, port: rtp.address().port, payloadType: 0 });

    // Audio to the doorbell arrives on the port it offered; a second press does nothing new.
    rtp.send(Buffer.alloc(172), call.rtpPort!, LOOPBACK);
    await waitFor('RTP counted', () => device.sipState!.call?.rtpPacketsReceived === 1);
    expect(device.press(1)).toEqual({ calling: false, callId: result.callId, reason: 'busy' });

    // The proxy hangs up.
    const bye = buildRequest({
      method: 'BYE',
      uri: `sip:10101@127.0.0.1:${device.sipPort}`,
      headers: [
        { name: 'Via', value: `SIP/2.0/UDP 127.0.0.1:${proxy.port};branch=z9hG4bKbye1;rport` },
        { name: 'From', value: `<sip:10102@127.0.0.1:${proxy.port}>;tag=pbx1` },
        { name: 'To', value: header(request, 'From')! },
        { name: 'Call-ID', value: result.callId },
        { name: 'CSeq', value: '1 BYE' },
      ],
    });
    proxy.send({ host: LOOPBACK, port: device.sipPort! }, bye);
    const ok = await proxy.next('200 to BYE', (m) => isResponse(m, 200, 'BYE'));
    expect(topVia(ok.message)!.params).toMatchObject({ received: LOOPBACK, rport: String(proxy.port) });
    await waitFor('idle', () => device.callStatus === 'idle' && device.sipState!.call === null);
    expect(device.sipState!.lastCall).toMatchObject({ callId: result.callId, reason: 'hungUpByPeer' });
    // One INVITE transaction (a busy machine may delay our 180 past timer A: a retransmission
    // of it, same branch, is the protocol working, not a second call).
    expect(new Set(proxy.requests('INVITE').map((r) => topVia(r.message)!.branch))).toEqual(
      new Set([topVia(request)!.branch]),
    );
    expect(device.sipMessages.filter((m) => m.callId === result.callId).map((m) => m.startLine)).toEqual(
      expect.arrayContaining([
        `INVITE sip:10102@127.0.0.1:${proxy.port} SIP/2.0`,
        'SIP/2.0 180 Ringing',
        'SIP/2.0 200 OK',
        `BYE sip:10101@127.0.0.1:${device.sipPort} SIP/2.0`,
      ]),
    );
    const state = (await (await fetch(`${device.url}/__sim/sip-state`)).json()) as Record<string, unknown>;
    expect(state).toMatchObject({
      registerStatus: 'registered',
      call: null,
      port: device.sipPort,
      transport: 'udp',
    });
    const log = (await (await fetch(`${device.url}/__sim/sip`)).json()) as Array<Record<string, unknown>>;
    expect(log.some((m) => m.direction === 'in' && m.cseq === '1 BYE')).toBe(true);
  });

  it('gives up after the max ring time: CANCEL, 200, 487, ACK of the 487, intercom idle', async () => {
    const proxy = await TestProxy.udp();
    proxy.acceptRegistrations();
    const device = await doorbell({ maxRingTimeMs: 400 });
    configure(device, proxy);
    const pressedAt = performance.now();
    const { callId } = device.press();
    const invite = await proxy.next('INVITE', (m) => isRequest(m, 'INVITE'));
    proxy.reply(invite, 180, { toTag: 'pbx2' });
    const cancel = await proxy.next('CANCEL', (m) => isRequest(m, 'CANCEL'));
    expect(cancel.at - pressedAt).toBeGreaterThanOrEqual(390);
    const request = cancel.message as SipRequest;
    expect(request.uri).toBe((invite.message as SipRequest).uri);
    expect(topVia(request)!.branch).toBe(topVia(invite.message)!.branch);
    expect(header(request, 'CSeq')).toBe('20 CANCEL');
    expect(header(request, 'Call-ID')).toBe(callId);
    expect(header(request, 'To')).toBe(header(invite.message, 'To'));
    expect(device.callStatus).toBe('idle');

    proxy.reply(cancel, 200);
    proxy.reply(invite, 487, { toTag: 'pbx2' });
    const ack = await proxy.next('ACK of the 487', (m) => isRequest(m, 'ACK'));
    expect(topVia(ack.message)!.branch).toBe(topVia(invite.message)!.branch);
    expect(header(ack.message, 'CSeq')).toBe('20 ACK');
    expect(tagOf(header(ack.message, 'To'))).toBe('pbx2');
    await waitFor('call over', () => device.sipState!.call === null);
    expect(device.sipState!.lastCall).toMatchObject({ callId, reason: 'cancelled' });
    // A repeated 487 (our ACK lost) is ACKed again.
    proxy.reply(invite, 487, { toTag: 'pbx2' });
    await proxy.next('ACK again', (m) => isRequest(m, 'ACK'));
  });

  it('retransmits an unanswered INVITE from T1 doubling and stops at the first provisional answer', async () => {
    const proxy = await TestProxy.udp();
    proxy.acceptRegistrations();
    const device = await doorbell({ sipT1Ms: 100, maxRingTimeMs: 1500 });
    configure(device, proxy);
    device.press();
    await proxy.next('INVITE', (m) => isRequest(m, 'INVITE'));
    await proxy.next('first retransmission', (m) => isRequest(m, 'INVITE'));
    const third = await proxy.next('second retransmission', (m) => isRequest(m, 'INVITE'));
    const sent = proxy.requests('INVITE');
    expect(new Set(sent.map((r) => topVia(r.message)!.branch)).size).toBe(1);
    // T1 then 2·T1, from the doorbell's own send times (arrivals can bunch on a busy machine).
    const invites = device.sipMessages!.filter(
      (m) => m.direction === 'out' && m.startLine.startsWith('INVITE '),
    );
    expect(invites.length).toBeGreaterThanOrEqual(3);
    expect(invites[1]!.at - invites[0]!.at).toBeGreaterThanOrEqual(97);
    expect(invites[2]!.at - invites[1]!.at).toBeGreaterThanOrEqual(197);
    proxy.reply(third, 180, { toTag: 'pbx3' });
    const cancel = await proxy.next('CANCEL at max ring time', (m) => isRequest(m, 'CANCEL'));
    // Between the 180 and the CANCEL (about 1 s) timer A would have fired again at 400 ms.
    const after180 = proxy.requests('INVITE').filter((r) => r.at > third.at);
    expect(after180).toHaveLength(0);
    proxy.reply(cancel, 200);
    proxy.reply(third, 487, { toTag: 'pbx3' });
    await waitFor('call over', () => device.sipState!.call === null);
  });

  it('ends a call nobody answers after timer B (64·T1)', async () => {
    const proxy = await TestProxy.udp();
    proxy.acceptRegistrations();
    const device = await doorbell({ sipT1Ms: 20, maxRingTimeMs: 20_000 });
    configure(device, proxy);
    const { callId } = device.press();
    await waitFor('no answer', () => device.sipState!.lastCall?.reason === 'noAnswer', 10_000);
    expect(device.sipState!.lastCall!.callId).toBe(callId);
    expect(device.callStatus).toBe('idle');
    expect(proxy.requests('INVITE').length).toBeGreaterThanOrEqual(5);
  });

  it('answers a 407 on the INVITE once and cancels with the re-sent INVITE’s CSeq', async () => {
    const proxy = await TestProxy.udp();
    proxy.acceptRegistrations();
    const device = await doorbell();
    configure(device, proxy, { authId: '10101', password: 'pw' });
    device.press();
    const first = await proxy.next('INVITE', (m) => isRequest(m, 'INVITE'));
    proxy.reply(first, 407, {
      toTag: 'auth',
      headers: { 'Proxy-Authenticate': challenge({ realm: 'pbx', nonce: 'abc' }) },
    });
    const ack = await proxy.next('ACK of the 407', (m) => isRequest(m, 'ACK'));
    expect(topVia(ack.message)!.branch).toBe(topVia(first.message)!.branch);
    const second = await proxy.next('INVITE with credentials', (m) => isRequest(m, 'INVITE'));
    expect(header(second.message, 'CSeq')).toBe('21 INVITE');
    const verdict = verifyAuthorization(header(second.message, 'Proxy-Authorization'), {
      method: 'INVITE',
      realm: 'pbx',
      password: 'pw',
      nonce: 'abc',
      uri: (second.message as SipRequest).uri,
    });
    expect(verdict.ok).toBe(true);
    proxy.reply(second, 180, { toTag: 'pbx4' });
    await waitFor('ringing', () => device.sipState!.call?.state === 'ringing');
    expect(device.sipHangUp()).toBe(true);
    const cancel = await proxy.next('CANCEL', (m) => isRequest(m, 'CANCEL'));
    expect(header(cancel.message, 'CSeq')).toBe('21 CANCEL');
    expect(topVia(cancel.message)!.branch).toBe(topVia(second.message)!.branch);
  });

  it('ISAPI callSignal ends the SIP call: cancel while ringing → CANCEL, hangUp when connected → BYE', async () => {
    const proxy = await TestProxy.udp();
    proxy.acceptRegistrations();
    const device = await doorbell();
    configure(device, proxy);
    const isapi = client(device);
    const signal = (cmdType: string) =>
      isapi.request('/ISAPI/VideoIntercom/callSignal?format=json', {
        method: 'PUT',
        body: JSON.stringify({ CallSignal: { cmdType } }),
      });

    device.press();
    const ringing = await proxy.next('INVITE', (m) => isRequest(m, 'INVITE'));
    proxy.reply(ringing, 180, { toTag: 'r1' });
    await waitFor('ringing', () => device.sipState!.call?.state === 'ringing');
    expect((await signal('cancel')).status).toBe(200);
    const cancel = await proxy.next('CANCEL', (m) => isRequest(m, 'CANCEL'));
    proxy.reply(cancel, 200);
    proxy.reply(ringing, 487, { toTag: 'r1' });
    await waitFor('first call over', () => device.sipState!.call === null);

    const { callId } = device.press();
    const invite = await proxy.next('second INVITE', (m) => isRequest(m, 'INVITE'));
    answer200(proxy, invite, 40_000, 'r2');
    await proxy.next('ACK', (m) => isRequest(m, 'ACK'));
    await waitFor('onCall', () => device.callStatus === 'onCall');
    expect((await signal('hangUp')).status).toBe(200);
    const bye = await proxy.next('BYE', (m) => isRequest(m, 'BYE'));
    const request = bye.message as SipRequest;
    expect(request.uri).toBe(`sip:10102@${LOOPBACK}:${proxy.port}`);
    expect(header(request, 'CSeq')).toBe('21 BYE');
    expect(header(request, 'Call-ID')).toBe(callId);
    expect(tagOf(header(request, 'To'))).toBe('r2');
    expect(tagOf(header(request, 'From'))).toBe(tagOf(header(invite.message, 'From')));
    proxy.reply(bye, 200);
    expect(device.sipState!.call).toBeNull();
    expect(device.sipState!.lastCall).toMatchObject({ callId, reason: 'hungUp' });
    expect(device.callStatus).toBe('idle');
  });

  it('without SIP a press only rings for callStatus pollers', async () => {
    const device = await doorbell();
    expect(device.press(1)).toEqual({ calling: false, callId: null, reason: 'sipDisabled' });
    expect(device.callStatus).toBe('ring');
    expect(device.press(1)).toMatchObject({ calling: false, reason: 'busy' });
    expect(device.sipPresses.map((p) => p.reason)).toEqual(['sipDisabled', 'busy']);
    const camera = await sim({ profile: 'camera' });
    expect(() => camera.press()).toThrow(/not a doorbell/);
    expect(camera.sipPort).toBeUndefined();
  });
});

describe('doorbell SIP agent: robustness and TCP', () => {
  it('answers OPTIONS with 200 and ignores what is not SIP', async () => {
    const proxy = await TestProxy.udp();
    const device = await doorbell();
    const target = { host: LOOPBACK, port: device.sipPort! };
    for (const junk of [
      '',
      'hello',
      'INVITE sip:x SIP/2.0\r\n\r\n',
      '\x00\xff'.repeat(100),
      'SIP/2.0 200 OK\r\n\r\n',
    ]) {
      proxy.send(target, junk);
    }
    const options = buildRequest({
      method: 'OPTIONS',
      uri: `sip:10101@127.0.0.1:${device.sipPort}`,
      headers: [
        { name: 'Via', value: `SIP/2.0/UDP 127.0.0.1:${proxy.port};branch=z9hG4bKopt1` },
        { name: 'From', value: `<sip:pbx@127.0.0.1>;tag=o1` },
        { name: 'To', value: '<sip:10101@127.0.0.1>' },
        { name: 'Call-ID', value: 'options-1' },
        { name: 'CSeq', value: '1 OPTIONS' },
      ],
    });
    proxy.send(target, options);
    const ok = await proxy.next('200 to OPTIONS', (m) => isResponse(m, 200, 'OPTIONS'));
    expect(header(ok.message, 'Allow')).toContain('INVITE');
    expect(tagOf(header(ok.message, 'To'))).toMatch(/^\d+$/);
    expect(device.sipMessages.filter((m) => m.direction === 'in')).toHaveLength(1);
  });

  it('speaks TCP when asked: REGISTER, INVITE, ACK and BYE on the connection, nothing retransmitted', async () => {
    const proxy = await TestProxy.tcp();
    proxy.acceptRegistrations();
    const device = await doorbell({ sipTransport: 'tcp', sipT1Ms: 100 });
    configure(device, proxy);
    await waitFor('registered', () => device.sipSettings!.registerStatus === 'registered');
    const register = proxy.requests('REGISTER')[0]!;
    expect(topVia(register.message)!.transport).toBe('TCP');

    const { callId } = device.press();
    const invite = await proxy.next('INVITE', (m) => isRequest(m, 'INVITE'));
    expect(header(invite.message, 'Via')).toMatch(
      /^SIP\/2\.0\/TCP 127\.0\.0\.1:\d+;rport;branch=z9hG4bK\d+$/,
    );
    proxy.reply(invite, 180, { toTag: 't1' });
    await waitFor('ringing', () => device.sipState!.call?.state === 'ringing');
    answer200(proxy, invite, 40_002, 't1');
    await proxy.next('ACK', (m) => isRequest(m, 'ACK'));
    await waitFor('onCall', () => device.callStatus === 'onCall');
    expect(device.sipHangUp()).toBe(true);
    const bye = await proxy.next('BYE', (m) => isRequest(m, 'BYE'));
    expect(header(bye.message, 'Call-ID')).toBe(callId);
    proxy.reply(bye, 200);
    expect(device.sipState).toMatchObject({ transport: 'tcp', call: null, lastCall: { reason: 'hungUp' } });
    // Everything came on the doorbell's one connection, each request once (T1 = 100 ms would have
    // retransmitted the INVITE at least once while it waited for the 180 over UDP).
    expect(new Set(proxy.received.map((r) => r.connection))).toHaveProperty('size', 1);
    expect(proxy.requests('INVITE')).toHaveLength(1);
  });
});
