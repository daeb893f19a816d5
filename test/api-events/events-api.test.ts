/**
 * Events over HTTP on a real gateway: the SSE stream and the WebSocket (same messages, same
 * filters, same auth), resuming without gaps or duplicates, slow clients dropped without
 * hurting fast ones, the paged history and event pictures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import {
  makeEvent,
  openWebSocket,
  recordOf,
  refusedUpgrade,
  SseReader,
  stalledSseClient,
  until,
  upgradeStatus,
} from './clients.ts';

let gw: TestGateway;
const open: Array<{ close(): void }> = [];

beforeAll(async () => {
  gw = await startTestGateway({
    overrides: {
      events: { stream: { heartbeatSeconds: 1, maxQueuedBytes: 256 * 1024, maxQueuedMessages: 500 } },
    },
  });
});
afterAll(async () => {
  for (const client of open) client.close();
  await gw?.stop();
});

const auth = () => ({ authorization: `Bearer ${gw.token}` });

async function sse(query = '', headers: Record<string, string> = {}): Promise<SseReader> {
  const reader = await SseReader.open(`${gw.url}/api/v1/events/stream${query}`, { ...auth(), ...headers });
  gw.scan.addSource(`SSE ${query}`, () => reader.messages.map((message) => message.data).join('\n'));
  open.push(reader);
  return reader;
}

async function ws(query = '', headers: Record<string, string> = auth()) {
  const client = await openWebSocket(`${gw.url.replace('http', 'ws')}/api/v1/events/ws${query}`, headers);
  open.push(client);
  return client;
}

describe('authentication', () => {
  it('every events route answers 401 without a token, the WebSocket upgrade included', async () => {
    for (const path of [
      '/api/v1/events',
      '/api/v1/events/stream',
      '/api/v1/events/ws',
      '/api/v1/events/x/snapshot.jpg',
    ]) {
      const answer = await gw.api('GET', path, { token: null });
      expect(answer.status, path).toBe(401);
      expect(answer.json.error.code).toBe('unauthorized');
    }
    const wsUrl = `${gw.url}/api/v1/events/ws`;
    expect(await upgradeStatus(wsUrl)).toBe(401);
    expect(await upgradeStatus(`${wsUrl}?token=hb_api_wrong`)).toBe(401);
    expect(await upgradeStatus(wsUrl, auth())).toBe(101);
    expect(await upgradeStatus(`${wsUrl}?token=${gw.token}`)).toBe(101);
    // Browsers send the session cookie with the upgrade.
    const login = await fetch(`${gw.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect(await upgradeStatus(wsUrl, { cookie })).toBe(101);
    // `?token=` is for the WebSocket upgrade only.
    expect((await fetch(`${gw.url}/api/v1/events/stream?token=${gw.token}`)).status).toBe(401);
    expect((await fetch(`${gw.url}/api/v1/events?token=${gw.token}`)).status).toBe(401);
    expect((await fetch(`${wsUrl}?token=${gw.token}`)).status).toBe(401);
  });

  it('revoking a login closes the live streams opened with it at once, and only those', async () => {
    const login = async () =>
      (
        await gw.api('POST', '/api/v1/auth/login', {
          body: { username: 'admin', password: ADMIN_PASSWORD },
          token: null,
        })
      ).json.token as string;
    const session = await login();
    const kept = await sse();
    const revokedSse = await sse('', { authorization: `Bearer ${session}` });
    const revokedWs = await ws('', { authorization: `Bearer ${session}` });
    open.push(kept, revokedSse, revokedWs);
    // Logging out that session (as the page's Sign out does) ends both of its streams.
    const out = await gw.api('POST', '/api/v1/auth/logout', { token: session });
    expect(out.status).toBe(204);
    await until(() => revokedSse.ended && revokedWs.closed, 5000, 'streams of the revoked session closed');
    expect(kept.ended).toBe(false);
    // A revoked API token does the same.
    const created = await gw.api('POST', '/api/v1/tokens', { body: { name: 'short-lived' } });
    const byToken = await sse('', { authorization: `Bearer ${created.json.token}` });
    open.push(byToken);
    expect((await gw.api('DELETE', `/api/v1/tokens/${created.json.id}`)).status).toBe(204);
    await until(() => byToken.ended, 5000, 'stream of the revoked token closed');
    expect(kept.ended).toBe(false);
  });

  it('a refused upgrade gets its HTTP answer and the connection is closed', async () => {
    const answer = await refusedUpgrade(gw.gateway.address.port, '/api/v1/events/ws');
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(answer).toContain('"unauthorized"');
  });

  it('a plain GET of the WebSocket route is told to upgrade', async () => {
    const answer = await gw.api('GET', '/api/v1/events/ws');
    expect(answer.status).toBe(426);
    expect(answer.json.error.code).toBe('upgrade_required');
  });

  it('the OpenAPI document lists the events routes', async () => {
    const spec = (await gw.api('GET', '/api/v1/openapi.json')).json;
    for (const path of [
      '/api/v1/events',
      '/api/v1/events/stream',
      '/api/v1/events/ws',
      '/api/v1/events/{id}/snapshot.jpg',
    ]) {
      expect(spec.paths[path], path).toBeDefined();
    }
  });
});

describe('live stream', () => {
  it('SSE: events and snapshots as they happen, filtered, with heartbeats', async () => {
    const all = await sse();
    const filtered = await sse('?deviceId=dev-2,dev-3&kind=doorbell-ring,tamper');
    expect(all.status).toBe(200);
    expect(all.contentType).toMatch(/^text\/event-stream/);
    const events = [
      makeEvent(100),
      makeEvent(101, { deviceId: 'dev-2', kind: 'doorbell-ring', state: 'pulse' }),
      makeEvent(102, { deviceId: 'dev-2', kind: 'motion' }),
      makeEvent(103, { deviceId: 'dev-3', kind: 'tamper' }),
    ];
    for (const event of events) gw.gateway.bus.emit('event', event);
    gw.gateway.bus.emit('event.snapshot', {
      eventId: events[1]!.id,
      deviceId: 'dev-2',
      snapshotRef: 'x.jpg',
    });
    gw.gateway.bus.emit('event.snapshot', {
      eventId: events[0]!.id,
      deviceId: 'dev-1',
      snapshotRef: 'y.jpg',
    });

    await until(() => all.messages.length === 6, 3000, 'all messages');
    expect(all.events()).toEqual(events);
    expect(all.messages[0]!.id).toBe(events[0]!.id);
    expect(all.messages.slice(4).map((each) => [each.event, each.id, JSON.parse(each.data).eventId])).toEqual(
      [
        ['snapshot', undefined, events[1]!.id],
        ['snapshot', undefined, events[0]!.id],
      ],
    );
    await until(() => filtered.messages.length === 3, 3000, 'filtered messages');
    expect(filtered.ids()).toEqual([events[1]!.id, events[3]!.id]);
    expect(filtered.messages[2]!.event).toBe('snapshot');
    await until(() => all.comments.includes('keep-alive'), 2500, 'a heartbeat');
  });

  it('WebSocket: the same messages and filters as JSON', async () => {
    const all = await ws();
    const byToken = await ws(`?token=${gw.token}&channelId=ch-7`, {});
    const events = [makeEvent(200), makeEvent(201, { channelId: 'ch-7' })];
    for (const event of events) gw.gateway.bus.emit('event', event);
    gw.gateway.bus.emit('event.snapshot', {
      eventId: events[1]!.id,
      deviceId: 'dev-1',
      snapshotRef: 'z.jpg',
    });
    await until(() => all.messages.length === 3, 3000, 'all messages');
    expect(all.messages).toEqual([
      { type: 'event', data: events[0] },
      { type: 'event', data: events[1] },
      { type: 'snapshot', data: { eventId: events[1]!.id, deviceId: 'dev-1', snapshotRef: 'z.jpg' } },
    ]);
    await until(() => byToken.messages.length === 2, 3000, 'filtered messages');
    expect(byToken.messages.map((each) => each.type)).toEqual(['event', 'snapshot']);
    expect(byToken.messages[0]!.data).toEqual(events[1]);

    const resumed = await ws(`?lastEventId=${events[0]!.id}`);
    await until(() => resumed.messages.length === 1, 3000, 'the replay');
    expect(resumed.messages).toEqual([{ type: 'event', data: events[1] }]);
  });

  it('unknown kinds in a filter are refused with 400', async () => {
    const answer = await gw.api('GET', '/api/v1/events/stream?kind=motion,nonsense');
    expect(answer.status).toBe(400);
    expect(answer.json.error.message).toContain('nonsense');
    expect(await upgradeStatus(`${gw.url}/api/v1/events/ws?kind=nonsense`, auth())).toBe(400);
  });
});

describe('resuming with Last-Event-ID', () => {
  it('replays stored events after the id, then live ones, without gaps or duplicates', async () => {
    const stored = [300, 301, 302, 303, 304].map((index) => makeEvent(index));
    stored.push(makeEvent(305, { deviceId: 'dev-9' }));
    for (const event of stored) await gw.gateway.store.events.insert(recordOf(event));
    const reader = await sse('', { 'last-event-id': stored[1]!.id });
    // Live: one that is stored too (announced and written around the reconnect), one new.
    gw.gateway.bus.emit('event', stored[4]!);
    const fresh = makeEvent(306);
    gw.gateway.bus.emit('event', fresh);
    // A marker after both: a duplicate of the stored one would have been sent before it.
    const marker = makeEvent(307);
    gw.gateway.bus.emit('event', marker);
    await until(() => reader.ids().includes(marker.id), 3000, 'the marker event');
    expect(reader.ids()).toEqual([...stored.slice(2).map((event) => event.id), fresh.id, marker.id]);
    expect(reader.events()[0]).toEqual(stored[2]);

    const filtered = await sse(`?deviceId=dev-9&lastEventId=${stored[0]!.id}`);
    await until(() => filtered.messages.length === 1, 3000, 'the filtered replay');
    expect(filtered.ids()).toEqual([stored[5]!.id]);
  });

  it('replays events announced but not stored yet, and starts live on an unknown id', async () => {
    const announced = [400, 401, 402].map((index) => makeEvent(index));
    for (const event of announced) gw.gateway.bus.emit('event', event);
    const reader = await sse(`?lastEventId=${announced[0]!.id}`);
    await until(() => reader.messages.length === 2, 3000, 'the in-memory replay');
    expect(reader.ids()).toEqual([announced[1]!.id, announced[2]!.id]);

    const unknown = await sse('', { 'last-event-id': 'no-such-event' });
    const live = makeEvent(403);
    gw.gateway.bus.emit('event', live);
    await until(() => unknown.messages.length === 1, 3000, 'the live event');
    expect(unknown.ids()).toEqual([live.id]);
  });
});

describe('slow clients', () => {
  it('a long replay is paced by the reader, not counted against it', async () => {
    const padding = 'r'.repeat(16 * 1024);
    const events = Array.from({ length: 600 }, (_, index) =>
      makeEvent(20_000 + index, { deviceId: 'dev-replay', attributes: { padding } }),
    );
    await gw.gateway.store.transaction(async (tx) => {
      for (const event of events) await tx.events.insert(recordOf(event));
    });
    const drops = () => gw.logs().split('stopped reading').length;
    const before = drops();
    const reader = await sse('?deviceId=dev-replay', { 'last-event-id': events[0]!.id });
    await until(() => reader.messages.length === 599, 10_000, 'the whole replay');
    expect(reader.ids()).toEqual(events.slice(1).map((event) => event.id));
    expect(drops()).toBe(before);
  });

  it('a client that stops reading is dropped; a fast one gets everything in order', async () => {
    const fast = await sse('?deviceId=dev-load');
    const stalled = await stalledSseClient(gw.gateway.address.port, '/api/v1/events/stream', gw.token);
    open.push({ close: () => stalled.destroy() });
    const padding = 'x'.repeat(16 * 1024);
    const sent: string[] = [];
    // Bursts with pauses: the fast reader keeps up, the stalled one fills every buffer on its way.
    for (let burst = 0; burst < 200 && !gw.logs().includes('stopped reading'); burst += 1) {
      for (let index = 0; index < 10; index += 1) {
        const event = makeEvent(10_000 + burst * 10 + index, {
          deviceId: 'dev-load',
          attributes: { padding },
        });
        gw.gateway.bus.emit('event', event);
        sent.push(event.id);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(gw.logs()).toContain('dropped an event-stream client that stopped reading');
    await until(() => fast.messages.length === sent.length, 10_000, 'the fast reader');
    expect(fast.ids()).toEqual(sent);
    expect(fast.ended).toBe(false);
  });
});

describe('history', () => {
  it('pages newest first with a nextBefore cursor and filters', async () => {
    const events = Array.from({ length: 7 }, (_, index) =>
      makeEvent(500 + index, { deviceId: 'dev-hist', kind: index % 2 ? 'tamper' : 'motion' }),
    );
    for (const event of events) await gw.gateway.store.events.insert(recordOf(event));
    const ids: string[][] = [];
    let before = '';
    for (;;) {
      const page = await gw.api('GET', `/api/v1/events?deviceId=dev-hist&limit=3${before}`);
      expect(page.status).toBe(200);
      ids.push(page.json.events.map((event: { id: string }) => event.id));
      if (!page.json.nextBefore) break;
      before = `&before=${page.json.nextBefore}`;
    }
    const newest = events.map((event) => event.id).reverse();
    expect(ids).toEqual([newest.slice(0, 3), newest.slice(3, 6), newest.slice(6)]);

    const first = await gw.api('GET', '/api/v1/events?deviceId=dev-hist&limit=1');
    expect(first.json.events[0]).toEqual(events[6]);
    const tamper = await gw.api('GET', '/api/v1/events?deviceId=dev-hist&kind=tamper');
    expect(tamper.json.events.map((event: { id: string }) => event.id)).toEqual([
      events[5]!.id,
      events[3]!.id,
      events[1]!.id,
    ]);
    expect(tamper.json.nextBefore).toBeNull();
    const window = await gw.api(
      'GET',
      `/api/v1/events?deviceId=dev-hist&from=${events[2]!.receivedAt}&to=${events[4]!.receivedAt}`,
    );
    expect(window.json.events.map((event: { id: string }) => event.id)).toEqual([
      events[3]!.id,
      events[2]!.id,
    ]);
    expect((await gw.api('GET', '/api/v1/events?limit=0')).status).toBe(400);
    expect((await gw.api('GET', '/api/v1/events?from=yesterday')).status).toBe(400);
    expect((await gw.api('GET', '/api/v1/events?kind=bogus')).status).toBe(400);
    // History filters take one value each.
    expect((await gw.api('GET', '/api/v1/events?kind=motion,tamper')).status).toBe(400);
  });

  it('serves a stored picture, and only from the snapshots directory', async () => {
    const dir = join(gw.dataDir, 'snapshots');
    mkdirSync(dir, { recursive: true });
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    writeFileSync(join(dir, 'evt-000600.jpg'), jpeg);
    writeFileSync(join(gw.dataDir, 'outside.jpg'), jpeg);
    const withPicture = makeEvent(600, { snapshotRef: 'evt-000600.jpg' });
    const escaping = makeEvent(601, { snapshotRef: '../outside.jpg' });
    const missing = makeEvent(602, { snapshotRef: 'evt-000602.jpg' });
    const none = makeEvent(603);
    for (const event of [withPicture, escaping, missing, none])
      await gw.gateway.store.events.insert(recordOf(event));

    const answer = await fetch(`${gw.url}/api/v1/events/${withPicture.id}/snapshot.jpg`, { headers: auth() });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await answer.arrayBuffer())).toEqual(jpeg);
    for (const event of [escaping, missing, none]) {
      const refused = await gw.api('GET', `/api/v1/events/${event.id}/snapshot.jpg`);
      expect(refused.status, event.id).toBe(404);
    }
    expect((await gw.api('GET', '/api/v1/events/no-such-event/snapshot.jpg')).status).toBe(404);
  });
});
