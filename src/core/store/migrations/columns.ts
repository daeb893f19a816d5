/**
 * Column types that differ by dialect. SQLite has no boolean, JSON or timestamp types worth
 * using: 0/1 integers, JSON text and ISO-8601 text (which sorts as time) do the job there.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../codec.ts';

export interface ColumnTypes {
  bool: 'integer' | 'boolean';
  json: 'text' | 'jsonb';
  time: 'text' | 'timestamptz';
}

export function columnTypes(dialect: Dialect): ColumnTypes {
  return dialect === 'sqlite'
    ? { bool: 'integer', json: 'text', time: 'text' }
    : { bool: 'boolean', json: 'jsonb', time: 'timestamptz' };
}

/** Migrations build DDL only, so they work on an untyped database handle. */
export type MigrationDb = Kysely<unknown>;

export interface StoreMigration {
  up(db: MigrationDb, types: ColumnTypes): Promise<void>;
  down(db: MigrationDb): Promise<void>;
}
