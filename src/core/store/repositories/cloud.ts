import { randomUUID } from 'node:crypto';
import { type FieldMap, nowIso } from '../codec.ts';
import type { CloudAccountsTable, CloudCamerasTable } from '../schema.ts';
import type { CloudAccountRecord, CloudCameraRecord, CloudRepository } from '../types.ts';
import { affected, insertable, type RepoContext } from './context.ts';

const ACCOUNT_FIELDS: FieldMap<CloudAccountRecord, CloudAccountsTable> = {
  id: ['id', 'plain'],
  name: ['name', 'plain'],
  appKey: ['app_key', 'plain'],
  appSecret: ['app_secret_enc', 'secret'],
  createdAt: ['created_at', 'time'],
};

const CAMERA_FIELDS: FieldMap<CloudCameraRecord, CloudCamerasTable> = {
  id: ['id', 'plain'],
  accountId: ['account_id', 'plain'],
  deviceSerial: ['device_serial', 'plain'],
  channelNo: ['channel_no', 'plain'],
  name: ['name', 'plain'],
  attributes: ['attributes', 'json'],
  createdAt: ['created_at', 'time'],
  updatedAt: ['updated_at', 'time'],
};

export function cloudRepository({ db, codec }: RepoContext): CloudRepository {
  const decodeAccount = (row: CloudAccountsTable): CloudAccountRecord =>
    codec.decode(ACCOUNT_FIELDS, row, 'cloud_accounts');
  const decodeCamera = (row: CloudCamerasTable): CloudCameraRecord =>
    codec.decode(CAMERA_FIELDS, row, 'cloud_cameras');

  return {
    async listAccounts() {
      const rows = await db
        .selectFrom('cloud_accounts')
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(decodeAccount);
    },

    async insertAccount(account) {
      const record: CloudAccountRecord = { ...account, id: account.id ?? randomUUID(), createdAt: nowIso() };
      const row = await db
        .insertInto('cloud_accounts')
        .values(insertable<'cloud_accounts'>(codec.encode(ACCOUNT_FIELDS, record)))
        .returningAll()
        .executeTakeFirstOrThrow();
      return decodeAccount(row);
    },

    async deleteAccount(id) {
      // Its cameras go with it (ON DELETE CASCADE).
      const result = await db.deleteFrom('cloud_accounts').where('id', '=', id).executeTakeFirst();
      return affected(result.numDeletedRows) > 0;
    },

    async listCameras(accountId) {
      let query = db
        .selectFrom('cloud_cameras')
        .selectAll()
        .orderBy('account_id')
        .orderBy('device_serial')
        .orderBy('channel_no');
      if (accountId !== undefined) query = query.where('account_id', '=', accountId);
      return (await query.execute()).map(decodeCamera);
    },

    /** Matched on (account, serial, channel): a re-import keeps the camera's id and createdAt. */
    async upsertCamera(camera) {
      const now = nowIso();
      const record: CloudCameraRecord = {
        ...camera,
        id: camera.id ?? randomUUID(),
        createdAt: now,
        updatedAt: now,
      };
      const row = codec.encode(CAMERA_FIELDS, record);
      const inserted = await db
        .insertInto('cloud_cameras')
        .values(insertable<'cloud_cameras'>(row))
        .onConflict((conflict) =>
          conflict.columns(['account_id', 'device_serial', 'channel_no']).doUpdateSet({
            name: record.name,
            attributes: row.attributes,
            updated_at: row.updated_at as string,
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return decodeCamera(inserted);
    },
  };
}
