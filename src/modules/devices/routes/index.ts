/**
 * The devices module's HTTP routes: devices, their channels, entities, health, doctor (also for
 * settings not saved yet), snapshots, doors and doorbell calls.
 */
import type { RoutePlugin } from '../../../core/http.ts';
import { registerChannelRoutes } from './channels.ts';
import type { DeviceRoutesDeps } from './deps.ts';
import { registerDeviceRoutes } from './devices.ts';
import { registerDoctorRoutes } from './doctor.ts';
import { registerDoorbellRoutes } from './doorbell.ts';

export type { DeviceOperations, DeviceRoutesDeps } from './deps.ts';

export function deviceRoutes(deps: DeviceRoutesDeps): RoutePlugin {
  return (app) => {
    registerDeviceRoutes(app, deps);
    registerChannelRoutes(app, deps);
    registerDoorbellRoutes(app, deps);
    registerDoctorRoutes(app, deps);
  };
}
