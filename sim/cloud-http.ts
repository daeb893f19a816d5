/**
 * HTTP plumbing of the simulated cloud (sim/cloud.ts): loopback listeners that hand parsed JSON
 * bodies to a handler, the cloud's envelope (HTTP 200 even on failure) and plain JSON answers for
 * the control endpoints.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Bodies above this are not API calls; the socket is dropped rather than buffered. */
const MAX_BODY_BYTES = 1024 * 1024;

/** `arrivedAt`: when the request's head arrived (the clock given to listen), before its body was read. */
export type CloudHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Record<string, unknown>,
  arrivedAt: number,
) => void;

export interface Listener {
  url: string;
  close(): Promise<void>;
}

/** The cloud's envelope: `{errorCode, message, data?}`, always HTTP 200 like the real API. */
export function replyEnvelope(res: ServerResponse, errorCode: string, data?: unknown): void {
  const message = errorCode === '0' ? 'success' : `simulated error ${errorCode}`;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errorCode, message, ...(data === undefined ? {} : { data }) }));
}

export function replyJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * A server on 127.0.0.1 (free port) that reads each JSON body before calling `handler`; a body
 * that is not a JSON object is answered like the cloud answers a bad parameter.
 */
export async function listen(handler: CloudHandler, now: () => number = Date.now): Promise<Listener> {
  const server: Server = createServer((req, res) => {
    // Calls are timed when they arrive: reading the body can wait behind other work.
    const arrivedAt = now();
    readBody(req).then(
      (text) => {
        const body = parseObject(text);
        if (!body) return replyEnvelope(res, 'OPEN000010');
        handler(req, res, body, arrivedAt);
      },
      () => req.socket.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return reject(new Error('body too large'));
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text || '{}');
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
