/** The building blocks of the configuration schema: field metadata, secrets, sections, numbers. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LOG_LEVELS } from '../logger.ts';

/** Facts about a field that zod itself does not carry. */
export interface ConfigFieldMeta {
  /** Never shown in messages or output; may also be read from a file. */
  secret?: boolean;
  /** Whether a secret also has a `HIKBRIDGE_X_FILE` variable. */
  fileVariable?: boolean;
  /** The default in words, for defaults computed at load time (docs and listConfigKeys). */
  defaultText?: string;
  /** What a valid value looks like, when the text derived from the schema would be unhelpful. */
  expects?: string;
}

export const configFieldMeta = z.registry<ConfigFieldMeta>();

const secretFileReference = z.strictObject({ file: z.string().min(1) });

/**
 * A secret field: a plain string, or `{ file: PATH }` whose trimmed content is the value (the
 * loader also maps `HIKBRIDGE_X_FILE` to that form). `value` validates the resolved string.
 * `fileVariable: false` drops `HIKBRIDGE_X_FILE` where that name belongs to another key.
 */
export function secret<T extends z.ZodType<string, string>>(
  value: T,
  options: { fileVariable?: boolean } = {},
) {
  const schema = z
    .union([z.string(), secretFileReference])
    .transform((source, context) => {
      if (typeof source === 'string') return source;
      try {
        return readFileSync(source.file, 'utf8').trim();
      } catch (error) {
        // The path is safe to name; the content never is (there is none when reading failed).
        const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
        context.issues.push({
          code: 'custom',
          message: `cannot read secret file "${source.file}" (${reason})`,
          input: source,
        });
        return z.NEVER;
      }
    })
    .pipe(value);
  configFieldMeta.add(schema as z.ZodType, { secret: true, fileVariable: options.fileVariable ?? true });
  return schema;
}

/** A section of related keys; every key has a default, so an absent section means all defaults. */
export function section<T extends z.core.$ZodLooseShape>(shape: T) {
  const object = z.strictObject(shape);
  return object.prefault({} as z.input<typeof object>);
}

export function wholeNumber(min: number, max?: number) {
  const atLeast = z.number().int().min(min);
  return max === undefined ? atLeast : atLeast.max(max);
}

/** Standard or URL-safe alphabet, padding optional: what the store accepts. */
export function isBase64Of32Bytes(text: string): boolean {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return false;
  return Buffer.from(trimmed.replaceAll('-', '+').replaceAll('_', '/'), 'base64').length === 32;
}

/** An MQTT topic prefix: one or more non-empty levels, no wildcards, no surrounding slashes. */
export function topicPrefix() {
  return z.string().regex(/^[^#+/\s\u0000]+(\/[^#+/\s\u0000]+)*$/, {
    message: 'expected topic levels separated by `/`, without `#`, `+`, spaces or empty levels',
  });
}

export const logLevelSchema = z.enum(LOG_LEVELS);
