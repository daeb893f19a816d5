/**
 * Record <-> row conversion. Each record type has one field map (record field -> column and
 * kind); inserts, patches and reads all go through it, so a field cannot be forgotten in one
 * path but not another, and dialect differences live only here.
 */
import { decryptSecret, encryptSecret, isEncryptedSecret, SecretDecryptError } from '../secrets.ts';

export type Dialect = 'sqlite' | 'postgres';

/**
 * plain: as is. bool: 0/1 on SQLite. json: JSON text in, parsed out. time: normalized ISO
 * string in, ISO string out. secret: encrypted in, decrypted out.
 */
export type FieldKind = 'plain' | 'bool' | 'json' | 'time' | 'secret' | 'secret-url';

/** Every field of record R mapped to a column of table T. */
export type FieldMap<R, T> = {
  readonly [K in keyof R]-?: readonly [column: keyof T & string, kind: FieldKind];
};

export type Row = Record<string, unknown>;

export function nowIso(): string {
  return new Date().toISOString();
}

/**
 * One normalized form (`toISOString()`, UTC, milliseconds) so that TEXT columns on SQLite sort
 * and compare as time, and both dialects give back the same string.
 */
export function toIsoTime(value: string | Date, what = 'timestamp'): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new TypeError(`invalid ${what}: ${String(value)}`);
  return date.toISOString();
}

export class Codec {
  readonly dialect: Dialect;
  readonly #key: Buffer;

  constructor(dialect: Dialect, secretKey: Buffer) {
    this.dialect = dialect;
    this.#key = secretKey;
  }

  write(kind: FieldKind, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    switch (kind) {
      case 'plain':
        return value;
      case 'bool':
        return this.dialect === 'sqlite' ? (value ? 1 : 0) : Boolean(value);
      case 'json':
        // Text on both: pg would turn a JS array into a PostgreSQL array literal, not JSON.
        return JSON.stringify(value);
      case 'time':
        return toIsoTime(value as string | Date);
      case 'secret':
      case 'secret-url':
        return encryptSecret(this.#key, String(value));
    }
  }

  read(kind: FieldKind, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    switch (kind) {
      case 'plain':
        return value;
      case 'bool':
        return value === true || value === 1;
      case 'json':
        // pg already parsed JSONB; SQLite gives the text back.
        return this.dialect === 'sqlite' ? JSON.parse(value as string) : value;
      case 'time':
        return value instanceof Date ? value.toISOString() : value;
      case 'secret':
        return decryptSecret(this.#key, value as string);
      case 'secret-url':
        // Older versions kept these URLs as they were typed; such a value is read as it is.
        return isEncryptedSecret(value as string) ? decryptSecret(this.#key, value as string) : value;
    }
  }

  /** Columns for the fields present in `values` (undefined = leave alone). */
  encode<R, T>(map: FieldMap<R, T>, values: Partial<R>): Row {
    const row: Row = {};
    for (const field of Object.keys(map) as Array<keyof R>) {
      const value = values[field];
      if (value === undefined) continue;
      const [column, kind] = map[field];
      row[column] = this.write(kind, value);
    }
    return row;
  }

  decode<R, T>(map: FieldMap<R, T>, row: T, table: string): R {
    const record = {} as Record<keyof R, unknown>;
    const source = row as Row;
    for (const field of Object.keys(map) as Array<keyof R>) {
      const [column, kind] = map[field];
      try {
        record[field] = this.read(kind, source[column]);
      } catch (error) {
        if (error instanceof SecretDecryptError) {
          throw new SecretDecryptError(`${table}.${column} of row ${String(source.id)}`, { cause: error });
        }
        throw error;
      }
    }
    return record as R;
  }
}
