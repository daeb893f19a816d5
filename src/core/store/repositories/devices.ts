import { randomUUID } from 'node:crypto';
import { type SelectQueryBuilder, sql } from 'kysely';
import { type FieldMap, nowIso } from '../codec.ts';
import type { Database, DevicesTable } from '../schema.ts';
import type { DeviceRecord, DeviceRepository } from '../types.ts';
import { affected, insertable, type RepoContext, updateable, withoutManagedFields } from './context.ts';

const DEVICE_FIELDS: FieldMap<DeviceRecord, DevicesTable> = {
  id: ['id', 'plain'],
  name: ['name', 'plain'],
  host: ['host', 'plain'],
  port: ['port', 'plain'],
  https: ['https', 'bool'],
  username: ['username', 'plain'],
  password: ['password_enc', 'secret'],
  tlsFingerprint: ['tls_fingerprint', 'plain'],
  insecureTls: ['insecure_tls', 'bool'],
  httpPortOverride: ['http_port_override', 'plain'],
  snapshotUrlOverride: ['snapshot_url_override', 'secret-url'],
  channelOverride: ['channel_override', 'json'],
  defaultStream: ['default_stream', 'plain'],
  kind: ['kind', 'plain'],
  model: ['model', 'plain'],
  serialNumber: ['serial_number', 'plain'],
  firmwareVersion: ['firmware_version', 'plain'],
  macAddress: ['mac_address', 'plain'],
  rtspPort: ['rtsp_port', 'plain'],
  twoWayAudio: ['two_way_audio', 'json'],
  doors: ['doors', 'plain'],
  alarmInputs: ['alarm_inputs', 'plain'],
  alarmOutputs: ['alarm_outputs', 'plain'],
  settingsVersion: ['settings_version', 'plain'],
  enabled: ['enabled', 'bool'],
  createdAt: ['created_at', 'time'],
  updatedAt: ['updated_at', 'time'],
};

export function deviceRepository({ db, codec }: RepoContext): DeviceRepository {
  const decode = (row: DevicesTable): DeviceRecord => codec.decode(DEVICE_FIELDS, row, 'devices');
  const oldest = async (query: SelectQueryBuilder<Database, 'devices', DevicesTable>) => {
    const row = await query.orderBy('created_at').executeTakeFirst();
    return row && decode(row);
  };

  const repo: DeviceRepository = {
    async list() {
      const rows = await db.selectFrom('devices').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(decode);
    },

    async get(id) {
      const row = await db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
      return row && decode(row);
    },

    // Both look up one row instead of listing (and decrypting) every device: adding 1000
    // devices one by one would otherwise be quadratic.
    findByAddress(host, port) {
      return oldest(
        db
          .selectFrom('devices')
          .selectAll()
          .where(sql<string>`lower(host)`, '=', host.toLowerCase())
          .where('port', '=', port),
      );
    },

    findBySerial(serialNumber) {
      return oldest(db.selectFrom('devices').selectAll().where('serial_number', '=', serialNumber));
    },

    async insert(device) {
      const now = nowIso();
      const record = { ...device, id: device.id ?? randomUUID(), createdAt: now, updatedAt: now };
      const row = await db
        .insertInto('devices')
        .values(insertable<'devices'>(codec.encode(DEVICE_FIELDS, record)))
        .returningAll()
        .executeTakeFirstOrThrow();
      return decode(row);
    },

    async update(id, patch) {
      const changes = codec.encode(DEVICE_FIELDS, withoutManagedFields(patch));
      if (Object.keys(changes).length === 0) return repo.get(id);
      changes.updated_at = codec.write('time', nowIso());
      const row = await db
        .updateTable('devices')
        .set(updateable<'devices'>(changes))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && decode(row);
    },

    async delete(id) {
      // Channels and entities go with it (ON DELETE CASCADE).
      const result = await db.deleteFrom('devices').where('id', '=', id).executeTakeFirst();
      return affected(result.numDeletedRows) > 0;
    },
  };
  return repo;
}
