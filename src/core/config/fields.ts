/**
 * The schema seen as a flat list of leaf fields (path, env name, kind, default, description,
 * secret flag), and the human descriptions of what each field accepts. Everything that needs to
 * know the keys — env overrides, messages, docs — reads this list instead of repeating them.
 */
import { z } from 'zod';
import { envNameFor, SECRET_FILE_SUFFIX } from './env-names.ts';
import { type ConfigFieldMeta, configFieldMeta, configSchema } from './schema.ts';

type AnySchema = z.core.$ZodType;

/** How an environment string is turned into a value. */
export type FieldKind = 'string' | 'number' | 'boolean' | 'enum' | 'record';

export interface ConfigField {
  path: string[];
  /** Dotted path, as in messages: `auth.login.maxAttempts`. */
  key: string;
  env: string;
  kind: FieldKind;
  /** The schema that validates the value (for secrets: the resolved string). */
  value: AnySchema;
  defaultValue: unknown;
  description: string;
  meta: ConfigFieldMeta;
}

export interface ConfigSection {
  /** Empty for the top-level keys. */
  path: string[];
  description: string;
  fields: ConfigField[];
}

/** Layers that wrap a field without changing what it accepts. */
interface Unwrapped {
  inner: AnySchema;
  description: string;
  meta: ConfigFieldMeta;
  defaultValue: unknown;
}

function unwrap(schema: AnySchema): Unwrapped {
  let current = schema;
  let description = '';
  let meta: ConfigFieldMeta = {};
  let defaultValue: unknown;
  for (;;) {
    description ||= z.globalRegistry.get(current)?.description ?? '';
    meta = { ...configFieldMeta.get(current), ...meta };
    if (current instanceof z.ZodDefault) defaultValue = current.def.defaultValue;
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault
    ) {
      current = current.def.innerType;
      continue;
    }
    if (meta.secret && current instanceof z.ZodPipe) {
      current = current.def.out;
      continue;
    }
    return { inner: current, description, meta, defaultValue };
  }
}

export function kindOf(schema: AnySchema): FieldKind {
  if (schema instanceof z.ZodNumber) return 'number';
  if (schema instanceof z.ZodBoolean) return 'boolean';
  if (schema instanceof z.ZodEnum) return 'enum';
  if (schema instanceof z.ZodRecord) return 'record';
  return 'string';
}

function collectFields(schema: AnySchema, path: string[], into: ConfigField[]): void {
  const { inner, description, meta, defaultValue } = unwrap(schema);
  if (inner instanceof z.ZodObject && !meta.secret) {
    for (const [key, child] of Object.entries(inner.shape)) collectFields(child, [...path, key], into);
    return;
  }
  into.push({
    path,
    key: path.join('.'),
    env: envNameFor(path),
    kind: kindOf(inner),
    value: inner,
    defaultValue,
    description,
    meta,
  });
}

let cachedFields: readonly ConfigField[] | undefined;

/** Every leaf of the schema, in schema order. */
export function configFields(): readonly ConfigField[] {
  cachedFields ??= Object.freeze(buildFields());
  return cachedFields;
}

function buildFields(): ConfigField[] {
  const fields: ConfigField[] = [];
  collectFields(configSchema, [], fields);
  assertUniqueEnvNames(fields);
  return fields;
}

/** `HIKBRIDGE_X_FILE` for secrets that have one. */
export function fileVariableOf(field: ConfigField): string | undefined {
  return field.meta.secret && field.meta.fileVariable !== false
    ? `${field.env}${SECRET_FILE_SUFFIX}`
    : undefined;
}

/** Every variable that sets this field. */
export function variablesOf(field: ConfigField): string[] {
  const file = fileVariableOf(field);
  return file ? [field.env, file] : [field.env];
}

/** Two keys mapping to one variable would make one of them unsettable: fail loudly at startup. */
function assertUniqueEnvNames(fields: ConfigField[]): void {
  const owners = new Map<string, string>();
  for (const field of fields) {
    for (const name of variablesOf(field)) {
      const owner = owners.get(name);
      if (owner) throw new Error(`config keys ${owner} and ${field.key} both map to ${name}`);
      owners.set(name, field.key);
    }
  }
}

