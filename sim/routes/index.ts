/** Dispatch of an authenticated device request to a dynamic route or the fixture answers. */
import type { RouteRequest } from '../context.ts';
import { sendStatus } from '../respond.ts';
import { detectionRoutes } from './detections.ts';
import { deterrenceRoutes } from './deterrence.ts';
import { doorbellRoutes } from './doorbell.ts';
import { serveFixture } from './fixture.ts';
import { inputProxyRoutes } from './input-proxy.ts';
import { ioOutputRoutes } from './io-outputs.ts';
import { keyFrameRoutes } from './key-frame.ts';
import { pictureRoutes } from './picture.ts';
import { ptzRoutes } from './ptz.ts';
import { rebootRoutes } from './reboot.ts';
import type { Route } from './route.ts';
import { sipConfigRoutes } from './sip-config.ts';
import { phoneRecordRoutes } from './sip-phone-records.ts';
import { streamConfigRoutes } from './stream-config.ts';
import { supplementLightRoutes } from './supplement-light.ts';
import { timeRoutes } from './time.ts';
import { triggerRoutes } from './triggers.ts';
import { twoWayAudioRoutes } from './two-way-audio.ts';

const alertStreamRoute: Route = {
  pattern: /^Event\/notification\/alertStream$/,
  methods: ['GET'],
  handle(r) {
    r.device.alerts.open(r.res);
  },
};

const ROUTES: Route[] = [
  ...rebootRoutes, // first: a rebooting device answers nothing
  alertStreamRoute,
  ...pictureRoutes,
  ...inputProxyRoutes,
  ...twoWayAudioRoutes,
  ...doorbellRoutes,
  ...sipConfigRoutes,
  ...phoneRecordRoutes,
  ...detectionRoutes, // before triggerRoutes: it stores PUT Event/triggers/{id}
  ...ioOutputRoutes,
  ...supplementLightRoutes,
  ...deterrenceRoutes,
  ...triggerRoutes,
  ...timeRoutes,
  ...keyFrameRoutes,
  ...streamConfigRoutes,
  ...ptzRoutes,
];

export async function route(r: RouteRequest): Promise<void> {
  for (const candidate of ROUTES) {
    const match = candidate.pattern.exec(r.path);
    if (!match || (candidate.when && !candidate.when(r.device))) continue;
    const method = r.req.method === 'HEAD' ? 'GET' : r.req.method;
    if (!candidate.methods.includes(method)) {
      sendStatus(r, 405);
      return;
    }
    await candidate.handle(r, match);
    return;
  }
  serveFixture(r);
}
