/**
 * The event history. No foreign key to devices: inserts stay cheap on a hot path, and history
 * outlives a deleted device until pruned.
 */
import type { StoreMigration } from './columns.ts';

export const events: StoreMigration = {
  async up(db, t) {
    await db.schema
      .createTable('events')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('channel_id', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('received_at', t.time, (c) => c.notNull())
      .addColumn('data', t.json, (c) => c.notNull())
      .execute();

    const indexes: Array<[name: string, columns: string[]]> = [
      ['events_device_received_idx', ['device_id', 'received_at']],
      ['events_kind_received_idx', ['kind', 'received_at']],
      // With id: the keyset order of query() and prune().
      ['events_received_idx', ['received_at', 'id']],
    ];
    for (const [name, columns] of indexes) {
      await db.schema.createIndex(name).ifNotExists().on('events').columns(columns).execute();
    }
  },

  async down(db) {
    await db.schema.dropTable('events').ifExists().execute();
  },
};