/** Top-level keys first (as a section with an empty path), then one section per top-level object. */
export function configSections(): ConfigSection[] {
  const top: ConfigSection = { path: [], description: 'General', fields: [] };
  const sections = new Map<string, ConfigSection>();
  for (const field of configFields()) {
    if (field.path.length === 1) {
      top.fields.push(field);
      continue;
    }
    const name = field.path[0]!;
    if (!sections.has(name)) {
      sections.set(name, { path: [name], description: describeSchemaAt([name]), fields: [] });
    }
    sections.get(name)!.fields.push(field);
  }
  return [top, ...sections.values()];
}

function describeSchemaAt(path: string[]): string {
  const found = schemaAt(path);
  return found ? unwrap(found.schema).description : '';
}

/**
 * The schema at a path of the input, following objects and records. Paths that go inside a
 * secret (e.g. `auth.adminPassword.file`) stop at the secret, flagged.
 */
export function schemaAt(
  path: readonly (string | number)[],
): { schema: AnySchema; secret: boolean } | undefined {
  let schema: AnySchema = configSchema;
  for (const segment of path) {
    const { inner, meta } = unwrap(schema);
    if (meta.secret) return { schema: inner, secret: true };
    if (inner instanceof z.ZodObject) {
      const child = (inner.shape as Record<string, AnySchema>)[String(segment)];
      if (!child) return undefined;
      schema = child;
    } else if (inner instanceof z.ZodRecord) {
      schema = inner.def.valueType;
    } else {
      return undefined;
    }
  }
  return { schema, secret: unwrap(schema).meta.secret === true };
}

/** Keys an object at this path accepts, for "did you mean" suggestions. */
export function keysAt(path: readonly (string | number)[]): string[] {
  const found = schemaAt(path);
  if (!found || found.secret) return [];
  const { inner } = unwrap(found.schema);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

/** What a value must look like, in words for messages: "a whole number 1-65535". */
export function expectationFor(schema: AnySchema): string {
  const { inner, meta } = unwrap(schema);
  const text = meta.expects ?? expectationOfValue(inner);
  return meta.secret ? `${text} (or { file: PATH })` : text;
}

function expectationOfValue(schema: AnySchema): string {
  if (schema instanceof z.ZodNumber)
    return `${schema.isInt ? 'a whole number' : 'a number'}${rangeText(schema)}`;
  if (schema instanceof z.ZodBoolean) return 'true or false';
  if (schema instanceof z.ZodEnum) return `one of ${schema.options.join(', ')}`;
  if (schema instanceof z.ZodRecord) return `a map of names to ${expectationFor(schema.def.valueType)}`;
  if (schema instanceof z.ZodObject) return 'a map of settings';
  if (schema instanceof z.ZodString) return stringExpectation(schema.minLength ?? 0);
  return 'a string';
}

function stringExpectation(minLength: number): string {
  if (minLength > 1) return `a string of at least ${minLength} characters`;
  return minLength === 1 ? 'a non-empty string' : 'a string';
}

/** The bounds the schema sets; integers also carry the safe-integer limits, which are no news. */
function ownBounds(schema: z.ZodNumber): { min?: number; max?: number } {
  const { minValue: min, maxValue: max } = schema;
  return {
    ...(min !== null && Number.isFinite(min) && min > Number.MIN_SAFE_INTEGER ? { min } : {}),
    ...(max !== null && Number.isFinite(max) && max < Number.MAX_SAFE_INTEGER ? { max } : {}),
  };
}

function rangeText(schema: z.ZodNumber): string {
  const { min, max } = ownBounds(schema);
  if (min !== undefined && max !== undefined) return ` ${min}-${max}`;
  if (min !== undefined) return ` of at least ${min}`;
  return max === undefined ? '' : ` of at most ${max}`;
}

function rangeSymbols(schema: z.ZodNumber): string {
  const { min, max } = ownBounds(schema);
  if (min !== undefined && max !== undefined) return ` ${min}-${max}`;
  if (min !== undefined) return ` ≥ ${min}`;
  return max === undefined ? '' : ` ≤ ${max}`;
}

/** Short type for docs and listConfigKeys: "integer 1-65535", "boolean", "fatal | error | …". */
export function typeNameFor(schema: AnySchema): string {
  const { inner } = unwrap(schema);
  if (inner instanceof z.ZodNumber) return `${inner.isInt ? 'integer' : 'number'}${rangeSymbols(inner)}`;
  if (inner instanceof z.ZodBoolean) return 'boolean';
  if (inner instanceof z.ZodEnum) return inner.options.join(' | ');
  if (inner instanceof z.ZodRecord) return `map of name → (${typeNameFor(inner.def.valueType)})`;
  if (inner instanceof z.ZodURL) return 'URL';
  return 'string';
}
