/**
 * The one configuration schema. Validation, defaults, environment variable names, coercion of
 * environment strings and the reference in docs/config.md are all derived from it, so a key
 * added here is immediately settable, validated and documented.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EVENT_KINDS } from '../events.ts';
import { LOG_LEVELS } from '../logger.ts';
import { databaseUrlProblem } from './database-url.ts';

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
function section<T extends z.core.$ZodLooseShape>(shape: T) {
  const object = z.strictObject(shape);
  return object.prefault({} as z.input<typeof object>);
}

function wholeNumber(min: number, max?: number) {
  const atLeast = z.number().int().min(min);
  return max === undefined ? atLeast : atLeast.max(max);
}

/** Standard or URL-safe alphabet, padding optional: what the store accepts. */
function isBase64Of32Bytes(text: string): boolean {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return false;
  return Buffer.from(trimmed.replaceAll('-', '+').replaceAll('_', '/'), 'base64').length === 32;
}

/** An MQTT topic prefix: one or more non-empty levels, no wildcards, no surrounding slashes. */
function topicPrefix() {
  return z.string().regex(/^[^#+/\s\u0000]+(\/[^#+/\s\u0000]+)*$/, {
    message: 'expected topic levels separated by `/`, without `#`, `+`, spaces or empty levels',
  });
}

export const logLevelSchema = z.enum(LOG_LEVELS);

