/**
 * What a feature module is, and what the composition root (src/app.ts) hands it. A module is
 * built from its definition: the root picks the module's settings out of the validated
 * configuration (defaults live only in the schema), gives it the store, the bus, a logger and
 * the metrics registry, and lets it look up the modules built before it.
 */
import type { Registry } from 'prom-client';
import type { Bus } from './bus.ts';
import type { Config } from './config/index.ts';
import type { RoutePlugin } from './http.ts';
import type { Logger } from './logger.ts';
import type { Store } from './store/types.ts';

export interface Module {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** This module's HTTP routes; the API module registers them behind its auth and error handling. */
  readonly routes?: RoutePlugin;
  /** A summary for `/health` (counts and states, never secrets), under the module's name. */
  healthReport?(): Promise<Record<string, unknown>>;
}

/** Any definition that builds an M, whatever its settings (for typed look-ups). */
export interface DefinitionOf<M extends Module> {
  readonly name: string;
  create(context: never): M | undefined | Promise<M | undefined>;
}

export interface ModuleLookup {
  /**
   * The module a definition built earlier in the list, typed by that definition; throws when it
   * is missing (a mistake in the order in app.ts). Importing the definition keeps the dependency
   * visible: `modules.get(devicesModule)`.
   */
  get<M extends Module>(definition: DefinitionOf<M>): M;
  /** Every module built so far, in start order. */
  all(): readonly Module[];
}

/** Facts about this gateway run that are not one module's settings. */
export interface GatewayInfo {
  /** The data directory (database, key file, pictures), already created. */
  dataDir: string;
  /** The 32-byte key that encrypts secrets at rest. */
  secretKey: Buffer;
  /** `server.publicUrl`, when set: links the gateway sends out use it. */
  publicUrl: string | undefined;
  version: string;
  /** The effective configuration with every secret masked (for `/api/v1/settings`). */
  publicConfig(): unknown;
  /** Progress of long start-up work (building MediaMTX); the CLI prints it. */
  onProgress?: ((message: string) => void) | undefined;
  /** Called once with the generated admin password on first start (the CLI prints it). */
  onAdminCreated?: ((username: string, password: string | undefined) => void) | undefined;
}

export interface ModuleContext<Settings> {
  settings: Settings;
  store: Store;
  bus: Bus;
  /** The module's own logger (`module` field set, per-module level applied). */
  logger: Logger;
  /** A logger for a named part that has its own level (e.g. `mediamtx`). */
  loggerFor(name: string): Logger;
  metrics: Registry;
  gateway: GatewayInfo;
  modules: ModuleLookup;
}

export interface ModuleDefinition<M extends Module = Module, Settings = unknown> {
  readonly name: string;
  /** This module's slice of the configuration. */
  settings(config: Config): Settings;
  /** Builds the module; `undefined` leaves it off (e.g. MQTT without a broker). */
  create(context: ModuleContext<Settings>): M | undefined | Promise<M | undefined>;
}

/** Keeps the settings type of a definition tied to its `create` (helps inference). */
export function defineModule<M extends Module, Settings>(
  definition: ModuleDefinition<M, Settings>,
): ModuleDefinition<M, Settings> {
  return definition;
}

/** A definition with its settings type erased: what the composition root iterates over. */
// biome-ignore lint/suspicious/noExplicitAny: each definition is type-checked where it is written
export type AnyModuleDefinition = ModuleDefinition<Module, any>;
