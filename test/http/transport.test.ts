import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/protocols/http/client.ts';
import {
  AbortedError,
  BodyTooLargeError,
  QueueFullError,
  TimeoutError,
  UnreachableError,
} from '../../src/protocols/http/errors.ts';
import type { HttpClientOptions } from '../../src/protocols/http/types.ts';
import { DEFAULT_PASSWORD, DEFAULT_USER, type DeviceOptions, startDevice } from './digest-server.ts';
import { closedPort, expectDeviceError, sleep, startSilentServer, waitFor } from './helpers.ts';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

function client(baseUrl: string, options: Partial<HttpClientOptions> = {}): HttpClient {
  const http = new HttpClient({ baseUrl, username: DEFAULT_USER, password: DEFAULT_PASSWORD, ...options });
  cleanups.push(() => http.close());
  return http;
}

async function device(options: DeviceOptions = {}) {
  const server = await startDevice(options);
  cleanups.push(() => server.close());
  return server;
}

/** Writes a chunk every `everyMs` until the client goes away; records when it did. */
function endlessStream(everyMs: number, closed: Array<string | undefined>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'multipart/mixed; boundary=boundary' });
    const timer = setInterval(() => res.write('--boundary\r\n\r\n<heartbeat/>\r\n'), everyMs);
    res.once('close', () => {
      clearInterval(timer);
      closed.push(req.url);
    });
  };
}

/** Reads one chunk without ending the stream (leaving a for-await loop would destroy it). */
async function readFirstChunk(body: Readable): Promise<string> {
  const [chunk] = await once(body, 'data');
  body.pause();
  return String(chunk);
}

describe('per-device concurrency', () => {
  it('keeps at most maxConcurrent requests in flight', async () => {
    const server = await device({ handler: (_req, res) => setTimeout(() => res.end('slow'), 30) });
    const http = client(server.url, { maxConcurrent: 2 });
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => http.request({ path: `/r${i}` })),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(server.stats.maxInFlight).toBe(2);
    expect(server.stats.authenticated).toBe(10);
  });

  it('drops requests beyond the waiting line with QueueFullError', async () => {
    const held: ServerResponse[] = [];
    const server = await device({ auth: 'none', handler: (_req, res) => held.push(res) });
    const http = client(server.url, { maxConcurrent: 1, maxQueued: 2 });
    const accepted = [1, 2, 3].map((i) => http.request({ path: `/q${i}` }));
    const error = await expectDeviceError(http.request({ path: '/q4' }), QueueFullError, 'queue_full');
    expect(error.message).toContain('limit 2');
    for (let served = 0; served < 3; served++) {
      while (held.length === 0) await sleep(5);
      held.shift()!.end('done');
    }
    expect((await Promise.all(accepted)).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(server.stats.maxInFlight).toBe(1);
  });

  it('cancels a queued request when its signal aborts', async () => {
    const held: ServerResponse[] = [];
    const server = await device({ auth: 'none', handler: (_req, res) => held.push(res) });
    const http = client(server.url, { maxConcurrent: 1 });
    const first = http.request({ path: '/first' });
    const controller = new AbortController();
    const queued = http.request({ path: '/queued', signal: controller.signal });
    controller.abort();
    await expectDeviceError(queued, AbortedError, 'aborted');
    while (held.length === 0) await sleep(5);
    held[0]!.end('ok');
    expect((await first).status).toBe(200);
    expect(server.seen.map((r) => r.url)).toEqual(['/first']);
  });
});

