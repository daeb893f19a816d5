/** Configuration: one zod schema drives validation, defaults, environment overrides and docs. */
export { type ConfigKeyInfo, listConfigKeys, renderConfigDocs } from './docs.ts';
export { ENV_PREFIX, envNameFor, NON_CONFIG_ENV, SECRET_FILE_SUFFIX } from './env-names.ts';
export type { ConfigProblem } from './layers.ts';
export { type Config, defaultConfig, type LoadConfigOptions, loadConfig } from './load.ts';
export { maskSecrets } from './mask.ts';
export { ConfigError } from './problems.ts';
export { type ConfigFieldMeta, configFieldMeta, configSchema, logLevelSchema, secret } from './schema.ts';
