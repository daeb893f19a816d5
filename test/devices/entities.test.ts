/**
 * Entities switched on and off: the store's switch on both dialects (migration 0007 included),
 * `PATCH /api/v1/devices/{id}/entities/{key}` against a gateway with the simulated doorbell, and
 * the plugin's rule "when the user disables the tamper entity, tamper is reported as motion":
 * the doorbell's tamper alarm (access control 1/1028, restored 1/1029) is a motion episode then,
 * and the tamper latch stays off.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import type { BusEvents } from '../../src/core/bus.ts';
import type { GatewayEvent } from '../../src/core/events.ts';
import { createStore, type DeviceRecord, type Insert, type Store } from '../../src/core/store/index.ts';
import { devices as devicesMigration } from '../../src/core/store/migrations/0001_devices.ts';
import { entityEnabled } from '../../src/core/store/migrations/0007_entity_enabled.ts';
import { columnTypes, type MigrationDb } from '../../src/core/store/migrations/columns.ts';
import { openPostgres } from '../../src/core/store/postgres.ts';
import { openSqlite } from '../../src/core/store/sqlite.ts';
import { parseStoreUrl } from '../../src/core/store/url.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { stopPostgresServer, withPostgresDatabase } from '../support/postgres.ts';

const PASSWORD = 'Bell-Pass-e1';

// --- the store, on both dialects ---------------------------------------------------------------

interface Dialect {
  name: 'sqlite' | 'postgres';
  fresh(): Promise<string>;
  cleanup(): Promise<void>;
}

function sqliteDialect(): Dialect {
  let dir: string | undefined;
  return {
    name: 'sqlite',
    async fresh() {
      dir ??= await mkdtemp(join(tmpdir(), 'hikbridge-entities-'));
      return join(dir, `${randomUUID()}.db`);
    },
    async cleanup() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

function postgresDialect(): Dialect {
  const drops: Array<() => Promise<void>> = [];
  return {
    name: 'postgres',
    async fresh() {
      const database = await withPostgresDatabase();
      drops.push(database.drop);
      return database.url;
    },
    async cleanup() {
      await Promise.all(drops.map((drop) => drop()));
    },
  };
}

async function openRaw(url: string): Promise<MigrationDb> {
  const target = parseStoreUrl(url);
  const db = target.dialect === 'sqlite' ? openSqlite(target.path, false) : await openPostgres(target);
  return db as unknown as MigrationDb;
}

function deviceInput(): Insert<DeviceRecord> {
  return {
    name: 'Front door',
    host: '192.0.2.20',
    port: 80,
    https: false,
    username: 'admin',
    password: 'never-shown-1',
    tlsFingerprint: null,
    insecureTls: false,
    httpPortOverride: null,
    snapshotUrlOverride: null,
    channelOverride: null,
    defaultStream: null,
    kind: 'doorbell',
    model: 'DS-KV6124-E1',
    serialNumber: `SN${randomUUID()}`,
    firmwareVersion: null,
    macAddress: null,
    rtspPort: 554,
    twoWayAudio: null,
    doors: 1,
    alarmInputs: 0,
    alarmOutputs: 0,
    settingsVersion: 1,
    enabled: true,
  };
}

const ENTITIES = [
  { kind: 'lock' as const, key: 'door-1', name: 'Door 1 lock', attributes: { door: 1 } },
  { kind: 'tamper' as const, key: 'tamper', name: 'Tamper', attributes: {} },
];

afterAll(async () => {
  await stopPostgresServer();
});

describe.each([sqliteDialect(), postgresDialect()])('the entity switch in the store on $name', (dialect) => {
  let store: Store;

  beforeAll(async () => {
    store = await createStore({ url: await dialect.fresh(), secretKey: randomBytes(32) });
  });

  afterAll(async () => {
    await store?.close();
    await dialect.cleanup();
  });

  it('migration 0007 adds the switch, on for the entities that were there, and takes it away again', async () => {
    const db = await openRaw(await dialect.fresh());
    try {
      const types = columnTypes(dialect.name);
      await devicesMigration.up(db, types);
      const [yes, no] = dialect.name === 'sqlite' ? [1, 0] : [true, false];
      const now = new Date().toISOString();
      await sql`insert into devices (id, name, host, port, https, username, password_enc, insecure_tls,
        kind, rtsp_port, doors, alarm_inputs, alarm_outputs, settings_version, enabled, created_at, updated_at)
        values ('dev-1', 'Bell', '192.0.2.1', 80, ${no}, 'admin', 'x', ${no},
        'doorbell', 554, 1, 0, 0, 1, ${yes}, ${now}, ${now})`.execute(db);
      await sql`insert into entities (id, device_id, kind, key, name, attributes, created_at)
        values ('ent-1', 'dev-1', 'tamper', 'tamper', 'Tamper', '{}', ${now})`.execute(db);

      await entityEnabled.up(db, types);
      const rows = await sql<{ enabled: unknown }>`select enabled from entities`.execute(db);
      expect(rows.rows.map((row) => row.enabled)).toEqual([yes]);

      await entityEnabled.down(db);
      await expect(sql`select enabled from entities`.execute(db)).rejects.toThrow();
    } finally {
      await (db as unknown as Kysely<unknown>).destroy();
    }
  });

  it('switches an entity by key; a re-probe keeps the switch; new entities start on', async () => {
    const device = await store.devices.insert(deviceInput());
    const other = await store.devices.insert(deviceInput());
    await store.entities.replaceForDevice(device.id, ENTITIES);
    await store.entities.replaceForDevice(other.id, ENTITIES);
    expect((await store.entities.listByDevice(device.id)).map((entity) => entity.enabled)).toEqual([
      true,
      true,
    ]);

    const off = await store.entities.setEnabled(device.id, 'tamper', false);
    expect(off).toMatchObject({ deviceId: device.id, key: 'tamper', enabled: false });
    const tamperOf = async (deviceId: string) =>
      (await store.entities.listByDevice(deviceId)).find((entity) => entity.key === 'tamper');
    expect((await tamperOf(device.id))?.enabled).toBe(false);
    // Only that device's entity.
    expect((await tamperOf(other.id))?.enabled).toBe(true);

    // What a re-probe does: the device's list again, renamed, with one more entity.
    const again = await store.entities.replaceForDevice(device.id, [
      ...ENTITIES.map((entity) => ({ ...entity, name: `${entity.name} (new name)` })),
      { kind: 'contact', key: 'door-1-contact', name: 'Door 1', attributes: { door: 1 } },
    ]);
    expect(again.map(({ key, name, enabled }) => ({ key, name, enabled }))).toEqual([
      { key: 'door-1', name: 'Door 1 lock (new name)', enabled: true },
      { key: 'door-1-contact', name: 'Door 1', enabled: true },
      { key: 'tamper', name: 'Tamper (new name)', enabled: false },
    ]);

    expect((await store.entities.setEnabled(device.id, 'tamper', true))?.enabled).toBe(true);
    expect(await store.entities.setEnabled(device.id, 'door-9', false)).toBeUndefined();
    expect(await store.entities.setEnabled('no-such-device', 'tamper', false)).toBeUndefined();
  });
});

// --- the API and the tamper rule, on a gateway with the simulated doorbell ----------------------

describe('the entity switch of a doorbell', () => {
  let gw: TestGateway;
  let bell: SimDevice;
  let bellId: string;
  const events: GatewayEvent[] = [];
  const changes: Array<BusEvents['entities.changed']> = [];

  beforeAll(async () => {
    bell = await startSimDevice({ profile: 'doorbell', password: PASSWORD });
    // A motion episode ends after a quiet period too: long enough here that "restored" ends it.
    gw = await startTestGateway({ overrides: { events: { quietSeconds: 300 } } });
    const added = await gw.api('POST', '/api/v1/devices', {
      body: { name: 'Front door', host: '127.0.0.1', port: bell.port, username: 'admin', password: PASSWORD },
    });
    expect(added.status, added.text).toBe(201);
    bellId = added.json.id;
    gw.gateway.bus.on('event', (event) => {
      if (event.deviceId === bellId) events.push(event);
    });
    gw.gateway.bus.on('entities.changed', (change) => changes.push(change));
    await eventually(async () => bell.openAlertStreams > 0, 15_000);
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await bell?.close();
  });

  const entities = async () => (await gw.api('GET', `/api/v1/devices/${bellId}/entities`)).json;
  const entity = async (key: string) =>
    (await entities()).find((candidate: { key: string }) => candidate.key === key);
  const patch = (key: string, body: unknown) =>
    gw.api('PATCH', `/api/v1/devices/${bellId}/entities/${key}`, { body });
  const tamperLatch = async () => (await gw.api('GET', `/api/v1/devices/${bellId}/tamper`)).json;
  const kinds = (from: number) => events.slice(from).map((event) => `${event.kind}:${event.state}`);

  it('lists every entity as on', async () => {
    const list = await entities();
    expect(list.map((item: { key: string }) => item.key)).toEqual(
      expect.arrayContaining(['ring', 'door-1', 'door-1-contact', 'tamper']),
    );
    for (const item of list) expect(item.enabled, item.key).toBe(true);
  });

  it('refuses a bad body, an unknown entity and an unknown device, and changes nothing', async () => {
    for (const body of [{}, { enabled: 'off' }, { enabled: 0 }, { enabled: false, name: 'Case' }]) {
      const answer = await patch('tamper', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.json.error.code).toBe('invalid_input');
    }
    const notJson = await gw.api('PATCH', `/api/v1/devices/${bellId}/entities/tamper`, {
      raw: 'enabled=false',
    });
    expect(notJson.status).toBe(400);

    const unknownEntity = await patch('door-9', { enabled: false });
    expect(unknownEntity.status).toBe(404);
    expect(unknownEntity.json.error.message).toBe('"Front door" has no entity "door-9".');
    const unknownDevice = await gw.api('PATCH', `/api/v1/devices/${randomUUID()}/entities/tamper`, {
      body: { enabled: false },
    });
    expect(unknownDevice.status).toBe(404);
    expect(unknownDevice.json.error.message).toMatch(/^No device with id/);

    for (const item of await gw.gateway.store.entities.listByDevice(bellId)) expect(item.enabled).toBe(true);
    expect(changes).toEqual([]);
  });

  it('is in the OpenAPI document', async () => {
    const spec = (await gw.api('GET', '/api/v1/openapi.json')).json;
    const operation = spec.paths['/api/v1/devices/{id}/entities/{key}']?.patch;
    expect(operation).toBeDefined();
    expect(JSON.stringify(operation.requestBody)).toContain('"enabled"');
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '400', '404']));
  });

  it('a tamper alarm is tamper and sets the latch while the tamper entity is on', async () => {
    const from = events.length;
    bell.trigger({ type: 'AccessControllerEvent', major: 1, minor: 1028 });
    await eventually(async () => (await tamperLatch()).latched, 10_000);
    bell.trigger({ type: 'AccessControllerEvent', major: 1, minor: 1029 });
    await eventually(async () => !(await tamperLatch()).latched, 10_000);
    await eventually(async () => kinds(from).includes('access-tamper-restored:pulse'));
    expect(kinds(from)).toEqual(['access-tamper:pulse', 'access-tamper-restored:pulse']);
  });

  it('switched off, tamper is reported as motion (restored ends it) and the latch stays off', async () => {
    const answer = await patch('tamper', { enabled: false });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({ deviceId: bellId, kind: 'tamper', key: 'tamper', enabled: false });
    expect((await entity('tamper')).enabled).toBe(false);
    expect((await entity('door-1')).enabled).toBe(true);
    expect(changes).toEqual([{ deviceId: bellId }]);
    // The events module has read the switch once it says so.
    await eventually(async () => gw.logs().includes('tamper alarms are reported as motion'));

    const from = events.length;
    bell.trigger({ type: 'AccessControllerEvent', major: 1, minor: 1028 });
    await eventually(async () => kinds(from).includes('motion:start'));
    bell.trigger({ type: 'AccessControllerEvent', major: 1, minor: 1029 });
    await eventually(async () => kinds(from).includes('motion:end'));
    expect(kinds(from)).toEqual(['motion:start', 'motion:end']);
    expect(events.at(-1)?.attributes).toMatchObject({ access: { major: 1, minor: 1029 } });
    expect(await tamperLatch()).toEqual({ latched: false, since: null });
    // Stored as motion too.
    await gw.gateway.events.flush();
    const stored = await gw.api('GET', `/api/v1/events?deviceId=${bellId}&kind=motion`);
    expect(stored.status, stored.text).toBe(200);
    expect(stored.json.events.map((event: GatewayEvent) => event.state).sort()).toEqual(['end', 'start']);
  });

  it('the same value again changes nothing; a refresh of the device keeps the switch', async () => {
    const before = changes.length;
    expect((await patch('tamper', { enabled: false })).json.enabled).toBe(false);
    expect(changes.length).toBe(before);

    const refreshed = await gw.api('POST', `/api/v1/devices/${bellId}/refresh`);
    expect(refreshed.status, refreshed.text).toBe(200);
    expect((await entity('tamper')).enabled).toBe(false);
  });

  it('switched on again, tamper is tamper again', async () => {
    const answer = await patch('tamper', { enabled: true });
    expect(answer.json.enabled).toBe(true);
    await eventually(async () => gw.logs().includes('tamper alarms are reported as tamper again'));
    const from = events.length;
    bell.trigger({ type: 'AccessControllerEvent', major: 1, minor: 1028 });
    await eventually(async () => (await tamperLatch()).latched, 10_000);
    expect(kinds(from)).toEqual(['access-tamper:pulse']);
    await gw.api('POST', `/api/v1/devices/${bellId}/tamper/reset`);
  });
});
