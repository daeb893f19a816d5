/**
 * The webhook queue repository (and the event look-ups the event stream needs), one suite run
 * against SQLite and PostgreSQL.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStore, type EventRecord, type Store } from '../../src/core/store/index.ts';
import { stopPostgresServer, withPostgresDatabase } from '../support/postgres.ts';

interface Target {
  name: 'sqlite' | 'postgres';
  url(): Promise<string>;
  cleanup(): Promise<void>;
}

function sqliteTarget(): Target {
  let dir: string | undefined;
  return {
    name: 'sqlite',
    async url() {
      dir ??= await mkdtemp(join(tmpdir(), 'hikbridge-whq-'));
      return join(dir, `${randomUUID()}.db`);
    },
    async cleanup() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

function postgresTarget(): Target {
  const databases: Array<{ drop(): Promise<void> }> = [];
  return {
    name: 'postgres',
    async url() {
      const database = await withPostgresDatabase();
      databases.push(database);
      return database.url;
    },
    async cleanup() {
      await Promise.all(databases.map((database) => database.drop()));
    },
  };
}

const secretKey = randomBytes(32);
const base = Date.parse('2025-06-01T00:00:00.000Z');
const time = (seconds: number) => new Date(base + seconds * 1000).toISOString();

function entries(subscriptionId: string, ...eventIds: string[]) {
  return eventIds.map((eventId) => ({ subscriptionId, eventId, body: JSON.stringify({ id: eventId }) }));
}

afterAll(async () => {
  await stopPostgresServer();
});

describe.each([sqliteTarget(), postgresTarget()])('webhook queue on $name', (target) => {
  let url: string;
  let store: Store;

  beforeAll(async () => {
    url = await target.url();
    store = await createStore({ url, secretKey });
  });
  afterAll(async () => {
    await store?.close();
    await target.cleanup();
  });
  beforeEach(async () => {
    for (const { subscriptionId } of await store.webhooks.counts()) {
      await store.webhooks.deleteSubscription(subscriptionId);
    }
  });

  it('enqueue keeps the given order per subscription; list and counts read it back', async () => {
    await store.webhooks.enqueue([...entries('a', 'e1', 'e2'), ...entries('b', 'e1')], time(0));
    await store.webhooks.enqueue(entries('a', 'e3'), time(1));
    const queued = await store.webhooks.list('a');
    expect(queued.map((entry) => entry.eventId)).toEqual(['e1', 'e2', 'e3']);
    expect(queued[0]).toMatchObject({
      subscriptionId: 'a',
      body: '{"id":"e1"}',
      createdAt: time(0),
      nextAttemptAt: time(0),
      attempts: 0,
      leaseOwner: null,
      leasedUntil: null,
      lastError: null,
    });
    expect(typeof queued[0]!.seq).toBe('number');
    expect(queued[0]!.seq).toBeLessThan(queued[1]!.seq);
    expect(await store.webhooks.counts()).toEqual([
      { subscriptionId: 'a', count: 3 },
      { subscriptionId: 'b', count: 1 },
    ]);
  });

  it('claimHead leases only the head, to one owner, once it is due', async () => {
    await store.webhooks.enqueue(entries('a', 'e1', 'e2'), time(0));
    const first = await store.webhooks.claimHead('a', 'gw-1', time(1), time(31));
    expect(first).toMatchObject({ eventId: 'e1', attempts: 1, leaseOwner: 'gw-1', leasedUntil: time(31) });
    // Leased: nobody gets e1, and nobody skips ahead to e2.
    expect(await store.webhooks.claimHead('a', 'gw-2', time(2), time(32))).toBeUndefined();
    expect(await store.webhooks.claimHead('a', 'gw-1', time(2), time(32))).toBeUndefined();

    // A failure hands it back with a later due time; a stranger cannot release it.
    const next = { nextAttemptAt: time(10), attempts: 1, lastError: 'HTTP 503' };
    expect(await store.webhooks.release(first!.seq, 'gw-2', next)).toBe(false);
    expect(await store.webhooks.release(first!.seq, 'gw-1', next)).toBe(true);
    expect(await store.webhooks.claimHead('a', 'gw-2', time(9), time(39))).toBeUndefined();
    const again = await store.webhooks.claimHead('a', 'gw-2', time(10), time(40));
    expect(again).toMatchObject({ eventId: 'e1', attempts: 2, leaseOwner: 'gw-2', lastError: 'HTTP 503' });

    // A lease that runs out (its owner died) can be taken over.
    const taken = await store.webhooks.claimHead('a', 'gw-3', time(40), time(70));
    expect(taken).toMatchObject({ eventId: 'e1', attempts: 3, leaseOwner: 'gw-3' });
    expect(await store.webhooks.head('a')).toMatchObject({ eventId: 'e1', leaseOwner: 'gw-3' });

    expect(await store.webhooks.remove(taken!.seq)).toBe(true);
    expect(await store.webhooks.remove(taken!.seq)).toBe(false);
    expect(await store.webhooks.claimHead('a', 'gw-1', time(41), time(71))).toMatchObject({ eventId: 'e2' });
    expect(await store.webhooks.claimHead('b', 'gw-1', time(41), time(71))).toBeUndefined();
  });

  it('concurrent claims of one head: exactly one wins', async () => {
    const other = await createStore({ url, secretKey });
    try {
      for (let round = 0; round < 10; round += 1) {
        await store.webhooks.enqueue(entries('race', `r${round}`), time(0));
        const claims = await Promise.all(
          Array.from({ length: 6 }, (_, index) =>
            (index % 2 ? other : store).webhooks.claimHead('race', `gw-${index}`, time(1), time(60)),
          ),
        );
        const winners = claims.filter(Boolean);
        expect(winners).toHaveLength(1);
        await store.webhooks.remove(winners[0]!.seq);
      }
    } finally {
      await other.close();
    }
  });

  it('trim keeps the newest rows; dropOlderThan drops by age; both per subscription', async () => {
    await store.webhooks.enqueue(entries('a', 'e1', 'e2', 'e3'), time(0));
    await store.webhooks.enqueue(entries('a', 'e4', 'e5'), time(100));
    await store.webhooks.enqueue(entries('b', 'x1', 'x2'), time(0));
    expect(await store.webhooks.trim('a', 4)).toBe(1);
    expect(await store.webhooks.trim('a', 4)).toBe(0);
    expect((await store.webhooks.list('a')).map((entry) => entry.eventId)).toEqual(['e2', 'e3', 'e4', 'e5']);
    expect(await store.webhooks.dropOlderThan('a', time(50))).toBe(2);
    expect((await store.webhooks.list('a')).map((entry) => entry.eventId)).toEqual(['e4', 'e5']);
    expect((await store.webhooks.list('b')).map((entry) => entry.eventId)).toEqual(['x1', 'x2']);
    expect(await store.webhooks.deleteSubscription('b')).toBe(2);
  });

  it('seq keeps growing after the newest row is deleted (no reuse)', async () => {
    await store.webhooks.enqueue(entries('a', 'e1'), time(0));
    const [first] = await store.webhooks.list('a');
    await store.webhooks.remove(first!.seq);
    await store.webhooks.enqueue(entries('a', 'e2'), time(0));
    const [second] = await store.webhooks.list('a');
    expect(second!.seq).toBeGreaterThan(first!.seq);
  });

  describe('events: get and after', () => {
    const event = (id: string, seconds: number, overrides: Partial<EventRecord> = {}): EventRecord => ({
      id,
      deviceId: 'dev-a',
      channelId: null,
      kind: 'motion',
      state: 'start',
      at: '2025-06-01T02:00:00+02:00',
      receivedAt: time(seconds),
      data: { region: 1 },
      ...overrides,
    });

    it('after: oldest first, strictly after the cursor by (receivedAt, id), list filters, bounded', async () => {
      const prefix = randomUUID().slice(0, 8);
      const id = (name: string) => `${prefix}-${name}`;
      const all = [
        event(id('a'), 1),
        event(id('b'), 2, { kind: 'tamper' }),
        event(id('c'), 2, { deviceId: 'dev-b', channelId: 'ch-1' }),
        event(id('d'), 3),
        event(id('e'), 4, { kind: 'doorbell-ring', deviceId: 'dev-b' }),
      ];
      for (const each of all) await store.events.insert(each);
      const ids = async (cursor: { receivedAt: string; id: string }, filter = {}, limit = 100) =>
        (await store.events.after(cursor, filter, limit)).map((each) => each.id);

      expect(await store.events.get(id('c'))).toEqual(all[2]);
      expect(await store.events.get('nope')).toBeUndefined();
      expect(await ids(all[1]!)).toEqual([id('c'), id('d'), id('e')]);
      expect(await ids(all[0]!, {}, 2)).toEqual([id('b'), id('c')]);
      expect(await ids(all[0]!, { deviceIds: ['dev-b'] })).toEqual([id('c'), id('e')]);
      expect(await ids(all[0]!, { kinds: ['tamper', 'doorbell-ring'] })).toEqual([id('b'), id('e')]);
      expect(await ids(all[0]!, { channelIds: ['ch-1'], deviceIds: [] })).toEqual([id('c')]);
      // A cursor that is not stored (not written yet, or pruned) still marks a position.
      expect(await ids({ receivedAt: '2025-06-01T02:00:02.500+02:00', id: 'zzz' })).toEqual([
        id('d'),
        id('e'),
      ]);
      expect(await ids(all[4]!)).toEqual([]);
    });
  });
});

// PostgreSQL only: two gateways insert at once there (SQLite has one writer, so no insert can
// commit after a later one).
describe('webhook queue on postgres, two gateways', () => {
  it('a row committed late with a lower seq waits while a later row of its subscription is out', async () => {
    const database = await withPostgresDatabase();
    const a = await createStore({ url: database.url, secretKey });
    const b = await createStore({ url: database.url, secretKey });
    try {
      let commit: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        commit = resolve;
      });
      let enqueued: () => void = () => undefined;
      const inserted = new Promise<void>((resolve) => {
        enqueued = resolve;
      });
      // Gateway A takes its seq first but commits last.
      const slow = a.transaction(async (tx) => {
        await tx.webhooks.enqueue(entries('late', 'first'), time(0));
        enqueued();
        await held;
      });
      await inserted;
      await b.webhooks.enqueue(entries('late', 'second'), time(0));
      const out = await b.webhooks.claimHead('late', 'gw-b', time(1), time(61));
      expect(out).toMatchObject({ eventId: 'second' });
      commit();
      await slow;
      const queued = await a.webhooks.list('late');
      expect(queued.map((entry) => entry.eventId)).toEqual(['first', 'second']);
      // 'first' is the head now, but 'second' is being delivered: nobody may send 'first' meanwhile.
      expect(await a.webhooks.claimHead('late', 'gw-a', time(2), time(62))).toBeUndefined();
      await b.webhooks.remove(out!.seq);
      expect(await a.webhooks.claimHead('late', 'gw-a', time(3), time(63))).toMatchObject({
        eventId: 'first',
      });
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});
