/**
 * The doorbell's SIP socket: one UDP socket, or (TCP) a listener plus the connections it opened
 * or accepted. Requests to a peer reuse a connection to that peer when there is one (RFC 3261
 * §18.1.1); answers go back where the request came from. Bounded: 32 connections, 128 KB of
 * unframed input per connection, 64 KB messages.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { headEnd, MAX_SIP_MESSAGE_BYTES } from './message.ts';

export type SipTransportKind = 'udp' | 'tcp';

export interface SipPeer {
  host: string;
  port: number;
}

export const peerText = (peer: SipPeer): string => `${peer.host}:${peer.port}`;

/** One received message: its bytes, who sent it, and how to answer on the same path. */
export type SipReceiver = (data: Buffer, peer: SipPeer, reply: (data: Buffer) => void) => void;
/** Called when a message could not be sent (name lookup failed, connection refused...). */
export type SendFailure = (error: Error) => void;

export interface SipTransport {
  readonly kind: SipTransportKind;
  readonly port: number;
  send(peer: SipPeer, data: Buffer, onFailure?: SendFailure): void;
  close(): Promise<void>;
}

const MAX_CONNECTIONS = 32;
const MAX_TCP_BUFFER = 128 * 1024;
const CONNECT_TIMEOUT_MS = 5_000;

/** Binds on `port`, or on a free port when that one is taken (or not ours to take). */
export async function openTransport(
  kind: SipTransportKind,
  host: string,
  port: number,
  receive: SipReceiver,
): Promise<SipTransport> {
  const open = kind === 'udp' ? UdpTransport.open : TcpTransport.open;
  try {
    return await open(host, port, receive);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (port === 0 || (code !== 'EADDRINUSE' && code !== 'EACCES')) throw error;
    return open(host, 0, receive);
  }
}

class UdpTransport implements SipTransport {
  readonly kind = 'udp' as const;

  private constructor(
    private readonly socket: UdpSocket,
    readonly port: number,
  ) {}

  static async open(host: string, port: number, receive: SipReceiver): Promise<SipTransport> {
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((error) => {
      socket.close();
      throw error;
    });
    // After binding, errors (ICMP noise, a send to a bad address) never end the socket.
    socket.on('error', () => undefined);
    socket.on('message', (data, info) => {
      const peer = { host: info.address, port: info.port };
      receive(data, peer, (answer) => transport.send(peer, answer));
    });
    const transport = new UdpTransport(socket, socket.address().port);
    return transport;
  }

  send(peer: SipPeer, data: Buffer, onFailure?: SendFailure): void {
    try {
      this.socket.send(data, peer.port, peer.host, (error) => {
        if (error) onFailure?.(error);
      });
    } catch (error) {
      onFailure?.(error as Error);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

interface Connection {
  socket: Socket;
  buffer: Buffer;
  /** Failure callbacks of messages written before the connection was up. */
  pending: SendFailure[];
}

class TcpTransport implements SipTransport {
  readonly kind = 'tcp' as const;
  private readonly connections = new Map<Socket, Connection>();
  /** Open connections by the peer address they lead to (as asked for, and as connected). */
  private readonly byPeer = new Map<string, Connection>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly receive: SipReceiver,
  ) {
    server.on('connection', (socket) => {
      if (this.connections.size >= MAX_CONNECTIONS) return void socket.destroy();
      this.adopt(socket, [{ host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }]);
    });
  }

  static async open(host: string, port: number, receive: SipReceiver): Promise<SipTransport> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => undefined);
    const address = server.address();
    return new TcpTransport(server, typeof address === 'object' && address ? address.port : port, receive);
  }

  send(peer: SipPeer, data: Buffer, onFailure?: SendFailure): void {
    let connection = this.byPeer.get(peerText(peer));
    if (!connection) {
      if (this.connections.size >= MAX_CONNECTIONS) {
        onFailure?.(new Error('too many SIP connections'));
        return;
      }
      let socket: Socket;
      try {
        socket = connect({ host: peer.host, port: peer.port });
      } catch (error) {
        onFailure?.(error as Error); // a port out of range, a host that is no host
        return;
      }
      socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(new Error('connect timed out')));
      socket.once('connect', () => {
        socket.setTimeout(0);
        if (connection) connection.pending = [];
      });
      connection = this.adopt(socket, [peer]);
    }
    if (connection.socket.connecting && onFailure) connection.pending.push(onFailure);
    connection.socket.write(data);
  }

  private adopt(socket: Socket, peers: SipPeer[]): Connection {
    const connection: Connection = { socket, buffer: Buffer.alloc(0), pending: [] };
    this.connections.set(socket, connection);
    const keys = peers.map(peerText);
    for (const key of keys) this.byPeer.set(key, connection);
    socket.on('connect', () => {
      const remote = peerText({ host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 });
      keys.push(remote);
      this.byPeer.set(remote, connection);
    });
    socket.on('data', (chunk) => this.onData(connection, chunk));
    socket.on('error', (error) => {
      for (const fail of connection.pending.splice(0)) fail(error);
    });
    socket.on('close', () => {
      this.connections.delete(socket);
      for (const key of keys) if (this.byPeer.get(key) === connection) this.byPeer.delete(key);
    });
    return connection;
  }

  /** Cuts the stream into messages by Content-Length (required over TCP); a broken stream is closed. */
  private onData(connection: Connection, chunk: Buffer): void {
    connection.buffer = Buffer.concat([connection.buffer, chunk]);
    if (connection.buffer.length > MAX_TCP_BUFFER) return void connection.socket.destroy();
    const { socket } = connection;
    const peer = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    for (;;) {
      let start = 0;
      while (
        start < connection.buffer.length &&
        (connection.buffer[start] === 13 || connection.buffer[start] === 10)
      )
        start++;
      connection.buffer = connection.buffer.subarray(start);
      const end = headEnd(connection.buffer);
      if (!end) {
        if (connection.buffer.length > MAX_SIP_MESSAGE_BYTES) socket.destroy();
        return;
      }
      const head = connection.buffer.toString('utf8', 0, end.head);
      const length = /^(?:content-length|l)[ \t]*:[ \t]*(\d{1,6})[ \t]*$/im.exec(head);
      if (!length || end.body + Number(length[1]) > MAX_SIP_MESSAGE_BYTES) return void socket.destroy();
      const total = end.body + Number(length[1]);
      if (connection.buffer.length < total) return;
      const frame = Buffer.from(connection.buffer.subarray(0, total));
      connection.buffer = connection.buffer.subarray(total);
      this.receive(frame, peer, (answer) => {
        if (!socket.destroyed) socket.write(answer);
      });
    }
  }

  close(): Promise<void> {
    for (const socket of this.connections.keys()) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
