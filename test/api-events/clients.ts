/** Test clients for the event stream: an SSE reader on fetch, a WebSocket, raw upgrades, a reader that stalls. */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'undici';
import type { GatewayEvent } from '../../src/core/events.ts';
import type { EventRecord } from '../../src/core/store/types.ts';

export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/** Reads `text/event-stream` with fetch and parses it as EventSource would. */
export class SseReader {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  status = 0;
  contentType = '';
  ended = false;
  private readonly abort = new AbortController();

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const reader = new SseReader();
    const response = await fetch(url, { headers, signal: reader.abort.signal });
    reader.status = response.status;
    reader.contentType = response.headers.get('content-type') ?? '';
    if (response.body) void reader.pump(response.body);
    return reader;
  }

  events(): GatewayEvent[] {
    return this.messages.filter((each) => each.event === 'event').map((each) => JSON.parse(each.data));
  }

  ids(): string[] {
    return this.events().map((event) => event.id);
  }

  close(): void {
    this.abort.abort();
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          this.parseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by close(), or the server dropped us.
    }
    this.ended = true;
  }

  private parseBlock(block: string): void {
    const message: SseMessage = { id: undefined, event: 'message', data: '' };
    let hasData = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('id: ')) message.id = line.slice(4);
      else if (line.startsWith('event: ')) message.event = line.slice(7);
      else if (line.startsWith('data: ')) {
        message.data += line.slice(6);
        hasData = true;
      }
    }
    if (hasData) this.messages.push(message);
  }
}

export interface WsClient {
  messages: Array<{ type: string; data: Record<string, unknown> }>;
  closed: boolean;
  close(): void;
}

/** Resolves once open; rejects when the handshake fails. */
export function openWebSocket(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const client: WsClient = { messages: [], closed: false, close: () => ws.close() };
    ws.addEventListener('message', (message) => client.messages.push(JSON.parse(String(message.data))));
    ws.addEventListener('open', () => resolve(client));
    ws.addEventListener('error', () => reject(new Error('WebSocket handshake failed')));
    ws.addEventListener('close', () => {
      client.closed = true;
    });
  });
}

/** The status a WebSocket upgrade request gets (101 when it is accepted). */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time: the server closes the socket after a refused upgrade.
    const outgoing = request(url, {
      agent: false,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    outgoing.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve(response.statusCode ?? 0);
    });
    outgoing.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** Sends an upgrade request on a raw socket; resolves with the answer once the server closes the connection. */
export function refusedUpgrade(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

/** Opens an SSE request on a raw socket and never reads the answer. */
export function stalledSseClient(port: number, path: string, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      // Reads stop here: the kernel buffers fill up, then the gateway's outbox does.
      socket.pause();
      resolve(socket);
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

/** What the events module stores for an event (its extra fields in `data`). */
export function recordOf(event: GatewayEvent): EventRecord {
  const { channelNo, targets, region, snapshotRef, attributes, ...rest } = event;
  return { ...rest, data: { channelNo, targets, region, snapshotRef, attributes } };
}

export function makeEvent(index: number, overrides: Partial<GatewayEvent> = {}): GatewayEvent {
  const receivedAt = new Date(Date.UTC(2025, 0, 1, 0, 0, index)).toISOString();
  return {
    id: `evt-${String(index).padStart(6, '0')}`,
    deviceId: 'dev-1',
    channelId: 'ch-1',
    channelNo: 1,
    kind: 'motion',
    state: 'start',
    at: receivedAt.replace('Z', '+00:00'),
    receivedAt,
    targets: [],
    region: null,
    attributes: {},
    snapshotRef: null,
    ...overrides,
  };
}

export async function until<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
