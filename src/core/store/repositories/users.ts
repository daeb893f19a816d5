import { randomUUID } from 'node:crypto';
import { type FieldMap, nowIso } from '../codec.ts';
import type { UsersTable } from '../schema.ts';
import type { UserRecord, UserRepository } from '../types.ts';
import { affected, atomically, insertable, type RepoContext } from './context.ts';

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

    async list() {
      const rows = await db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(decode);
    },

    async findByUsernameIgnoringCase(username) {
      // Usernames are ASCII (letters, digits, . _ -), so lower() agrees on SQLite and PostgreSQL.
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
        .executeTakeFirst();
      return row && decode(row);
    },

    async delete(id) {
      // The foreign key cascades too, but only where SQLite enforces foreign keys: say it here.
      return atomically(db, async (tx) => {
        await tx.deleteFrom('tokens').where('user_id', '=', id).execute();
        const result = await tx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
        return affected(result.numDeletedRows) > 0;
      });
    },
  };
}
