/** A webhook receiver on loopback with scriptable answers, and small helpers for the suites. */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import type { GatewayEvent } from '../../src/core/events.ts';
import { createLogger, type RootLogger } from '../../src/core/logger.ts';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  eventId: string;
  /** What the receiver answered; 0 when it never answered. */
  status: number;
  /** When it arrived (Date.now()), so tests can reason about windows from the arrival itself. */
  at: number;
}

/** A status to answer with, or 'hang' to never answer. */
export type Answer = number | 'hang';

export class Receiver {
  readonly requests: Received[] = [];
  /** Decides each answer; `attempt` counts requests for that event id, from 1. */
  answer: (request: Received, attempt: number) => Answer = () => 204;
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  port = 0;

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.onRequest(request.url ?? '/', request.headers, chunks, response));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Down: connections are refused until start() again (same port). */
  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.hanging.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Event ids answered with 2xx, in the order they arrived. */
  delivered(path?: string): string[] {
    return this.requests
      .filter((each) => each.status >= 200 && each.status < 300 && (!path || each.path === path))
      .map((each) => each.eventId);
  }

  private onRequest(
    path: string,
    headers: IncomingHttpHeaders,
    chunks: Buffer[],
    response: ServerResponse,
  ): void {
    const body = Buffer.concat(chunks).toString('utf8');
    const eventId = String(headers['x-hikbridge-event-id'] ?? '');
    const record: Received = { path, headers, body, eventId, status: 0, at: Date.now() };
    this.requests.push(record);
    const attempt = this.requests.filter((each) => each.eventId === eventId).length;
    const answer = this.answer(record, attempt);
    if (answer === 'hang') {
      this.hanging.add(response);
      return;
    }
    record.status = answer;
    response.writeHead(answer).end();
  }
}

export function gatewayEvent(index: number, overrides: Partial<GatewayEvent> = {}): GatewayEvent {
  const receivedAt = new Date(Date.UTC(2025, 5, 1, 0, 0, 0, index)).toISOString();
  return {
    id: `ev${String(index).padStart(6, '0')}`,
    deviceId: 'dev-1',
    channelId: 'ch-1',
    channelNo: 1,
    kind: 'motion',
    state: 'start',
    at: receivedAt.replace('Z', '+00:00'),
    receivedAt,
    targets: ['human'],
    region: 1,
    attributes: { eventType: 'VMD' },
    snapshotRef: null,
    ...overrides,
  };
}

export function captureLogger(): { logger: RootLogger; logs: () => string } {
  const lines: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
  return { logger: createLogger({ level: 'debug', destination: sink }), logs: () => lines.join('') };
}

/** Polls until `check` returns a truthy value or the time runs out. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
