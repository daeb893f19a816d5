/**
 * One suite, run against SQLite and PostgreSQL. Raw rows are read with the plain drivers
 * (better-sqlite3, pg) to check what is really stored.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decryptSecret, SecretDecryptError } from '../../src/core/secrets.ts';
import {
  type ChannelRecord,
  createStore,
  type DeviceRecord,
  describeStoreUrl,
  type EntityRecord,
  type EventRecord,
  type Insert,
  type Store,
  StoreConflictError,
  StoreConnectionError,
  StoreReferenceError,
} from '../../src/core/store/index.ts';
import { MIGRATION_NAMES } from '../../src/core/store/migrations/index.ts';
import { freePort, stopPostgresServer, withPostgresDatabase } from '../support/postgres.ts';

type Row = Record<string, unknown>;

interface Harness {
  name: 'sqlite' | 'postgres';
  /** A new, empty database; removed by cleanup(). */
  fresh(): Promise<string>;
  /** A statement through the plain driver; `$1`-style parameters. */
  raw(url: string, text: string, params?: unknown[]): Promise<Row[]>;
  /** Several statements, no parameters. */
  exec(url: string, script: string): Promise<void>;
  cleanup(): Promise<void>;
}

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TABLES = [
  'events',
  'cloud_cameras',
  'cloud_accounts',
  'tokens',
  'users',
  'settings',
  'doorbell_sip',
  'entities',
  'channels',
  'devices',
];

function sqliteHarness(): Harness {
  let dir: string | undefined;
  return {
    name: 'sqlite',
    async fresh() {
      dir ??= await mkdtemp(join(tmpdir(), 'hikbridge-store-'));
      return join(dir, `${randomUUID()}.db`);
    },
    async raw(url, text, params = []) {
      const db = new BetterSqlite3(url);
      try {
        const statement = db.prepare(text.replace(/\$\d+/g, '?'));
        if (statement.reader) return statement.all(...params) as Row[];
        statement.run(...params);
        return [];
      } finally {
        db.close();
      }
    },
    async exec(url, script) {
      const db = new BetterSqlite3(url);
      try {
        db.exec(script);
      } finally {
        db.close();
      }
    },
    async cleanup() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

function postgresHarness(): Harness {
  const databases: Array<{ drop(): Promise<void> }> = [];
  return {
    name: 'postgres',
    async fresh() {
      const database = await withPostgresDatabase();
      databases.push(database);
      return database.url;
    },
    async raw(url, text, params = []) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(text, params)).rows;
      } finally {
        await client.end();
      }
    },
    async exec(url, script) {
      await this.raw(url, script);
    },
    async cleanup() {
      await Promise.all(databases.map((database) => database.drop()));
    },
  };
}

function deviceInput(overrides: Partial<Insert<DeviceRecord>> = {}): Insert<DeviceRecord> {
  return {
    name: 'Front door',
    host: '192.0.2.10',
    port: 80,
    https: false,
    username: 'admin',
    password: 'cam-Pässwort-1',
    tlsFingerprint: null,
    insecureTls: false,
    httpPortOverride: null,
    snapshotUrlOverride: null,
    channelOverride: null,
    defaultStream: null,
    kind: 'doorbell',
    model: 'DS-KV6113-WPE1',
    serialNumber: 'DS-KV6113-WPE1-SN0001',
    firmwareVersion: 'V2.2.53',
    macAddress: 'bc:ad:28:00:00:01',
    rtspPort: 554,
    twoWayAudio: { channelId: 1, codec: 'G.711ulaw' },
    doors: 1,
    alarmInputs: 2,
    alarmOutputs: 1,
    settingsVersion: 1,
    enabled: true,
    ...overrides,
  };
}

type ChannelInput = Omit<ChannelRecord, 'id' | 'deviceId' | 'createdAt' | 'updatedAt'>;

function channelInput(channelNo: number, overrides: Partial<ChannelInput> = {}): ChannelInput {
  return {
    channelNo,
    name: `Camera ${channelNo}`,
    source: 'proxy',
    model: 'DS-2CD2143G2-I',
    enabled: true,
    online: true,
    streams: [
      {
        id: `${channelNo}01`,
        streamNo: 1,
        codec: 'H.264',
        width: 2688,
        height: 1520,
        fps: 25,
        audioCodec: null,
      },
      {
        id: `${channelNo}02`,
        streamNo: 2,
        codec: 'H.265',
        width: 640,
        height: 360,
        fps: 15,
        audioCodec: 'AAC',
      },
    ],
    snapshotUrlOverride: null,
    defaultStream: null,
    ...overrides,
  };
}

