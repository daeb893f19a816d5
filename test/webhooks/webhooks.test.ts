/**
 * The webhooks module against real HTTP receivers on loopback and a real store: signatures,
 * filters, in-order retries, receivers that are down or slow, restarts with pending rows,
 * bounds, and two gateways sharing one PostgreSQL queue.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import { loadConfig } from '../../src/core/config/index.ts';
import { createStore, type Store } from '../../src/core/store/index.ts';
import { backoffMs } from '../../src/modules/webhooks/backoff.ts';
import { WebhooksModule, type WebhooksSettings } from '../../src/modules/webhooks/index.ts';
import { stopPostgresServer, withPostgresDatabase } from '../support/postgres.ts';
import { settingsOf, webhookSubscriptions } from '../support/settings.ts';
import { captureLogger, gatewayEvent, Receiver, sleep, waitFor } from './helpers.ts';

const SECRET = 'whsec-0123456789abcdef';
const secretKey = randomBytes(32);
const dir = mkdtempSync(join(tmpdir(), 'hikbridge-webhooks-'));
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await stopPostgresServer();
  rmSync(dir, { recursive: true, force: true });
});

/** Fast retries so that outages of a few hundred milliseconds are enough. */
const FAST = { minBackoffMs: 50, maxBackoffMs: 200, pollIntervalMs: 100 };

async function openStore(url = join(dir, `${randomBytes(6).toString('hex')}.db`)): Promise<Store> {
  const store = await createStore({ url, secretKey });
  cleanups.push(() => store.close());
  return store;
}

async function receiver(): Promise<Receiver> {
  const server = new Receiver();
  await server.start();
  cleanups.push(() => server.stop());
  return server;
}

interface Gateway {
  bus: Bus;
  module: WebhooksModule;
  logs: () => string;
}

async function startWebhooks(
  store: Store,
  subscriptions: Record<string, Record<string, unknown>>,
  extra: Partial<WebhooksSettings> = {},
): Promise<Gateway> {
  const { logger, logs } = captureLogger();
  const bus = new Bus();
  const module = new WebhooksModule({
    store,
    bus,
    logger,
    settings: {
      ...settingsOf('webhooks'),
      subscriptions: webhookSubscriptions(subscriptions),
      ...FAST,
      ...extra,
    },
  });
  await module.start();
  cleanups.push(() => module.stop());
  return { bus, module, logs };
}

function emit(bus: Bus, from: number, count: number, overrides = {}): string[] {
  const ids: string[] = [];
  for (let index = from; index < from + count; index += 1) {
    const event = gatewayEvent(index, overrides);
    bus.emit('event', event);
    ids.push(event.id);
  }
  return ids;
}