describe('timeouts and failures', () => {
  it('times out connecting when the TLS handshake never completes', async () => {
    const silent = await startSilentServer();
    cleanups.push(() => silent.close());
    const http = client(`https://127.0.0.1:${silent.port}`, { connectTimeoutMs: 150 });
    const started = Date.now();
    const error = await expectDeviceError(http.request({ path: '/' }), TimeoutError, 'timeout');
    expect(error.phase).toBe('connect');
    expect(Date.now() - started).toBeLessThan(3000); // undici checks connect timeouts about every 0.5 s
    expect(silent.connections).toBe(1);
  });

  it('times out waiting for the response headers', async () => {
    const silent = await startSilentServer();
    cleanups.push(() => silent.close());
    const http = client(`http://127.0.0.1:${silent.port}`, { requestTimeoutMs: 5000 });
    const error = await expectDeviceError(
      http.request({ path: '/', timeoutMs: 150 }),
      TimeoutError,
      'timeout',
    );
    expect(error.phase).toBe('response');
    expect(error.message).toContain('150 ms');
  });

  it('times out when the body stops arriving', async () => {
    const server = await device({
      auth: 'none',
      handler: (_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('only a part');
      },
    });
    const http = client(server.url, { requestTimeoutMs: 150 });
    const error = await expectDeviceError(http.request({ path: '/' }), TimeoutError, 'timeout');
    expect(error.phase).toBe('body');
  });

  it('stops reading a body beyond maxBodyBytes and drops the connection', async () => {
    let serverSawClose = false;
    const server = await device({
      auth: 'none',
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024)), 2);
        res.once('close', () => {
          clearInterval(timer);
          serverSawClose = true;
        });
      },
    });
    const http = client(server.url, { maxBodyBytes: 64 * 1024 });
    const error = await expectDeviceError(
      http.request({ path: '/picture' }),
      BodyTooLargeError,
      'body_too_large',
    );
    expect(error.message).toContain('65536');
    await waitFor(() => serverSawClose);
  });

  it('rejects an announced oversized body without reading it', async () => {
    const server = await device({
      auth: 'none',
      handler: (_req, res) => {
        res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
        res.write('x');
      },
    });
    const http = client(server.url);
    await expectDeviceError(
      http.request({ path: '/', maxBodyBytes: 1000 }),
      BodyTooLargeError,
      'body_too_large',
    );
  });

  it('reports a closed port as unreachable', async () => {
    const http = client(`http://127.0.0.1:${await closedPort()}`);
    const error = await expectDeviceError(http.request({ path: '/' }), UnreachableError, 'unreachable');
    expect(error.message).toContain('connection refused');
  });

  it('reports a connection closed before the response as unreachable', async () => {
    const server = await device({ auth: 'none', handler: (req) => req.socket.destroy() });
    const http = client(server.url);
    await expectDeviceError(http.request({ path: '/' }), UnreachableError, 'unreachable');
  });

  it('reports an aborted request as AbortedError', async () => {
    const silent = await startSilentServer();
    cleanups.push(() => silent.close());
    const http = client(`http://127.0.0.1:${silent.port}`);
    const controller = new AbortController();
    const pending = http.request({ path: '/', signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expectDeviceError(pending, AbortedError, 'aborted');
  });

  it('joins repeated response headers and lower-cases names', async () => {
    const server = await device({
      auth: 'none',
      handler: (_req, res) => {
        res.setHeader('X-Thing', ['a', 'b']);
        res.setHeader('Set-Cookie', ['c=1', 'd=2']);
        res.end();
      },
    });
    const { headers } = await client(server.url).request({ path: '/' });
    expect(headers['x-thing']).toBe('a, b');
    expect(headers['set-cookie']).toBe('c=1, d=2');
  });
});

