/** What every repository needs: a database handle (maybe a transaction) and the codec. */
import type { Insertable, Kysely, Updateable } from 'kysely';
import type { Codec, Row } from '../codec.ts';
import type { Database } from '../schema.ts';

export interface RepoContext {
  db: Kysely<Database>;
  codec: Codec;
}

/** Runs `work` atomically: in the current transaction if there is one, else in a new one. */
export function atomically<T>(db: Kysely<Database>, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/** Codec output is keyed by the field map's columns, which are typed against the table. */
export function insertable<K extends keyof Database>(row: Row): Insertable<Database[K]> {
  return row as Insertable<Database[K]>;
}

export function updateable<K extends keyof Database>(row: Row): Updateable<Database[K]> {
  return row as Updateable<Database[K]>;
}

/** Kysely reports affected rows as bigint. */
export function affected(count: bigint | undefined): number {
  return Number(count ?? 0n);
}

/** Patches never move ids or creation times, and updatedAt is ours to set. */
export function withoutManagedFields<T extends object>(patch: T): Partial<T> {
  const { id: _id, createdAt: _created, updatedAt: _updated, ...rest } = patch as Record<string, unknown>;
  return rest as Partial<T>;
}
