/**
 * The webhook delivery queue. Each subscription's rows form a FIFO by `seq`. Workers only ever
 * get the head of a queue, through a conditional UPDATE that takes a time-limited lease: one
 * statement, atomic on both dialects, so of several gateways on one PostgreSQL exactly one wins
 * and the others leave the queue alone until the lease is given back or runs out.
 *
 * Why not `SELECT ... FOR UPDATE SKIP LOCKED`: skipping a locked head would hand the second row
 * to another gateway and break the per-subscription order; and a row lock only lives as long as
 * a transaction, while a delivery (an HTTP request) must not hold a transaction open.
 */
import { type Selectable, sql } from 'kysely';
import { type FieldMap, toIsoTime } from '../codec.ts';
import type { WebhookQueueTable } from '../schema.ts';
import type { WebhookQueueEntry, WebhookQueueRepository } from '../types.ts';
import { affected, atomically, insertable, type RepoContext } from './context.ts';

type Fields = Omit<WebhookQueueEntry, 'seq'>;
type Row = Selectable<WebhookQueueTable>;

const QUEUE_FIELDS: FieldMap<Fields, Row> = {
  subscriptionId: ['subscription_id', 'plain'],
  eventId: ['event_id', 'plain'],
  body: ['body', 'plain'],
  createdAt: ['created_at', 'time'],
  attempts: ['attempts', 'plain'],
  nextAttemptAt: ['next_attempt_at', 'time'],
  leaseOwner: ['lease_owner', 'plain'],
  leasedUntil: ['leased_until', 'time'],
  lastError: ['last_error', 'plain'],
};

/** Error texts are for people reading the queue; a receiver's long answer is cut. */
const MAX_ERROR_LENGTH = 500;

export function webhookQueueRepository({ db, codec }: RepoContext): WebhookQueueRepository {
  const decode = (row: Row): WebhookQueueEntry => ({
    // bigserial comes back from pg as a string; seq values stay far below 2^53.
    seq: Number(row.seq),
    ...codec.decode(QUEUE_FIELDS, row, 'webhook_queue'),
    attempts: Number(row.attempts),
  });
  const headOf = (subscriptionId: string) =>
    db
      .selectFrom('webhook_queue')
      .select('seq')
      .where('subscription_id', '=', subscriptionId)
      .orderBy('seq')
      .limit(1);

  return {
    async enqueue(entries, now) {
      if (entries.length === 0) return;
      const createdAt = toIsoTime(now, 'now');
      // One insert per row, in order, in one transaction: the seq order is the given order.
      await atomically(db, async (trx) => {
        for (const entry of entries) {
          const fields: Fields = {
            ...entry,
            createdAt,
            attempts: 0,
            nextAttemptAt: createdAt,
            leaseOwner: null,
            leasedUntil: null,
            lastError: null,
          };
          await trx
            .insertInto('webhook_queue')
            .values(insertable<'webhook_queue'>(codec.encode(QUEUE_FIELDS, fields)))
            .execute();
        }
      });
    },

    async claimHead(subscriptionId, owner, now, leaseUntil) {
      const at = toIsoTime(now, 'now');
      // PostgreSQL re-checks the WHERE clause on the latest row version after waiting for a
      // concurrent claim, so a row leased meanwhile is not claimed a second time.
      const row = await db
        .updateTable('webhook_queue')
        .set({
          lease_owner: owner,
          leased_until: toIsoTime(leaseUntil, 'leaseUntil'),
          attempts: sql<number>`attempts + 1`,
        })
        .where('seq', '=', headOf(subscriptionId))
        .where('next_attempt_at', '<=', at)
        .where((eb) => eb.or([eb('leased_until', 'is', null), eb('leased_until', '<=', at)]))
        // Nor while another row of the subscription is out: a row whose insert committed late
        // with a lower seq becomes the head while a later one is being delivered, and must wait
        // for it, or two deliveries of one subscription would be in flight at once.
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('webhook_queue as other')
                .select('other.seq')
                .where('other.subscription_id', '=', subscriptionId)
                .where('other.leased_until', '>', at),
            ),
          ),
        )
        .returningAll()
        .executeTakeFirst();
      return row && decode(row);
    },

    async head(subscriptionId) {
      const row = await db
        .selectFrom('webhook_queue')
        .selectAll()
        .where('subscription_id', '=', subscriptionId)
        .orderBy('seq')
        .limit(1)
        .executeTakeFirst();
      return row && decode(row);
    },

    async remove(seq) {
      const result = await db.deleteFrom('webhook_queue').where('seq', '=', seq).executeTakeFirst();
      return affected(result.numDeletedRows) > 0;
    },

    async release(seq, owner, next) {
      const result = await db
        .updateTable('webhook_queue')
        .set({
          lease_owner: null,
          leased_until: null,
          attempts: next.attempts,
          next_attempt_at: toIsoTime(next.nextAttemptAt, 'nextAttemptAt'),
          last_error: next.lastError === null ? null : next.lastError.slice(0, MAX_ERROR_LENGTH),
        })
        .where('seq', '=', seq)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return affected(result.numUpdatedRows) > 0;
    },

    async dropOlderThan(subscriptionId, before) {
      const result = await db
        .deleteFrom('webhook_queue')
        .where('subscription_id', '=', subscriptionId)
        .where('created_at', '<', toIsoTime(before, 'before'))
        .executeTakeFirst();
      return affected(result.numDeletedRows);
    },

    async trim(subscriptionId, maxRows) {
      const keep = Math.max(0, Math.floor(maxRows));
      // Everything at or before the first row past the newest `keep`.
      const cutoff = db
        .selectFrom('webhook_queue')
        .select('seq')
        .where('subscription_id', '=', subscriptionId)
        .orderBy('seq', 'desc')
        .limit(1)
        .offset(keep);
      const result = await db
        .deleteFrom('webhook_queue')
        .where('subscription_id', '=', subscriptionId)
        .where('seq', '<=', cutoff)
        .executeTakeFirst();
      return affected(result.numDeletedRows);
    },

    async list(subscriptionId, limit = 1000) {
      const rows = await db
        .selectFrom('webhook_queue')
        .selectAll()
        .where('subscription_id', '=', subscriptionId)
        .orderBy('seq')
        .limit(Math.max(1, Math.floor(limit)))
        .execute();
      return rows.map(decode);
    },

    async counts() {
      const rows = await db
        .selectFrom('webhook_queue')
        .select(['subscription_id', (eb) => eb.fn.countAll<number | string>().as('count')])
        .groupBy('subscription_id')
        .orderBy('subscription_id')
        .execute();
      return rows.map((row) => ({ subscriptionId: row.subscription_id, count: Number(row.count) }));
    },

    async deleteSubscription(subscriptionId) {
      const result = await db
        .deleteFrom('webhook_queue')
        .where('subscription_id', '=', subscriptionId)
        .executeTakeFirst();
      return affected(result.numDeletedRows);
    },
  };
}
