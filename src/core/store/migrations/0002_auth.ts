/** Users of the web UI/API and their tokens (only SHA-256 hashes of tokens are stored). */
import type { StoreMigration } from './columns.ts';

export const auth: StoreMigration = {
  async up(db, t) {
    await db.schema
      .createTable('users')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addUniqueConstraint('users_username_unique', ['username'])
      .execute();

    await db.schema
      .createTable('tokens')
      .ifNotExists()
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull())
      // A user's sessions and tokens go with the user.
      .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('created_at', t.time, (c) => c.notNull())
      .addColumn('last_used_at', t.time)
      .addColumn('expires_at', t.time)
      .addUniqueConstraint('tokens_token_hash_unique', ['token_hash'])
      .execute();

    await db.schema.createIndex('tokens_kind_idx').ifNotExists().on('tokens').column('kind').execute();
    await db.schema.createIndex('tokens_user_idx').ifNotExists().on('tokens').column('user_id').execute();
  },

  async down(db) {
    await db.schema.dropTable('tokens').ifExists().execute();
    await db.schema.dropTable('users').ifExists().execute();
  },
};
