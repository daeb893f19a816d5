/**
 * Store errors with a stable `code` and a message for people. Driver errors (better-sqlite3,
 * pg) are translated here so callers never switch on dialect-specific codes or text.
 */
import { SecretDecryptError } from '../secrets.ts';

export type StoreErrorCode = 'conflict' | 'reference' | 'required' | 'unreachable' | 'store_error';

export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A unique constraint refused the write (HTTP 409 material). */
export class StoreConflictError extends StoreError {
  readonly table: string;
  readonly columns: string[];

  constructor(table: string, columns: string[], message?: string, options?: { cause?: unknown }) {
    super('conflict', message ?? conflictMessage(table, columns), options);
    this.table = table;
    this.columns = columns;
  }
}

/** A foreign key refused the write: the referenced device/user/account does not exist. */
export class StoreReferenceError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('reference', message, options);
  }
}

/** The database server cannot be reached or refused us; the message names host:port, never the password. */
export class StoreConnectionError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unreachable', message, options);
  }
}

const CONFLICTS: Record<string, string> = {
  'users(username)': 'a user with this username already exists',
  'tokens(token_hash)': 'a token with this hash already exists',
  'channels(device_id,channel_no)': 'the device already has a channel with this number',
  'entities(device_id,key)': 'the device already has an entity with this key',
  'cloud_cameras(account_id,device_serial,channel_no)': 'the cloud account already has this camera channel',
};

function conflictMessage(table: string, columns: string[]): string {
  const known = CONFLICTS[`${table}(${columns.join(',')})`];
  if (known) return known;
  if (columns.length === 1 && columns[0] === 'id') return `${table}: a row with this id already exists`;
  return `${table}: a row with the same ${columns.join(', ') || 'key'} already exists`;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);

interface DriverError {
  code?: string;
  message?: string;
  table?: string;
  column?: string;
  detail?: string;
  errors?: unknown[];
}

/**
 * Maps a driver error to a StoreError; anything unknown passes through untouched.
 * `server` (PostgreSQL `host:port`) is named in connection errors.
 */
export function translateError(error: unknown, server?: string): unknown {
  if (error instanceof StoreError || error instanceof SecretDecryptError) return error;
  if (!error || typeof error !== 'object') return error;
  const driver = error as DriverError;
  const code = driver.code ?? '';
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const { table, columns } = sqliteConstraintColumns(driver.message ?? '');
    return new StoreConflictError(table, columns, undefined, { cause: error });
  }
  if (code === '23505') {
    return new StoreConflictError(driver.table ?? 'unknown', pgDetailColumns(driver.detail), undefined, {
      cause: error,
    });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503') {
    return new StoreReferenceError(referenceMessage(driver), { cause: error });
  }
  if (code === 'SQLITE_CONSTRAINT_NOTNULL' || code === '23502') {
    return new StoreError('required', requiredMessage(driver), { cause: error });
  }
  if (server && isNetworkError(driver)) {
    return new StoreConnectionError(`PostgreSQL at ${server} is unreachable: ${describeCause(error)}`, {
      cause: error,
    });
  }
  return error;
}

/** `UNIQUE constraint failed: channels.device_id, channels.channel_no` */
function sqliteConstraintColumns(message: string): { table: string; columns: string[] } {
  const list = message.split(':')[1]?.trim() ?? '';
  const qualified = list.split(',').map((part) => part.trim().split('.'));
  return {
    table: qualified[0]?.[0] || 'unknown',
    columns: qualified.map((parts) => parts[1] ?? '').filter(Boolean),
  };
}

/** `Key (device_id, channel_no)=(...) already exists.` The values are left out of our message. */
function pgDetailColumns(detail: string | undefined): string[] {
  const match = /^Key \(([^)]*)\)=/.exec(detail ?? '');
  return match?.[1] ? match[1].split(',').map((column) => column.trim().replace(/^"|"$/g, '')) : [];
}

function referenceMessage(driver: DriverError): string {
  // pg: `Key (device_id)=(x) is not present in table "devices".`
  const match = /is not present in table "([^"]+)"/.exec(driver.detail ?? '');
  if (match) return `the referenced ${singular(match[1]!)} does not exist`;
  return 'the referenced device, user or account does not exist';
}

function requiredMessage(driver: DriverError): string {
  // SQLite: `NOT NULL constraint failed: devices.name`; pg has table and column fields.
  const column = driver.column
    ? `${driver.table}.${driver.column}`
    : (driver.message ?? '').split(':')[1]?.trim();
  return `${column || 'a required field'} is required`;
}

function singular(table: string): string {
  return table.replace(/_/g, ' ').replace(/s$/, '');
}

function isNetworkError(driver: DriverError): boolean {
  if (NETWORK_CODES.has(driver.code ?? '')) return true;
  if (Array.isArray(driver.errors))
    return driver.errors.some((inner) => isNetworkError(inner as DriverError));
  return /Connection terminated|timeout expired/i.test(driver.message ?? '');
}

/** Readable cause; Node reports a failed dual-stack connect as an AggregateError with no message. */
export function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof AggregateError && !error.message) {
    return [...new Set(error.errors.map((inner) => describeCause(inner)))].join('; ');
  }
  return error.message || (error as DriverError).code || error.name;
}
