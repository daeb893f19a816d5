/**
 * `PUT Streaming/channels/<id>/requestKeyFrame` (no body): the encoder of that stream sends a
 * key frame now instead of at the end of its key-frame interval, and the device answers
 * ResponseStatus OK. Hikvision firmware has it (public integrations call it so a live view that
 * starts inside a long GOP does not wait for the next key frame); a device without it answers
 * 404 notSupport like any unknown resource, and a user without the right 403. A profile says
 * so with a recorded answer at that path (`camera?requestKeyFrame=404`, sim/profiles), which
 * wins here. The picture comes from the simulated video of this process whose RTSP port the
 * device reports (sim/video.ts); with none the request is answered all the same.
 */
import { asList, isDict, rootOf, text } from '../dict.ts';
import { sendOk, sendStatus } from '../respond.ts';
import { requestSimKeyFrame } from '../video.ts';
import { serveEntry } from './fixture.ts';
import type { Route } from './route.ts';

export const keyFrameRoutes: Route[] = [
  {
    pattern: /^Streaming\/channels\/(\d+)\/requestKeyFrame$/,
    methods: ['PUT'],
    handle(r, match) {
      const recorded = r.device.model.isapi[r.path];
      if (recorded) return serveEntry(r, recorded);
      const streamId = Number(match[1]);
      if (!r.device.model.streams.has(streamId)) return sendStatus(r, 404);
      const rtspPort = reportedRtspPort(r.device.model.isapi);
      if (rtspPort !== undefined) requestSimKeyFrame(rtspPort, streamId);
      sendOk(r);
    },
  },
];

/** The RTSP port `Security/adminAccesses` reports (the device model fills it in). */
function reportedRtspPort(isapi: Parameters<typeof rootOf>[0]): number | undefined {
  const entries = asList(rootOf(isapi, 'Security/adminAccesses')?.AdminAccessProtocol).filter(isDict);
  const port = Number(text(entries.find((entry) => text(entry.protocol) === 'RTSP')?.portNo));
  return Number.isInteger(port) && port > 0 ? port : undefined;
}
