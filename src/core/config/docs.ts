/**
 * The configuration reference, generated from the schema. docs/config.md is this output
 * (`npm run docs:config`); a test fails when the two differ.
 */
import { ENV_PREFIX, NON_CONFIG_ENV } from './env-names.ts';
import { type ConfigField, configFields, configSections, typeNameFor, variablesOf } from './fields.ts';

export interface ConfigKeyInfo {
  path: string;
  env: string;
  type: string;
  /** The schema default, or the default in words when it is computed at load time. */
  default: unknown;
  description: string;
  secret: boolean;
}

export function listConfigKeys(): ConfigKeyInfo[] {
  return configFields().map((field) => ({
    path: field.key,
    env: field.env,
    type: typeNameFor(field.value),
    default: field.defaultValue ?? field.meta.defaultText,
    description: field.description,
    secret: field.meta.secret === true,
  }));
}

export function renderConfigDocs(): string {
  const sections = configSections().map((section) => {
    const title =
      section.path.length > 0 ? `\`${section.path.join('.')}\` — ${section.description}` : 'General';
    return [`## ${title}`, '', ...fieldTable(section.fields)].join('\n');
  });
  return `${[INTRO, ...sections, nonConfigVariables()].join('\n\n')}\n`;
}

function fieldTable(fields: ConfigField[]): string[] {
  return [
    '| Key | Environment variable | Type | Default | Description |',
    '| --- | --- | --- | --- | --- |',
    ...fields.map((field) =>
      tableRow([code(field.key), envCell(field), typeCell(field), defaultCell(field), field.description]),
    ),
  ];
}

function envCell(field: ConfigField): string {
  return variablesOf(field).map(code).join('<br>');
}

function typeCell(field: ConfigField): string {
  const type = typeNameFor(field.value);
  return field.meta.secret ? `${type}, **secret**` : type;
}

function defaultCell(field: ConfigField): string {
  if (field.defaultValue !== undefined) return code(formatDefault(field.defaultValue));
  return field.meta.defaultText ?? '*(unset)*';
}

function formatDefault(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function nonConfigVariables(): string {
  const rows = Object.entries(NON_CONFIG_ENV).map(([name, meaning]) => tableRow([code(name), meaning]));
  return [
    '## Other variables',
    '',
    `These \`${ENV_PREFIX}*\` variables are not config keys; any other \`${ENV_PREFIX}*\` variable that matches`,
    'no key is reported as an error, so a typo is not silently ignored.',
    '',
    '| Variable | Meaning |',
    '| --- | --- |',
    ...rows,
  ].join('\n');
}

function tableRow(cells: string[]): string {
  return `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
}

function code(text: string): string {
  return `\`${text}\``;
}

const INTRO = `# Configuration reference

<!-- Generated from src/core/config/schema.ts by \`npm run docs:config\`. Do not edit by hand. -->

hikbridge reads its settings from, in increasing precedence:

1. **Defaults** — listed below; with no file and no variables the gateway runs on them.
2. **A YAML file** — \`hikbridge start --config FILE\`, or the path in \`HIKBRIDGE_CONFIG\`. A file
   named either way must exist. An empty file means all defaults.
3. **Environment variables** — every key has one (below).
4. **Command-line flags** — e.g. \`--port\`, \`--data\`.

Maps are merged key by key (a variable for \`log.modules\` adds to the modules in the file);
any other value set by a later source replaces the earlier one. All problems are reported at
once, each with the key, what it accepts, the rejected value and where it came from. Unknown
keys are errors, with a suggestion when a key is close.

\`\`\`yaml
server:
  port: 8080
auth:
  adminPassword: { file: /run/secrets/hikbridge-admin }
log:
  level: info
  modules: { devices: debug }
\`\`\`

## Environment variables

The name is \`HIKBRIDGE_\` followed by the key path, each camelCase segment written in
UPPER_SNAKE_CASE and joined by \`_\`: \`server.port\` → \`HIKBRIDGE_SERVER_PORT\`,
\`auth.login.maxAttempts\` → \`HIKBRIDGE_AUTH_LOGIN_MAX_ATTEMPTS\`.

- Numbers: plain decimal numbers (\`12abc\`, \`0x1F\` and \`1e3\` are rejected).
- Booleans: \`true\`/\`false\`, \`1\`/\`0\`, \`yes\`/\`no\`.
- Choices (levels, formats): any letter case.
- Maps: \`name=value\` pairs separated by commas (\`HIKBRIDGE_LOG_MODULES=devices=debug,api=warn\`)
  or a JSON object.
- An empty variable counts as unset.

## Secrets

Keys marked **secret** are never printed: messages and logs show \`***\` instead. Besides a plain
value they can be read from a file, which suits Docker and Kubernetes secrets:

- in YAML: \`key: { file: /path/to/file }\`
- in the environment: \`HIKBRIDGE_<KEY>_FILE=/path/to/file\` (setting both \`HIKBRIDGE_<KEY>\`
  and \`HIKBRIDGE_<KEY>_FILE\` is an error). \`secrets.key\` has no such variable: its name,
  \`HIKBRIDGE_SECRETS_KEY_FILE\`, is \`secrets.keyFile\`, which already reads the key from a file.

The file content is trimmed of surrounding whitespace and newlines. An unreadable file is an
error naming the path.

## Paths

Relative paths — \`dataDir\`, \`secrets.keyFile\`, an SQLite \`database.url\`, secret files and
the config file itself — are resolved against the working directory of the process, not
against the config file's directory. \`database.url\` and \`secrets.keyFile\` default to files
inside \`dataDir\`.`;
