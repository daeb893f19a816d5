/**
 * loadConfig: defaults < YAML file < environment < overrides, validated together so that one run
 * reports every problem, then secrets read and derived defaults filled in.
 */
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { isPlainObject } from '../logger/redact.ts';
import { normaliseDatabaseUrl } from './database-url.ts';
import { readEnvLayer } from './env.ts';
import { configFields } from './fields.ts';
import { type ConfigLayer, type ConfigProblem, mergeLayers, ValueOrigins, valueAt } from './layers.ts';
import { ConfigError, problemsFromIssues } from './problems.ts';
import { configSchema } from './schema.ts';
import { readYamlLayer } from './yaml-file.ts';

type ParsedConfig = z.output<typeof configSchema>;

/**
 * The validated configuration. Paths are absolute, secrets are plain strings, and the defaults
 * that depend on `dataDir` (database URL, key file) are filled in.
 */
export type Config = Omit<ParsedConfig, 'database' | 'secrets'> & {
  database: Omit<ParsedConfig['database'], 'url'> & { url: string };
  secrets: Omit<ParsedConfig['secrets'], 'keyFile'> & { keyFile: string };
};

export interface LoadConfigOptions {
  /** YAML file; when absent `HIKBRIDGE_CONFIG` names it; a file named either way must exist. */
  file?: string;
  /** Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Deep-merged last, e.g. from CLI flags. `undefined` values are ignored. */
  overrides?: Record<string, unknown>;
  /** Base for relative paths (config file, dataDir, key file, SQLite, secret files). Default: process.cwd(). */
  cwd?: string;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = options.file ?? emptyToUndefined(env.HIKBRIDGE_CONFIG);
  const layers: ConfigLayer[] = [];
  if (file !== undefined) layers.push(readYamlLayer(file, cwd));
  layers.push(readEnvLayer(env));
  if (options.overrides) layers.push(overridesLayer(options.overrides));

  const origins = new ValueOrigins();
  let input: Record<string, unknown> = {};
  for (const layer of layers) {
    input = mergeLayers(input, layer.values);
    origins.add(layer);
  }
  resolveSecretFilePaths(input, cwd);

  const problems: ConfigProblem[] = layers.flatMap((layer) => layer.problems);
  const result = configSchema.safeParse(input);
  if (!result.success) problems.push(...problemsFromIssues(result.error.issues, { input, origins }));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return withDerivedDefaults(result.data, cwd);
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function overridesLayer(values: Record<string, unknown>): ConfigLayer {
  return { values, problems: [], sourceOf: () => 'overrides' };
}

/** `{ file: 'secrets/pw' }` is relative to the working directory, like every other path. */
function resolveSecretFilePaths(input: Record<string, unknown>, cwd: string): void {
  for (const field of configFields()) {
    if (!field.meta.secret) continue;
    const value = valueAt(input, field.path);
    if (isPlainObject(value) && typeof value.file === 'string') value.file = resolve(cwd, value.file);
  }
}

function withDerivedDefaults(parsed: ParsedConfig, cwd: string): Config {
  const dataDir = resolve(cwd, parsed.dataDir);
  return {
    ...parsed,
    dataDir,
    database: {
      ...parsed.database,
      url: normaliseDatabaseUrl(parsed.database.url ?? join(dataDir, 'hikbridge.db'), cwd),
    },
    secrets: {
      ...parsed.secrets,
      keyFile: resolve(cwd, parsed.secrets.keyFile ?? join(dataDir, 'secret.key')),
    },
  };
}

/** The configuration with nothing set: every default of the schema (tests build modules from it). */
export function defaultConfig(): Config {
  return loadConfig({ env: {} });
}
