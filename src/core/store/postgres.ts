/**
 * PostgreSQL through a pg Pool. Bounded: 10 connections, 5 s to connect, 30 s per statement.
 * The pool is tried once on open so a wrong URL fails at startup with a message naming the
 * server (never the password), instead of on the first query.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { describeCause, StoreConnectionError, translateError } from './errors.ts';
import type { Database } from './schema.ts';

export interface PostgresTarget {
  connectionString: string;
  host: string;
  port: number;
  database: string;
}

export function serverName(target: PostgresTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${host}:${target.port}`;
}

export async function openPostgres(
  target: PostgresTarget,
  onError?: (error: Error) => void,
): Promise<Kysely<Database>> {
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: 10,
    connectionTimeoutMillis: 5_000,
    statement_timeout: 30_000,
    keepAlive: true,
    application_name: 'hikbridge',
  });
  // An idle connection dying (server restart) is emitted on the pool; unhandled, it would
  // crash the process. The pool drops that connection and the next query opens a new one.
  pool.on('error', (error) => onError?.(translateError(error, serverName(target)) as Error));
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    const cause = scrubPassword(describeCause(error), target.connectionString);
    throw new StoreConnectionError(
      `cannot connect to PostgreSQL at ${serverName(target)} (database "${target.database}"): ${cause}`,
      { cause: error },
    );
  }
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Belt and braces: pg does not echo passwords, but a message must never carry one. */
function scrubPassword(text: string, connectionString: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(connectionString).password);
  } catch {
    return text;
  }
  return password ? text.split(password).join('***') : text;
}
