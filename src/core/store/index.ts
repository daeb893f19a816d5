/**
 * The store: SQLite (default) or PostgreSQL through Kysely, migrated on open, secrets
 * encrypted at rest. See types.ts for the contract.
 */
import type { Kysely } from 'kysely';
import { SECRET_KEY_BYTES } from '../secrets.ts';
import { Codec } from './codec.ts';
import { migrateToLatest } from './migrate.ts';
import { openPostgres, serverName } from './postgres.ts';
import type { Database } from './schema.ts';
import { closeSqlite, openSqlite } from './sqlite.ts';
import { buildStore } from './store.ts';
import type { Store, StoreOptions } from './types.ts';
import { parseStoreUrl } from './url.ts';

export { SecretDecryptError } from '../secrets.ts';
export {
  StoreConflictError,
  StoreConnectionError,
  StoreError,
  type StoreErrorCode,
  StoreReferenceError,
} from './errors.ts';
export type * from './types.ts';
export { describeStoreUrl } from './url.ts';

export async function createStore(options: StoreOptions): Promise<Store> {
  if (!Buffer.isBuffer(options.secretKey) || options.secretKey.length !== SECRET_KEY_BYTES) {
    throw new TypeError(`the store needs a ${SECRET_KEY_BYTES}-byte secret key`);
  }
  const target = parseStoreUrl(options.url);
  const codec = new Codec(target.dialect, options.secretKey);
  let db: Kysely<Database>;
  let close: () => Promise<void>;
  let server: string | undefined;
  if (target.dialect === 'sqlite') {
    db = openSqlite(target.path, target.memory);
    close = () => closeSqlite(db);
  } else {
    db = await openPostgres(target, options.onBackgroundError);
    close = () => db.destroy();
    server = serverName(target);
  }
  try {
    await migrateToLatest(db, target.dialect);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw error;
  }
  return buildStore(db, { codec, server, close: once(close) });
}

/** close() may be called twice (shutdown paths overlap); the second call is a no-op. */
function once(action: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= action();
    return done;
  };
}
