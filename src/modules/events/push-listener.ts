/**
 * Push mode: some firmware cannot hold an alertStream and POSTs each event to the "HTTP
 * listening" host configured on the device (`Event/notification/httpHosts`) instead. This
 * listener takes those posts (XML, JSON, or multipart with XML + JPEG) on its own port. The
 * device is named in the path (`/events/<deviceId>`), or recognised by its address. Some
 * doorbells post a binary private format there: it is refused with a log line that says so.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/logger.ts';
import {
  type AlertImage,
  AlertStreamParser,
  boundaryFromContentType,
  decodeAlertBody,
  type RawAlert,
} from '../../protocols/isapi/alert-stream/index.ts';

export interface PushTarget {
  /** The device a post belongs to, from the path id or the sender's address. */
  resolve(pathId: string | undefined, remoteAddress: string): string | undefined;
  onAlert(deviceId: string, alert: RawAlert): void;
  onImage(deviceId: string, image: AlertImage, previous: RawAlert | null): void;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;

export class PushListener {
  private server: Server | undefined;

  constructor(
    private readonly target: PushTarget,
    private readonly logger: Logger,
  ) {}

  async start(host: string, port: number): Promise<AddressInfo> {
    const server = createServer((request, response) => void this.handle(request, response));
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = REQUEST_TIMEOUT_MS;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server.address() as AddressInfo;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const remote = request.socket.remoteAddress ?? '?';
    const pathId = /^\/events\/([\w-]{1,64})\/?$/.exec(request.url?.split('?')[0] ?? '')?.[1];
    const deviceId = this.target.resolve(pathId, remote);
    if (request.method !== 'POST' && request.method !== 'PUT')
      return this.answer(response, 405, 'POST events here');
    if (!deviceId) {
      this.logger.warn(
        { remote, path: request.url?.split('?')[0] },
        'event post from an unknown device refused',
      );
      return this.answer(response, 403, 'unknown device: post to /events/<deviceId>');
    }
    const contentType = request.headers['content-type'] ?? '';
    const body = await readBody(request);
    if (!body) return this.answer(response, 413, 'body too large');
    if (isBinaryPrivateFormat(contentType, body)) {
      this.logger.warn(
        { deviceId, remote, contentType: contentType || 'none', bytes: body.length },
        'refused a binary (private-format) event post: set the device to send ISAPI XML to the HTTP listening host',
      );
      return this.answer(response, 415, 'send ISAPI XML or JSON events');
    }
    const delivered = this.deliver(deviceId, contentType, body);
    this.answer(response, delivered > 0 ? 200 : 400, delivered > 0 ? 'OK' : 'no event found in the body');
  }

  /** Hands the alerts (and pictures) in one post to the events module; returns how many alerts. */
  private deliver(deviceId: string, contentType: string, body: Buffer): number {
    if (!contentType.toLowerCase().startsWith('multipart/')) {
      const alert = decodeAlertBody(body, contentType);
      if (alert) this.target.onAlert(deviceId, alert);
      return alert ? 1 : 0;
    }
    let alerts = 0;
    const parser = new AlertStreamParser({
      ...(boundaryFromContentType(contentType) ? { boundary: boundaryFromContentType(contentType)! } : {}),
      onAlert: (alert) => {
        alerts++;
        this.target.onAlert(deviceId, alert);
      },
      onImage: (image, previous) => this.target.onImage(deviceId, image, previous),
    });
    parser.push(body);
    parser.end();
    return alerts;
  }

  private answer(response: ServerResponse, status: number, text: string): void {
    response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    response.end(`${text}\n`);
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      request.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** XML, JSON and multipart are understood; anything that is neither text nor multipart is not. */
function isBinaryPrivateFormat(contentType: string, body: Buffer): boolean {
  const type = contentType.toLowerCase();
  if (type.startsWith('multipart/') || type.includes('xml') || type.includes('json')) return false;
  const start = body.subarray(0, 64).toString('latin1').trimStart();
  return !(start.startsWith('<') || start.startsWith('{'));
}
