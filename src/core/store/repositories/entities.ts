import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type FieldMap, nowIso } from '../codec.ts';
import { StoreConflictError } from '../errors.ts';
import type { Database, EntitiesTable } from '../schema.ts';
import type { EntityInput, EntityRecord, EntityRepository } from '../types.ts';
import { assertDeviceExists, changedFields } from './channels.ts';
import { atomically, insertable, type RepoContext, updateable, withoutManagedFields } from './context.ts';

const ENTITY_FIELDS: FieldMap<EntityRecord, EntitiesTable> = {
  id: ['id', 'plain'],
  deviceId: ['device_id', 'plain'],
  kind: ['kind', 'plain'],
  key: ['key', 'plain'],
  name: ['name', 'plain'],
  attributes: ['attributes', 'json'],
  enabled: ['enabled', 'bool'],
  createdAt: ['created_at', 'time'],
};

export function entityRepository({ db, codec }: RepoContext): EntityRepository {
  const decode = (row: EntitiesTable): EntityRecord => codec.decode(ENTITY_FIELDS, row, 'entities');
  const byDevice = (handle: Kysely<Database>, deviceId: string) =>
    handle.selectFrom('entities').selectAll().where('device_id', '=', deviceId).orderBy('key').execute();

  /** Device-reported fields of a kept entity; `enabled` is the user's and a re-probe keeps it. */
  async function refresh(handle: Kysely<Database>, current: EntityRecord, input: EntityInput): Promise<void> {
    const next: EntityRecord = {
      ...current,
      ...withoutManagedFields(input),
      deviceId: current.deviceId,
      enabled: current.enabled,
    };
    const changes = codec.encode(ENTITY_FIELDS, changedFields(current, next));
    if (Object.keys(changes).length === 0) return;
    await handle
      .updateTable('entities')
      .set(updateable<'entities'>(changes))
      .where('id', '=', current.id)
      .execute();
  }

  async function add(handle: Kysely<Database>, deviceId: string, input: EntityInput): Promise<void> {
    const record: EntityRecord = {
      ...input,
      enabled: input.enabled ?? true,
      id: randomUUID(),
      deviceId,
      createdAt: nowIso(),
    };
    await handle
      .insertInto('entities')
      .values(insertable<'entities'>(codec.encode(ENTITY_FIELDS, record)))
      .execute();
  }

  return {
    async list() {
      const rows = await db.selectFrom('entities').selectAll().orderBy('device_id').orderBy('key').execute();
      return rows.map(decode);
    },

    async listByDevice(deviceId) {
      return (await byDevice(db, deviceId)).map(decode);
    },

    async replaceForDevice(deviceId, entities) {
      assertUniqueKeys(entities);
      return atomically(db, async (trx) => {
        await assertDeviceExists(trx, deviceId);
        const existing = new Map((await byDevice(trx, deviceId)).map((row) => [row.key, decode(row)]));
        const wanted = new Set(entities.map((entity) => entity.key));
        const gone = [...existing.values()].filter((entity) => !wanted.has(entity.key));
        if (gone.length > 0) {
          await trx
            .deleteFrom('entities')
            .where(
              'id',
              'in',
              gone.map((entity) => entity.id),
            )
            .execute();
        }
        for (const input of entities) {
          const current = existing.get(input.key);
          await (current ? refresh(trx, current, input) : add(trx, deviceId, input));
        }
        return (await byDevice(trx, deviceId)).map(decode);
      });
    },

    async setEnabled(deviceId, key, enabled) {
      const row = await db
        .updateTable('entities')
        .set(updateable<'entities'>({ enabled: codec.write('bool', enabled) }))
        .where('device_id', '=', deviceId)
        .where('key', '=', key)
        .returningAll()
        .executeTakeFirst();
      return row && decode(row);
    },
  };
}

function assertUniqueKeys(entities: EntityInput[]): void {
  const seen = new Set<string>();
  for (const { key } of entities) {
    if (seen.has(key)) {
      throw new StoreConflictError(
        'entities',
        ['device_id', 'key'],
        `entity key "${key}" appears twice in the new list`,
      );
    }
    seen.add(key);
  }
}
