/**
 * Test peers for the SIP transport and stack tests: a raw UDP socket and raw TCP sockets that
 * send hand-written SIP text and record what comes back, and a condition wait with a deadline.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { parseMessage } from '../../src/protocols/sip/message.ts';
import type { SipMessage, SipResponse } from '../../src/protocols/sip/types.ts';

export const LOOPBACK = '127.0.0.1';

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface Received {
  at: number;
  data: Buffer;
  message: SipMessage | undefined;
}

function parsed(data: Buffer, transport: 'udp' | 'tcp'): SipMessage | undefined {
  try {
    return parseMessage(data, { transport });
  } catch {
    return undefined;
  }
}

export function responses(received: Received[], status?: number): SipResponse[] {
  return received
    .map((entry) => entry.message)
    .filter((message): message is SipResponse => message?.kind === 'response')
    .filter((message) => status === undefined || message.status === status);
}

/** A UDP socket on loopback that records every datagram it receives. */
export class RawUdpPeer {
  readonly received: Received[] = [];

  private constructor(
    readonly socket: UdpSocket,
    readonly port: number,
  ) {
    socket.on('message', (data) =>
      this.received.push({ at: performance.now(), data, message: parsed(data, 'udp') }),
    );
  }

  static async open(): Promise<RawUdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, () => resolve()));
    return new RawUdpPeer(socket, socket.address().port);
  }

  send(text: string | Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(typeof text === 'string' ? Buffer.from(text) : text, port, LOOPBACK, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** A TCP client socket that records what it receives (framed by the codec's rules only in `messages`). */
export class RawTcpClient {
  readonly chunks: Buffer[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  static async connect(port: number): Promise<RawTcpClient> {
    const socket = connect({ host: LOOPBACK, port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawTcpClient(socket);
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  /** Status codes of the responses received so far, in order. */
  statuses(): number[] {
    return [...this.text.matchAll(/^SIP\/2\.0 (\d{3}) /gm)].map((match) => Number(match[1]));
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(data, (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A TCP server that records connections and the bytes each sends. */
export class RawTcpServer {
  readonly connections: Array<{ socket: Socket; chunks: Buffer[]; closed: boolean }> = [];

  private constructor(
    readonly server: Server,
    readonly port: number,
  ) {}

  static async listen(onConnection?: (socket: Socket) => void): Promise<RawTcpServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, () => resolve()));
    const raw = new RawTcpServer(server, (server.address() as { port: number }).port);
    server.on('connection', (socket) => {
      const entry = { socket, chunks: [] as Buffer[], closed: false };
      socket.on('data', (chunk: Buffer) => entry.chunks.push(chunk));
      socket.on('close', () => {
        entry.closed = true;
      });
      socket.on('error', () => {});
      raw.connections.push(entry);
      onConnection?.(socket);
    });
    return raw;
  }

  close(): Promise<void> {
    for (const connection of this.connections) connection.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface RawRequestOptions {
  method: string;
  branch: string;
  /** sent-by of the Via; `rport` is asked for unless `rport: false`. */
  viaHost?: string;
  viaPort: number;
  transport?: 'UDP' | 'TCP';
  rport?: boolean;
  callId?: string;
  cseq?: number;
  cseqMethod?: string;
  fromTag?: string;
  to?: string;
  extraHeaders?: string[];
  body?: string;
}

/** SIP request text as a peer would send it, CRLF line ends and a Content-Length. */
export function rawRequest(options: RawRequestOptions): string {
  const body = options.body ?? '';
  const rport = options.rport === false ? '' : ';rport';
  const lines = [
    `${options.method} sip:10101@${LOOPBACK} SIP/2.0`,
    `Via: SIP/2.0/${options.transport ?? 'UDP'} ${options.viaHost ?? LOOPBACK}:${options.viaPort}${rport};branch=${options.branch}`,
    `From: <sip:10102@${LOOPBACK}>;tag=${options.fromTag ?? 'peer-tag'}`,
    `To: ${options.to ?? `<sip:10101@${LOOPBACK}>`}`,
    `Call-ID: ${options.callId ?? 'call-1'}`,
    `CSeq: ${options.cseq ?? 1} ${options.cseqMethod ?? options.method}`,
    'Max-Forwards: 70',
    ...(options.extraHeaders ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return lines.join('\r\n');
}

/** SIP response text answering `request` (Via, From, To, Call-ID, CSeq copied). */
export function rawResponse(request: SipMessage, status: number, reason: string, toTag = 'raw-tag'): string {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const { name, value } of request.headers) {
    const key = name.toLowerCase();
    if (key === 'via' || key === 'from' || key === 'call-id' || key === 'cseq')
      lines.push(`${name}: ${value}`);
    if (key === 'to') lines.push(`${name}: ${value.includes('tag=') ? value : `${value};tag=${toTag}`}`);
  }
  lines.push('Content-Length: 0', '', '');
  return lines.join('\r\n');
}
