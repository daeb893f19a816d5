/**
 * The accepted forms of `database.url`: `postgres://…` / `postgresql://…` for PostgreSQL,
 * `sqlite:PATH` or a plain path for SQLite. The store opens the connection; config only checks
 * the form and pins relative SQLite paths to the working directory at load time.
 */
import { isAbsolute, resolve } from 'node:path';

const POSTGRES = /^postgres(?:ql)?:\/\//i;
const SQLITE = /^sqlite:/i;
const ANY_SCHEME = /^([a-z][a-z0-9+.-]*):/i;
// `C:\data\db.sqlite` looks like a scheme but is a Windows path.
const WINDOWS_DRIVE = /^[a-z]:[\\/]/i;
const IN_MEMORY = ':memory:';

/** Why the URL is not acceptable, or undefined. Never repeats the URL: it may hold a password. */
export function databaseUrlProblem(url: string): string | undefined {
  const text = url.trim();
  if (!text) return 'must not be empty';
  if (POSTGRES.test(text)) return URL.canParse(text) ? undefined : 'is not a valid PostgreSQL URL';
  if (SQLITE.test(text))
    return sqlitePath(text) ? undefined : 'sqlite: needs a file path, e.g. sqlite:./data/hikbridge.db';
  const scheme = ANY_SCHEME.exec(text);
  if (scheme && !WINDOWS_DRIVE.test(text)) {
    return `unsupported database "${scheme[1]}:"; use postgres://, postgresql://, sqlite:PATH or a file path`;
  }
  return undefined;
}

/** PostgreSQL URLs unchanged; SQLite as `sqlite:<absolute path>` (or `sqlite::memory:`). */
export function normaliseDatabaseUrl(url: string, cwd: string): string {
  const text = url.trim();
  if (POSTGRES.test(text)) return text;
  const path = SQLITE.test(text) ? sqlitePath(text) : text;
  if (path === IN_MEMORY) return `sqlite:${IN_MEMORY}`;
  return `sqlite:${isAbsolute(path) ? path : resolve(cwd, path)}`;
}

/** `sqlite:PATH`, also written `sqlite://PATH` (so `sqlite:///abs/db` is `/abs/db`). */
function sqlitePath(url: string): string {
  return url.slice('sqlite:'.length).replace(/^\/\//, '');
}
