/** What the controls module's parts share: settings, store, bus, logger and the devices' clients. */
import type { Bus } from '../../core/bus.ts';
import type { Config } from '../../core/config/index.ts';
import type { Logger } from '../../core/logger.ts';
import type { Store } from '../../core/store/types.ts';
import type { DevicesModule } from '../devices/index.ts';

export type ControlsSettings = Config['controls'];

export interface ControlsModuleDeps {
  settings: ControlsSettings;
  store: Store;
  bus: Bus;
  logger: Logger;
  /** Device records and their shared ISAPI clients. */
  devices: Pick<DevicesModule, 'registry' | 'supervisor'>;
}

/** Given to each part (its routes and its work): the module's dependencies and its stop hook. */
export interface ControlsContext {
  readonly deps: ControlsModuleDeps;
  /** Registers what must happen when the module stops (a PTZ move's automatic stop...). */
  onStop(stop: () => Promise<void> | void): void;
}