function entityInput(
  key: string,
  overrides: Partial<Omit<EntityRecord, 'id' | 'deviceId' | 'createdAt'>> = {},
) {
  return { kind: 'lock' as const, key, name: `Lock ${key}`, attributes: { door: 1 }, ...overrides };
}

function event(id: string, receivedAt: string, overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    id,
    deviceId: 'dev-a',
    channelId: null,
    kind: 'motion',
    state: 'start',
    at: '2024-05-01T12:00:00+02:00',
    receivedAt,
    data: { region: 1 },
    ...overrides,
  };
}

const secretKey = randomBytes(32);

afterAll(async () => {
  await stopPostgresServer();
});

describe.each([sqliteHarness(), postgresHarness()])('store on $name', (harness) => {
  let url: string;
  let store: Store;

  beforeAll(async () => {
    url = await harness.fresh();
    store = await createStore({ url, secretKey });
  });

  afterAll(async () => {
    await store?.close();
    await harness.cleanup();
  });

  beforeEach(async () => {
    await harness.exec(url, TABLES.map((table) => `delete from ${table};`).join('\n'));
  });

  it('reports its dialect', () => {
    expect(store.dialect).toBe(harness.name);
  });

  describe('migrations', () => {
    it('apply on open, are recorded once, and re-opening keeps data', async () => {
      const freshUrl = await harness.fresh();
      const first = await createStore({ url: freshUrl, secretKey });
      const device = await first.devices.insert(deviceInput());
      await first.close();

      const second = await createStore({ url: freshUrl, secretKey });
      try {
        expect(await second.devices.get(device.id)).toEqual(device);
      } finally {
        await second.close();
      }
      const applied = await harness.raw(freshUrl, 'select name from kysely_migration order by name');
      expect(applied.map((row) => row.name)).toEqual(MIGRATION_NAMES);
    });

    it('survive several stores opening one fresh database at the same time', async () => {
      const freshUrl = await harness.fresh();
      if (harness.name === 'postgres') {
        const stores = await Promise.all([1, 2, 3].map(() => createStore({ url: freshUrl, secretKey })));
        await Promise.all(stores.map((each, index) => each.settings.set(`instance-${index + 1}`, true)));
        await Promise.all(stores.map((each) => each.close()));
      } else {
        // better-sqlite3 is synchronous: real concurrency on one file means several processes.
        await Promise.all([1, 2, 3].map((index) => openInChildProcess(freshUrl, index)));
      }
      const check = await createStore({ url: freshUrl, secretKey });
      try {
        for (const index of [1, 2, 3]) expect(await check.settings.get(`instance-${index}`)).toBe(true);
      } finally {
        await check.close();
      }
      const applied = await harness.raw(freshUrl, 'select name from kysely_migration order by name');
      expect(applied.map((row) => row.name)).toEqual(MIGRATION_NAMES);
    });
  });

  describe('devices', () => {
    it('insert, get, list, update and delete', async () => {
      const device = await store.devices.insert(deviceInput());
      expect(device.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(device.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(device.updatedAt).toBe(device.createdAt);
      expect(device).toMatchObject(deviceInput());
      expect(await store.devices.get(device.id)).toEqual(device);

      const second = await store.devices.insert(deviceInput({ id: 'nvr-1', name: 'NVR', kind: 'nvr' }));
      expect(second.id).toBe('nvr-1');
      expect((await store.devices.list()).map((each) => each.id).sort()).toEqual([device.id, 'nvr-1'].sort());

      const updated = await store.devices.update(device.id, {
        name: 'Gate',
        https: true,
        insecureTls: true,
        channelOverride: [1, 3],
        twoWayAudio: null,
        enabled: false,
        httpPortOverride: 8080,
      });
      expect(updated).toMatchObject({
        name: 'Gate',
        https: true,
        channelOverride: [1, 3],
        twoWayAudio: null,
      });
      expect(updated!.enabled).toBe(false);
      expect(updated!.createdAt).toBe(device.createdAt);
      expect(updated!.updatedAt >= device.updatedAt).toBe(true);
      expect(await store.devices.get(device.id)).toEqual(updated);
      expect(await store.devices.update('missing', { name: 'x' })).toBeUndefined();

      expect(await store.devices.delete(device.id)).toBe(true);
      expect(await store.devices.delete(device.id)).toBe(false);
      expect(await store.devices.get(device.id)).toBeUndefined();
    });

    it('finds one device by address (host in any case) and by serial number', async () => {
      const camera = await store.devices.insert(
        deviceInput({ host: 'Cam-Gate.local', port: 8000, serialNumber: 'SER-1' }),
      );
      await store.devices.insert(deviceInput({ host: 'cam-gate.local', port: 80, serialNumber: 'SER-2' }));
      expect((await store.devices.findByAddress('CAM-GATE.LOCAL', 8000))?.id).toBe(camera.id);
      expect((await store.devices.findByAddress('cam-gate.local', 8000))?.password).toBe(camera.password);
      expect(await store.devices.findByAddress('cam-gate.local', 8001)).toBeUndefined();
      expect((await store.devices.findBySerial('SER-1'))?.id).toBe(camera.id);
      expect(await store.devices.findBySerial('ser-1')).toBeUndefined();
    });

    it('delete cascades to channels and entities', async () => {
      const device = await store.devices.insert(deviceInput());
      await store.channels.replaceForDevice(device.id, [channelInput(1), channelInput(2)]);
      await store.entities.replaceForDevice(device.id, [entityInput('door-1')]);
      const other = await store.devices.insert(deviceInput({ name: 'Other' }));
      await store.channels.replaceForDevice(other.id, [channelInput(1)]);

      await store.devices.delete(device.id);
      expect(await store.channels.listByDevice(device.id)).toEqual([]);
      expect(await store.entities.listByDevice(device.id)).toEqual([]);
      const orphans = await harness.raw(
        url,
        'select (select count(*) from channels where device_id = $1) as c, (select count(*) from entities where device_id = $2) as e',
        [device.id, device.id],
      );
      expect(Number(orphans[0]!.c) + Number(orphans[0]!.e)).toBe(0);
      expect(await store.channels.listByDevice(other.id)).toHaveLength(1);
    });
  });

  describe('channels', () => {
    it('replaceForDevice keeps ids and user fields of matched channels and deletes missing ones', async () => {
      const device = await store.devices.insert(deviceInput({ kind: 'nvr' }));
      const initial = await store.channels.replaceForDevice(device.id, [
        channelInput(1),
        channelInput(2),
        channelInput(3),
      ]);
      expect(initial.map((channel) => channel.channelNo)).toEqual([1, 2, 3]);
      const [one, two, three] = initial as [ChannelRecord, ChannelRecord, ChannelRecord];
      expect(two.streams).toEqual(channelInput(2).streams);

      const customised = await store.channels.update(two.id, {
        enabled: false,
        snapshotUrlOverride: 'http://192.0.2.10/snap.jpg',
        defaultStream: 2,
      });
      expect(customised).toMatchObject({ enabled: false, defaultStream: 2 });

      const replaced = await store.channels.replaceForDevice(device.id, [
        channelInput(2, { name: 'Porch', online: false, enabled: true, defaultStream: null }),
        channelInput(3),
        channelInput(4),
      ]);
      expect(replaced.map((channel) => channel.channelNo)).toEqual([2, 3, 4]);
      const [kept, same, added] = replaced as [ChannelRecord, ChannelRecord, ChannelRecord];
      expect(kept).toMatchObject({
        id: two.id,
        name: 'Porch',
        online: false,
        enabled: false,
        snapshotUrlOverride: 'http://192.0.2.10/snap.jpg',
        defaultStream: 2,
        createdAt: two.createdAt,
      });
      // Unchanged channels are not rewritten.
      expect(same).toEqual(three);
      expect(added.id).not.toBe(one.id);
      expect(await store.channels.get(one.id)).toBeUndefined();
      expect(await store.channels.get(kept.id)).toEqual(kept);
      expect((await store.channels.list()).map((channel) => channel.id)).toEqual(replaced.map((c) => c.id));
      expect(await store.channels.update('missing', { name: 'x' })).toBeUndefined();
    });

    it('rejects duplicate channel numbers and unknown devices', async () => {
      const device = await store.devices.insert(deviceInput());
      await expect(
        store.channels.replaceForDevice(device.id, [channelInput(1), channelInput(1)]),
      ).rejects.toBeInstanceOf(StoreConflictError);
      await expect(store.channels.replaceForDevice('no-such-device', [channelInput(1)])).rejects.toThrow(
        StoreReferenceError,
      );
      expect(await store.channels.listByDevice(device.id)).toEqual([]);
    });
  });

  describe('entities', () => {
    it('replaceForDevice matches by key, keeps ids, updates and deletes', async () => {
      const device = await store.devices.insert(deviceInput());
      const initial = await store.entities.replaceForDevice(device.id, [
        entityInput('door-1'),
        entityInput('tamper', { kind: 'tamper', name: 'Tamper', attributes: {} }),
      ]);
      const door = initial.find((entity) => entity.key === 'door-1')!;
      expect(door).toMatchObject({ deviceId: device.id, kind: 'lock', attributes: { door: 1 } });

      const next = await store.entities.replaceForDevice(device.id, [
        entityInput('door-1', {
          name: 'Gate lock',
          attributes: { door: 1, relay: 'A', nested: { b: 1, a: [2] } },
        }),
        entityInput('contact-1', { kind: 'contact', name: 'Gate contact' }),
      ]);
      expect(next.map((entity) => entity.key)).toEqual(['contact-1', 'door-1']);
      const kept = next.find((entity) => entity.key === 'door-1')!;
      expect(kept).toMatchObject({ id: door.id, name: 'Gate lock', createdAt: door.createdAt });
      expect(kept.attributes).toEqual({ door: 1, relay: 'A', nested: { b: 1, a: [2] } });
      expect(await store.entities.listByDevice(device.id)).toEqual(next);
      expect((await store.entities.list()).map((entity) => entity.key).sort()).toEqual([
        'contact-1',
        'door-1',
      ]);
      await expect(
        store.entities.replaceForDevice(device.id, [entityInput('x'), entityInput('x')]),
      ).rejects.toBeInstanceOf(StoreConflictError);
    });
  });

  describe('settings', () => {
    it('stores JSON values by key', async () => {
      expect(await store.settings.get('missing')).toBeUndefined();
      const values: Record<string, unknown> = {
        object: { mqtt: { host: 'broker', port: 1883 }, list: [1, 'two', null] },
        array: [{ a: 1 }],
        text: 'hello',
        number: 42.5,
        flag: false,
        nothing: null,
      };
      for (const [key, value] of Object.entries(values)) await store.settings.set(key, value);
      for (const [key, value] of Object.entries(values)) expect(await store.settings.get(key)).toEqual(value);
      await store.settings.set('text', 'replaced');
      expect(await store.settings.get<string>('text')).toBe('replaced');
      await store.settings.set('text', undefined);
      expect(await store.settings.get('text')).toBeUndefined();
    });
  });

  describe('doorbell SIP settings', () => {
    const emulate = {
      port: null,
      roomNumber: 1,
      proxyNumber: '10102',
      doorbellNumber: '10101',
      buttonNumber: 1,
      autoConfigure: true,
      digestUsername: null,
    };

    it('puts, replaces and lists them, with the password encrypted and cleared by null', async () => {
      const device = await store.devices.insert(deviceInput());
      expect(await store.doorbellSip.get(device.id)).toBeUndefined();
      await store.doorbellSip.put({
        deviceId: device.id,
        mode: 'emulate',
        emulate,
        client: null,
        password: null,
      });
      const client = {
        server: 'pbx.lan',
        port: 5060,
        transport: 'udp' as const,
        username: '2001',
        authUsername: null,
        domain: null,
        expiresSeconds: 300,
      };
      await store.doorbellSip.put({
        deviceId: device.id,
        mode: 'client',
        emulate: { ...emulate, roomNumber: 7 },
        client,
        password: 'Pbx-Secret-31',
      });
      const stored = await store.doorbellSip.get(device.id);
      expect(stored).toMatchObject({
        mode: 'client',
        client,
        password: 'Pbx-Secret-31',
        emulate: { roomNumber: 7 },
      });
      const [row] = await harness.raw(url, 'select * from doorbell_sip where device_id = $1', [device.id]);
      expect(JSON.stringify(row)).not.toContain('Pbx-Secret-31');
      expect(decryptSecret(secretKey, row!.password_enc as string)).toBe('Pbx-Secret-31');
      await store.doorbellSip.put({ ...stored!, mode: 'off', password: null });
      expect(await store.doorbellSip.get(device.id)).toMatchObject({ mode: 'off', password: null });
      expect((await store.doorbellSip.list()).map((each) => each.deviceId)).toEqual([device.id]);
    });

    it('refuses an unknown device and goes with its device', async () => {
      await expect(
        store.doorbellSip.put({ deviceId: 'nope', mode: 'off', emulate, client: null, password: null }),
      ).rejects.toThrow(/does not exist/);
      const device = await store.devices.insert(deviceInput());
      await store.doorbellSip.put({
        deviceId: device.id,
        mode: 'emulate',
        emulate,
        client: null,
        password: null,
      });
      await store.devices.delete(device.id);
      expect(await store.doorbellSip.get(device.id)).toBeUndefined();
      expect(await store.doorbellSip.delete(device.id)).toBe(false);
    });
  });

  describe('users and tokens', () => {
    it('users: insert, look up, count, change password hash; usernames are unique', async () => {
      expect(await store.users.count()).toBe(0);
      const user = await store.users.insert({
        username: 'admin',
        passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
      });
      expect(await store.users.getByUsername('admin')).toEqual(user);
      expect(await store.users.get(user.id)).toEqual(user);
      expect(await store.users.getByUsername('nobody')).toBeUndefined();
      await store.users.setPasswordHash(user.id, 'scrypt$16384$8$1$bmV3$bmV3');
      expect((await store.users.get(user.id))!.passwordHash).toBe('scrypt$16384$8$1$bmV3$bmV3');
      expect(await store.users.count()).toBe(1);

      const duplicate = store.users.insert({ username: 'admin', passwordHash: 'x' });
      await expect(duplicate).rejects.toBeInstanceOf(StoreConflictError);
      await expect(duplicate).rejects.toThrow('a user with this username already exists');
      expect(await store.users.count()).toBe(1);
    });

    it('tokens: list by kind, find by hash, touch, expire, delete; hashes are unique', async () => {
      const user = await store.users.insert({ username: 'ops', passwordHash: 'h' });
      const api = await store.tokens.insert({
        kind: 'api',
        name: 'ci',
        tokenHash: 'a'.repeat(64),
        userId: null,
        lastUsedAt: null,
        expiresAt: null,
      });
      const expired = await store.tokens.insert({
        kind: 'session',
        name: 'old browser',
        tokenHash: 'b'.repeat(64),
        userId: user.id,
        lastUsedAt: null,
        expiresAt: '2020-01-01T00:00:00.000Z',
      });
      const live = await store.tokens.insert({
        kind: 'session',
        name: 'browser',
        tokenHash: 'c'.repeat(64),
        userId: user.id,
        lastUsedAt: null,
        expiresAt: '2999-01-01T00:00:00.000Z',
      });
      expect((await store.tokens.list()).map((token) => token.id).sort()).toEqual(
        [api.id, expired.id, live.id].sort(),
      );
      expect((await store.tokens.list('session')).map((token) => token.id).sort()).toEqual(
        [expired.id, live.id].sort(),
      );
      expect(await store.tokens.findByHash('a'.repeat(64))).toEqual(api);
      expect(await store.tokens.findByHash('d'.repeat(64))).toBeUndefined();

      await store.tokens.touch(api.id, '2025-03-01T10:00:00.000Z');
      expect((await store.tokens.findByHash(api.tokenHash))!.lastUsedAt).toBe('2025-03-01T10:00:00.000Z');

      expect(await store.tokens.deleteExpired(new Date().toISOString())).toBe(1);
      expect(await store.tokens.findByHash(expired.tokenHash)).toBeUndefined();
      expect(await store.tokens.delete(live.id)).toBe(true);
      expect(await store.tokens.delete(live.id)).toBe(false);

      const duplicate = store.tokens.insert({ ...api, id: undefined, name: 'copy' });
      await expect(duplicate).rejects.toBeInstanceOf(StoreConflictError);
      await expect(duplicate).rejects.toThrow(/token/);
      await expect(
        store.tokens.insert({ ...api, id: undefined, tokenHash: 'e', userId: 'ghost' }),
      ).rejects.toThrow(StoreReferenceError);
    });
  });

  describe('cloud', () => {
    const facts = (accountId: string, name: string, online = true) => ({
      accountId,
      deviceSerial: 'F12345678',
      channelNo: 1,
      resourceId: 'res-1',
      name,
      online,
      attributes: { area: 'Site' },
    });

    it('accounts and cameras: upsert keeps the id, delete cascades', async () => {
      const account = await store.cloud.insertAccount({
        name: 'Site A',
        appKey: 'key-a',
        appSecret: 'app-secret-A',
      });
      expect(account).toMatchObject({ baseUrl: '', quality: 'main', enabled: true, lastSync: null });
      const other = await store.cloud.insertAccount({ name: 'Site B', appKey: 'key-b', appSecret: '' });
      expect((await store.cloud.listAccounts()).map((each) => each.appSecret).sort()).toEqual([
        '',
        'app-secret-A',
      ]);

      const camera = await store.cloud.upsertCamera(facts(account.id, 'Yard'));
      expect(camera).toMatchObject({ status: 'pending', enabled: true, url: null, renewFailures: 0 });
      await store.cloud.upsertCamera(facts(other.id, 'Elsewhere'));
      const again = await store.cloud.upsertCamera(facts(account.id, 'Back yard', false));
      expect(again).toMatchObject({ id: camera.id, name: 'Back yard', online: false });
      expect(again.createdAt).toBe(camera.createdAt);
      expect(again.updatedAt >= camera.updatedAt).toBe(true);
      expect(await store.cloud.listCameras(account.id)).toEqual([again]);
      expect(await store.cloud.listCameras()).toHaveLength(2);

      expect(await store.cloud.deleteAccount(account.id)).toBe(true);
      expect(await store.cloud.deleteAccount(account.id)).toBe(false);
      expect(await store.cloud.listCameras(account.id)).toEqual([]);
      expect((await store.cloud.listCameras()).map((each) => each.name)).toEqual(['Elsewhere']);
    });

    it('a re-import keeps the URL, status and user choices, and brings a removed camera back', async () => {
      const account = await store.cloud.insertAccount({ name: 'A', appKey: 'k', appSecret: 's' });
      const camera = await store.cloud.upsertCamera(facts(account.id, 'Gate'));
      const expires = new Date(Date.now() + 86_400_000).toISOString();
      await store.cloud.updateCamera(camera.id, {
        url: 'rtmp://cloud/v3/openlive/F12345678_1_1?expire=1&t=key',
        urlExpiresAt: expires,
        nextRenewalAt: expires,
        status: 'removed',
        removedAt: new Date().toISOString(),
        enabled: false,
        quality: 'sub',
        streamCode: 'ABCDEF',
      });
      const back = await store.cloud.upsertCamera(facts(account.id, 'Gate 2'));
      expect(back).toMatchObject({
        id: camera.id,
        name: 'Gate 2',
        url: 'rtmp://cloud/v3/openlive/F12345678_1_1?expire=1&t=key',
        urlExpiresAt: expires,
        enabled: false,
        quality: 'sub',
        streamCode: 'ABCDEF',
        removedAt: null,
      });
      expect(await store.cloud.updateCamera('missing', { name: 'x' })).toBeUndefined();
      const renamed = await store.cloud.updateAccount(account.id, { name: 'B', quality: 'sub' });
      expect(renamed).toMatchObject({ name: 'B', quality: 'sub', appSecret: 's' });
      expect(renamed!.updatedAt).not.toBeNull();
      expect(await store.cloud.deleteCamera(camera.id)).toBe(true);
      expect(await store.cloud.getCamera(camera.id)).toBeUndefined();
    });
  });

  describe('transactions', () => {
    it('commit everything done through the bound store', async () => {
      const id = await store.transaction(async (tx) => {
        const device = await tx.devices.insert(deviceInput());
        await tx.channels.replaceForDevice(device.id, [channelInput(1)]);
        await tx.settings.set('imported', true);
        return device.id;
      });
      expect(await store.devices.get(id)).toBeDefined();
      expect(await store.channels.listByDevice(id)).toHaveLength(1);
      expect(await store.settings.get('imported')).toBe(true);
    });

    it('roll back everything, nested calls included, when the work throws', async () => {
      const failure = store.transaction(async (tx) => {
        await tx.devices.insert(deviceInput({ id: 'rolled-back' }));
        await tx.transaction(async (inner) => inner.settings.set('inner', 1));
        await tx.users.insert({ username: 'temp', passwordHash: 'h' });
        throw new Error('import failed');
      });
      await expect(failure).rejects.toThrow('import failed');
      expect(await store.devices.get('rolled-back')).toBeUndefined();
      expect(await store.settings.get('inner')).toBeUndefined();
      expect(await store.users.count()).toBe(0);
    });

    it('roll back on a constraint error and report it as a StoreConflictError', async () => {
      await store.users.insert({ username: 'taken', passwordHash: 'h' });
      const failure = store.transaction(async (tx) => {
        await tx.devices.insert(deviceInput({ id: 'half-done' }));
        await tx.users.insert({ username: 'taken', passwordHash: 'h' });
      });
      await expect(failure).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store.devices.get('half-done')).toBeUndefined();
    });
  });

  describe('secrets at rest', () => {
    it('device passwords and cloud app secrets are stored encrypted', async () => {
      const device = await store.devices.insert(deviceInput({ password: 'Sup3r-Secret-Cam!' }));
      const account = await store.cloud.insertAccount({
        name: 'A',
        appKey: 'Cloud-App-Key-17',
        appSecret: 'Cloud-App-Secret-42',
      });
      const camera = await store.cloud.upsertCamera({
        accountId: account.id,
        deviceSerial: 'F1',
        channelNo: 1,
        resourceId: 'r',
        name: 'Cam',
        online: true,
        attributes: {},
      });
      await store.cloud.updateCamera(camera.id, {
        url: 'rtmp://cloud/v3/openlive/F1_1_1?expire=9&t=Live-Url-Key-99',
        streamCode: 'Stream-Code-55',
      });

      const [deviceRow] = await harness.raw(url, 'select * from devices where id = $1', [device.id]);
      expect(JSON.stringify(deviceRow)).not.toContain('Sup3r-Secret-Cam!');
      expect(deviceRow!.password_enc).toMatch(/^v1:/);
      expect(decryptSecret(secretKey, deviceRow!.password_enc as string)).toBe('Sup3r-Secret-Cam!');

      const [accountRow] = await harness.raw(url, 'select * from cloud_accounts where id = $1', [account.id]);
      expect(JSON.stringify(accountRow)).not.toContain('Cloud-App-Secret-42');
      expect(decryptSecret(secretKey, accountRow!.app_secret_enc as string)).toBe('Cloud-App-Secret-42');
      expect(JSON.stringify(accountRow)).not.toContain('Cloud-App-Key-17');
      const [cameraRow] = await harness.raw(url, 'select * from cloud_cameras where id = $1', [camera.id]);
      expect(JSON.stringify(cameraRow)).not.toContain('Live-Url-Key-99');
      expect(JSON.stringify(cameraRow)).not.toContain('Stream-Code-55');
      expect((await store.cloud.getCamera(camera.id))!.url).toContain('Live-Url-Key-99');

      await store.devices.update(device.id, { password: 'Rotated-Pass-7' });
      const [rotated] = await harness.raw(url, 'select password_enc from devices where id = $1', [device.id]);
      expect(rotated!.password_enc).not.toBe(deviceRow!.password_enc);
      expect(decryptSecret(secretKey, rotated!.password_enc as string)).toBe('Rotated-Pass-7');
      expect((await store.devices.get(device.id))!.password).toBe('Rotated-Pass-7');
    });

    it('a store opened with another key fails to read secrets with SecretDecryptError', async () => {
      const device = await store.devices.insert(deviceInput());
      await store.cloud.insertAccount({ name: 'A', appKey: 'k', appSecret: 's' });
      await store.users.insert({ username: 'still-readable', passwordHash: 'h' });
      const wrong = await createStore({ url, secretKey: randomBytes(32) });
      try {
        await expect(wrong.devices.get(device.id)).rejects.toBeInstanceOf(SecretDecryptError);
        await expect(wrong.devices.list()).rejects.toThrow(
          'stored secret cannot be decrypted: wrong key file?',
        );
        await expect(wrong.cloud.listAccounts()).rejects.toBeInstanceOf(SecretDecryptError);
        expect(await wrong.users.getByUsername('still-readable')).toBeDefined();
      } finally {
        await wrong.close();
      }
    });
  });

  describe('events', () => {
    const base = Date.parse('2025-06-01T00:00:00.000Z');
    const time = (seconds: number) => new Date(base + seconds * 1000).toISOString();

    it('query: newest first, keyset pages, filters', async () => {
      const events = [
        event('e1', time(1)),
        event('e2', time(2), { kind: 'ring', deviceId: 'dev-b' }),
        event('e3', time(3), { channelId: 'ch-1' }),
        event('e4', time(3)),
        event('e5', time(3), { kind: 'ring' }),
        event('e6', time(5), { state: 'end', data: { list: [1, 2], nested: { ok: true } } }),
        event('e7', time(6), { deviceId: 'dev-b' }),
      ];
      for (const each of events) await store.events.insert(each);

      const all = await store.events.query({});
      expect(all.map((each) => each.id)).toEqual(['e7', 'e6', 'e5', 'e4', 'e3', 'e2', 'e1']);
      expect(all.find((each) => each.id === 'e6')).toEqual(events[5]);

      const pages: string[][] = [];
      let before: string | undefined;
      for (;;) {
        const page = await store.events.query({ limit: 2, before });
        if (page.length === 0) break;
        pages.push(page.map((each) => each.id));
        before = page.at(-1)!.id;
      }
      expect(pages).toEqual([['e7', 'e6'], ['e5', 'e4'], ['e3', 'e2'], ['e1']]);

      const ids = async (query: Parameters<Store['events']['query']>[0]) =>
        (await store.events.query(query)).map((each) => each.id);
      expect(await ids({ deviceId: 'dev-b' })).toEqual(['e7', 'e2']);
      expect(await ids({ kind: 'ring' })).toEqual(['e5', 'e2']);
      expect(await ids({ channelId: 'ch-1' })).toEqual(['e3']);
      expect(await ids({ from: time(3), to: time(6) })).toEqual(['e6', 'e5', 'e4', 'e3']);
      expect(await ids({ deviceId: 'dev-a', kind: 'motion', limit: 1, before: 'e4' })).toEqual(['e3']);
      // Offsets are normalized: the same instant written another way.
      expect(await ids({ from: '2025-06-01T02:00:05.000+02:00' })).toEqual(['e7', 'e6']);
    });

    it('query limit defaults to 100 and is capped at 500', async () => {
      await store.transaction(async (tx) => {
        for (let index = 0; index < 510; index += 1) {
          await tx.events.insert(event(`bulk-${String(index).padStart(4, '0')}`, time(index)));
        }
      });
      expect(await store.events.query({})).toHaveLength(100);
      expect(await store.events.query({ limit: 10_000 })).toHaveLength(500);
      expect(await store.events.query({ limit: 0 })).toHaveLength(1);
    });

    it('prune by age and by row count', async () => {
      for (let index = 0; index < 10; index += 1) await store.events.insert(event(`p${index}`, time(index)));
      expect(await store.events.prune({ olderThan: time(3) })).toBe(3);
      expect(await store.events.prune({ maxRows: 4 })).toBe(3);
      expect((await store.events.query({})).map((each) => each.id)).toEqual(['p9', 'p8', 'p7', 'p6']);
      expect(await store.events.prune({ olderThan: time(7), maxRows: 1 })).toBe(3);
      expect((await store.events.query({})).map((each) => each.id)).toEqual(['p9']);
      expect(await store.events.prune({})).toBe(0);
    });
  });
});

/** Opens (and migrates) the store in a separate process, as a second gateway would. */
async function openInChildProcess(url: string, index: number): Promise<void> {
  const script = `
    import { createStore } from './src/core/store/index.ts';
    const store = await createStore({ url: process.argv[1], secretKey: Buffer.alloc(32, 7) });
    await store.settings.set('instance-' + process.argv[2], true);
    await store.close();
  `;
  await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script, url, String(index)],
    { cwd: REPO_ROOT, timeout: 15_000 },
  );
}

