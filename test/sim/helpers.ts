/**
 * Test helpers for the simulator: a minimal Digest client (independent of src/, which is written
 * in parallel), raw socket access for streams, and device cleanup.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Agent, fetch, type Response } from 'undici';
import { afterEach } from 'vitest';
import { type SimDevice, type SimDeviceOptions, startSimDevice } from '../../sim/index.ts';

export const PASSWORD = 'Hik12345!';

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** Devices and agents started by a test are closed after it. */
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((fn) => fn()));
});

export function onCleanup(fn: () => Promise<unknown>): void {
  cleanups.push(fn);
}

export async function sim(
  options: Partial<SimDeviceOptions> & Pick<SimDeviceOptions, 'profile'>,
): Promise<SimDevice> {
  // 0 ms pictures on purpose: these tests check what the device answers, not how long a snapshot
  // takes (the realistic default, 438 ms, is tested in picture.test.ts).
  const device = await startSimDevice({ heartbeatMs: 0, snapshotDelayMs: 0, ...options });
  onCleanup(() => device.close());
  return device;
}

export function parseChallenge(header: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const match of header.matchAll(/(\w+)="?([^",]*)"?/g)) params[match[1]!.toLowerCase()] = match[2]!;
  return params;
}

export interface RequestInit {
  method?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

/** Fetch with HTTP Digest (MD5, qop=auth): challenge once, then count nc on that nonce. */
export class DigestClient {
  private challenge: Record<string, string> | undefined;
  private nc = 0;
  readonly dispatcher: Agent;

  constructor(
    readonly baseUrl: string,
    readonly username = 'admin',
    public password = PASSWORD,
    connect?: ConstructorParameters<typeof Agent>[0],
  ) {
    this.dispatcher = new Agent(connect ?? {});
    onCleanup(() => this.dispatcher.close());
  }

  /** Authorization header value for the next request (the client must have a challenge). */
  authorization(method: string, uri: string): string {
    const challenge = this.challenge;
    if (!challenge) throw new Error('no challenge yet: call prime() or request() first');
    this.nc += 1;
    const nc = this.nc.toString(16).padStart(8, '0');
    const cnonce = randomBytes(8).toString('hex');
    const ha1 = md5(`${this.username}:${challenge.realm}:${this.password}`);
    const ha2 = md5(`${method}:${uri}`);
    const response = md5(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`);
    return (
      `Digest username="${this.username}", realm="${challenge.realm}", nonce="${challenge.nonce}", ` +
      `uri="${uri}", qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}", algorithm=MD5`
    );
  }

  /** Gets a challenge without sending credentials (does not count as a failed login). */
  async prime(): Promise<void> {
    const res = await this.raw('/ISAPI/System/deviceInfo');
    await res.arrayBuffer();
    this.learn(res);
  }

  /** A request without credentials. */
  raw(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: init.headers,
      body: init.body,
      dispatcher: this.dispatcher,
    });
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    if (!this.challenge) await this.prime();
    const method = init.method ?? 'GET';
    let res = await this.raw(path, {
      ...init,
      headers: { ...init.headers, Authorization: this.authorization(method, path) },
    });
    const stale = res.status === 401 && /stale="?true/i.test(res.headers.get('www-authenticate') ?? '');
    if (stale) {
      await res.arrayBuffer();
      this.learn(res);
      res = await this.raw(path, {
        ...init,
        headers: { ...init.headers, Authorization: this.authorization(method, path) },
      });
    }
    return res;
  }

  async text(path: string, init: RequestInit = {}): Promise<{ status: number; body: string; res: Response }> {
    const res = await this.request(path, init);
    return { status: res.status, body: await res.text(), res };
  }

  learn(res: Response): void {
    const header = res.headers.get('www-authenticate');
    if (!header) throw new Error(`no WWW-Authenticate on ${res.status}`);
    this.challenge = parseChallenge(header);
    this.nc = 0;
  }
}

export function client(device: SimDevice, password = PASSWORD): DigestClient {
  return new DigestClient(device.url, 'admin', password);
}

/** Text of the first element with that local name. */
export function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`).exec(xml)?.[1];
}

/** A raw socket to the device, for streams and uploads. */
export function rawSocket(device: SimDevice): Promise<Socket> {
  const url = new URL(device.url);
  return new Promise((resolve, reject) => {
    const socket =
      url.protocol === 'https:'
        ? tlsConnect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false }, () =>
            resolve(socket),
          )
        : netConnect({ host: url.hostname, port: Number(url.port) }, () => resolve(socket));
    socket.setNoDelay(true); // small writes (audio frames) must not wait for delayed ACKs
    socket.once('error', reject);
    onCleanup(async () => socket.destroy());
  });
}

/** Collects everything a socket receives. */
export class Collector {
  data: Buffer = Buffer.alloc(0);
  ended = false;
  private waiters: Array<() => void> = [];

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.notify();
    });
    socket.on('close', () => {
      this.ended = true;
      this.notify();
    });
  }

  get text(): string {
    return this.data.toString('latin1');
  }

  /** Resolves once the predicate holds on the received text; rejects after timeoutMs. */
  until(predicate: (text: string) => boolean, timeoutMs = 2000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (predicate(this.text)) {
          clearTimeout(timer);
          resolve(this.text);
          return true;
        }
        if (this.ended) {
          clearTimeout(timer);
          reject(new Error(`connection closed before condition; got: ${this.text.slice(0, 500)}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timeout; got: ${this.text.slice(0, 800)}`));
      }, timeoutMs);
      const waiter = (): void => {
        if (check()) this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      if (!check()) this.waiters.push(waiter);
    });
  }

  waitClosed(timeoutMs = 2000): Promise<void> {
    return this.until(() => this.ended, timeoutMs).then(
      () => undefined,
      (error: Error) => {
        if (this.ended) return;
        throw error;
      },
    );
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Opens an authenticated raw GET (e.g. the alertStream) and collects its bytes. */
export async function openRaw(device: SimDevice, path: string, digest = client(device)): Promise<Collector> {
  await digest.prime();
  const socket = await rawSocket(device);
  const collector = new Collector(socket);
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: sim\r\nAuthorization: ${digest.authorization('GET', path)}\r\n\r\n`,
  );
  return collector;
}

export interface StreamPart {
  headers: Record<string, string>;
  body: Buffer;
}

/** Splits a multipart alertStream body (after the HTTP head) on a boundary, by Content-Length. */
export function parseParts(raw: Buffer, boundary: string): StreamPart[] {
  const parts: StreamPart[] = [];
  const marker = Buffer.from(`--${boundary}\r\n`);
  let at = raw.indexOf(marker);
  while (at >= 0) {
    const headEnd = raw.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const headers: Record<string, string> = {};
    for (const line of raw
      .subarray(at + marker.length, headEnd)
      .toString('latin1')
      .split('\r\n')) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const start = headEnd + 4;
    const length = headers['content-length'] ? Number(headers['content-length']) : undefined;
    const next = raw.indexOf(marker, start);
    const end = length !== undefined ? start + length : next < 0 ? raw.length : next - 2;
    if (end > raw.length) break; // incomplete part
    parts.push({ headers, body: raw.subarray(start, end) });
    at = raw.indexOf(marker, end);
  }
  return parts;
}

/** The bytes after the HTTP response head. */
export function bodyOf(raw: Buffer): Buffer {
  const end = raw.indexOf('\r\n\r\n');
  return end < 0 ? Buffer.alloc(0) : raw.subarray(end + 4);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
