/**
 * The controls module: changing devices, each change shown before it is made and undoable where
 * the device allows — stream fix-ups from the doctor's findings, PTZ, detection switches, alarm
 * outputs, lights and sirens, storage, reboot, and an ISAPI pass-through. Protocol work lives in
 * `src/protocols/isapi`; this module wires it to the devices module's clients and to routes.
 */
import { defineModule, type Module } from '../../core/module.ts';
import { devicesModule } from '../devices/index.ts';
import { controlRoutes } from './routes.ts';
import type { ControlsContext, ControlsModuleDeps } from './types.ts';

export type { ControlsContext, ControlsModuleDeps, ControlsSettings } from './types.ts';

export class ControlsModule implements Module, ControlsContext {
  readonly name = 'controls';
  readonly routes;
  /** Work to undo on stop (a PTZ move's automatic stop...), registered by the parts. */
  private readonly stoppers: Array<() => Promise<void> | void> = [];

  constructor(readonly deps: ControlsModuleDeps) {
    this.routes = controlRoutes(this);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    for (const stop of this.stoppers.splice(0)) await stop();
  }

  onStop(stop: () => Promise<void> | void): void {
    this.stoppers.push(stop);
  }
}

export const controlsModule = defineModule({
  name: 'controls',
  settings: (config) => config.controls,
  create: ({ modules, ...context }) =>
    new ControlsModule({ ...context, devices: modules.get(devicesModule) }),
});
