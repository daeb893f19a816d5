/**
 * System/time and System/time/timeZone from the device's clock: `localTime` in the form the
 * captures show for device times (`2024-11-19T16:53:28+01:00`), shifted by `clockOffsetMs`, and
 * the zone in POSIX form. A device whose clock was set off (`clockOffsetMs` not 0) says
 * `timeMode` manual: a clock kept by NTP would not drift like that. The answers are invented
 * (no capture has them) and marked so (sim/invented.ts).
 */
import { localDateTime, posixTimeZone } from '../clock.ts';
import type { DeviceContext, RouteRequest } from '../context.ts';
import { dig, isDict, rootOf } from '../dict.ts';
import { inventedHeaders } from '../invented.ts';
import { sendOk, sendXml } from '../respond.ts';
import type { XmlDict } from '../types.ts';
import { toXml } from '../xml.ts';
import type { Route } from './route.ts';

/** The endpoint answers with a document (not removed or replaced by a status with setEndpoint). */
function answers(device: DeviceContext, path: string): boolean {
  const entry = device.model.isapi[path];
  return entry !== undefined && 'response' in entry;
}

function timeDocument(r: RouteRequest, now: Date): XmlDict {
  const time = { ...(rootOf(r.device.model.isapi, 'System/time') ?? {}) };
  time.timeMode = r.device.clock.offsetMs === 0 ? (dig(time, 'timeMode') ?? 'NTP') : 'manual';
  time.localTime = localDateTime(now);
  time.timeZone = posixTimeZone(now);
  return { Time: time };
}

export const timeRoutes: Route[] = [
  {
    pattern: /^System\/time$/,
    methods: ['GET', 'PUT'],
    when: (device) => answers(device, 'System/time'),
    handle(r) {
      if (r.req.method === 'PUT') return sendOk(r); // acknowledged, not stored (like other settings)
      const entry = r.device.model.isapi['System/time'];
      sendXml(r.res, 200, toXml(timeDocument(r, r.device.clock.now())), inventedHeaders(entry));
    },
  },
  {
    pattern: /^System\/time\/timeZone$/,
    methods: ['GET', 'PUT'],
    when: (device) => answers(device, 'System/time/timeZone'),
    handle(r) {
      if (r.req.method === 'PUT') return sendOk(r);
      const entry = r.device.model.isapi['System/time/timeZone'];
      const doc = entry && 'response' in entry && isDict(entry.response) ? entry.response : {};
      const root = Object.keys(doc)[0] ?? 'timeZone';
      const zone = posixTimeZone(r.device.clock.now());
      sendXml(r.res, 200, toXml({ [root]: zone }), inventedHeaders(entry));
    },
  },
];
