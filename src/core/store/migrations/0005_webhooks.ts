/**
 * The webhook delivery queue: one row per (subscription, event) until the receiver accepted it.
 * `seq` orders each subscription's queue; the lease columns let several gateways share one
 * PostgreSQL database without two of them sending the same row at once.
 */
import { sql } from 'kysely';
import type { StoreMigration } from './columns.ts';

export const webhooks: StoreMigration = {
  async up(db, t) {
    // The dialects spell an ever-increasing key differently; the time type tells them apart.
    // SQLite needs AUTOINCREMENT: a plain rowid may be reused after the highest row is deleted.
    const postgres = t.time === 'timestamptz';
    await db.schema
      .createTable('webhook_queue')
      .ifNotExists()
      .addColumn('seq', postgres ? 'bigserial' : 'integer', (c) =>
        postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('subscription_id', 'text', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(sql`0`))
      .addColumn('next_attempt_at', t.time, (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('leased_until', t.time)
      .addColumn('last_error', 'text')
      .execute();

    // The head of a subscription's queue, trimming and age drops all walk this order.
    await db.schema
      .createIndex('webhook_queue_subscription_seq_idx')
      .ifNotExists()
      .on('webhook_queue')
      .columns(['subscription_id', 'seq'])
      .execute();
  },

  async down(db) {
    await db.schema.dropTable('webhook_queue').ifExists().execute();
  },
};
