/**
 * Stopping an alertStream connection while the device is still answering the request: the
 * stream must not be left open (it would live until the idle timeout, holding shutdown up).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.ts';
import { AlertConnection } from '../../src/modules/events/alert-connection.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A device that answers the alertStream after `delayMs`, then keeps it open without a byte. */
async function slowDevice(
  delayMs: number,
): Promise<{ url: string; open: () => number; requests: () => number }> {
  const responses = new Set<ServerResponse>();
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests++;
    setTimeout(() => {
      if (!res.socket || res.socket.destroyed) return; // the client gave up before the answer
      res.writeHead(200, { 'content-type': 'multipart/mixed; boundary=boundary' });
      res.flushHeaders();
      responses.add(res);
      res.once('close', () => responses.delete(res));
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, open: () => responses.size, requests: () => requests };
}

it('stop() while the stream is being opened ends it at once, not at the idle timeout', async () => {
  const device = await slowDevice(300);
  const client = new IsapiClient({ baseUrl: device.url, auth: 'none' });
  cleanups.push(() => client.http.close());
  const connected: Array<number | null> = [];
  const connection = new AlertConnection(
    client,
    { idleTimeoutMs: 30_000, minBackoffMs: 1000, maxBackoffMs: 1000, healthyAfterMs: 60_000 },
    {
      onAlert: () => undefined,
      onImage: () => undefined,
      onConnected: (gap) => connected.push(gap),
      onDisconnected: () => undefined,
    },
    createLogger({ level: 'warn', destination: new PassThrough().resume() }),
  );
  connection.start();
  await new Promise((resolve) => setTimeout(resolve, 100)); // the request is out, no answer yet
  expect(device.requests()).toBe(1);
  const started = Date.now();
  await connection.stop();
  expect(Date.now() - started).toBeLessThan(2000);
  await new Promise((resolve) => setTimeout(resolve, 400)); // past the device's answer
  expect(device.open()).toBe(0);
  expect(connected).toEqual([]);
});
