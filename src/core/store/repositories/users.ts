import { randomUUID } from 'node:crypto';
import { type FieldMap, nowIso } from '../codec.ts';
import type { UsersTable } from '../schema.ts';
import type { UserRecord, UserRepository } from '../types.ts';
import { insertable, type RepoContext } from './context.ts';

const USER_FIELDS: FieldMap<UserRecord, UsersTable> = {
  id: ['id', 'plain'],
  username: ['username', 'plain'],
  passwordHash: ['password_hash', 'plain'],
  createdAt: ['created_at', 'time'],
};

export function userRepository({ db, codec }: RepoContext): UserRepository {
  const decode = (row: UsersTable): UserRecord => codec.decode(USER_FIELDS, row, 'users');

  return {
    async getByUsername(username) {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('username', '=', username)
        .executeTakeFirst();
      return row && decode(row);
    },

    async get(id) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && decode(row);
    },

    async count() {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .executeTakeFirstOrThrow();
      // pg returns count(*) (a bigint) as a string.
      return Number(row.n);
    },

    async insert(user) {
      const record: UserRecord = { ...user, id: user.id ?? randomUUID(), createdAt: nowIso() };
      const row = await db
        .insertInto('users')
        .values(insertable<'users'>(codec.encode(USER_FIELDS, record)))
        .returningAll()
        .executeTakeFirstOrThrow();
      return decode(row);
    },

    async setPasswordHash(id, passwordHash) {
      await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).execute();
    },
  };
}
