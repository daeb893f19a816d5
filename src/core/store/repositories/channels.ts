import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Kysely } from 'kysely';
import { type FieldMap, nowIso } from '../codec.ts';
import { StoreConflictError, StoreReferenceError } from '../errors.ts';
import type { ChannelsTable, Database } from '../schema.ts';
import type { ChannelRecord, ChannelRepository } from '../types.ts';
import { atomically, insertable, type RepoContext, updateable, withoutManagedFields } from './context.ts';

type ChannelInput = Omit<ChannelRecord, 'id' | 'deviceId' | 'createdAt' | 'updatedAt'>;

const CHANNEL_FIELDS: FieldMap<ChannelRecord, ChannelsTable> = {
  id: ['id', 'plain'],
  deviceId: ['device_id', 'plain'],
  channelNo: ['channel_no', 'plain'],
  name: ['name', 'plain'],
  source: ['source', 'plain'],
  model: ['model', 'plain'],
  enabled: ['enabled', 'bool'],
  online: ['online', 'bool'],
  streams: ['streams', 'json'],
  snapshotUrlOverride: ['snapshot_url_override', 'secret-url'],
  defaultStream: ['default_stream', 'plain'],
  keepWarm: ['keep_warm', 'bool'],
  createdAt: ['created_at', 'time'],
  updatedAt: ['updated_at', 'time'],
};

/** Set by the user; a re-probe of the device must not reset them. */
const USER_OWNED = ['enabled', 'snapshotUrlOverride', 'defaultStream', 'keepWarm'] as const;

export function channelRepository({ db, codec }: RepoContext): ChannelRepository {
  const decode = (row: ChannelsTable): ChannelRecord => codec.decode(CHANNEL_FIELDS, row, 'channels');
  const byDevice = (handle: Kysely<Database>, deviceId: string) =>
    handle
      .selectFrom('channels')
      .selectAll()
      .where('device_id', '=', deviceId)
      .orderBy('channel_no')
      .execute();

  /** Device-reported fields of a kept channel; only written (and updatedAt bumped) on change. */
  async function refresh(
    handle: Kysely<Database>,
    current: ChannelRecord,
    input: ChannelInput,
  ): Promise<void> {
    const next: ChannelRecord = { ...current, ...withoutManagedFields(input), deviceId: current.deviceId };
    for (const field of USER_OWNED) (next as unknown as Record<string, unknown>)[field] = current[field];
    const changes = codec.encode(CHANNEL_FIELDS, changedFields(current, next));
    if (Object.keys(changes).length === 0) return;
    changes.updated_at = codec.write('time', nowIso());
    await handle
      .updateTable('channels')
      .set(updateable<'channels'>(changes))
      .where('id', '=', current.id)
      .execute();
  }

  async function add(handle: Kysely<Database>, deviceId: string, input: ChannelInput): Promise<void> {
    const now = nowIso();
    const record: ChannelRecord = { ...input, id: randomUUID(), deviceId, createdAt: now, updatedAt: now };
    await handle
      .insertInto('channels')
      .values(insertable<'channels'>(codec.encode(CHANNEL_FIELDS, record)))
      .execute();
  }

  const repo: ChannelRepository = {
    async list() {
      const rows = await db
        .selectFrom('channels')
        .selectAll()
        .orderBy('device_id')
        .orderBy('channel_no')
        .execute();
      return rows.map(decode);
    },

    async listByDevice(deviceId) {
      return (await byDevice(db, deviceId)).map(decode);
    },

    async get(id) {
      const row = await db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
      return row && decode(row);
    },

    async replaceForDevice(deviceId, channels) {
      assertUniqueNumbers(channels);
      return atomically(db, async (trx) => {
        await assertDeviceExists(trx, deviceId);
        const existing = new Map((await byDevice(trx, deviceId)).map((row) => [row.channel_no, decode(row)]));
        const wanted = new Set(channels.map((channel) => channel.channelNo));
        const gone = [...existing.values()].filter((channel) => !wanted.has(channel.channelNo));
        // Delete first: the unique (device_id, channel_no) must never see old and new at once.
        if (gone.length > 0) {
          await trx
            .deleteFrom('channels')
            .where(
              'id',
              'in',
              gone.map((channel) => channel.id),
            )
            .execute();
        }
        for (const input of channels) {
          const current = existing.get(input.channelNo);
          await (current ? refresh(trx, current, input) : add(trx, deviceId, input));
        }
        return (await byDevice(trx, deviceId)).map(decode);
      });
    },

    async update(id, patch) {
      const changes = codec.encode(CHANNEL_FIELDS, withoutManagedFields(patch));
      if (Object.keys(changes).length === 0) return repo.get(id);
      changes.updated_at = codec.write('time', nowIso());
      const row = await db
        .updateTable('channels')
        .set(updateable<'channels'>(changes))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && decode(row);
    },
  };
  return repo;
}

function assertUniqueNumbers(channels: ChannelInput[]): void {
  const seen = new Set<number>();
  for (const { channelNo } of channels) {
    if (seen.has(channelNo)) {
      throw new StoreConflictError(
        'channels',
        ['device_id', 'channel_no'],
        `channel number ${channelNo} appears twice in the new channel list`,
      );
    }
    seen.add(channelNo);
  }
}

export async function assertDeviceExists(db: Kysely<Database>, deviceId: string): Promise<void> {
  const row = await db.selectFrom('devices').select('id').where('id', '=', deviceId).executeTakeFirst();
  if (!row) throw new StoreReferenceError(`device ${deviceId} does not exist`);
}

/**
 * The fields whose value differs. Compared as stored JSON would be (undefined members dropped)
 * and regardless of key order, which JSONB does not keep.
 */
export function changedFields<T extends object>(current: T, next: T): Partial<T> {
  const changed: Partial<T> = {};
  for (const key of Object.keys(next) as Array<keyof T>) {
    if (!isDeepStrictEqual(asStored(current[key]), asStored(next[key]))) changed[key] = next[key];
  }
  return changed;
}

function asStored(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
