import { type SelectQueryBuilder, sql } from 'kysely';
import { type FieldMap, toIsoTime } from '../codec.ts';
import type { Database, EventsTable } from '../schema.ts';
import type { EventListFilter, EventQuery, EventRecord, EventRepository } from '../types.ts';
import { affected, insertable, type RepoContext } from './context.ts';

export const DEFAULT_EVENT_PAGE = 100;
export const MAX_EVENT_PAGE = 500;
export const MAX_EVENTS_AFTER = 1000;

const EVENT_FIELDS: FieldMap<EventRecord, EventsTable> = {
  id: ['id', 'plain'],
  deviceId: ['device_id', 'plain'],
  channelId: ['channel_id', 'plain'],
  kind: ['kind', 'plain'],
  state: ['state', 'plain'],
  // Device time stays as the device said it, offset included.
  at: ['at', 'plain'],
  receivedAt: ['received_at', 'time'],
  data: ['data', 'json'],
};

export function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_EVENT_PAGE;
  return Math.min(MAX_EVENT_PAGE, Math.max(1, Math.floor(limit)));
}

export function eventRepository({ db, codec }: RepoContext): EventRepository {
  const decode = (row: EventsTable): EventRecord => codec.decode(EVENT_FIELDS, row, 'events');

  return {
    async insert(event) {
      await db
        .insertInto('events')
        .values(insertable<'events'>(codec.encode(EVENT_FIELDS, event)))
        .execute();
    },

    /** Newest first by (received_at, id); `before` continues after that row (keyset paging). */
    async query(query: EventQuery) {
      let select = db.selectFrom('events').selectAll();
      if (query.deviceId !== undefined) select = select.where('device_id', '=', query.deviceId);
      if (query.channelId !== undefined) select = select.where('channel_id', '=', query.channelId);
      if (query.kind !== undefined) select = select.where('kind', '=', query.kind);
      if (query.from !== undefined) select = select.where('received_at', '>=', toIsoTime(query.from, 'from'));
      if (query.to !== undefined) select = select.where('received_at', '<', toIsoTime(query.to, 'to'));
      if (query.before !== undefined) {
        // A cursor row that was pruned meanwhile compares as NULL: the page is empty.
        select = select.where(
          sql<boolean>`(received_at, id) < (select c.received_at, c.id from events c where c.id = ${query.before})`,
        );
      }
      const rows = await select
        .orderBy('received_at', 'desc')
        .orderBy('id', 'desc')
        .limit(pageSize(query.limit))
        .execute();
      return rows.map(decode);
    },

    async prune({ olderThan, maxRows }) {
      let deleted = 0;
      if (olderThan !== undefined) {
        const result = await db
          .deleteFrom('events')
          .where('received_at', '<', toIsoTime(olderThan, 'olderThan'))
          .executeTakeFirst();
        deleted += affected(result.numDeletedRows);
      }
      if (maxRows !== undefined) {
        const keep = Math.max(0, Math.floor(maxRows));
        // Everything at or after the first row past the newest `keep`, in query() order.
        const result = await db
          .deleteFrom('events')
          .where(
            sql<boolean>`(received_at, id) <= (select c.received_at, c.id from events c
              order by c.received_at desc, c.id desc limit 1 offset ${keep})`,
          )
          .executeTakeFirst();
        deleted += affected(result.numDeletedRows);
      }
      return deleted;
    },

    async get(id) {
      const row = await db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
      return row && decode(row);
    },

    /** Oldest first; the cursor is compared by value, so it works for events not (yet) stored. */
    async after(cursor, filter, limit) {
      const receivedAt = toIsoTime(cursor.receivedAt, 'cursor.receivedAt');
      // PostgreSQL cannot infer a parameter's type inside a row comparison: say it.
      const time =
        codec.dialect === 'postgres' ? sql`cast(${receivedAt} as timestamptz)` : sql`${receivedAt}`;
      let select = db
        .selectFrom('events')
        .selectAll()
        .where(sql<boolean>`(received_at, id) > (${time}, ${cursor.id})`);
      select = whereIn(select, 'device_id', filter.deviceIds);
      select = whereIn(select, 'channel_id', filter.channelIds);
      select = whereIn(select, 'kind', filter.kinds);
      const rows = await select
        .orderBy('received_at', 'asc')
        .orderBy('id', 'asc')
        .limit(Math.min(MAX_EVENTS_AFTER, Math.max(1, Math.floor(limit))))
        .execute();
      return rows.map(decode);
    },
  };
}

type EventSelect = SelectQueryBuilder<Database, 'events', EventsTable>;

/** An absent or empty list filters nothing. */
function whereIn(
  select: EventSelect,
  column: 'device_id' | 'channel_id' | 'kind',
  values: EventListFilter[keyof EventListFilter],
): EventSelect {
  return values && values.length > 0 ? select.where(column, 'in', values) : select;
}
