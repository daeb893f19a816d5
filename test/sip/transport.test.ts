/**
 * SipTransport on real loopback sockets: peers tagged on every message, Via received/rport and
 * where responses go (RFC 3261 §18.2, RFC 3581), TCP framing (split and coalesced messages,
 * keep-alive pings, garbage and overflow closing the connection), connection reuse, limits
 * (message size, connection count, queued bytes, idle time), and a SipStack answering
 * malformed datagrams 400 or dropping them without a crash.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { header } from '../../src/protocols/sip/headers.ts';
import { buildRequest, buildResponse } from '../../src/protocols/sip/message.ts';
import { SipStack } from '../../src/protocols/sip/stack.ts';
import {
  type SipLogEntry,
  SipTransport,
  type SipTransportOptions,
  udpResponseTarget,
} from '../../src/protocols/sip/transport.ts';
import type { SipMessage, SipPeer, SipRequest } from '../../src/protocols/sip/types.ts';
import {
  LOOPBACK,
  RawTcpClient,
  RawTcpServer,
  RawUdpPeer,
  rawRequest,
  responses,
  waitFor,
} from './helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Delivered {
  message: SipMessage;
  peer: SipPeer;
}

async function openTransport(options: SipTransportOptions = {}) {
  const delivered: Delivered[] = [];
  const invalid: Array<{ peer: SipPeer; error: Error }> = [];
  const logs: SipLogEntry[] = [];
  const transport = await SipTransport.listen(
    { host: LOOPBACK, log: (entry) => logs.push(entry), ...options },
    {
      onMessage: (message, peer) => delivered.push({ message, peer }),
      onInvalid: (_data, peer, error) => invalid.push({ peer, error }),
    },
  );
  cleanups.push(() => transport.close());
  return { transport, delivered, invalid, logs };
}

async function udpPeer(): Promise<RawUdpPeer> {
  const peer = await RawUdpPeer.open();
  cleanups.push(() => peer.close());
  return peer;
}

async function tcpClient(port: number): Promise<RawTcpClient> {
  const client = await RawTcpClient.connect(port);
  cleanups.push(() => client.close());
  return client;
}

function options(branch: string, viaPort: number, extra: Partial<Parameters<typeof rawRequest>[0]> = {}) {
  return rawRequest({ method: 'OPTIONS', branch, viaPort, ...extra });
}

describe('UDP', () => {
  it('binds UDP and TCP on one free port, and tags each message with its peer', async () => {
    const { transport, delivered } = await openTransport();
    expect(transport.port).toBeGreaterThan(0);
    const peer = await udpPeer();
    await peer.send(options('z9hG4bKu1', peer.port), transport.port);
    const client = await tcpClient(transport.port);
    await client.write(options('z9hG4bKt1', client.localPort, { transport: 'TCP' }));
    await waitFor('two messages', () => delivered.length === 2);
    const byTransport = Object.fromEntries(delivered.map((each) => [each.peer.transport, each.peer]));
    expect(byTransport.udp).toEqual({ transport: 'udp', address: LOOPBACK, port: peer.port });
    expect(byTransport.tcp).toEqual({ transport: 'tcp', address: LOOPBACK, port: client.localPort });
  });

  it('stamps received/rport on the top Via and answers to rport (RFC 3581), not to the sent-by port', async () => {
    const { transport, delivered } = await openTransport();
    const peer = await udpPeer();
    // The Via names another host and port: the answer must still come back to the real source.
    await peer.send(options('z9hG4bKrport', 5999, { viaHost: '192.0.2.7' }), transport.port);
    await waitFor('the request', () => delivered.length === 1);
    const request = delivered[0]!.message as SipRequest;
    expect(header(request, 'Via')).toBe(
      `SIP/2.0/UDP 192.0.2.7:5999;rport=${peer.port};branch=z9hG4bKrport;received=${LOOPBACK}`,
    );
    await transport.sendResponse(buildResponse(request, 200, undefined, { toTag: 'x' }), delivered[0]!.peer);
    await waitFor('the response at the source port', () => responses(peer.received, 200).length === 1);
  });

  it('without rport answers to the received address and the sent-by port (§18.2.2)', async () => {
    const { transport, delivered } = await openTransport();
    const peer = await udpPeer();
    await peer.send(
      options('z9hG4bKnorport', peer.port, { viaHost: '192.0.2.9', rport: false }),
      transport.port,
    );
    await waitFor('the request', () => delivered.length === 1);
    const request = delivered[0]!.message as SipRequest;
    expect(header(request, 'Via')).toBe(
      `SIP/2.0/UDP 192.0.2.9:${peer.port};branch=z9hG4bKnorport;received=${LOOPBACK}`,
    );
    const answer = buildResponse(request, 200, undefined, { toTag: 'x' });
    expect(udpResponseTarget(answer, delivered[0]!.peer)).toEqual({
      transport: 'udp',
      address: LOOPBACK,
      port: peer.port,
    });
    await transport.sendResponse(answer, delivered[0]!.peer);
    await waitFor('the response', () => responses(peer.received, 200).length === 1);
  });

  it('ignores keep-alive datagrams and refuses to send a message over the size limit', async () => {
    const { transport, delivered, invalid } = await openTransport();
    const peer = await udpPeer();
    await peer.send('\r\n\r\n', transport.port);
    await peer.send(options('z9hG4bKafter', peer.port), transport.port);
    await waitFor('the request after the keep-alive', () => delivered.length === 1);
    expect(invalid).toEqual([]);
    const huge = buildRequest({
      method: 'MESSAGE',
      uri: `sip:10101@${LOOPBACK}`,
      headers: { Via: 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKbig', 'Call-ID': 'big' },
      body: Buffer.alloc(70_000, 0x61),
    });
    const target: SipPeer = { transport: 'udp', address: LOOPBACK, port: peer.port };
    await expect(transport.send(huge, target)).rejects.toThrow(/bytes/);
    await expect(transport.send(huge, { ...target, transport: 'tcp' })).rejects.toThrow(/bytes/);
  });
});

describe('TCP', () => {
  it('frames a message split across chunks and two messages in one chunk', async () => {
    const { transport, delivered } = await openTransport();
    const client = await tcpClient(transport.port);
    const first = options('z9hG4bKsplit', client.localPort, { transport: 'TCP', body: 'v=0\r\n' });
    const cut = first.indexOf('Call-ID');
    await client.write(first.slice(0, cut));
    await client.write(first.slice(cut, first.length - 2));
    expect(delivered).toHaveLength(0);
    await client.write(first.slice(first.length - 2));
    await waitFor('the split message', () => delivered.length === 1);
    expect((delivered[0]!.message as SipRequest).body.toString()).toBe('v=0\r\n');

    const second = options('z9hG4bKtwo1', client.localPort, { transport: 'TCP', cseq: 2 });
    const third = options('z9hG4bKtwo2', client.localPort, { transport: 'TCP', cseq: 3 });
    await client.write(second + third);
    await waitFor('both coalesced messages', () => delivered.length === 3);
    expect(delivered.map((each) => header(each.message, 'CSeq'))).toEqual([
      '1 OPTIONS',
      '2 OPTIONS',
      '3 OPTIONS',
    ]);
    expect(transport.connectionCount).toBe(1);
  });

  it('answers a double-CRLF ping with a CRLF pong (RFC 5626)', async () => {
    const { transport } = await openTransport();
    const client = await tcpClient(transport.port);
    await client.write('\r\n\r\n');
    await waitFor('the pong', () => client.text === '\r\n');
  });

  it('sends responses back on the connection the request came on', async () => {
    const { transport, delivered } = await openTransport();
    const client = await tcpClient(transport.port);
    // The Via's sent-by port is not where we listen: only the connection leads back.
    await client.write(options('z9hG4bKback', 1, { transport: 'TCP' }));
    await waitFor('the request', () => delivered.length === 1);
    const request = delivered[0]!.message as SipRequest;
    await transport.sendResponse(buildResponse(request, 200, undefined, { toTag: 'x' }), delivered[0]!.peer);
    await waitFor('the response on the same connection', () => client.statuses().includes(200));
  });

  it('closes a connection that sends garbage, or a message over the size limit', async () => {
    const { transport, logs } = await openTransport();
    const garbage = await tcpClient(transport.port);
    await garbage.write('this is not SIP at all\r\nnor: this\r\n\r\n');
    await waitFor('the garbage connection closed', () => garbage.closed);

    const oversize = await tcpClient(transport.port);
    await oversize.write(
      options('z9hG4bKhuge', oversize.localPort, { transport: 'TCP' }).replace(
        'Content-Length: 0',
        'Content-Length: 100000',
      ),
    );
    await waitFor('the oversize connection closed', () => oversize.closed);

    const endless = await tcpClient(transport.port);
    await endless.write(`OPTIONS sip:x SIP/2.0\r\nX-Padding: ${'a'.repeat(140_000)}`).catch(() => {});
    await waitFor('the endless head closed', () => endless.closed);
    expect(logs.filter((entry) => entry.message.includes('refused')).length).toBe(3);
    expect(transport.connectionCount).toBe(0);
  });

  it('opens one outgoing connection per peer, reuses it, and closes it when idle', async () => {
    const { transport } = await openTransport({ idleTimeoutMs: 300 });
    const server = await RawTcpServer.listen();
    cleanups.push(() => server.close());
    const target: SipPeer = { transport: 'tcp', address: LOOPBACK, port: server.port };
    const request = (branch: string) =>
      buildRequest({
        method: 'OPTIONS',
        uri: `sip:10101@${LOOPBACK}:${server.port}`,
        headers: [
          { name: 'Via', value: `SIP/2.0/TCP ${LOOPBACK}:${transport.port};branch=${branch}` },
          { name: 'From', value: '<sip:a@127.0.0.1>;tag=1' },
          { name: 'To', value: '<sip:b@127.0.0.1>' },
          { name: 'Call-ID', value: 'reuse' },
          { name: 'CSeq', value: '1 OPTIONS' },
        ],
      });
    await Promise.all([
      transport.send(request('z9hG4bKr1'), target),
      transport.send(request('z9hG4bKr2'), target),
    ]);
    await transport.send(request('z9hG4bKr3'), target);
    await waitFor('three requests', () => {
      const text = Buffer.concat(server.connections.flatMap((each) => each.chunks)).toString();
      return (text.match(/^OPTIONS /gm) ?? []).length === 3;
    });
    expect(server.connections).toHaveLength(1);
    await waitFor('the idle connection closed', () => server.connections[0]!.closed, 5_000);
    expect(transport.connectionCount).toBe(0);
  });

  it('keeps at most maxConnections, closing the least recently used first', async () => {
    const { transport, delivered } = await openTransport({ maxConnections: 2 });
    const first = await tcpClient(transport.port);
    await first.write(options('z9hG4bKc1', first.localPort, { transport: 'TCP' }));
    await waitFor('first', () => delivered.length === 1);
    const second = await tcpClient(transport.port);
    await second.write(options('z9hG4bKc2', second.localPort, { transport: 'TCP' }));
    await waitFor('second', () => delivered.length === 2);
    // The first speaks again: now the second is the least recently used.
    await first.write(options('z9hG4bKc3', first.localPort, { transport: 'TCP', cseq: 2 }));
    await waitFor('third', () => delivered.length === 3);
    const third = await tcpClient(transport.port);
    await waitFor('the least recently used closed', () => second.closed);
    expect(first.closed).toBe(false);
    expect(third.closed).toBe(false);
    expect(transport.connectionCount).toBe(2);
  });

  it('closes a connection whose peer stops reading once the queued bytes pass the limit', async () => {
    const { transport, logs } = await openTransport({ maxQueuedBytes: 64 * 1024 });
    const server = await RawTcpServer.listen((socket) => socket.pause());
    cleanups.push(() => server.close());
    const target: SipPeer = { transport: 'tcp', address: LOOPBACK, port: server.port };
    const message = buildRequest({
      method: 'MESSAGE',
      uri: `sip:10101@${LOOPBACK}`,
      headers: [
        { name: 'Via', value: `SIP/2.0/TCP ${LOOPBACK}:${transport.port};branch=z9hG4bKstuck` },
        { name: 'From', value: '<sip:a@127.0.0.1>;tag=1' },
        { name: 'To', value: '<sip:b@127.0.0.1>' },
        { name: 'Call-ID', value: 'stuck' },
        { name: 'CSeq', value: '1 MESSAGE' },
      ],
      body: Buffer.alloc(60_000, 0x62),
    });
    let refused: Error | undefined;
    // The kernel takes a few MB on loopback before Node has to queue: keep writing until it does.
    for (let sent = 0; sent < 2_000 && !refused; sent++) {
      await transport.send(message, target).catch((error: Error) => {
        refused = error;
      });
    }
    expect(refused?.message).toMatch(/not reading/);
    await waitFor('the stuck connection dropped', () => transport.connectionCount === 0);
    expect(logs.some((entry) => entry.level === 'error')).toBe(false);
  });

  it('reports a refused outgoing connection as an error of that send only', async () => {
    const { transport } = await openTransport({ connectTimeoutMs: 2_000 });
    const closed = await RawTcpServer.listen();
    const port = closed.port;
    await closed.close();
    const request = buildRequest({
      method: 'OPTIONS',
      uri: `sip:x@${LOOPBACK}`,
      headers: [
        { name: 'Via', value: 'SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKrefused' },
        { name: 'From', value: '<sip:a@127.0.0.1>;tag=1' },
        { name: 'To', value: '<sip:b@127.0.0.1>' },
        { name: 'Call-ID', value: 'refused' },
        { name: 'CSeq', value: '1 OPTIONS' },
      ],
    });
    await expect(transport.send(request, { transport: 'tcp', address: LOOPBACK, port })).rejects.toThrow(
      /connect failed/,
    );
    expect(transport.connectionCount).toBe(0);
  });
});

describe('malformed messages through a SipStack', () => {
  async function stack() {
    const seen: string[] = [];
    const sip = await SipStack.start({
      host: LOOPBACK,
      onRequest: (incoming) => {
        seen.push(incoming.method);
        incoming.reply(200);
      },
    });
    cleanups.push(() => sip.close());
    return { sip, seen };
  }

  it('answers 400 to a request whose routing headers can be read, and drops what cannot be answered', async () => {
    const { sip, seen } = await stack();
    const peer = await udpPeer();
    const badCSeq = options('z9hG4bKbad', peer.port).replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE');
    await peer.send(badCSeq, sip.port);
    await waitFor('the 400', () => responses(peer.received, 400).length === 1);
    const answer = responses(peer.received, 400)[0]!;
    expect(header(answer, 'Via')).toContain('branch=z9hG4bKbad');
    expect(header(answer, 'To')).toMatch(/;tag=/);

    const unanswerable = [
      Buffer.from('garbage\r\n\r\n'),
      Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02]),
      Buffer.from(options('z9hG4bKnovia', peer.port).replace(/^Via:.*\r\n/m, '')),
      Buffer.from(options('z9hG4bKack', peer.port, { method: 'ACK' }).replace('CSeq: 1 ACK', 'CSeq: x ACK')),
      Buffer.from('SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n'),
      Buffer.alloc(60_000, 0x41),
    ];
    for (const datagram of unanswerable) await peer.send(datagram, sip.port);
    // The stack is still alive and answers the next good request; nothing else came back.
    await peer.send(options('z9hG4bKgood', peer.port, { cseq: 2 }), sip.port);
    await waitFor('the 200 to the good request', () => responses(peer.received, 200).length === 1);
    expect(responses(peer.received).map((each) => each.status)).toEqual([400, 200]);
    expect(seen).toEqual(['OPTIONS']);
  });

  it('answers 400 to a malformed request over TCP and keeps the connection', async () => {
    const { sip, seen } = await stack();
    const client = await tcpClient(sip.port);
    const bad = options('z9hG4bKtcpbad', client.localPort, { transport: 'TCP' }).replace(
      'Max-Forwards: 70',
      'Max-Forwards: lots',
    );
    await client.write(bad);
    await waitFor('the 400', () => client.statuses().includes(400));
    await client.write(options('z9hG4bKtcpgood', client.localPort, { transport: 'TCP', cseq: 2 }));
    await waitFor('the 200', () => client.statuses().includes(200));
    expect(client.closed).toBe(false);
    expect(seen).toEqual(['OPTIONS']);
  });
});
