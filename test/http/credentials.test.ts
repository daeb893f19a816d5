/**
 * Credentials go only where they belong: a device's to the device's origin, an override's own to
 * the override's origin, nothing anywhere else, even when another origin asks for a login with
 * `401 WWW-Authenticate: Basic`. Real parts: a simulated camera with a password, the snapshot
 * fetcher built as the device supervisor builds it, and sink servers that record every header.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { HttpClient } from '../../src/protocols/http/client.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import { SnapshotFetcher } from '../../src/protocols/isapi/snapshot.ts';

const DEVICE = { username: 'admin', password: 'Device-Secret-7' };
const OWN = { username: 'viewer', password: 'Override-Own-3' };
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9]);

interface Sink {
  url: string;
  /** Every request's headers, in arrival order. */
  seen: IncomingHttpHeaders[];
}

const open: Array<{ close(): unknown }> = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

type Answer = (headers: IncomingHttpHeaders) => {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer;
};

async function sink(answer: Answer): Promise<Sink> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.headers);
    const reply = answer(req.headers);
    res.writeHead(reply.status, reply.headers ?? {});
    res.end(reply.body ?? '');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  open.push({
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen };
}

const basicChallenge: Answer = () => ({ status: 401, headers: { 'www-authenticate': 'Basic realm="sink"' } });
const digestChallenge: Answer = () => ({
  status: 401,
  headers: { 'www-authenticate': 'Digest realm="sink", nonce="0123456789abcdef", qop="auth", algorithm=MD5' },
});

/** Answers the picture only to Basic with OWN; asks for a login otherwise. */
const ownLoginOnly: Answer = (headers) =>
  headers.authorization === basic(OWN)
    ? { status: 200, headers: { 'content-type': 'image/jpeg' }, body: JPEG }
    : basicChallenge(headers);

