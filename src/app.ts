/**
 * The gateway: loads the configuration, opens the store, starts the modules in order and stops
 * them in reverse. Modules only meet through the bus and the store (and the few operations the
 * devices module offers).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { Bus, type Module } from './core/bus.ts';
import { type Config, listConfigKeys, loadConfig } from './core/config/index.ts';
import { createLogger, MASK, type RootLogger, redactSecretsInText } from './core/logger.ts';
import { loadOrCreateSecretKey } from './core/secrets.ts';
import { createStore, describeStoreUrl } from './core/store/index.ts';
import type { Store } from './core/store/types.ts';
import { AuthService } from './modules/api/auth.ts';
import { Metrics } from './modules/api/metrics.ts';
import { ApiModule } from './modules/api/server.ts';
import { BrowserTalkSessions } from './modules/api/talk-sessions.ts';
import { baseUrlOf } from './modules/devices/connect.ts';
import { DevicesModule } from './modules/devices/index.ts';
import { runDoctor } from './diagnostics/doctor.ts';
import { EventsModule } from './modules/events/index.ts';
import { MediaModule } from './modules/media/index.ts';
import { MqttModule } from './modules/mqtt/index.ts';
import { TalkModule } from './modules/talk/index.ts';
import { WebhooksModule } from './modules/webhooks/index.ts';

export interface GatewayOptions {
  configFile?: string;
  env?: Record<string, string | undefined>;
  /** Deep-merged over file and environment (CLI flags). */
  overrides?: Record<string, unknown>;
  /** Where log lines go (tests capture them); default stdout. */
  logDestination?: NodeJS.WritableStream;
  /** Called once with the generated admin password on first start (the CLI prints it). */
  onAdminCreated?: (username: string, password: string | undefined) => void;
  /** Progress of long start-up work (building MediaMTX the first time); the CLI prints it. */
  onProgress?: (message: string) => void;
}

export interface Gateway {
  readonly config: Config;
  readonly store: Store;
  readonly bus: Bus;
  readonly logger: RootLogger;
  readonly devices: DevicesModule;
  readonly events: EventsModule;
  readonly media: MediaModule;
  readonly auth: AuthService;
  /** Where the HTTP API listens. */
  readonly address: { host: string; port: number };
  stop(): Promise<void>;
}

