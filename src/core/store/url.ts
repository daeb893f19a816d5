/**
 * Store URLs: which dialect, where, and a password-free form for logs and errors.
 */
import { resolve } from 'node:path';

export type StoreTarget =
  | { dialect: 'sqlite'; path: string; memory: boolean }
  | { dialect: 'postgres'; connectionString: string; host: string; port: number; database: string };

const POSTGRES_SCHEME = /^postgres(ql)?:\/\//i;
const OTHER_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

export function parseStoreUrl(url: string): StoreTarget {
  const text = url.trim();
  if (!text) throw new Error('the store URL is empty');
  if (POSTGRES_SCHEME.test(text)) return parsePostgres(text);
  if (/^sqlite:/i.test(text)) return sqliteTarget(text.slice('sqlite:'.length).replace(/^\/\//, ''));
  if (OTHER_SCHEME.test(text)) {
    throw new Error(
      `unsupported store URL ${describeStoreUrl(text)}: use postgres://..., sqlite:PATH or a file path`,
    );
  }
  return sqliteTarget(text);
}

function sqliteTarget(path: string): StoreTarget {
  if (!path) throw new Error('the SQLite store URL has no path');
  if (path === ':memory:') return { dialect: 'sqlite', path, memory: true };
  return { dialect: 'sqlite', path: resolve(path), memory: false };
}

function parsePostgres(url: string): StoreTarget {
  // Only host, port and database are read here (for messages); pg parses the rest itself.
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const params = parsed?.searchParams ?? new URLSearchParams(url.split('?')[1] ?? '');
  // `?host=/run/postgresql` selects a unix-socket directory instead of a TCP host.
  const host = params.get('host') || decodeURIComponent(parsed?.hostname ?? '') || 'localhost';
  const user = decodeURIComponent(parsed?.username ?? '');
  return {
    dialect: 'postgres',
    connectionString: url,
    host: host.replace(/^\[(.*)\]$/, '$1'),
    port: Number(params.get('port') || parsed?.port) || 5432,
    database: decodeURIComponent(parsed?.pathname.slice(1) ?? '') || user || 'postgres',
  };
}

/** The URL as it may appear in logs: passwords (userinfo or `password=` parameter) masked. */
export function describeStoreUrl(url: string): string {
  const text = url.trim();
  if (!OTHER_SCHEME.test(text)) return text;
  try {
    const parsed = new URL(text);
    if (parsed.password) parsed.password = '***';
    for (const name of [...parsed.searchParams.keys()]) {
      if (/^pass(word)?$/i.test(name)) parsed.searchParams.set(name, '***');
    }
    return parsed.toString();
  } catch {
    // Not a WHATWG URL (e.g. an unusual host): mask the userinfo by hand.
    return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
  }
}
