/**
 * Devices and what belongs to them: channels (cameras) and entities (locks, contacts...), plus
 * the settings key/value table. `if not exists` everywhere: re-running a migration whose
 * bookkeeping row was lost must not fail.
 */
import type { StoreMigration } from './columns.ts';

export const devices: StoreMigration = {
  async up(db, t) {
    await db.schema
      .createTable('devices')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('port', 'integer', (c) => c.notNull())
      .addColumn('https', t.bool, (c) => c.notNull())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('password_enc', 'text', (c) => c.notNull())
      .addColumn('tls_fingerprint', 'text')
      .addColumn('insecure_tls', t.bool, (c) => c.notNull())
      .addColumn('http_port_override', 'integer')
      .addColumn('snapshot_url_override', 'text')
      .addColumn('channel_override', t.json)
      .addColumn('default_stream', 'integer')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('model', 'text')
      .addColumn('serial_number', 'text')
      .addColumn('firmware_version', 'text')
      .addColumn('mac_address', 'text')
      .addColumn('rtsp_port', 'integer', (c) => c.notNull())
      .addColumn('two_way_audio', t.json)
      .addColumn('doors', 'integer', (c) => c.notNull())
      .addColumn('alarm_inputs', 'integer', (c) => c.notNull())
      .addColumn('alarm_outputs', 'integer', (c) => c.notNull())
      .addColumn('settings_version', 'integer', (c) => c.notNull())
      .addColumn('enabled', t.bool, (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('channels')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
      .addColumn('channel_no', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('model', 'text')
      .addColumn('enabled', t.bool, (c) => c.notNull())
      .addColumn('online', t.bool, (c) => c.notNull())
      .addColumn('streams', t.json, (c) => c.notNull())
      .addColumn('snapshot_url_override', 'text')
      .addColumn('default_stream', 'integer')
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      // Also serves as the index for device_id lookups and cascades.
      .addUniqueConstraint('channels_device_channel_unique', ['device_id', 'channel_no'])
      .execute();

    await db.schema
      .createTable('entities')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('attributes', t.json, (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addUniqueConstraint('entities_device_key_unique', ['device_id', 'key'])
      .execute();

    await db.schema
      .createTable('settings')
      .ifNotExists()
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', t.json, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
  },

  async down(db) {
    for (const table of ['settings', 'entities', 'channels', 'devices']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};
