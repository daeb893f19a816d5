/**
 * SIP over UDP and TCP (RFC 3261 §18, RFC 3581): one UDP socket and one TCP server on the same
 * port, outgoing TCP connections reused per peer, every received message tagged with the peer
 * it came from. Bounded: message size (SIP_LIMITS), connection count (the least recently used
 * is closed first), bytes queued per connection, idle connections. A socket error is logged
 * and that socket closed; nothing here throws out of an event handler.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, isIPv4, type Server, type Socket } from 'node:net';
import { formatVia, headerKey, splitHeaderList, topViaOrUndefined, viaOrUndefined } from './headers.ts';
import {
  type FramerOutput,
  isKeepAlive,
  parseMessage,
  SipStreamFramer,
  serializeMessage,
} from './message.ts';
import { SIP_LIMITS, type SipHeader, type SipMessage, type SipPeer, type SipResponse } from './types.ts';

export type SipLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface SipLogEntry {
  level: SipLogLevel;
  message: string;
  peer?: SipPeer;
  error?: Error;
}

/** Where the SIP library reports what it drops or closes; the app maps it onto its logger. */
export type SipLog = (entry: SipLogEntry) => void;

export interface SipTransportOptions {
  /** Address to bind (IPv4): default 0.0.0.0. */
  host?: string;
  /** Port for both UDP and TCP; 0 (default) picks a port free for both. */
  port?: number;
  /** Also listen on TCP and allow TCP peers (default true). */
  tcp?: boolean;
  /** Most TCP connections, incoming and outgoing together (default 256). */
  maxConnections?: number;
  /** A TCP connection silent this long is closed (default 120 s). */
  idleTimeoutMs?: number;
  /** Giving up on an outgoing TCP connection (default 5 s). */
  connectTimeoutMs?: number;
  /** Bytes waiting to be written on one TCP connection before it is judged stuck and closed (default 256 KiB). */
  maxQueuedBytes?: number;
  log?: SipLog;
}

export interface SipTransportHandlers {
  /** A well-formed message; requests carry `received`/`rport` on their top Via already. */
  onMessage(message: SipMessage, peer: SipPeer): void;
  /** A whole message (datagram, or Content-Length framed) the codec refused. */
  onInvalid?(data: Buffer, peer: SipPeer, error: Error): void;
}

