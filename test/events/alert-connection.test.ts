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
async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function slowDevice(
  delayMs: number,
): Promise<{ url: string; open: () => number; requests: () => number; answerTimes: () => number }> {
  const responses = new Set<ServerResponse>();
  let requests = 0;
  let answerTimes = 0;
  const server: Server = createServer((_req, res) => {
    requests++;
    setTimeout(() => {
      answerTimes++;
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
  return {
    url: `http://127.0.0.1:${port}`,
    open: () => responses.size,
    requests: () => requests,
    /** How many answers came due (sent, or not because the client had gone). */
    answerTimes: () => answerTimes,
  };
}

it('stop() while the stream is being opened ends it at once, not at the idle timeout', async () => {
  // Answers after 3 s: long enough that stop() surely comes first, even on a loaded machine.
  const device = await slowDevice(3000);
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
  await waitUntil(() => device.requests() === 1); // the request is out, no answer yet
  expect(device.answerTimes()).toBe(0);
  const started = Date.now();
  await connection.stop();
  // Far from the 30 s idle timeout, with room for a loaded machine.
  expect(Date.now() - started).toBeLessThan(10_000);
  await waitUntil(() => device.answerTimes() === 1, 10_000); // the device's answer came due...
  expect(device.open()).toBe(0); // ...and found no one to answer
  expect(connected).toEqual([]);
});
