/**
 * Brings the schema up to date on open. Kysely's Migrator records applied migrations in
 * `kysely_migration` and serializes concurrent runs: on PostgreSQL with an advisory lock held
 * for the whole run (several gateways may start against one database at once), on SQLite
 * with the `BEGIN IMMEDIATE` write lock our dialect takes (see sqlite.ts).
 */
import { type Kysely, Migrator } from 'kysely';
import type { Dialect } from './codec.ts';
import { InCodeMigrationProvider } from './migrations/index.ts';
import type { Database } from './schema.ts';

export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({ db, provider: new InCodeMigrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    const what = failed ? `migration ${failed}` : 'the schema migration';
    throw new Error(`${what} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
