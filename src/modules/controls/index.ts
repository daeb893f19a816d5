/**
 * The controls module: changing devices, each change shown before it is made and undoable where
 * the device allows — stream fix-ups from the doctor's findings, PTZ, detection switches, alarm
 * outputs, lights and sirens, storage, reboot, and an ISAPI pass-through. Protocol work lives in
 * `src/protocols/isapi`; this module wires it to the devices module's clients and to routes.
 */
import type { RoutePlugin } from '../../core/http.ts';
import { defineModule, type Module } from '../../core/module.ts';
import { devicesModule } from '../devices/index.ts';
import { claimBusCommands } from './bus-commands.ts';
import { ControlsInventoryReader, changeOfRoute } from './inventory.ts';
import { registerControlsMetrics } from './metrics.ts';
import { ptzControlOf } from './ptz.ts';
import { controlRoutes } from './routes.ts';
import type { ControlsContext, ControlsModuleDeps } from './types.ts';

export type { ControlsContext, ControlsModuleDeps, ControlsSettings } from './types.ts';

export class ControlsModule implements Module, ControlsContext {
  readonly name = 'controls';
  readonly routes: RoutePlugin;
  /** What each device can be told to do, announced on the bus (`controls.inventory`). */
  readonly inventory: ControlsInventoryReader;
  /** Work to undo on stop (a PTZ move's automatic stop...), registered by the parts. */
  private readonly stoppers: Array<() => Promise<void> | void> = [];

  constructor(readonly deps: ControlsModuleDeps) {
    this.inventory = new ControlsInventoryReader(this);
    this.routes = this.rereadAfterChanges(controlRoutes(this));
  }

  async start(): Promise<void> {
    this.onStop(claimBusCommands(this, this.inventory, ptzControlOf(this)));
    this.onStop(() => this.inventory.stop());
    await this.inventory.start();
  }

  async stop(): Promise<void> {
    for (const stop of this.stoppers.splice(0)) await stop();
  }

  /**
   * A change made through a route (not a GET, answered 2xx) reads the device's controls again,
   * in the background. A reboot is left out (the device is read when it is back online), and so
   * is the ISAPI pass-through (raw writes are the caller's business; read again when it is back).
   */
  private rereadAfterChanges(routes: RoutePlugin): RoutePlugin {
    return async (app) => {
      await app.register(async (scope) => {
        scope.addHook('onResponse', async (request, reply) => {
          const url = request.routeOptions.url ?? '';
          const id = (request.params as { id?: unknown } | undefined)?.id;
          if (request.method === 'GET' || reply.statusCode >= 300 || typeof id !== 'string') return;
          if (url.endsWith('/reboot') || url.includes('/isapi/')) return;
          const change = await changeOfRoute(this, url, id).catch(() => undefined);
          if (change) void this.inventory.refresh(change.deviceId, change.scope);
        });
        await routes(scope);
      });
    };
  }

  onStop(stop: () => Promise<void> | void): void {
    this.stoppers.push(stop);
  }
}

export const controlsModule = defineModule({
  name: 'controls',
  settings: (config) => config.controls,
  create: ({ modules, ...context }) => {
    const controls = new ControlsModule({ ...context, devices: modules.get(devicesModule) });
    // Storage gauges from the inventory as read: a scrape asks nothing of the devices.
    registerControlsMetrics(context.metrics, () => controls.inventory.entries());
    return controls;
  },
});