function sign(timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`;
}

describe('delivery', () => {
  it('user:password in the URL go to that URL as Basic auth, and never show in the log', async () => {
    const store = await openStore();
    const server = await receiver();
    const withLogin = server.url().replace('http://', 'http://crm:Hook-Login-77@');
    const { bus, logs } = await startWebhooks(store, { crm: { url: withLogin, secret: SECRET } });
    bus.emit('event', gatewayEvent(1));
    await waitFor(() => server.delivered().length === 1);
    expect(server.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('crm:Hook-Login-77').toString('base64')}`,
    );
    expect(logs()).not.toContain('Hook-Login-77');
  });

  it('refuses a URL with spaces or control characters when the configuration is read', () => {
    const problem = () =>
      loadConfig({
        env: {},
        overrides: {
          webhooks: { subscriptions: { crm: { url: 'http://example.com/a b', secret: SECRET } } },
        },
      });
    expect(problem).toThrow(/webhooks\.subscriptions\.crm\.url: .*spaces or control characters/);
  });

  it('POSTs the event as signed JSON with the documented headers', async () => {
    const store = await openStore();
    const server = await receiver();
    const { bus } = await startWebhooks(store, { crm: { url: server.url(), secret: SECRET } });
    const event = gatewayEvent(1, { kind: 'doorbell-ring', state: 'pulse' });
    bus.emit('event', event);
    await waitFor(() => server.delivered().length === 1);

    const [request] = server.requests;
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['x-hikbridge-event-id']).toBe(event.id);
    const timestamp = String(request!.headers['x-hikbridge-timestamp']);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(10);
    expect(request!.headers['x-hikbridge-signature']).toBe(sign(timestamp, request!.body));
    expect(request!.headers['x-hikbridge-signature']).not.toBe(sign(timestamp, `${request!.body} `));
    expect(JSON.parse(request!.body)).toEqual({ id: event.id, type: 'event', data: event });
    await waitFor(async () => (await store.webhooks.counts()).length === 0, 2000, 'queue emptied');
  });

  it('sends each subscription only the events its filter selects', async () => {
    const store = await openStore();
    const server = await receiver();
    const { bus } = await startWebhooks(store, {
      all: { url: server.url('/all'), secret: SECRET },
      rings: { url: server.url('/rings'), secret: SECRET, events: { kinds: ['doorbell-ring'] } },
      yard: {
        url: server.url('/yard'),
        secret: SECRET,
        events: { deviceIds: ['dev-2'], channelIds: ['ch-9'], states: ['start', 'pulse'] },
      },
    });
    bus.emit('event', gatewayEvent(1));
    bus.emit('event', gatewayEvent(2, { kind: 'doorbell-ring', state: 'pulse' }));
    bus.emit('event', gatewayEvent(3, { deviceId: 'dev-2', channelId: 'ch-9' }));
    bus.emit('event', gatewayEvent(4, { deviceId: 'dev-2', channelId: 'ch-9', state: 'end' }));
    bus.emit('event', gatewayEvent(5, { deviceId: 'dev-2', channelId: null }));
    // A marker every filter selects: each subscription delivers in order, so once it is in,
    // anything a filter wrongly let through would be in before it.
    bus.emit(
      'event',
      gatewayEvent(6, { kind: 'doorbell-ring', state: 'pulse', deviceId: 'dev-2', channelId: 'ch-9' }),
    );
    await waitFor(() =>
      ['/all', '/rings', '/yard'].every((path) => server.delivered(path).includes('ev000006')),
    );
    expect(server.delivered('/all')).toHaveLength(6);
    expect(server.delivered('/rings')).toEqual(['ev000002', 'ev000006']);
    expect(server.delivered('/yard')).toEqual(['ev000003', 'ev000006']);
  });

  it('retries failures in order: a failed event holds back the later ones of its subscription only', async () => {
    const store = await openStore();
    const flaky = await receiver();
    const steady = await receiver();
    // Every third event fails twice (500, then 429) before it is accepted.
    flaky.answer = (request, attempt) => {
      const index = Number(request.eventId.slice(2));
      if (index % 3 === 0 && attempt === 1) return 500;
      if (index % 3 === 0 && attempt === 2) return 429;
      return 200;
    };
    const { bus, logs } = await startWebhooks(store, {
      flaky: { url: flaky.url(), secret: SECRET },
      steady: { url: steady.url(), secret: SECRET },
    });
    const ids = emit(bus, 1, 12);
    await waitFor(() => steady.delivered().length === 12, 5000, 'steady receiver');
    // The steady subscription does not wait for the flaky one's retries.
    expect(flaky.delivered().length).toBeLessThan(12);
    await waitFor(() => flaky.delivered().length === 12, 8000, 'flaky receiver');
    expect(flaky.delivered()).toEqual(ids);
    expect(steady.delivered()).toEqual(ids);
    expect(flaky.requests.filter((each) => each.status >= 400)).toHaveLength(8);
    expect(logs()).toContain('webhook delivery failed; retrying');
  });

  it('a receiver that is down for a while gets every event afterwards, in order', async () => {
    const store = await openStore();
    const server = await receiver();
    const { bus, logs } = await startWebhooks(store, { crm: { url: server.url(), secret: SECRET } });
    const before = emit(bus, 1, 3);
    await waitFor(() => server.delivered().length === 3);
    await server.stop();
    const during = emit(bus, 4, 10);
    // Kept while deliveries fail: judged once an attempt has failed, not after a guessed time.
    await waitFor(() => /ECONNREFUSED/.test(logs()), 5000, 'a failed attempt');
    await waitFor(async () => (await store.webhooks.list('crm')).length === 10, 5000, 'all ten queued');
    await server.start();
    await waitFor(() => server.delivered().length === 13, 5000, 'delivery after the outage');
    expect(server.delivered()).toEqual([...before, ...during]);
    expect(logs()).toMatch(/ECONNREFUSED/);
    expect(logs()).toContain('webhook receiver is answering again');
  });

  it('an attempt that takes longer than timeoutMs is retried', async () => {
    const store = await openStore();
    const server = await receiver();
    // Only the very first request hangs.
    server.answer = (request) => (request === server.requests[0] ? 'hang' : 204);
    const { bus, logs } = await startWebhooks(store, {
      crm: { url: server.url(), secret: SECRET, timeoutMs: 300 },
    });
    const started = Date.now();
    const ids = emit(bus, 1, 2);
    await waitFor(() => server.delivered().length === 2, 5000, 'delivery after the timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(server.delivered()).toEqual(ids);
    expect(server.requests.map((each) => each.eventId)).toEqual([ids[0], ids[0], ids[1]]);
    expect(logs()).toMatch(/"error":"timeout"/);
  });

  it('gives up after maxAttempts with a log line, then carries on with the next event', async () => {
    const store = await openStore();
    const server = await receiver();
    server.answer = (request) => (request.eventId === 'ev000001' ? 500 : 204);
    const { bus, logs } = await startWebhooks(store, {
      crm: { url: server.url(), secret: SECRET, maxAttempts: 3 },
    });
    emit(bus, 1, 2);
    await waitFor(() => server.delivered().length === 1, 5000, 'the second event');
    expect(server.delivered()).toEqual(['ev000002']);
    expect(server.requests.filter((each) => each.eventId === 'ev000001')).toHaveLength(3);
    expect(logs()).toContain('webhook delivery given up after the last attempt');
  });

  it('never logs the secret or the query of the URL', async () => {
    const store = await openStore();
    const server = await receiver();
    server.answer = (_request, attempt) => (attempt === 1 ? 503 : 204);
    const { bus, logs } = await startWebhooks(store, {
      crm: { url: server.url('/hook?token=tok-SENSITIVE-123'), secret: SECRET },
    });
    emit(bus, 1, 1);
    await waitFor(() => server.delivered().length === 1);
    expect(server.requests[0]!.path).toBe('/hook?token=tok-SENSITIVE-123');
    await waitFor(() => logs().includes('webhook delivered'), 2000, 'the delivered log line');
    expect(logs()).toContain(`"target":"http://127.0.0.1:${server.port}/hook"`);
    expect(logs()).not.toContain('tok-SENSITIVE-123');
    expect(logs()).not.toContain(SECRET);
  });
});