export class SipTransportError extends Error {
  override readonly name = 'SipTransportError';
  constructor(
    message: string,
    readonly peer?: SipPeer,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const DEFAULTS = {
  host: '0.0.0.0',
  maxConnections: 256,
  idleTimeoutMs: 120_000,
  connectTimeoutMs: 5_000,
  maxQueuedBytes: 256 * 1024,
};

const DEFAULT_SIP_PORT = 5060;
const CRLF = Buffer.from('\r\n');
/** Largest UDP payload over IPv4. */
const MAX_UDP_PAYLOAD = 65_507;

export function peerKey(peer: Pick<SipPeer, 'address' | 'port'>): string {
  return `${peer.address}:${peer.port}`;
}

/** `::ffff:1.2.3.4` (an IPv4 peer seen by a dual-stack socket) -> `1.2.3.4`. */
function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** One TCP connection: framing, activity time, bounded write queue. */
class TcpConnection {
  lastActivity = Date.now();
  private readonly framer = new SipStreamFramer();

  constructor(
    readonly socket: Socket,
    readonly peer: SipPeer,
    private readonly maxQueuedBytes: number,
  ) {}

  touch(): void {
    this.lastActivity = Date.now();
  }

  /** The whole messages completed by `chunk`, keep-alive pings, or the error that ends the stream. */
  frames(chunk: Buffer): FramerOutput {
    this.touch();
    return this.framer.push(chunk);
  }

  write(data: Buffer): Promise<void> {
    if (this.socket.destroyed || !this.socket.writable) {
      return Promise.reject(new SipTransportError('connection closed', this.peer));
    }
    if (this.socket.writableLength + data.length > this.maxQueuedBytes) {
      // The peer is not reading: keeping its bytes would let one peer eat our memory.
      this.socket.destroy();
      return Promise.reject(new SipTransportError('peer is not reading: connection closed', this.peer));
    }
    this.touch();
    // Queued is sent as far as the caller is concerned: a later write error destroys the socket
    // through its 'error' event, and a transaction then times out on its own timers.
    this.socket.write(data);
    return Promise.resolve();
  }
}

export class SipTransport {
  readonly host: string;
  private readonly connections = new Map<string, TcpConnection>();
  private readonly connecting = new Map<string, Promise<TcpConnection>>();
  private readonly settings: typeof DEFAULTS & { tcp: boolean };
  private readonly log: SipLog;
  private closed = false;

  private constructor(
    private readonly udp: UdpSocket,
    private readonly tcpServer: Server | undefined,
    readonly port: number,
    options: SipTransportOptions,
    private readonly handlers: SipTransportHandlers,
  ) {
    this.settings = {
      host: options.host ?? DEFAULTS.host,
      maxConnections: options.maxConnections ?? DEFAULTS.maxConnections,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      maxQueuedBytes: options.maxQueuedBytes ?? DEFAULTS.maxQueuedBytes,
      tcp: options.tcp ?? true,
    };
    this.host = this.settings.host;
    this.log = options.log ?? (() => {});
    udp.on('message', (data, info) => this.receiveDatagram(data, { address: info.address, port: info.port }));
    udp.on('error', (error) => this.log({ level: 'error', message: 'SIP UDP socket error', error }));
    tcpServer?.on('connection', (socket) => this.adoptIncoming(socket));
    tcpServer?.on('error', (error) => this.log({ level: 'error', message: 'SIP TCP server error', error }));
  }

  /** Binds UDP and (unless disabled) TCP on the same port. */
  static async listen(options: SipTransportOptions, handlers: SipTransportHandlers): Promise<SipTransport> {
    const host = options.host ?? DEFAULTS.host;
    if (!isIPv4(host))
      throw new SipTransportError(`SIP transport host must be an IPv4 address, got "${host}"`);
    const wanted = options.port ?? 0;
    const { udp, tcp, port } = await bindSamePort(host, wanted, options.tcp ?? true);
    return new SipTransport(udp, tcp, port, options, handlers);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Sends a request (or a stateless message such as an ACK for a 2xx) to `peer`. */
  async send(message: SipMessage, peer: SipPeer): Promise<void> {
    const data = this.encode(message, peer);
    if (peer.transport === 'udp') return this.sendDatagram(data, peer);
    const connection = this.connections.get(peerKey(peer)) ?? (await this.openConnection(peer));
    return connection.write(data);
  }

  /**
   * Sends a response where §18.2.2 says: over TCP on the connection the request came on (or a
   * new one to the Via's received address and sent-by port when it is gone), over UDP to the
   * Via's `received` and `rport` (RFC 3581), else its sent-by.
   */
  async sendResponse(response: SipResponse, requestPeer: SipPeer): Promise<void> {
    const data = this.encode(response, requestPeer);
    if (requestPeer.transport === 'udp')
      return this.sendDatagram(data, udpResponseTarget(response, requestPeer));
    const existing = this.connections.get(peerKey(requestPeer));
    if (existing) return existing.write(data);
    const fallback = tcpFallbackTarget(response, requestPeer);
    const connection = this.connections.get(peerKey(fallback)) ?? (await this.openConnection(fallback));
    return connection.write(data);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const connection of this.connections.values()) connection.socket.destroy();
    this.connections.clear();
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      this.tcpServer ? new Promise<void>((resolve) => this.tcpServer!.close(() => resolve())) : undefined,
    ]);
  }

  private encode(message: SipMessage, peer: SipPeer): Buffer {
    if (this.closed) throw new SipTransportError('SIP transport is closed', peer);
    if (peer.transport === 'tcp' && !this.settings.tcp) throw new SipTransportError('TCP is disabled', peer);
    const data = serializeMessage(message);
    const limit =
      peer.transport === 'udp'
        ? Math.min(MAX_UDP_PAYLOAD, SIP_LIMITS.maxMessageBytes)
        : SIP_LIMITS.maxMessageBytes;
    if (data.length > limit) {
      throw new SipTransportError(
        `SIP message of ${data.length} bytes is over the ${limit}-byte limit`,
        peer,
      );
    }
    return data;
  }