export const configSchema = z.strictObject({
  dataDir: z
    .string()
    .min(1)
    .default('./data')
    .describe(
      'Directory for the database, the secret key file and snapshots. Created on start if missing. ' +
        'A relative path is resolved against the working directory of the process.',
    ),

  server: section({
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
  }).describe('HTTP server (web UI and API)'),

  runtime: section({
    heapGrowthPercent: wholeNumber(0, 300)
      .default(40)
      .describe(
        'How far the JavaScript heap may grow past the memory in use before a full garbage collection, in ' +
          'percent. Keeps the memory of a large installation close to what it needs (under 300 MB with 1000 ' +
          'devices). `0` leaves it to V8, which lets the heap reach up to four times its live size: slightly ' +
          'less CPU, but hundreds of MB more with many devices.',
      ),
  }).describe('Node.js runtime'),

  database: section({
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
  }).describe('Database'),

  secrets: section({
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
        message:
          'expected the base64 encoding of exactly 32 bytes (create one with `openssl rand -base64 32`)',
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
  }).describe('Encryption of stored credentials'),

  auth: section({
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
  }).describe('Users and logins'),

  log: section({
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
  }).describe('Logging'),

  devices: section({
    requestTimeoutMs: wholeNumber(100, 600_000)
      .default(10000)
      .describe('Time limit for one request to a device, in milliseconds.'),
    maxConcurrentPerDevice: wholeNumber(1, 8)
      .default(2)
      .describe(
        'Requests sent to one device at the same time; small devices (doorbells) cope badly with more.',
      ),
    supervisor: section({
      checkIntervalSeconds: wholeNumber(1)
        .default(30)
        .describe('How often each device is checked for reachability, in seconds.'),
      minBackoffSeconds: wholeNumber(1)
        .default(2)
        .describe(
          'First wait before reconnecting to an unreachable device, in seconds; doubles on each failure.',
        ),
      maxBackoffSeconds: wholeNumber(1)
        .default(300)
        .describe('Longest wait between reconnection attempts, in seconds.'),
      startsPerSecond: wholeNumber(1, 100_000)
        .default(200)
        .describe(
          'Devices connected per second when many start together (gateway start, bulk import): 1000 ' +
            'devices come up in 5 s instead of all at once, which keeps memory and event latency steady.',
        ),
    })
      .check((context) => {
        const { minBackoffSeconds, maxBackoffSeconds } = context.value;
        if (maxBackoffSeconds < minBackoffSeconds) {
          context.issues.push({
            code: 'custom',
            path: ['maxBackoffSeconds'],
            message: `must be at least devices.supervisor.minBackoffSeconds (${minBackoffSeconds}), got ${maxBackoffSeconds}`,
            input: maxBackoffSeconds,
          });
        }
      })
      .describe('Reconnecting to unreachable devices'),
  }).describe('Devices'),

  events: section({
    quietSeconds: z
      .number()
      .positive()
      .max(3600)
      .default(10)
      .describe(
        'A motion (or other lasting) event ends after this many seconds without a new alert: devices rarely ' +
          'say when motion stops.',
      ),
    updateEverySeconds: z
      .number()
      .min(0)
      .max(60)
      .default(1)
      .describe(
        'Least time between two `update`s of one ongoing event; devices repeat "active" many times a second.',
      ),
    idleTimeoutSeconds: z
      .number()
      .positive()
      .max(600)
      .default(30)
      .describe(
        'An event stream that sends nothing (not even a heartbeat) this long is reopened: the classic ' +
          '"events stop until restart" failure.',
      ),
    reconnectMaxSeconds: z
      .number()
      .positive()
      .max(600)
      .default(30)
      .describe(
        'Longest wait between attempts to reopen a lost event stream (back-off with jitter up to this).',
      ),
    maxEventAgeSeconds: wholeNumber(1)
      .default(300)
      .describe('Alerts whose device time is older than this are replays of the past and are dropped.'),
    snapshotOnStart: z
      .boolean()
      .default(true)
      .describe('Take a snapshot when an event starts on a channel and the device sent no picture with it.'),
    callStatusPollMs: wholeNumber(200, 60_000)
      .default(1000)
      .describe(
        'How often doorbells are asked whether they ring (milliseconds); their firmware does not push it.',
      ),
    retentionDays: wholeNumber(1, 3650)
      .default(30)
      .describe('Stored events and their pictures are kept this many days.'),
    maxRows: wholeNumber(1000)
      .default(1_000_000)
      .describe('At most this many stored events; the oldest go first.'),
    push: section({
      enabled: z
        .boolean()
        .default(false)
        .describe(
          'Listen for events that devices POST to an "HTTP listening host" (httpHosts), for firmware that ' +
            'cannot keep an event stream open. Point the device at http://<gateway>:<port>/events/<deviceId>.',
        ),
      host: z.string().min(1).default('0.0.0.0').describe('Address the push listener binds to.'),
      port: wholeNumber(0, 65535).default(8090).describe('Port of the push listener (0 = any free port).'),
    }).describe('Events pushed by devices'),
    stream: section({
      heartbeatSeconds: wholeNumber(1, 300)
        .default(15)
        .describe(
          'Seconds between keep-alive comments on `/api/v1/events/stream` (and pings on the WebSocket), so ' +
            'proxies keep idle connections open.',
        ),
      maxQueuedMessages: wholeNumber(10)
        .default(1000)
        .describe(
          'Messages waiting for one slow event-stream client before it is disconnected; one client that does ' +
            'not read never slows the others or grows memory.',
        ),
      maxQueuedBytes: wholeNumber(16384)
        .default(4194304)
        .describe('Bytes waiting for one slow event-stream client before it is disconnected.'),
      maxReplay: wholeNumber(0, 1000)
        .default(1000)
        .describe(
          'Most events replayed to a client that reconnects with `Last-Event-ID`; after them it continues live.',
        ),
      maxClients: wholeNumber(1)
        .default(100)
        .describe('Event-stream clients (SSE and WebSocket together) connected at the same time.'),
    }).describe('Live events over SSE and WebSocket'),
  }).describe('Events'),

  webhooks: section({
    subscriptions: z
      .record(z.string(), webhookSubscription())
      .check((context) => {
        // A custom issue: a failed key schema would be reported as "expected a map of settings".
        for (const id of Object.keys(context.value)) {
          if (/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) continue;
          context.issues.push({
            code: 'custom',
            path: [id],
            message: `subscription id "${id}" must be a slug: lower-case letters, digits and dashes, at most 63`,
            input: id,
          });
        }
      })
      .default({})
      .register(configFieldMeta, {
        expects: 'a map of subscription ids to { url, secret, events, timeoutMs, maxAttempts, maxAgeHours }',
      })
      .describe(
        'Where events are POSTed, by subscription id (a slug, e.g. `crm`): `url` (http/https), `secret` ' +
          '(HMAC-SHA256 key of the `x-hikbridge-signature` header, at least 16 characters, or `{ file: PATH }`), ' +
          '`events` (optional lists `kinds`, `deviceIds`, `channelIds`, `states`; an event must match every list ' +
          'given), `timeoutMs` (default 5000), `maxAttempts` (default: unlimited) and `maxAgeHours` (default ' +
          '24; older deliveries are dropped). Failed deliveries are retried in order per subscription. In the ' +
          'environment: JSON.',
      ),
    maxQueuedPerSubscription: wholeNumber(1)
      .default(100000)
      .describe(
        'Deliveries kept waiting per subscription while its receiver is down; beyond that the oldest are dropped.',
      ),
    minBackoffMs: wholeNumber(10)
      .default(1000)
      .describe('Wait before the first retry of a failed delivery, in milliseconds; doubles per failure.'),
    maxBackoffMs: wholeNumber(10)
      .default(300000)
      .describe('Longest wait between retries of a failed delivery, in milliseconds.'),
  })
    .check((context) => {
      const { minBackoffMs, maxBackoffMs } = context.value;
      if (maxBackoffMs < minBackoffMs) {
        context.issues.push({
          code: 'custom',
          path: ['maxBackoffMs'],
          message: `must be at least webhooks.minBackoffMs (${minBackoffMs}), got ${maxBackoffMs}`,
          input: maxBackoffMs,
        });
      }
    })
    .describe('Webhooks'),

  media: section({
    enabled: z
      .boolean()
      .default(true)
      .describe('Live video through MediaMTX. Off: no MediaMTX, no stream URLs, no talk sessions.'),
    mode: z
      .enum(['supervised', 'external', 'file'])
      .default('supervised')
      .describe(
        '`supervised`: hikbridge runs MediaMTX as a child process and restarts it if it dies. `external`: you ' +
          'run MediaMTX; hikbridge manages its paths through the control API at `media.apiUrl`. `file`: ' +
          'hikbridge only writes the paths into `media.configFile` (MediaMTX reloads the file when it changes).',
      ),
    binary: z
      .string()
      .min(1)
      .optional()
      .describe(
        'MediaMTX executable to run. When unset: `mediamtx` on PATH, else a build cached in ' +
          '`~/.cache/hikbridge`, else one built from the Go module proxy on first start (needs Go 1.26+).',
      ),
    cacheDir: z
      .string()
      .min(1)
      .optional()
      .register(configFieldMeta, { defaultText: '`$XDG_CACHE_HOME/hikbridge` or `~/.cache/hikbridge`' })
      .describe('Where a MediaMTX built by hikbridge is kept and reused.'),
    configFile: z
      .string()
      .min(1)
      .optional()
      .register(configFieldMeta, { defaultText: '`<dataDir>/mediamtx/mediamtx.yml`' })
      .describe(
        "The mediamtx.yml hikbridge writes: the child's config in `supervised` mode, your MediaMTX's config " +
          'in `file` mode (written atomically; keep your own settings elsewhere, the file is rewritten).',
      ),
    apiUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .register(configFieldMeta, {
        expects: 'an http:// URL',
        defaultText: '`http://127.0.0.1:<media.apiPort>`',
      })
      .describe('MediaMTX control API hikbridge talks to (in `external` mode: yours, with `api: yes`).'),
    apiPort: wholeNumber(1, 65535)
      .default(9997)
      .describe("Port of the supervised MediaMTX's control API; bound to 127.0.0.1 only."),
    rtspPort: wholeNumber(1, 65535).default(8554).describe('RTSP port viewers and players connect to.'),
    webrtcPort: wholeNumber(1, 65535)
      .default(8889)
      .describe('HTTP port of the WebRTC pages and WHEP/WHIP endpoints.'),
    webrtcUdpPort: wholeNumber(1, 65535).default(8189).describe('UDP port for WebRTC media (ICE).'),
    hlsPort: wholeNumber(1, 65535).default(8888).describe('HTTP port of the HLS streams and pages.'),
    webrtcAdditionalHosts: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Extra addresses announced to browsers for WebRTC media, e.g. the public IP or the Docker host's " +
          "address, when viewers cannot reach the gateway's own interfaces.",
      ),
    publicHost: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Host name viewers use to reach the media ports. When unset: the host of `server.publicUrl`, or the ' +
          'host an API request came in on.',
      ),
    rtspTransport: z
      .enum(['tcp', 'udp', 'automatic'])
      .default('tcp')
      .describe('How MediaMTX pulls from cameras. TCP survives real networks; UDP loses packets.'),
    onDemandStartTimeoutSeconds: wholeNumber(1, 120)
      .default(10)
      .describe('How long the first viewer waits for a camera stream to start before giving up.'),
    onDemandCloseAfterSeconds: wholeNumber(1, 3600)
      .default(10)
      .describe('How long a camera stream stays open after its last viewer leaves.'),
    viewerTokenMinutes: wholeNumber(1, 7 * 24 * 60)
      .default(60)
      .describe(
        'Lifetime of the viewer tokens in stream URLs the API hands out; a URL stops working after that.',
      ),
    restartMaxSeconds: wholeNumber(1, 600)
      .default(30)
      .describe('Longest wait before restarting a MediaMTX that died (the wait doubles from 1 s).'),
    ffmpeg: z
      .string()
      .min(1)
      .default('ffmpeg')
      .describe(
        'The ffmpeg program (a path, or a name on PATH): snapshots from the live stream and two-way audio use it.',
      ),
  }).describe('Live video (MediaMTX)'),

  talk: section({
    maxSessionSeconds: wholeNumber(5, 3600)
      .default(300)
      .describe('A two-way audio session ends after this long, whatever the source does.'),
    maxSessions: wholeNumber(1, 64)
      .default(4)
      .describe('Two-way audio sessions at once over all devices (each runs one ffmpeg).'),
    method: z
      .enum(['auto', 'isapi', 'onvif'])
      .default('auto')
      .describe(
        'How audio reaches the device: `isapi` two-way audio, the `onvif` RTSP audio backchannel, or `auto` ' +
          '(ISAPI, else the backchannel when the device offers one).',
      ),
    browserWaitSeconds: wholeNumber(5, 300)
      .default(30)
      .describe('How long a browser talk session waits for the microphone to be published before giving up.'),
  }).describe('Two-way audio'),

  mqtt: section({
    url: z
      .url({ protocol: /^mqtts?$/ })
      .refine((url) => !new URL(url).username && !new URL(url).password, {
        message: 'put the credentials in mqtt.username and mqtt.password, not in the URL',
      })
      .optional()
      .register(configFieldMeta, { expects: 'an mqtt:// or mqtts:// URL without credentials' })
      .describe(
        'Broker to publish to, e.g. `mqtt://192.168.1.10:1883` or `mqtts://broker.example.com:8883`. ' +
          'MQTT (and Home Assistant discovery) is off while this is unset.',
      ),
    username: z.string().min(1).optional().describe('User name for the broker, if it requires one.'),
    password: secret(z.string().min(1)).optional().describe('Password for the broker.'),
    baseTopic: topicPrefix()
      .default('hikbridge')
      .describe(
        'First level of every hikbridge topic: `<baseTopic>/bridge/state`, `<baseTopic>/<deviceId>/...`. ' +
          'Give each gateway on one broker its own.',
      ),
    discoveryPrefix: topicPrefix()
      .default('homeassistant')
      .describe(
        'Discovery prefix Home Assistant listens on (its MQTT integration setting of the same name).',
      ),
    discovery: z
      .boolean()
      .default(true)
      .describe(
        'Publish Home Assistant discovery configs. Turning it off removes the entities hikbridge created.',
      ),
    clientId: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .register(configFieldMeta, { defaultText: '`hikbridge-<random>`, new on each start' })
      .describe('MQTT client id. Two clients with one id disconnect each other, so keep it unique.'),
    retainStates: z
      .boolean()
      .default(true)
      .describe(
        'Publish entity states and snapshots as retained messages, so a subscriber sees the last value at once. ' +
          'The doorbell ring event is never retained.',
      ),
    snapshotOnEvent: z
      .boolean()
      .default(true)
      .describe(
        'Publish a fresh picture to the channel snapshot topic when motion, a smart event or a ring starts.',
      ),
    keepaliveSeconds: wholeNumber(5, 3600)
      .default(30)
      .describe('MQTT keepalive: how often the connection is checked, in seconds.'),
  }).describe('MQTT and Home Assistant discovery'),
});

/** One webhook subscription (the id is its key in `webhooks.subscriptions`). */
function webhookSubscription() {
  const list = <T extends z.ZodType>(item: T) => z.array(item).optional();
  return z.strictObject({
    url: z.url({ protocol: /^https?$/ }).register(configFieldMeta, { expects: 'an http:// or https:// URL' }),
    secret: secret(z.string().min(16)),
    events: z
      .strictObject({
        kinds: list(z.enum(EVENT_KINDS)),
        deviceIds: list(z.string().min(1)),
        channelIds: list(z.string().min(1)),
        states: list(z.enum(['start', 'update', 'end', 'pulse'])),
      })
      .default({}),
    timeoutMs: wholeNumber(100, 60_000).default(5000),
    maxAttempts: wholeNumber(1).optional(),
    maxAgeHours: z.number().positive().max(720).default(24),
  });
}
