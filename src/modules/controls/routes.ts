/** The controls module's routes: one plugin per part, registered here. */
import type { RoutePlugin } from '../../core/http.ts';
import { availabilityRoutes } from './availability-routes.ts';
import { detectionRoutes } from './detections-routes.ts';
import { deterrenceRoutes } from './deterrence-routes.ts';
import { fixRoutes } from './fixes-routes.ts';
import { maintenanceRoutes } from './maintenance-routes.ts';
import { lightRoutes } from './outputs-light-routes.ts';
import { outputRoutes } from './outputs-routes.ts';
import { passthroughRoutes } from './passthrough-routes.ts';
import { ptzRoutes } from './ptz-routes.ts';
import { storageRoutes } from './storage-routes.ts';
import type { ControlsContext } from './types.ts';

/** Each part of the module adds its route plugin to this list. */
const PARTS: Array<(controls: ControlsContext) => RoutePlugin> = [
  fixRoutes,
  ptzRoutes,
  detectionRoutes,
  outputRoutes,
  lightRoutes,
  deterrenceRoutes,
  storageRoutes,
  availabilityRoutes,
  maintenanceRoutes,
  passthroughRoutes,
];

export function controlRoutes(controls: ControlsContext): RoutePlugin {
  return async (app) => {
    for (const part of PARTS) await part(controls)(app);
  };
}