  private sendDatagram(data: Buffer, peer: SipPeer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.udp.send(data, peer.port, peer.address, (error) => {
        if (error) reject(new SipTransportError('UDP send failed', peer, { cause: error }));
        else resolve();
      });
    });
  }

  private receiveDatagram(data: Buffer, from: { address: string; port: number }): void {
    const peer: SipPeer = { transport: 'udp', address: plainAddress(from.address), port: from.port };
    // Keep-alives (RFC 5626 CRLF) carry no message and get no answer over UDP.
    if (isKeepAlive(data)) return;
    if (data.length > SIP_LIMITS.maxMessageBytes) {
      this.log({ level: 'warn', message: 'SIP datagram over the size limit dropped', peer });
      return;
    }
    this.deliver(data, peer);
  }

  private deliver(data: Buffer, peer: SipPeer): void {
    let message: SipMessage;
    try {
      message = parseMessage(data, { transport: peer.transport });
    } catch (error) {
      const reason = error instanceof Error ? error : new Error(String(error));
      this.guarded(peer, () => this.handlers.onInvalid?.(data, peer, reason));
      return;
    }
    if (message.kind === 'request') stampVia(message, peer);
    this.guarded(peer, () => this.handlers.onMessage(message, peer));
  }

  /** A handler bug must not take the socket (or the process) down with it. */
  private guarded(peer: SipPeer, action: () => void): void {
    try {
      action();
    } catch (error) {
      this.log({ level: 'error', message: 'SIP message handler failed', peer, error: error as Error });
    }
  }

  private adoptIncoming(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const peer: SipPeer = {
      transport: 'tcp',
      address: plainAddress(socket.remoteAddress),
      port: socket.remotePort ?? 0,
    };
    this.register(new TcpConnection(socket, peer, this.settings.maxQueuedBytes));
  }

  private openConnection(peer: SipPeer): Promise<TcpConnection> {
    const key = peerKey(peer);
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const attempt = this.connectTo(peer).finally(() => this.connecting.delete(key));
    this.connecting.set(key, attempt);
    return attempt;
  }

  private connectTo(peer: SipPeer): Promise<TcpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: peer.address, port: peer.port, family: 4 });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new SipTransportError('TCP connect timed out', peer));
      }, this.settings.connectTimeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new SipTransportError('TCP connect failed', peer, { cause: error }));
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        if (this.closed) {
          socket.destroy();
          reject(new SipTransportError('SIP transport is closed', peer));
          return;
        }
        const connection = new TcpConnection(socket, peer, this.settings.maxQueuedBytes);
        this.register(connection);
        resolve(connection);
      });
    });
  }

  private register(connection: TcpConnection): void {
    const key = peerKey(connection.peer);
    this.connections.get(key)?.socket.destroy();
    while (this.connections.size >= this.settings.maxConnections) this.closeLeastRecentlyUsed();
    this.connections.set(key, connection);
    const { socket, peer } = connection;
    socket.setNoDelay(true);
    socket.setTimeout(this.settings.idleTimeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => this.receiveChunk(connection, chunk));
    socket.on('error', (error) => {
      this.log({ level: 'warn', message: 'SIP TCP connection error', peer, error });
      socket.destroy();
    });
    socket.on('close', () => {
      if (this.connections.get(key) === connection) this.connections.delete(key);
    });
  }

  private closeLeastRecentlyUsed(): void {
    let oldest: [string, TcpConnection] | undefined;
    for (const entry of this.connections) {
      if (!oldest || entry[1].lastActivity < oldest[1].lastActivity) oldest = entry;
    }
    if (!oldest) return;
    this.log({
      level: 'info',
      message: 'SIP TCP connection limit reached: closing the least recently used',
      peer: oldest[1].peer,
    });
    this.connections.delete(oldest[0]);
    oldest[1].socket.destroy();
  }

  private receiveChunk(connection: TcpConnection, chunk: Buffer): void {
    const { frames, pings, error } = connection.frames(chunk);
    for (const frame of frames) {
      if (connection.socket.destroyed) return;
      this.deliver(frame, connection.peer);
    }
    if (error) {
      // Garbage or an overflow: the stream cannot be re-synchronised, so the connection goes.
      this.log({
        level: 'warn',
        message: `SIP TCP stream refused (${error.message}): connection closed`,
        peer: connection.peer,
      });
      connection.socket.destroy();
      return;
    }
    // RFC 5626 §3.5.1: each double-CRLF ping gets a single CRLF pong.
    for (let index = 0; index < pings; index++) connection.write(CRLF).catch(() => {});
  }
}

