/**
 * The gateway, the composition root: loads the configuration, opens the store, builds the
 * modules from one list (each gets its settings slice and the modules before it), starts them in
 * order and stops them in reverse. Modules meet through the bus, the store and the operations
 * one module looks up on another (see docs/architecture.md).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Bus } from './core/bus.ts';
import { type Config, loadConfig, maskSecrets } from './core/config/index.ts';
import { createLogger, type RootLogger } from './core/logger.ts';
import type { AnyModuleDefinition, DefinitionOf, GatewayInfo, Module, ModuleLookup } from './core/module.ts';
import { loadOrCreateSecretKey } from './core/secrets.ts';
import { createStore, describeStoreUrl } from './core/store/index.ts';
import type { Store } from './core/store/types.ts';
import { apiModule } from './modules/api/server.ts';
import { type AuthService, authModule } from './modules/auth/index.ts';
import { type CloudModule, cloudModule } from './modules/cloud/index.ts';
import { controlsModule } from './modules/controls/index.ts';
import { type DevicesModule, devicesModule } from './modules/devices/index.ts';
import { type DoorbellModule, doorbellModule } from './modules/doorbell/index.ts';
import { type EventsModule, eventsModule } from './modules/events/index.ts';
import { type MediaModule, mediaModule } from './modules/media/index.ts';
import { mqttModule } from './modules/mqtt/index.ts';
import { talkModule } from './modules/talk/index.ts';
import { webModule } from './modules/web/index.ts';
import { webhooksModule } from './modules/webhooks/index.ts';

/**
 * Every module, in start order (stopped in reverse); each is built after the ones it looks up.
 * Sinks (webhooks, MQTT) start before the events module and stop after it, so its last events
 * still reach them; the API comes last, because it serves every other module's routes.
 */
const MODULES: readonly AnyModuleDefinition[] = [
  authModule,
  devicesModule,
  webhooksModule,
  mqttModule,
  eventsModule,
  mediaModule,
  talkModule,
  doorbellModule,
  controlsModule,
  cloudModule,
  webModule,
  apiModule,
];

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
  readonly cloud: CloudModule;
  readonly doorbell: DoorbellModule;
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
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'hikbridge_' });
  const gateway: GatewayInfo = {
    dataDir: config.dataDir,
    secretKey: secret.key,
    publicUrl: config.server.publicUrl,
    version: await packageVersion(),
    publicConfig: () => maskSecrets(config),
    onProgress: options.onProgress,
    onAdminCreated: options.onAdminCreated,
  };
  const built = new Map<string, Module>();
  const modules: ModuleLookup = {
    get: <M extends Module>(definition: DefinitionOf<M>) => {
      const module = built.get(definition.name);
      if (!module) {
        throw new Error(`module "${definition.name}" is used before it is built (see MODULES in app.ts)`);
      }
      return module as M;
    },
    all: () => [...built.values()],
  };
  const started: Module[] = [];
  try {
    for (const definition of MODULES) {
      const module = await definition.create({
        settings: definition.settings(config),
        store,
        bus,
        logger: logger.forModule(definition.name),
        loggerFor: (name) => logger.forModule(name),
        metrics,
        gateway,
        modules,
      });
      if (module) built.set(definition.name, module);
    }
    for (const module of built.values()) {
      await module.start();
      started.push(module);
    }
  } catch (error) {
    await stopAll(started, store, logger);
    throw error;
  }
  const api = modules.get(apiModule);
  log.info({ ...api.address }, 'hikbridge started');

  let stopping: Promise<void> | undefined;
  return {
    config,
    store,
    bus,
    logger,
    devices: modules.get(devicesModule),
    events: modules.get(eventsModule),
    media: modules.get(mediaModule),
    cloud: modules.get(cloudModule),
    doorbell: modules.get(doorbellModule),
    auth: modules.get(authModule).service,
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

async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
