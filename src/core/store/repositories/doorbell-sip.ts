import { type FieldMap, nowIso } from '../codec.ts';
import type { DoorbellSipTable } from '../schema.ts';
import type { DoorbellSipRecord, DoorbellSipRepository } from '../types.ts';
import { assertDeviceExists } from './channels.ts';
import { affected, atomically, insertable, type RepoContext } from './context.ts';

const FIELDS: FieldMap<DoorbellSipRecord, DoorbellSipTable> = {
  deviceId: ['device_id', 'plain'],
  mode: ['mode', 'plain'],
  emulate: ['emulate', 'json'],
  client: ['client', 'json'],
  password: ['password_enc', 'secret'],
  updatedAt: ['updated_at', 'time'],
};

export function doorbellSipRepository({ db, codec }: RepoContext): DoorbellSipRepository {
  const decode = (row: DoorbellSipTable): DoorbellSipRecord => codec.decode(FIELDS, row, 'doorbell_sip');
  return {
    async get(deviceId) {
      const row = await db
        .selectFrom('doorbell_sip')
        .selectAll()
        .where('device_id', '=', deviceId)
        .executeTakeFirst();
      return row ? decode(row) : undefined;
    },

    async list() {
      const rows = await db.selectFrom('doorbell_sip').selectAll().orderBy('device_id').execute();
      return rows.map(decode);
    },

    async put(input) {
      const record: DoorbellSipRecord = { ...input, updatedAt: nowIso() };
      // null columns are written as null (encode skips only undefined), so a cleared password goes.
      const row = insertable<'doorbell_sip'>(codec.encode(FIELDS, record));
      await atomically(db, async (trx) => {
        await assertDeviceExists(trx, record.deviceId);
        await trx
          .insertInto('doorbell_sip')
          .values({ ...row, client: row.client ?? null, password_enc: row.password_enc ?? null })
          .onConflict((conflict) =>
            conflict.column('device_id').doUpdateSet({
              mode: row.mode,
              emulate: row.emulate,
              client: row.client ?? null,
              password_enc: row.password_enc ?? null,
              updated_at: row.updated_at,
            }),
          )
          .execute();
      });
      return record;
    },

    async delete(deviceId) {
      const result = await db.deleteFrom('doorbell_sip').where('device_id', '=', deviceId).executeTakeFirst();
      return affected(result.numDeletedRows) > 0;
    },
  };
}