function basic(credentials: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** Fails if any header the sink received holds the device's password in any usual encoding. */
function expectNoDeviceSecret(seen: IncomingHttpHeaders[]): void {
  const text = JSON.stringify(seen);
  const forms = [
    DEVICE.password,
    encodeURIComponent(DEVICE.password),
    Buffer.from(`${DEVICE.username}:${DEVICE.password}`).toString('base64'),
  ];
  for (const form of forms) expect(text).not.toContain(form);
}

/** The value, or the error it failed with: what was sent is checked before how it ended. */
function settled<T>(promise: Promise<T>): Promise<T | unknown> {
  return promise.catch((error: unknown) => error);
}

async function camera(): Promise<SimDevice> {
  const device = await startSimDevice({ profile: 'camera', password: DEVICE.password });
  open.push(device);
  return device;
}

/** The snapshot fetcher as the device supervisor builds it: the device's client and credentials. */
function fetcherFor(device: SimDevice): SnapshotFetcher {
  const client = new IsapiClient({ baseUrl: device.url, ...DEVICE });
  const fetcher = new SnapshotFetcher(client, { cacheMs: 0, credentials: DEVICE });
  open.push(fetcher, client);
  return fetcher;
}

describe('a snapshot override on another origin', () => {
  it('answering 401 Basic never receives the device credentials', async () => {
    const device = await camera();
    const thief = await sink(basicChallenge);
    const fetcher = fetcherFor(device);
    const outcome = await settled(fetcher.get({ streamId: '101', overrideUrl: `${thief.url}/snap.jpg` }));
    expect(thief.seen.length).toBeGreaterThan(0);
    expectNoDeviceSecret(thief.seen);
    expect(thief.seen.map((headers) => headers.authorization)).toEqual(thief.seen.map(() => undefined));
    // Asked for a login it has none for: said so, and no block on the device's own login.
    expect(outcome).toMatchObject({ code: 'auth_unsupported' });
    // The device's own pictures still carry its login.
    expect((await fetcher.get({ streamId: '101' })).source).toBe('isapi');
  });

  it('answering 401 Digest never receives an answer computed from them either', async () => {
    const device = await camera();
    const thief = await sink(digestChallenge);
    const overrideUrl = `${thief.url}/ISAPI/Streaming/channels/101/picture`;
    const outcome = await settled(fetcherFor(device).get({ streamId: '101', overrideUrl }));
    expectNoDeviceSecret(thief.seen);
    expect(thief.seen.map((headers) => headers.authorization)).toEqual(thief.seen.map(() => undefined));
    expect(outcome).toMatchObject({ code: 'auth_unsupported' });
  });

  it('gets its own credentials, given with the override, and only those', async () => {
    const device = await camera();
    const other = await sink(ownLoginOnly);
    const snapshot = await fetcherFor(device).get({
      streamId: '101',
      overrideUrl: `${other.url}/snap.jpg`,
      overrideCredentials: OWN,
    });
    expect(snapshot).toMatchObject({ source: 'override', jpeg: JPEG });
    expect(other.seen.map((headers) => headers.authorization)).toEqual([undefined, basic(OWN)]);
    expectNoDeviceSecret(other.seen);
  });

  it('gets the user info written in its URL, and only for its origin', async () => {
    const device = await camera();
    const other = await sink(ownLoginOnly);
    const url = new URL(`${other.url}/snap.jpg`);
    url.username = OWN.username;
    url.password = OWN.password;
    const snapshot = await fetcherFor(device).get({ streamId: '101', overrideUrl: url.href });
    expect(snapshot.source).toBe('override');
    expect(other.seen.at(-1)?.authorization).toBe(basic(OWN));
    expectNoDeviceSecret(other.seen);
  });

  it('that redirects is not followed, neither to another origin nor with any credentials', async () => {
    const device = await camera();
    const target = await sink(basicChallenge);
    const redirecting = await sink(() => ({ status: 302, headers: { location: `${target.url}/steal` } }));
    const fetcher = fetcherFor(device);
    const request = { streamId: '101', overrideUrl: `${redirecting.url}/snap.jpg`, overrideCredentials: OWN };
    await expect(fetcher.get(request)).rejects.toThrow(/redirect/);
    expect(target.seen).toEqual([]);
    expectNoDeviceSecret(redirecting.seen);
  });

  it('that is refused by the URL policy is a device error naming the setting, not a request', async () => {
    const device = await camera();
    await expect(
      fetcherFor(device).get({ streamId: '101', overrideUrl: 'file:///etc/passwd' }),
    ).rejects.toMatchObject({
      code: 'device_error',
      message: expect.stringContaining('snapshotUrlOverride'),
    });
  });
});

describe('a snapshot override on the device origin', () => {
  it('uses the device login (the credentials belong to that origin)', async () => {
    const device = await camera();
    const before = device.countRequests('/ISAPI/Streaming/channels/102/picture');
    const snapshot = await fetcherFor(device).get({
      streamId: '101',
      overrideUrl: `${device.url}/ISAPI/Streaming/channels/102/picture`,
    });
    expect(snapshot.source).toBe('override');
    expect(device.countRequests('/ISAPI/Streaming/channels/102/picture')).toBe(before + 1);
  });
});

describe('the HTTP client', () => {
  it('sends a client its own credentials only: another origin answering 401 Basic gets none', async () => {
    const deviceOrigin = await sink(ownLoginOnly);
    const otherOrigin = await sink(basicChallenge);
    const withLogin = new HttpClient({ baseUrl: deviceOrigin.url, ...OWN });
    const withoutLogin = new HttpClient({ baseUrl: otherOrigin.url });
    open.push(withLogin, withoutLogin);
    expect((await withLogin.request({ path: '/snap.jpg' })).status).toBe(200);
    await expect(withoutLogin.request({ path: '/snap.jpg' })).rejects.toMatchObject({
      code: 'auth_unsupported',
    });
    expect(otherOrigin.seen.every((headers) => headers.authorization === undefined)).toBe(true);
  });

  it('refuses a path that could name another host, before anything is sent', async () => {
    const deviceOrigin = await sink(ownLoginOnly);
    const otherOrigin = await sink(basicChallenge);
    const http = new HttpClient({ baseUrl: deviceOrigin.url, ...DEVICE });
    open.push(http);
    const host = new URL(otherOrigin.url).host;
    for (const path of [`//${host}/x`, `http://${host}/x`, '/a\r\nHost: evil']) {
      await expect(http.request({ path })).rejects.toThrow(TypeError);
      await expect(http.stream({ path })).rejects.toThrow(TypeError);
    }
    expect(deviceOrigin.seen).toEqual([]);
    expect(otherOrigin.seen).toEqual([]);
  });

  it('does not follow a redirect: the 3xx is the answer', async () => {
    const target = await sink(basicChallenge);
    const redirecting = await sink(() => ({ status: 301, headers: { location: `${target.url}/x` } }));
    const http = new HttpClient({ baseUrl: redirecting.url, ...DEVICE });
    open.push(http);
    const answer = await http.request({ path: '/x' });
    expect(answer.status).toBe(301);
    expect(target.seen).toEqual([]);
  });
});
