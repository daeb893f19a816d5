import { createServer, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/protocols/http/client.ts';
import { BadCredentialsError } from '../../src/protocols/http/errors.ts';
import {
  closeServer,
  DEFAULT_PASSWORD,
  DEFAULT_USER,
  DeviceAuthenticator,
  type DeviceOptions,
  listen,
  startDevice,
} from './digest-server.ts';
import { expectDeviceError, sleep, waitFor } from './helpers.ts';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

const AUDIO_PATH = '/ISAPI/System/TwoWayAudio/channels/1/audioData';

interface Upload {
  method: string;
  url: string;
  headers: Record<string, string>;
  bytes: Buffer;
  closed: boolean;
}

/**
 * Speaks just enough HTTP on a raw socket to accept a two-way audio upload the way a camera
 * does: after the request head it answers 200 at once and then keeps reading raw bytes, which a
 * node:http server could not do (it would parse them as the next request).
 */
async function startAudioSink(options: DeviceOptions = {}) {
  const auth = new DeviceAuthenticator(options);
  const uploads: Upload[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    handleConnection(socket, auth, uploads);
  });
  const port = await listen(server);
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return closeServer(server);
  });
  return { url: `http://127.0.0.1:${port}`, auth, uploads };
}

function handleConnection(socket: Socket, auth: DeviceAuthenticator, uploads: Upload[]): void {
  let pending = Buffer.alloc(0);
  let upload: Upload | undefined;
  socket.on('error', () => {});
  socket.on('close', () => {
    if (upload) upload.closed = true;
  });
  socket.on('data', (chunk: Buffer) => {
    if (upload) {
      upload.bytes = Buffer.concat([upload.bytes, chunk]);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    const headEnd = pending.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const request = parseHead(pending.subarray(0, headEnd).toString('latin1'));
    auth.stats.requests++;
    const verdict = auth.check(request.method, request.url, request.headers.authorization);
    if (verdict.kind !== 'ok') {
      const { headers, body } = auth.unauthorized(verdict);
      const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\n${lines.join('')}content-length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    auth.stats.authenticated++;
    upload = { ...request, bytes: pending.subarray(headEnd + 4), closed: false };
    uploads.push(upload);
    socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\nconnection: close\r\n\r\n');
  });
}

function parseHead(head: string) {
  const [requestLine, ...lines] = head.split('\r\n');
  const [method = '', url = ''] = requestLine!.split(' ');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method, url, headers };
}

function client(baseUrl: string, password = DEFAULT_PASSWORD): HttpClient {
  const http = new HttpClient({ baseUrl, username: DEFAULT_USER, password });
  cleanups.push(() => http.close());
  return http;
}

describe('streamed request bodies', () => {
  it('sends two-way audio with Content-Length: 0 and no chunked encoding, authenticated', async () => {
    const sink = await startAudioSink();
    const http = client(sink.url);
    const audio = new PassThrough();
    const response = await http.stream({
      method: 'PUT',
      path: `${AUDIO_PATH}?sessionId=7`,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': '0' },
      body: audio,
    });
    expect(response.status).toBe(200);

    const frames = Array.from({ length: 10 }, (_, i) => Buffer.alloc(160, i));
    for (const frame of frames) audio.write(frame);
    await waitFor(() => (sink.uploads[0]?.bytes.length ?? 0) === 1600);
    audio.end();
    response.close();
    await waitFor(() => sink.uploads[0]!.closed);

    const [upload] = sink.uploads;
    expect(upload!.bytes.equals(Buffer.concat(frames))).toBe(true);
    expect(upload!.headers['content-length']).toBe('0');
    expect(upload!.headers['transfer-encoding']).toBeUndefined();
    expect(upload!.url).toBe(`${AUDIO_PATH}?sessionId=7`);
    // One empty unauthenticated probe for the challenge, then the upload itself.
    expect(sink.auth.stats).toMatchObject({ requests: 2, challenges: 1, failedLogins: 0, authenticated: 1 });
  });

  it('reports bad credentials on a streamed upload after a single credentialed attempt', async () => {
    const sink = await startAudioSink();
    const http = client(sink.url, 'wrong-password');
    const audio = new PassThrough();
    audio.write(Buffer.alloc(160));
    const upload = http.stream({
      method: 'PUT',
      path: AUDIO_PATH,
      headers: { 'content-length': '0' },
      body: audio,
    });
    await expectDeviceError(upload, BadCredentialsError, 'bad_credentials');
    expect(sink.auth.stats.failedLogins).toBe(1);
  });

  it('streams a body of unknown length chunked after fetching the challenge', async () => {
    let encoding: string | undefined;
    const device = await startDevice({
      handler: (req, res, body) => {
        encoding = req.headers['transfer-encoding'];
        res.end(body);
      },
    });
    cleanups.push(() => device.close());
    const http = client(device.url);
    const parts = (async function* () {
      for (let i = 0; i < 5; i++) {
        await sleep(2);
        yield Buffer.from(`part${i};`);
      }
    })();
    const response = await http.stream({ method: 'POST', path: '/ISAPI/upload', body: parts });
    const received: Buffer[] = [];
    for await (const chunk of response.body) received.push(chunk as Buffer);
    expect(Buffer.concat(received).toString()).toBe('part0;part1;part2;part3;part4;');
    expect(encoding).toBe('chunked');
    expect(device.seen.map((r) => [r.method, r.status, r.authorization !== undefined])).toEqual([
      ['POST', 401, false],
      ['POST', 200, true],
    ]);
    expect(device.stats).toMatchObject({ challenges: 1, failedLogins: 0 });
  });
});
