/**
 * SQLite through better-sqlite3: one connection per store, WAL for concurrent readers, and
 * `BEGIN IMMEDIATE` transactions so that a transaction takes the write lock up front. (A
 * deferred transaction that reads and then writes can fail with SQLITE_BUSY at once in WAL
 * mode when another process wrote in between; an immediate one waits `busy_timeout`.)
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  Kysely,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';
import { StoreError } from './errors.ts';
import type { Database } from './schema.ts';

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite does run DDL transactionally; saying so makes Kysely's Migrator apply all pending
 * migrations in one (immediate) transaction: all or nothing, and serialized across processes.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class StoreSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

export function openSqlite(path: string, memory: boolean): Kysely<Database> {
  const created = !memory && !existsSync(path);
  let database: BetterSqlite3.Database | undefined;
  try {
    if (!memory) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    database = new BetterSqlite3(path, { timeout: 5_000 });
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    database.pragma('busy_timeout = 5000');
    // Password hashes and token hashes live here too: owner only (WAL/SHM files follow the db's mode).
    if (created) chmodSync(path, 0o600);
  } catch (error) {
    database?.close();
    throw new StoreError(
      'store_error',
      `cannot open the SQLite database ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return new Kysely<Database>({ dialect: new StoreSqliteDialect({ database }) });
}

/** Folds the WAL into the main file so a closed store is one self-contained file. */
export async function closeSqlite(db: Kysely<Database>): Promise<void> {
  try {
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
  } finally {
    await db.destroy();
  }
}
