/**
 * What the cloud import keeps: per account its region's address, stream quality, switch and the
 * last sync's outcome; per camera the cloud's facts (resourceId, online), the live URL (encrypted:
 * its query is the key to the stream) with its expiry and next renewal, and its status in words.
 * Renewal times live here so a restart neither renews every URL at once nor lets one lapse.
 */
import type { StoreMigration } from './columns.ts';

export const cloudImport: StoreMigration = {
  async up(db, t) {
    const yes = t.bool === 'integer' ? 1 : true;
    const accounts = [
      db.schema.alterTable('cloud_accounts').addColumn('base_url', 'text', (c) => c.notNull().defaultTo('')),
      db.schema
        .alterTable('cloud_accounts')
        .addColumn('quality', 'text', (c) => c.notNull().defaultTo('main')),
      db.schema.alterTable('cloud_accounts').addColumn('enabled', t.bool, (c) => c.notNull().defaultTo(yes)),
      db.schema.alterTable('cloud_accounts').addColumn('last_sync', t.json),
      db.schema.alterTable('cloud_accounts').addColumn('updated_at', t.time),
    ];
    const cameras = [
      db.schema
        .alterTable('cloud_cameras')
        .addColumn('resource_id', 'text', (c) => c.notNull().defaultTo('')),
      db.schema.alterTable('cloud_cameras').addColumn('online', t.bool, (c) => c.notNull().defaultTo(yes)),
      db.schema.alterTable('cloud_cameras').addColumn('enabled', t.bool, (c) => c.notNull().defaultTo(yes)),
      db.schema
        .alterTable('cloud_cameras')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending')),
      db.schema.alterTable('cloud_cameras').addColumn('last_error', 'text'),
      db.schema.alterTable('cloud_cameras').addColumn('quality', 'text'),
      db.schema.alterTable('cloud_cameras').addColumn('url_enc', 'text'),
      db.schema.alterTable('cloud_cameras').addColumn('url_expires_at', t.time),
      db.schema.alterTable('cloud_cameras').addColumn('next_renewal_at', t.time),
      db.schema
        .alterTable('cloud_cameras')
        .addColumn('renew_failures', 'integer', (c) => c.notNull().defaultTo(0)),
      db.schema.alterTable('cloud_cameras').addColumn('stream_code_enc', 'text'),
      db.schema.alterTable('cloud_cameras').addColumn('removed_at', t.time),
    ];
    // One column per statement: SQLite's ALTER TABLE adds one at a time.
    for (const statement of [...accounts, ...cameras]) await statement.execute();
  },

  async down(db) {
    for (const column of ['base_url', 'quality', 'enabled', 'last_sync', 'updated_at']) {
      await db.schema.alterTable('cloud_accounts').dropColumn(column).execute();
    }
    for (const column of [
      'resource_id',
      'online',
      'enabled',
      'status',
      'last_error',
      'quality',
      'url_enc',
      'url_expires_at',
      'next_renewal_at',
      'renew_failures',
      'stream_code_enc',
      'removed_at',
    ]) {
      await db.schema.alterTable('cloud_cameras').dropColumn(column).execute();
    }
  },
};