const STOP_DEADLINE_MS = 5000;

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const config = loadConfig({
    ...(options.configFile ? { file: options.configFile } : {}),
    env: options.env ?? process.env,
    ...(options.overrides ? { overrides: options.overrides } : {}),
  });
  const logger = createLogger({
    level: config.log.level,
    modules: config.log.modules,
    format: config.log.format,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const log = logger.forModule('gateway');
  // V8 reads this flag at every full collection, so setting it now takes effect for the process.
  setFlagsFromString(`--heap-growing-percent=${config.runtime.heapGrowthPercent}`);
  await mkdir(config.dataDir, { recursive: true });

  const secret = await loadOrCreateSecretKey({
    keyFile: config.secrets.keyFile,
    ...(config.secrets.key ? { key: config.secrets.key } : {}),
  });
  if (secret.warning) log.warn(secret.warning);
  if (secret.source === 'created')
    log.info({ keyFile: config.secrets.keyFile }, 'created a new secret key file');
  const store = await createStore({ url: config.database.url, secretKey: secret.key });
  log.info({ database: describeStoreUrl(config.database.url), dialect: store.dialect }, 'store open');

  const bus = new Bus((event, error) => log.error({ event, err: error }, 'bus handler failed'));
  const deviceSettings = {
    requestTimeoutMs: config.devices.requestTimeoutMs,
    maxConcurrent: config.devices.maxConcurrentPerDevice,
    checkIntervalMs: config.devices.supervisor.checkIntervalSeconds * 1000,
    minBackoffMs: config.devices.supervisor.minBackoffSeconds * 1000,
    maxBackoffMs: config.devices.supervisor.maxBackoffSeconds * 1000,
    startsPerSecond: config.devices.supervisor.startsPerSecond,
  };
  const devices = new DevicesModule({
    store,
    bus,
    logger: logger.forModule('devices'),
    settings: deviceSettings,
  });
  const auth = new AuthService(store, config.auth, logger.forModule('auth'));
  const admin = await auth.ensureAdmin();
  if (admin) options.onAdminCreated?.(admin.username, admin.generatedPassword);

  const media = new MediaModule({
    store,
    bus,
    logger: logger.forModule('media'),
    engineLogger: logger.forModule('mediamtx'),
    settings: config.media,
    dataDir: config.dataDir,
    publicUrl: config.server.publicUrl,
    secretKey: secret.key,
    verifyCredentials: (credentials) => auth.verifyViewer(credentials),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  if (config.media.enabled) devices.setSnapshotFallback((channelId) => media.grabFrame(channelId));
  const metrics = new Metrics({
    health: () => devices.supervisor.allHealth(),
    ...(config.media.enabled ? { media: () => media.status() } : {}),
  });
  bus.on('event', (event) => metrics.events.inc({ kind: event.kind, state: event.state }));
  bus.on('device.health', (health) => {
    if (health.lastErrorCode) metrics.deviceErrors.inc({ code: health.lastErrorCode });
  });
  const talk = new TalkModule({
    store,
    bus,
    logger: logger.forModule('talk'),
    devices,
    settings: {
      ffmpegPath: config.media.ffmpeg,
      maxSessionSeconds: config.talk.maxSessionSeconds,
      maxSessions: config.talk.maxSessions,
      method: config.talk.method,
    },
  });
  const browserTalk = new BrowserTalkSessions({
    media,
    talk,
    logger: logger.forModule('talk'),
    waitMs: config.talk.browserWaitSeconds * 1000,
    maxDurationSeconds: config.talk.maxSessionSeconds,
    defaultMethod: config.talk.method,
  });
  const api = new ApiModule({
    store,
    bus,
    logger: logger.forModule('api'),
    devices,
    media,
    talk,
    browserTalk,
    auth,
    metrics,
    version: await packageVersion(),
    settings: config.server,
    doctor: async (deviceId) => {
      const device = await devices.registry.get(deviceId);
      return runDoctor({
        baseUrl: baseUrlOf(device),
        username: device.username,
        password: device.password,
        tls: device.tlsFingerprint
          ? { pinnedFingerprint: device.tlsFingerprint }
          : { insecure: device.insecureTls },
        timeoutMs: config.devices.requestTimeoutMs,
        ...(device.channelOverride ? { channels: device.channelOverride } : {}),
      });
    },
    publicConfig: () => maskSecrets(config),
  });

  const events = new EventsModule({
    store,
    bus,
    logger: logger.forModule('events'),
    devices,
    dataDir: config.dataDir,
    settings: config.events,
  });
  // MQTT stays off until a broker is configured.
  const mqtt = config.mqtt.url
    ? new MqttModule({
        store,
        bus,
        logger: logger.forModule('mqtt'),
        devices,
        settings: {
          ...config.mqtt,
          url: config.mqtt.url,
          version: await packageVersion(),
          supportUrl: config.server.publicUrl,
        },
      })
    : undefined;
  const webhooks = new WebhooksModule({
    store,
    bus,
    logger: logger.forModule('webhooks'),
    settings: config.webhooks,
  });
  // Sinks start before the events module and stop after it, so its last events still reach them.
  const modules: Module[] = [
    devices,
    webhooks,
    ...(mqtt ? [mqtt] : []),
    events,
    talk,
    media,
    browserTalk,
    api,
  ];
  const started: Module[] = [];
  try {
    for (const module of modules) {
      await module.start();
      started.push(module);
    }
  } catch (error) {
    await stopAll(started, store, logger);
    throw error;
  }
  log.info({ ...api.address }, 'hikbridge started');

  let stopping: Promise<void> | undefined;
  return {
    config,
    store,
    bus,
    logger,
    devices,
    events,
    media,
    auth,
    address: api.address!,
    stop: () => {
      stopping ??= stopAll(started, store, logger);
      return stopping;
    },
  };
}

/** Stops modules in reverse order, then flushes the store and the log, within a deadline. */
async function stopAll(modules: Module[], store: Store, logger: RootLogger): Promise<void> {
  const log = logger.forModule('gateway');
  const work = (async () => {
    for (const module of [...modules].reverse()) {
      try {
        await module.stop();
      } catch (error) {
        log.error({ module: module.name, err: error }, 'module did not stop cleanly');
      }
    }
    await store.close();
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log.warn(`shutdown took longer than ${STOP_DEADLINE_MS / 1000} s; stopping anyway`);
      resolve();
    }, STOP_DEADLINE_MS);
  });
  await Promise.race([work, deadline]);
  clearTimeout(timer);
  log.info('hikbridge stopped');
  await logger.flush();
}

/**
 * The configuration with every secret replaced by ***, for the settings endpoint. Webhook
 * subscriptions sit below a map of ids: their secrets go, and their URLs lose query and user info
 * (receivers often take a token there).
 */
export function maskSecrets(config: Config): unknown {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const key of listConfigKeys()) {
    if (!key.secret) continue;
    const path = key.path.split('.');
    let node: Record<string, unknown> | undefined = copy;
    for (const part of path.slice(0, -1)) node = node?.[part] as Record<string, unknown> | undefined;
    const last = path[path.length - 1]!;
    if (node && node[last] !== undefined && node[last] !== null) node[last] = MASK;
  }
  const subscriptions = (
    copy.webhooks as { subscriptions?: Record<string, { secret?: unknown; url?: string }> }
  )?.subscriptions;
  for (const subscription of Object.values(subscriptions ?? {})) {
    subscription.secret = MASK;
    if (subscription.url) subscription.url = redactSecretsInText(stripQuery(subscription.url));
  }
  return copy;
}

function stripQuery(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.search = parsed.search ? '?***' : '';
    return parsed.toString();
  } catch {
    return MASK;
  }
}

async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
