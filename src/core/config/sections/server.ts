/** Configuration sections. The gateway itself: HTTP server, runtime, database, encryption key, accounts and logging. */
import { z } from 'zod';
import { LOG_LEVELS } from '../../logger.ts';
import { databaseUrlProblem } from '../database-url.ts';
import {
  configFieldMeta,
  isBase64Of32Bytes,
  logLevelSchema,
  secret,
  section,
  wholeNumber,
} from '../schema-parts.ts';

export const serverSection = section({
  host: z
    .string()
    .min(1)
    .default('0.0.0.0')
    .describe(
      'Address the web UI and API listen on. `0.0.0.0` means every IPv4 interface, `::` every interface.',
    ),
  port: wholeNumber(0, 65535)
    .default(8080)
    .describe(
      'TCP port of the web UI and API. `0` picks a free port (tests, several instances on one host).',
    ),
  bodyLimitBytes: wholeNumber(1024)
    .default(1048576)
    .describe('Largest request body the API accepts, in bytes.'),
  trustProxy: z
    .boolean()
    .default(false)
    .describe(
      'Trust `X-Forwarded-*` headers for the client address and protocol. Turn on only behind a reverse proxy ' +
        '(nginx, Traefik, Caddy) that sets them.',
    ),
  publicUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .register(configFieldMeta, { expects: 'an http:// or https:// URL' })
    .describe(
      'Address users reach the gateway at, e.g. `https://cams.example.com`, used in links the gateway sends ' +
        'out (webhooks, MQTT, stream URLs). When unset, links use the address a request came in on.',
    ),
}).describe('HTTP server (web UI and API)');

export const uiSection = section({
  enabled: z
    .boolean()
    .default(true)
    .describe(
      'Serve the web UI at `/` (built from `web/` on the first start after a change). Off: the API only.',
    ),
}).describe('Web UI');

export const runtimeSection = section({
  heapGrowthPercent: wholeNumber(0, 300)
    .default(40)
    .describe(
      'How far the JavaScript heap may grow past the memory in use before a full garbage collection, in ' +
        'percent. Keeps the memory of a large installation close to what it needs (under 300 MB with 1000 ' +
        'devices). `0` leaves it to V8, which lets the heap reach up to four times its live size: slightly ' +
        'less CPU, but hundreds of MB more with many devices.',
    ),
}).describe('Node.js runtime');

export const databaseSection = section({
  url: secret(
    z.string().superRefine((url, context) => {
      const problem = databaseUrlProblem(url);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    }),
  )
    .optional()
    .register(configFieldMeta, {
      defaultText: 'SQLite file `<dataDir>/hikbridge.db`',
      expects: 'postgres://…, postgresql://…, sqlite:PATH or a file path',
    })
    .describe(
      'Where data is stored. `postgres://user:pass@host/db` (or `postgresql://`) selects PostgreSQL; ' +
        '`sqlite:PATH` or a plain file path selects SQLite (relative to the working directory). ' +
        'Treated as a secret because it may contain a password.',
    ),
}).describe('Database');

export const secretsSection = section({
  keyFile: z
    .string()
    .min(1)
    .optional()
    .register(configFieldMeta, { defaultText: '`<dataDir>/secret.key`' })
    .describe(
      'File holding the key that encrypts device passwords and cloud secrets in the database; created ' +
        'with a new random key on first start. Keep it with backups of the database: without it stored ' +
        'credentials cannot be read. Relative to the working directory.',
    ),
  key: secret(
    z.string().refine(isBase64Of32Bytes, {
      message: 'expected the base64 encoding of exactly 32 bytes (create one with `openssl rand -base64 32`)',
    }),
    // HIKBRIDGE_SECRETS_KEY_FILE is secrets.keyFile, which already means "the key is in this file".
    { fileVariable: false },
  )
    .optional()
    .describe(
      'The encryption key itself, base64 of 32 random bytes (`openssl rand -base64 32`). ' +
        'Takes precedence over `secrets.keyFile`; useful when the data directory is not private. ' +
        'To read the key from a file, point `secrets.keyFile` at it.',
    ),
}).describe('Encryption of stored credentials');

export const authSection = section({
  adminUsername: z.string().min(1).default('admin').describe('Name of the administrator account.'),
  adminPassword: secret(z.string().min(8))
    .optional()
    .register(configFieldMeta, { defaultText: 'generated on first start' })
    .describe(
      'Password of the administrator account, at least 8 characters, used when the account is created. ' +
        'When unset, a random password is generated on first start.',
    ),
  sessionTtlHours: wholeNumber(1).default(168).describe('How long a login stays valid, in hours.'),
  login: section({
    maxAttempts: wholeNumber(1)
      .default(5)
      .describe(
        'Failed logins allowed from one client within `auth.login.windowSeconds` before it is locked out.',
      ),
    windowSeconds: wholeNumber(1)
      .default(300)
      .describe('Length of the window in which failed logins are counted, in seconds.'),
  }).describe('Login rate limit'),
}).describe('Users and logins');

export const logSection = section({
  level: logLevelSchema.default('info').describe('Least severe level written to the log.'),
  modules: z
    .record(z.string().min(1), logLevelSchema)
    .default({})
    .register(configFieldMeta, { expects: `a map of module names to levels (${LOG_LEVELS.join(', ')})` })
    .describe(
      'Level per module, overriding `log.level`, e.g. `{ devices: debug, api: warn }`. ' +
        'A dotted name such as `devices.supervisor` falls back to `devices`.',
    ),
  format: z
    .enum(['auto', 'json', 'pretty'])
    .default('auto')
    .describe(
      '`auto`: `pretty` when standard output is a terminal, `json` otherwise (piped, a file, a service manager). ' +
        '`json`: one JSON object per line, for log collectors. `pretty`: one coloured, readable line per entry.',
    ),
}).describe('Logging');