describe('store URLs and connections', () => {
  it('opens an in-memory SQLite store', async () => {
    const store = await createStore({ url: ':memory:', secretKey });
    try {
      expect(store.dialect).toBe('sqlite');
      const device = await store.devices.insert(deviceInput());
      expect(await store.devices.get(device.id)).toEqual(device);
    } finally {
      await store.close();
    }
  });

  it('opens sqlite:PATH, creating parent directories, with WAL and an owner-only file; close checkpoints', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hikbridge-store-url-'));
    try {
      const path = join(dir, 'a', 'b', 'hikbridge.db');
      const store = await createStore({ url: `sqlite:${path}`, secretKey });
      await store.settings.set('k', 'v');
      const raw = new BetterSqlite3(path, { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      raw.close();
      expect(statSync(path).mode & 0o777).toBe(0o600);
      await store.close();
      await store.close();
      expect(!existsSync(`${path}-wal`) || statSync(`${path}-wal`).size === 0).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an unreachable PostgreSQL fails fast, naming host:port but not the password', async () => {
    const port = await freePort();
    const started = Date.now();
    const failure = createStore({ url: `postgres://hik:s3cret-pw@127.0.0.1:${port}/hikbridge`, secretKey });
    const error = (await failure.catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(StoreConnectionError);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).not.toContain('s3cret-pw');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('describeStoreUrl masks passwords', () => {
    expect(describeStoreUrl('postgres://hik:s3cret@db.example:5433/hikbridge')).toBe(
      'postgres://hik:***@db.example:5433/hikbridge',
    );
    expect(describeStoreUrl('postgresql://hik@db/x?sslmode=require&password=p4ss')).toBe(
      'postgresql://hik@db/x?sslmode=require&password=***',
    );
    expect(describeStoreUrl('./data/hikbridge.db')).toBe('./data/hikbridge.db');
  });

  it('refuses unknown URL schemes and short keys', async () => {
    await expect(createStore({ url: 'mysql://u:pw@h/db', secretKey })).rejects.toThrow(
      'unsupported store URL mysql://u:***@h/db',
    );
    await expect(createStore({ url: ':memory:', secretKey: randomBytes(16) })).rejects.toThrow(/32-byte/);
  });
});
