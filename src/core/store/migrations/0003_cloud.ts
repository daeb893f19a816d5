/** HikCentral Connect accounts (app secret encrypted) and the cloud cameras imported from them. */
import type { StoreMigration } from './columns.ts';

export const cloud: StoreMigration = {
  async up(db, t) {
    await db.schema
      .createTable('cloud_accounts')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('app_key', 'text', (c) => c.notNull())
      .addColumn('app_secret_enc', 'text', (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('cloud_cameras')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('cloud_accounts.id').onDelete('cascade'))
      .addColumn('device_serial', 'text', (c) => c.notNull())
      .addColumn('channel_no', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('attributes', t.json, (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .addUniqueConstraint('cloud_cameras_natural_unique', ['account_id', 'device_serial', 'channel_no'])
      .execute();
  },

  async down(db) {
    await db.schema.dropTable('cloud_cameras').ifExists().execute();
    await db.schema.dropTable('cloud_accounts').ifExists().execute();
  },
};