describe('streams', () => {
  it('do not hold request slots: 3 streams with maxConcurrent 2 still let requests through', async () => {
    const closed: Array<string | undefined> = [];
    const stream = endlessStream(20, closed);
    const server = await device({
      handler: (req, res) => (req.url?.startsWith('/stream') ? stream(req, res) : res.end('plain')),
    });
    const http = client(server.url, { maxConcurrent: 2, maxStreams: 3 });
    const streams = await Promise.all([1, 2, 3].map((i) => http.stream({ path: `/stream${i}` })));
    for (const s of streams) expect(await readFirstChunk(s.body)).toContain('<heartbeat/>');

    const response = await http.request({ path: '/plain' });
    expect(response.body.toString()).toBe('plain');
    await Promise.all([http.request({ path: '/plain' }), http.request({ path: '/plain' })]);

    await expectDeviceError(http.stream({ path: '/stream4' }), QueueFullError, 'queue_full');
    streams[0]!.close();
    streams[0]!.close();
    await waitFor(() => closed.length > 0);
    expect(closed).toEqual(['/stream1']);
    const fourth = await http.stream({ path: '/stream4' });
    expect(fourth.status).toBe(200);
    fourth.close();
  });

  it('fails an idle stream with TimeoutError phase idle and frees its slot', async () => {
    const server = await device({
      auth: 'none',
      handler: (_req, res) => {
        res.writeHead(200);
        res.write('first');
      },
    });
    const http = client(server.url, { maxStreams: 1 });
    const stream = await http.stream({ path: '/alertStream', idleTimeoutMs: 120 });
    const chunks: string[] = [];
    const failure = new Promise<unknown>((resolve) => {
      stream.body.on('data', (chunk) => chunks.push(String(chunk)));
      stream.body.on('error', resolve);
    });
    const error = await failure;
    expect(chunks).toEqual(['first']);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).phase).toBe('idle');
    const next = await http.stream({ path: '/alertStream' });
    next.close();
  });

  it('times out waiting for stream headers', async () => {
    const silent = await startSilentServer();
    cleanups.push(() => silent.close());
    const http = client(`http://127.0.0.1:${silent.port}`, { auth: 'none' });
    const error = await expectDeviceError(
      http.stream({ path: '/', timeoutMs: 120 }),
      TimeoutError,
      'timeout',
    );
    expect(error.phase).toBe('response');
  });

  it('ends the body when the device ends the stream', async () => {
    const server = await device({ handler: (_req, res) => res.end('short stream') });
    const http = client(server.url, { maxStreams: 1 });
    const stream = await http.stream({ path: '/s' });
    const chunks: Buffer[] = [];
    for await (const chunk of stream.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('short stream');
    // The slot is given back when the body closes, which follows its end.
    if (!stream.body.closed) await once(stream.body, 'close');
    (await http.stream({ path: '/s' })).close();
  });

  it('close() ends open streams and refuses new work', async () => {
    const closed: Array<string | undefined> = [];
    const server = await device({ auth: 'none', handler: endlessStream(10, closed) });
    const http = client(server.url);
    const stream = await http.stream({ path: '/events' });
    const ended = new Promise((resolve) => stream.body.once('close', resolve));
    await http.close();
    await ended;
    await waitFor(() => closed.length > 0);
    expect(closed).toEqual(['/events']);
    await expectDeviceError(http.request({ path: '/' }), AbortedError, 'aborted');
  });
});

describe('connections', () => {
  it('are kept alive and reused: sequential requests share one, parallel ones use maxConcurrent', async () => {
    const server = await device({ handler: (_req, res) => setTimeout(() => res.end('ok'), 10) });
    const http = client(server.url, { maxConcurrent: 2 });
    for (let i = 0; i < 5; i++) expect((await http.request({ path: `/seq${i}` })).status).toBe(200);
    expect(server.stats.connections).toBe(1);
    await Promise.all(Array.from({ length: 10 }, (_, i) => http.request({ path: `/par${i}` })));
    expect(server.stats.connections).toBe(2);
    expect(server.stats.challenges).toBe(1); // the login was answered once and reused after
  });

  it('give a stream its own connection, which its login shares and its close ends', async () => {
    const closed: Array<string | undefined> = [];
    const stream = endlessStream(20, closed);
    const server = await device({
      handler: (req, res) => (req.url === '/stream' ? stream(req, res) : res.end('plain')),
    });
    const http = client(server.url);
    const live = await http.stream({ path: '/stream' });
    expect(await readFirstChunk(live.body)).toContain('<heartbeat/>');
    // The 401 that asked for the login was read to its end, so the login went on the same connection.
    expect(server.seen.map((r) => r.status)).toEqual([401, 200]);
    expect(server.stats.connections).toBe(1);

    expect((await http.request({ path: '/plain' })).body.toString()).toBe('plain');
    expect(server.stats.connections).toBe(2);
    live.close();
    await waitFor(() => closed.length > 0);
    expect(closed).toEqual(['/stream']);
    expect((await http.request({ path: '/plain' })).status).toBe(200);
    expect(server.stats.connections).toBe(2); // the request connection, still open
  });
});
