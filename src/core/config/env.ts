/**
 * The environment layer: `HIKBRIDGE_<PATH>` for every field, `HIKBRIDGE_<PATH>_FILE` for
 * secrets, strings coerced by the field's kind. Values that cannot be coerced are passed on as
 * the raw string so that schema validation reports them with the field's expectation.
 */
import { ENV_PREFIX, NON_CONFIG_ENV } from './env-names.ts';
import { type ConfigField, configFields, fileVariableOf, kindOf, variablesOf } from './fields.ts';
import type { ConfigLayer, ConfigProblem } from './layers.ts';
import { setValueAt } from './layers.ts';
import { closestMatch } from './suggest.ts';

type Env = Record<string, string | undefined>;

export function readEnvLayer(env: Env): ConfigLayer {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  for (const field of configFields()) {
    const found = readField(field, env, problems);
    if (!found) continue;
    setValueAt(values, field.path, found.value);
    sources.set(field.key, found.source);
  }
  applyDataAlias(env, values, sources, problems);
  problems.push(...unknownVariables(env));
  return {
    values,
    problems,
    sourceOf: (path) => {
      for (let length = path.length; length > 0; length--) {
        const source = sources.get(path.slice(0, length).join('.'));
        if (source) return source;
      }
      return 'environment';
    },
  };
}

/** Docker and compose files often declare variables empty to mean "not set". */
function envValue(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function readField(
  field: ConfigField,
  env: Env,
  problems: ConfigProblem[],
): { value: unknown; source: string } | undefined {
  const direct = envValue(env, field.env);
  const fileName = fileVariableOf(field);
  const fromFile = fileName ? envValue(env, fileName) : undefined;
  if (direct !== undefined && fromFile !== undefined) {
    problems.push({ path: field.key, message: `set either ${field.env} or ${fileName}, not both` });
    return undefined;
  }
  if (fileName && fromFile !== undefined) return { value: { file: fromFile }, source: fileName };
  if (direct === undefined) return undefined;
  const value = coerce(field, direct);
  if (value instanceof CoercionProblem) {
    problems.push({ path: field.key, message: `${value.message} (from ${field.env})` });
    return undefined;
  }
  return { value, source: field.env };
}

class CoercionProblem {
  constructor(readonly message: string) {}
}

function coerce(field: ConfigField, text: string): unknown {
  if (field.kind !== 'record') return coerceScalar(field.kind, field.value, text);
  const map = parseMap(text);
  if (map instanceof CoercionProblem) return map;
  const valueSchema = (field.value as { valueType?: ConfigField['value'] }).valueType;
  if (!valueSchema) return map;
  const kind = kindOf(valueSchema);
  return Object.fromEntries(
    Object.entries(map).map(([name, value]) => [
      name,
      typeof value === 'string' ? coerceScalar(kind, valueSchema, value) : value,
    ]),
  );
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;
const BOOLEANS: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  '1': true,
  '0': false,
  yes: true,
  no: false,
};

function coerceScalar(kind: ConfigField['kind'], schema: ConfigField['value'], text: string): unknown {
  const trimmed = text.trim();
  switch (kind) {
    // `Number()` would accept "0x1F", "1e3" and "" — not what anyone means in a port variable.
    case 'number':
      return NUMBER.test(trimmed) ? Number(trimmed) : text;
    case 'boolean':
      return BOOLEANS[trimmed.toLowerCase()] ?? text;
    case 'enum':
      return enumOptions(schema).find((option) => option.toLowerCase() === trimmed.toLowerCase()) ?? text;
    default:
      return text;
  }
}

function enumOptions(schema: ConfigField['value']): string[] {
  const options = (schema as { options?: unknown }).options;
  return Array.isArray(options) ? options.map(String) : [];
}

/** `devices=debug,api=warn`, or a JSON object. */
function parseMap(text: string): Record<string, unknown> | CoercionProblem {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return parseJsonMap(trimmed);
  const map: Record<string, unknown> = {};
  for (const entry of trimmed.split(',')) {
    if (!entry.trim()) continue;
    const separator = entry.indexOf('=');
    const name = entry.slice(0, separator).trim();
    if (separator < 0 || !name) {
      return new CoercionProblem(
        'expected name=value pairs separated by commas (e.g. devices=debug,api=warn) or JSON',
      );
    }
    map[name] = entry.slice(separator + 1).trim();
  }
  return map;
}

function parseJsonMap(text: string): Record<string, unknown> | CoercionProblem {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse messages quote the input; say only that it is not JSON.
    return new CoercionProblem('is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return new CoercionProblem('expected a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** `HIKBRIDGE_DATA` is the data directory under the name the `--data` flag suggests. */
function applyDataAlias(
  env: Env,
  values: Record<string, unknown>,
  sources: Map<string, string>,
  problems: ConfigProblem[],
) {
  const alias = envValue(env, 'HIKBRIDGE_DATA');
  if (alias === undefined) return;
  const dataDirField = configFields().find((field) => field.key === 'dataDir')!;
  const direct = envValue(env, dataDirField.env);
  if (direct !== undefined && direct !== alias) {
    problems.push({
      path: 'dataDir',
      message: `HIKBRIDGE_DATA and ${dataDirField.env} disagree; set only one`,
    });
    return;
  }
  values.dataDir = alias;
  sources.set('dataDir', 'HIKBRIDGE_DATA');
}

function knownVariableNames(): string[] {
  return [...Object.keys(NON_CONFIG_ENV), ...configFields().flatMap(variablesOf)];
}

/** A misspelt variable would otherwise be silently ignored. */
function unknownVariables(env: Env): ConfigProblem[] {
  const known = knownVariableNames();
  const knownSet = new Set(known);
  return Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && !knownSet.has(name))
    .sort()
    .map((name) => ({ path: name, message: `unknown environment variable${suggestVariable(name, known)}` }));
}

function suggestVariable(name: string, known: string[]): string {
  const tail = name.slice(ENV_PREFIX.length);
  // `HIKBRIDGE_PORT` most likely means a variable ending in `_PORT`: the least nested one
  // (server.port rather than events.push.port).
  const endingMatches = known
    .filter((candidate) => candidate.endsWith(`_${tail}`))
    .sort((a, b) => a.split('_').length - b.split('_').length);
  const [first, second] = endingMatches;
  const unambiguous = first && (!second || second.split('_').length > first.split('_').length);
  const suggestion = unambiguous
    ? first
    : closestMatch(
        tail,
        known.map((candidate) => candidate.slice(ENV_PREFIX.length)),
      );
  if (!suggestion) return '';
  const full = suggestion.startsWith(ENV_PREFIX) ? suggestion : ENV_PREFIX + suggestion;
  return `; did you mean ${full}?`;
}
