/** A real gateway on a loopback port with its own data dir, and a small API client for tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { type Gateway, startGateway } from '../../src/app.ts';
import { SecretScan } from '../support/secret-scan.ts';

export const ADMIN_PASSWORD = 'Admin-Pass-42!';

export interface TestGateway {
  gateway: Gateway;
  url: string;
  dataDir: string;
  token: string;
  /** Every log line written so far. */
  logs(): string;
  /**
   * Run when the gateway stops: passwords sent in request bodies (and the admin password) must
   * not show in any log line, API answer, metrics or settings page. Suites add what they see.
   */
  scan: SecretScan;
  api(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null; raw?: string },
  ): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  json: any;
}

export interface TestGatewayOptions {
  dataDir?: string;
  databaseUrl?: string;
  overrides?: Record<string, unknown>;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hikbridge-gw-'));
  const captured: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => captured.push(chunk.toString('utf8')));
  const gateway = await startGateway({
    env: {},
    logDestination: sink,
    overrides: {
      dataDir,
      server: { host: '127.0.0.1', port: 0 },
      auth: { adminPassword: ADMIN_PASSWORD },
      log: { level: 'debug' },
      devices: {
        requestTimeoutMs: 3000,
        supervisor: { checkIntervalSeconds: 1, minBackoffSeconds: 1, maxBackoffSeconds: 2 },
      },
      // Live video has its own suites; elsewhere MediaMTX would only take ports and time.
      media: { enabled: false },
      ...(options.databaseUrl ? { database: { url: options.databaseUrl } } : {}),
      ...options.overrides,
    },
  });
  const url = `http://127.0.0.1:${gateway.address.port}`;
  const scan = new SecretScan();
  scan.addSecret(ADMIN_PASSWORD, 'admin');
  scan.addSource('log', () => captured.join(''));

  async function api(
    method: string,
    path: string,
    opts: { body?: unknown; token?: string | null; raw?: string } = {},
  ): Promise<ApiAnswer> {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? harness.token : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) scan.addSecretsFromBody(body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(20_000),
    });
    const isImage = (response.headers.get('content-type') ?? '').startsWith('image/');
    const text = isImage ? '' : await response.text();
    if (isImage) await response.arrayBuffer();
    scan.record(`${method} ${path.split('?')[0]}`, text);
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  const harness: TestGateway = {
    gateway,
    url,
    dataDir,
    token: '',
    logs: () => captured.join(''),
    api,
    scan,
    stop: async () => {
      await readGatewayPages(harness);
      await gateway.stop();
      await scan.assertClean();
    },
  };
  const login = await api('POST', '/api/v1/auth/login', {
    body: { username: 'admin', password: ADMIN_PASSWORD },
    token: null,
  });
  if (login.status !== 200) throw new Error(`test login failed: ${login.status} ${login.text}`);
  harness.token = login.json.token;
  return harness;
}

/** What a gateway shows to anyone who asks at the end of a suite: metrics, settings, MediaMTX's API. */
async function readGatewayPages(harness: TestGateway): Promise<void> {
  for (const path of ['/metrics', '/api/v1/settings', '/health']) {
    const answer = await harness.api('GET', path).catch(() => undefined);
    if (answer) harness.scan.record(`GET ${path}`, answer.text);
  }
  const media = harness.gateway.config.media;
  if (!media.enabled || media.mode !== 'supervised') return;
  // A local process without credentials: whatever it can read of the paths must hold no secret.
  const paths = await fetch(`http://127.0.0.1:${media.apiPort}/v3/config/paths/list`, {
    signal: AbortSignal.timeout(5000),
  }).catch(() => undefined);
  if (paths) harness.scan.record('MediaMTX API without credentials', await paths.text());
}

/** Polls until `check` returns a truthy value or the time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