async function bindSamePort(
  host: string,
  wanted: number,
  withTcp: boolean,
): Promise<{ udp: UdpSocket; tcp: Server | undefined; port: number }> {
  // With port 0 the OS picks a UDP port that may be taken on TCP: try a few.
  const attempts = wanted === 0 ? 10 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const udp = createSocket({ type: 'udp4' });
    try {
      await bindUdp(udp, host, wanted);
    } catch (error) {
      udp.close();
      throw new SipTransportError(`cannot bind UDP ${host}:${wanted}`, undefined, { cause: error });
    }
    const port = udp.address().port;
    if (!withTcp) return { udp, tcp: undefined, port };
    try {
      return { udp, tcp: await listenTcp(host, port), port };
    } catch (error) {
      lastError = error;
      udp.close();
    }
  }
  throw new SipTransportError(`cannot listen on TCP ${host}:${wanted}`, undefined, { cause: lastError });
}

function bindUdp(socket: UdpSocket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

function listenTcp(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({ noDelay: true });
    server.once('error', (error) => {
      server.close();
      reject(error);
    });
    server.listen({ host, port, exclusive: true }, () => {
      server.removeAllListeners('error');
      resolve(server);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Via rules of §18.2.1 (received), RFC 3581 (rport) and §18.2.2 (where responses go)

/**
 * §18.2.1 and RFC 3581 §4: marks the top Via of a received request with the address (and, when
 * the client asked with a bare `rport`, the port) it really came from. Returns false when the
 * request has no usable top Via.
 */
export function stampVia(message: { headers: SipHeader[] }, peer: SipPeer): boolean {
  const index = message.headers.findIndex((entry) => headerKey(entry.name) === 'via');
  if (index < 0) return false;
  const entry = message.headers[index]!;
  const [first, ...rest] = splitHeaderList(entry.value) ?? [];
  const via = first === undefined ? undefined : viaOrUndefined(first);
  if (!via) return false;
  const wantsRport = 'rport' in via.params && via.params.rport === null;
  if (wantsRport) via.params.rport = String(peer.port);
  if (wantsRport || via.host !== peer.address) via.params.received = peer.address;
  message.headers[index] = { name: entry.name, value: [formatVia(via), ...rest].join(', ') };
  return true;
}

/** §18.2.2 for UDP (unicast): received + rport, else received + sent-by port, else sent-by. */
export function udpResponseTarget(response: SipMessage, requestPeer: SipPeer): SipPeer {
  const via = topViaOrUndefined(response);
  if (!via) return requestPeer;
  const rport = Number(via.params.rport);
  const address = via.params.received || via.host;
  const port =
    Number.isInteger(rport) && rport > 0 && rport < 65_536 ? rport : (via.port ?? DEFAULT_SIP_PORT);
  return { transport: 'udp', address, port };
}

/** §18.2.2 for TCP when the request's connection is gone: the received address and the sent-by port. */
function tcpFallbackTarget(response: SipMessage, requestPeer: SipPeer): SipPeer {
  const via = topViaOrUndefined(response);
  if (!via) return requestPeer;
  return { transport: 'tcp', address: via.params.received || via.host, port: via.port ?? DEFAULT_SIP_PORT };
}
