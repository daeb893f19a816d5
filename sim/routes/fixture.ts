/** Serves the profile's recorded answers; anything unknown is 404 notSupport like on devices. */
import { applyConfigFaults } from '../config-faults.ts';
import type { RouteRequest } from '../context.ts';
import { inventedHeaders } from '../invented.ts';
import { sendJson, sendOk, sendStatus, sendXml } from '../respond.ts';
import type { FixtureEntry } from '../types.ts';
import { toXml } from '../xml.ts';

export function serveFixture(r: RouteRequest): void {
  serveEntry(r, r.device.model.isapi[r.path]);
}

/** Answers one fixture entry (recorded or synthesized) the way the device would. */
export function serveEntry(r: RouteRequest, entry: FixtureEntry | undefined): void {
  if (!entry) {
    sendStatus(r, 404);
    return;
  }
  if ('error' in entry) {
    // The capture recorded a transport error here: drop the connection without an answer.
    r.res.destroy();
    return;
  }
  if ('status_code' in entry && !('json' in entry)) {
    sendStatus(r, entry.status_code);
    return;
  }
  if (r.req.method !== 'GET' && r.req.method !== 'HEAD') {
    // Writes to a recorded endpoint are acknowledged but not stored (see sim/README.md).
    sendOk(r);
    return;
  }
  const marker = inventedHeaders(entry);
  if ('json' in entry) sendJson(r.res, entry.status_code ?? 200, entry.json, marker);
  else sendXml(r.res, 200, toXml(applyConfigFaults(r.path, entry.response, r.device.faults)), marker);
}