describe('configuration', () => {
  it('the `webhooks` config section is the module settings (subscriptions as JSON in the environment)', async () => {
    const store = await openStore();
    const server = await receiver();
    const subscriptions = { crm: { url: server.url('/crm'), secret: SECRET, events: { kinds: ['tamper'] } } };
    const config = loadConfig({ env: { HIKBRIDGE_WEBHOOKS_SUBSCRIPTIONS: JSON.stringify(subscriptions) } });
    const { logger } = captureLogger();
    const bus = new Bus();
    const module = new WebhooksModule({ store, bus, logger, settings: { ...config.webhooks, ...FAST } });
    await module.start();
    cleanups.push(() => module.stop());
    bus.emit('event', gatewayEvent(1));
    bus.emit('event', gatewayEvent(2, { kind: 'tamper' }));
    await waitFor(() => server.delivered('/crm').length === 1);
    expect(server.delivered('/crm')).toEqual(['ev000002']);
    expect(config.webhooks.subscriptions.crm).toMatchObject({ timeoutMs: 5000, maxAgeHours: 24 });
  });

  it('refuses bad subscriptions without showing their secrets', () => {
    const bad = { 'Not A Slug': { url: 'ftp://x', secret: 'short-Secret' } };
    const problem = () => loadConfig({ env: {}, overrides: { webhooks: { subscriptions: bad } } });
    expect(problem).toThrow(/must be a slug/);
    expect(problem).toThrow(/http:\/\/ or https:\/\//);
    expect(problem).toThrow(/secret: expected a string of at least 16 characters/);
    expect(problem).not.toThrow(/short-Secret/);
  });
});

describe('the persistent queue', () => {
  it('rows pending at shutdown are delivered, in order, after a restart', async () => {
    const url = join(dir, 'restart.db');
    const server = await receiver();
    await server.stop();
    const first = await createStore({ url, secretKey });
    const subscriptions = { crm: { url: server.url(), secret: SECRET } };
    const { logger } = captureLogger();
    const bus = new Bus();
    const module = new WebhooksModule({
      store: first,
      bus,
      logger,
      settings: { ...settingsOf('webhooks'), subscriptions: webhookSubscriptions(subscriptions), ...FAST },
    });
    await module.start();
    const ids = emit(bus, 1, 5);
    await sleep(200);
    // Announced right before stopping: still queued by stop().
    ids.push(...emit(bus, 6, 2));
    await module.stop();
    await first.close();

    await server.start();
    const second = await openStore(url);
    expect((await second.webhooks.list('crm')).map((entry) => entry.eventId)).toEqual(ids);
    await startWebhooks(second, subscriptions);
    await waitFor(() => server.delivered().length === 7, 5000, 'delivery after the restart');
    expect(server.delivered()).toEqual(ids);
  });

  it('drops entries older than maxAgeHours with a log line and delivers the rest', async () => {
    const store = await openStore();
    const server = await receiver();
    const body = (id: string) => JSON.stringify({ id, type: 'event', data: gatewayEvent(0, { id }) });
    const old = new Date(Date.now() - 3 * 3600_000).toISOString();
    await store.webhooks.enqueue(
      ['old-1', 'old-2'].map((eventId) => ({ subscriptionId: 'crm', eventId, body: body(eventId) })),
      old,
    );
    await store.webhooks.enqueue(
      [{ subscriptionId: 'crm', eventId: 'fresh', body: body('fresh') }],
      new Date().toISOString(),
    );
    const { logs } = await startWebhooks(store, {
      crm: { url: server.url(), secret: SECRET, maxAgeHours: 2 },
    });
    await waitFor(() => server.delivered().length === 1, 5000, 'the fresh entry');
    expect(server.requests.map((each) => each.eventId)).toEqual(['fresh']);
    expect(logs()).toMatch(/"dropped":2.*dropped webhook deliveries older than maxAgeHours/);
  });

  it('keeps at most maxQueuedPerSubscription rows, dropping the oldest with a warning', async () => {
    const store = await openStore();
    const server = await receiver();
    await server.stop();
    const { bus, logs } = await startWebhooks(
      store,
      { crm: { url: server.url(), secret: SECRET } },
      { maxQueuedPerSubscription: 4, minBackoffMs: 100, maxBackoffMs: 100 },
    );
    const ids = emit(bus, 1, 10);
    const queued = async () => (await store.webhooks.list('crm')).map((entry) => entry.eventId);
    // Every event was queued and the oldest dropped: exactly the newest four are left.
    await waitFor(async () => (await queued()).join() === ids.slice(-4).join(), 5000, 'trimmed queue');
    expect(await queued()).toEqual(ids.slice(-4));
    expect(logs()).toContain('webhook queue full; dropped the oldest deliveries');
    await server.start();
    await waitFor(() => server.delivered().length === 4, 5000, 'delivery of the kept rows');
    expect(server.delivered()).toEqual(ids.slice(-4));
  });

  it('two gateways on one PostgreSQL deliver every row once, in order', async () => {
    const database = await withPostgresDatabase();
    cleanups.push(() => database.drop());
    const server = await receiver();
    // Failures make the head change hands between the gateways.
    server.answer = (request, attempt) =>
      Number(request.eventId.slice(2)) % 4 === 0 && attempt === 1 ? 500 : 200;
    const subscriptions = { crm: { url: server.url(), secret: SECRET } };
    const a = await startWebhooks(await openStore(database.url), subscriptions);
    const b = await startWebhooks(await openStore(database.url), subscriptions);
    const fromA: string[] = [];
    const fromB: string[] = [];
    for (let index = 1; index <= 40; index += 2) {
      fromA.push(...emit(a.bus, index, 1));
      fromB.push(...emit(b.bus, index + 1, 1));
      if (index % 10 === 1) await sleep(20);
    }
    await waitFor(() => server.delivered().length >= 40, 10_000, 'all deliveries');
    await sleep(300);
    const delivered = server.delivered();
    expect(delivered).toHaveLength(40);
    expect(new Set(delivered).size).toBe(40);
    expect(delivered.filter((id) => fromA.includes(id))).toEqual(fromA);
    expect(delivered.filter((id) => fromB.includes(id))).toEqual(fromB);
  });

  it('a leased head is not sent by the other gateway while the lease holder waits on it', async () => {
    const database = await withPostgresDatabase();
    cleanups.push(() => database.drop());
    const server = await receiver();
    // The very first request hangs until the sender's own timeout (8 s); every other one succeeds.
    server.answer = (request) => (request === server.requests[0] ? 'hang' : 200);
    const subscriptions = { crm: { url: server.url(), secret: SECRET, timeoutMs: 8000 } };
    const tuning = { leaseMarginMs: 2000 };
    const a = await startWebhooks(await openStore(database.url), subscriptions, tuning);
    const b = await startWebhooks(await openStore(database.url), subscriptions, tuning);
    const fromA = emit(a.bus, 1, 2);
    const fromB = emit(b.bus, 3, 2);
    // At least one (a busy machine may be slow to get there); a second one is judged below.
    await waitFor(() => server.requests.length >= 1, 15_000, 'the first attempt');
    const first = server.requests[0]!;
    const head = first.eventId;
    // Both gateways poll every 100 ms: for 1.5 s after the head arrived, well inside the 8 s its
    // sender waits (the window is counted from the arrival, not from when this test noticed it),
    // neither may send the head again or skip it.
    const windowEnd = first.at + 1500;
    await sleep(Math.max(0, windowEnd - Date.now()));
    const inWindow = server.requests.filter((each) => each.at <= windowEnd);
    expect(inWindow.map((each) => each.eventId)).toEqual([head]);
    await waitFor(() => server.delivered().length === 4, 20_000, 'all deliveries');
    const delivered = server.delivered();
    // Not necessarily first: the other gateway's rows may have been given a lower seq and
    // committed after the head was claimed (the queue's documented late commit), so they go
    // first once the lease runs out. Each gateway's own rows stay in their order.
    expect(delivered).toContain(head);
    expect(new Set(delivered).size).toBe(4);
    expect(delivered.filter((id) => fromA.includes(id))).toEqual(fromA);
    expect(delivered.filter((id) => fromB.includes(id))).toEqual(fromB);
  });
});

describe('back-off', () => {
  it('doubles from min to max with jitter, never outside [min, max]', () => {
    const low = () => 0;
    const high = () => 0.999999;
    expect(backoffMs(1, 1000, 300_000, low)).toBe(1000);
    expect(backoffMs(2, 1000, 300_000, high)).toBe(2000);
    expect(backoffMs(3, 1000, 300_000, low)).toBe(2000);
    expect(backoffMs(4, 1000, 300_000, high)).toBe(8000);
    expect(backoffMs(50, 1000, 300_000, high)).toBe(300_000);
    expect(backoffMs(50, 1000, 300_000, low)).toBe(150_000);
    for (let failures = 0; failures < 40; failures += 1) {
      const wait = backoffMs(failures, 1000, 300_000);
      expect(wait).toBeGreaterThanOrEqual(1000);
      expect(wait).toBeLessThanOrEqual(300_000);
    }
  });
});
