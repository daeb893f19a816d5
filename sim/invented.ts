/**
 * Marks what the simulator serves without a capture behind it. Such answers are the
 * simulator's own making (a shape or value no real device was seen to send), so a test must not
 * take them for device facts. Every invented answer carries the `X-Sim-Invented` header with
 * the reason; invented fixture entries carry the same reason in `invented`. See sim/README.md,
 * "Invented data".
 */
import type { FixtureEntry } from './types.ts';

/** Response header on every answer the simulator invented; its value says why. */
export const INVENTED_HEADER = 'X-Sim-Invented';

/** Why each invented answer exists (the header value; ASCII, one line). */
export const INVENTED = {
  streamList:
    'Streaming/channels list: not in the capture of this device; assembled from the captured per-stream answers',
  channelStatus:
    'ContentMgmt/InputProxy/channels/status: in none of the captures; online = a stream of the channel answers, offline reason netUnreachable is the simulator choice',
  assumedEndpoint: 'not in any capture; shape and values assumed by the simulator (sim/README.md)',
  adminAccesses: 'Security/adminAccesses: not in this capture; standard ports assumed (HTTP 80, RTSP 554)',
  time: 'System/time: in none of the captures; shape assumed, localTime and timeZone from the simulated device clock',
  rtspEntry: 'Security/adminAccesses: the RTSP entry is not in this capture; added by the simulator',
} as const;

/** The entry with its invented-reason attached. */
export function invented<T extends FixtureEntry>(entry: T, reason: string): T {
  return { ...entry, invented: reason };
}

/** Extra response headers for an entry: the marker when the entry is invented. */
export function inventedHeaders(entry: FixtureEntry | undefined): Record<string, string> {
  return entry?.invented ? { [INVENTED_HEADER]: entry.invented } : {};
}
