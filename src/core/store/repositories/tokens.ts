import { randomUUID } from 'node:crypto';
import { type FieldMap, nowIso, toIsoTime } from '../codec.ts';
import type { TokensTable } from '../schema.ts';
import type { TokenRecord, TokenRepository } from '../types.ts';
import { affected, insertable, type RepoContext } from './context.ts';

const TOKEN_FIELDS: FieldMap<TokenRecord, TokensTable> = {
  id: ['id', 'plain'],
  kind: ['kind', 'plain'],
  name: ['name', 'plain'],
  tokenHash: ['token_hash', 'plain'],
  userId: ['user_id', 'plain'],
  createdAt: ['created_at', 'time'],
  lastUsedAt: ['last_used_at', 'time'],
  expiresAt: ['expires_at', 'time'],
};

export function tokenRepository({ db, codec }: RepoContext): TokenRepository {
  const decode = (row: TokensTable): TokenRecord => codec.decode(TOKEN_FIELDS, row, 'tokens');

  return {
    async list(kind) {
      let query = db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id');
      if (kind) query = query.where('kind', '=', kind);
      return (await query.execute()).map(decode);
    },

    async findByHash(tokenHash) {
      const row = await db
        .selectFrom('tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row && decode(row);
    },

    async insert(token) {
      const record: TokenRecord = { ...token, id: token.id ?? randomUUID(), createdAt: nowIso() };
      const row = await db
        .insertInto('tokens')
        .values(insertable<'tokens'>(codec.encode(TOKEN_FIELDS, record)))
        .returningAll()
        .executeTakeFirstOrThrow();
      return decode(row);
    },

    async touch(id, at) {
      await db
        .updateTable('tokens')
        .set({ last_used_at: toIsoTime(at, 'lastUsedAt') })
        .where('id', '=', id)
        .execute();
    },

    async delete(id) {
      const result = await db.deleteFrom('tokens').where('id', '=', id).executeTakeFirst();
      return affected(result.numDeletedRows) > 0;
    },

    async deleteExpired(now) {
      const result = await db
        .deleteFrom('tokens')
        .where('expires_at', 'is not', null)
        .where('expires_at', '<=', toIsoTime(now, 'now'))
        .executeTakeFirst();
      return affected(result.numDeletedRows);
    },
  };
}
