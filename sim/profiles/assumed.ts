/**
 * Answers the built-in profiles give for endpoints no capture recorded, so diagnostics have
 * something real-looking to read. INVENTED (marked so, served with X-Sim-Invented): the shapes
 * are assumptions (see sim/README.md):
 * - `System/Network/Integrate`: `CGI`/`ONVIF` with `enable` + `certificateType`, `ISAPI` with
 *   `enable`, as several public ISAPI clients read and write it;
 * - `Security/illegalLoginLock`: `enabled` (seen in public clients), `maxIllegalLoginTimes` and
 *   `lockDuration` in minutes (our guess; startSimDevice fills them from lockoutAfter/lockoutSeconds);
 * - `ContentMgmt/record/tracks`: one recording track per main stream (`TrackList/Track`).
 * Fixture profiles stay as captured (these endpoints answer 404 there).
 */
import { INVENTED, invented } from '../invented.ts';
import type { FixtureIsapi, XmlDict } from '../types.ts';

function integrate(namespace: string): XmlDict {
  return {
    Integrate: {
      '@version': '2.0',
      '@xmlns': namespace,
      CGI: { enable: 'true', certificateType: 'digest' },
      ONVIF: { enable: 'false', certificateType: 'digest/WSSE' },
      ISAPI: { enable: 'true' },
    },
  };
}

function illegalLoginLock(namespace: string): XmlDict {
  return {
    IllegalLoginLock: {
      '@version': '2.0',
      '@xmlns': namespace,
      enabled: 'true',
      maxIllegalLoginTimes: '5',
      lockDuration: '30',
    },
  };
}

function recordTracks(namespace: string, channels: number[]): XmlDict {
  const track = (channel: number): XmlDict => ({
    id: `${channel}01`,
    Channel: String(channel),
    Enable: 'true',
    Description: 'trackType=standard,videoQuality=high',
    TrackGUID: `00000000-0000-4000-8000-${String(channel).padStart(12, '0')}`,
    DefaultRecordingMode: 'CMR',
  });
  return {
    TrackList: { '@version': '2.0', '@xmlns': namespace, Track: channels.map(track) },
  };
}

/** Adds the assumed security/integration answers, and record tracks for the given channels. */
export function addAssumedEndpoints(isapi: FixtureIsapi, namespace: string, recordChannels: number[]): void {
  const reason = INVENTED.assumedEndpoint;
  isapi['System/Network/Integrate'] = invented({ response: integrate(namespace) }, reason);
  isapi['Security/illegalLoginLock'] = invented({ response: illegalLoginLock(namespace) }, reason);
  if (recordChannels.length > 0) {
    isapi['ContentMgmt/record/tracks'] = invented(
      { response: recordTracks(namespace, recordChannels) },
      reason,
    );
  }
}
