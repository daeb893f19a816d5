import { randomUUID } from 'node:crypto';
import { type FieldMap, nowIso } from '../codec.ts';
import type { CloudAccountsTable, CloudCamerasTable } from '../schema.ts';
import type { CloudAccountRecord, CloudCameraRecord, CloudRepository } from '../types.ts';
import { affected, insertable, type RepoContext, updateable, withoutManagedFields } from './context.ts';

const ACCOUNT_FIELDS: FieldMap<CloudAccountRecord, CloudAccountsTable> = {
  id: ['id', 'plain'],
  name: ['name', 'plain'],
  appKey: ['app_key', 'secret'],
  appSecret: ['app_secret_enc', 'secret'],
  baseUrl: ['base_url', 'plain'],
  quality: ['quality', 'plain'],
  enabled: ['enabled', 'bool'],
  lastSync: ['last_sync', 'json'],
  createdAt: ['created_at', 'time'],
  updatedAt: ['updated_at', 'time'],
};

const CAMERA_FIELDS: FieldMap<CloudCameraRecord, CloudCamerasTable> = {
  id: ['id', 'plain'],
  accountId: ['account_id', 'plain'],
  deviceSerial: ['device_serial', 'plain'],
  channelNo: ['channel_no', 'plain'],
  resourceId: ['resource_id', 'plain'],
  name: ['name', 'plain'],
  online: ['online', 'bool'],
  enabled: ['enabled', 'bool'],
  status: ['status', 'plain'],
  lastError: ['last_error', 'plain'],
  quality: ['quality', 'plain'],
  url: ['url_enc', 'secret'],
  urlExpiresAt: ['url_expires_at', 'time'],
  nextRenewalAt: ['next_renewal_at', 'time'],
  renewFailures: ['renew_failures', 'plain'],
  streamCode: ['stream_code_enc', 'secret'],
  removedAt: ['removed_at', 'time'],
  attributes: ['attributes', 'json'],
  createdAt: ['created_at', 'time'],
  updatedAt: ['updated_at', 'time'],
};

export function cloudRepository({ db, codec }: RepoContext): CloudRepository {
  const decodeAccount = (row: CloudAccountsTable): CloudAccountRecord =>
    codec.decode(ACCOUNT_FIELDS, row, 'cloud_accounts');
  const decodeCamera = (row: CloudCamerasTable): CloudCameraRecord =>
    codec.decode(CAMERA_FIELDS, row, 'cloud_cameras');

  const repo: CloudRepository = {
    async listAccounts() {
      const rows = await db
        .selectFrom('cloud_accounts')
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(decodeAccount);
    },

    async getAccount(id) {
      const row = await db.selectFrom('cloud_accounts').selectAll().where('id', '=', id).executeTakeFirst();
      return row && decodeAccount(row);
    },

    async insertAccount(account) {
      const record: CloudAccountRecord = {
        baseUrl: '',
        quality: 'main',
        enabled: true,
        lastSync: null,
        ...account,
        id: account.id ?? randomUUID(),
        createdAt: nowIso(),
        updatedAt: null,
      };
      const row = await db
        .insertInto('cloud_accounts')
        .values(insertable<'cloud_accounts'>(codec.encode(ACCOUNT_FIELDS, record)))
        .returningAll()
        .executeTakeFirstOrThrow();
      return decodeAccount(row);
    },

    async updateAccount(id, patch) {
      const changes = codec.encode(ACCOUNT_FIELDS, withoutManagedFields(patch));
      if (Object.keys(changes).length === 0) return repo.getAccount(id);
      changes.updated_at = codec.write('time', nowIso());
      const row = await db
        .updateTable('cloud_accounts')
        .set(updateable<'cloud_accounts'>(changes))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && decodeAccount(row);
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

    async getCamera(id) {
      const row = await db.selectFrom('cloud_cameras').selectAll().where('id', '=', id).executeTakeFirst();
      return row && decodeCamera(row);
    },

    async upsertCamera(camera) {
      const now = nowIso();
      const record: CloudCameraRecord = {
        enabled: true,
        status: 'pending',
        lastError: null,
        quality: null,
        url: null,
        urlExpiresAt: null,
        nextRenewalAt: null,
        renewFailures: 0,
        streamCode: null,
        removedAt: null,
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
            resource_id: record.resourceId,
            online: row.online as boolean,
            attributes: row.attributes,
            removed_at: null,
            updated_at: row.updated_at as string,
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return decodeCamera(inserted);
    },

    async updateCamera(id, patch) {
      const changes = codec.encode(CAMERA_FIELDS, withoutManagedFields(patch));
      if (Object.keys(changes).length === 0) return repo.getCamera(id);
      changes.updated_at = codec.write('time', nowIso());
      const row = await db
        .updateTable('cloud_cameras')
        .set(updateable<'cloud_cameras'>(changes))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && decodeCamera(row);
    },

    async deleteCamera(id) {
      const result = await db.deleteFrom('cloud_cameras').where('id', '=', id).executeTakeFirst();
      return affected(result.numDeletedRows) > 0;
    },
  };
  return repo;
}
