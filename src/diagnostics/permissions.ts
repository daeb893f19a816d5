/**
 * Account permissions, each tried with one read-only request: a 403 means the user lacks a right,
 * a 404 that the model lacks the feature. Nothing here changes the device; the event stream is
 * opened and closed as soon as its headers arrive.
 */
import { DeviceError } from '../protocols/http/errors.ts';
import { attr } from '../protocols/isapi/xml.ts';
import { type CheckId, type DoctorCheck, fail, pass, skip, warn } from './report.ts';
import {
  type DoctorSession,
  type Failed,
  OUT_OF_TIME,
  type ReadFailure,
  type ReadResult,
} from './session.ts';
import { describePicture, type PictureResult, probeSnapshot } from './snapshot.ts';

/** The rights as Hikvision's user management names them (Remote permissions). */
const RIGHTS = {
  events: 'Remote: Notify Surveillance Center / Trigger Alarm Output',
  liveView: 'Remote: Live View',
  playback: 'Remote: Playback / Download',
  twoWayAudio: 'Remote: Two-way Audio',
  doors: 'door control (remote door opening)',
} as const;

/** Read by this check and by two-way-audio-codec (one request serves both). */
export const TWO_WAY_AUDIO = '/ISAPI/System/TwoWayAudio/channels';
const ALERT_STREAM = '/ISAPI/Event/notification/alertStream';
/** Very old firmware serves the stream outside /ISAPI. */
const LEGACY_ALERT_STREAM = '/Event/notification/alertStream';

type Outcome = { ok: true; detail: string } | Failed;

function grantFix(session: DoctorSession, right: string): string {
  return (
    `Give the user "${session.client.username}" the "${right}" permission (web page: Configuration > System > ` +
    'User Management > Modify > Remote permissions), or use an admin account.'
  );
}

/** The permission check for one feature, from the outcome of its read-only request. */
function permissionCheck(
  session: DoctorSession,
  id: CheckId,
  feature: string,
  right: string,
  outcome: Outcome,
): DoctorCheck {
  if (outcome.ok) return pass(id, outcome.detail);
  switch (outcome.reason) {
    case 'forbidden':
      return fail(id, `${feature}: the device refused this user (HTTP 403)`, grantFix(session, right));
    case 'absent':
      return skip(id, `${feature}: not supported by this model`);
    case 'out-of-time':
      return skip(id, OUT_OF_TIME);
    case 'failed':
      return warn(
        id,
        `${feature}: could not be checked (${outcome.error.message})`,
        'Run the doctor again; if this persists, check the feature in the device web page.',
      );
  }
}

function fromRead(result: ReadResult, detail: string): Outcome {
  return result.ok ? { ok: true, detail } : result;
}

function firstMainStream(session: DoctorSession): string | undefined {
  const channel = session.facts.channels[0];
  return channel ? `${channel.id * 100 + 1}` : undefined;
}

export async function eventsPermissionCheck(session: DoctorSession): Promise<DoctorCheck> {
  let outcome = await peekStream(session, ALERT_STREAM);
  if (!outcome.ok && outcome.reason === 'absent') outcome = await peekStream(session, LEGACY_ALERT_STREAM);
  return permissionCheck(
    session,
    'permission-events',
    'the event stream (alertStream)',
    RIGHTS.events,
    outcome,
  );
}

/** Opens the event stream, reads only its status, closes it at once. */
async function peekStream(session: DoctorSession, path: string): Promise<Outcome> {
  try {
    const stream = await session.client.http.stream({
      path,
      signal: session.budget,
      timeoutMs: session.timeoutMs,
    });
    stream.close();
    if (stream.status >= 200 && stream.status < 300) {
      return {
        ok: true,
        detail: `the event stream opened (${path}, HTTP ${stream.status}); closed again at once`,
      };
    }
    const reason: ReadFailure =
      stream.status === 403 ? 'forbidden' : stream.status === 404 ? 'absent' : 'failed';
    const error = new DeviceError('device_error', `${path} answered HTTP ${stream.status}`);
    return { ok: false, reason, error };
  } catch (error) {
    return session.failure(error);
  }
}

export async function snapshotPermissionCheck(session: DoctorSession): Promise<DoctorCheck> {
  const id = 'permission-snapshot';
  const probe = await probeSnapshot(session);
  if (!probe) return skip(id, 'no video channel to take a picture from');
  const results = [probe.direct, ...(probe.proxy ? [probe.proxy] : [])];
  const got = results.find((r) => r.ok);
  if (got) {
    const via = got === probe.direct ? 'Streaming' : 'StreamingProxy';
    return pass(id, `${describePicture(got)} from stream ${probe.streamId} (${via} path)`);
  }
  const outcome: Outcome = results.some((r) => !r.ok && r.reason === 'forbidden')
    ? { ok: false, reason: 'forbidden', error: new DeviceError('permission_denied', 'HTTP 403') }
    : results.every((r) => !r.ok && (r.reason === 'absent' || r.reason === 'refused'))
      ? { ok: false, reason: 'absent', error: new DeviceError('not_supported', 'no picture endpoint') }
      : toOutcome(results[results.length - 1]!);
  return permissionCheck(session, id, `snapshots of stream ${probe.streamId}`, RIGHTS.liveView, outcome);
}

function toOutcome(result: PictureResult): Outcome {
  if (result.ok) return { ok: true, detail: describePicture(result) };
  return { ok: false, reason: result.reason === 'refused' ? 'failed' : result.reason, error: result.error };
}

export async function liveViewPermissionCheck(session: DoctorSession): Promise<DoctorCheck> {
  const streamId = firstMainStream(session);
  if (!streamId) return skip('permission-live-view', 'no video channel');
  const result = await session.read(`/ISAPI/Streaming/channels/${streamId}`);
  return permissionCheck(
    session,
    'permission-live-view',
    `live view settings of stream ${streamId}`,
    RIGHTS.liveView,
    fromRead(result, `stream ${streamId} is readable`),
  );
}

export async function playbackPermissionCheck(session: DoctorSession): Promise<DoctorCheck> {
  const result = await session.read('/ISAPI/ContentMgmt/record/tracks');
  return permissionCheck(
    session,
    'permission-playback',
    'recordings (ContentMgmt/record/tracks)',
    RIGHTS.playback,
    fromRead(result, 'the recording tracks are readable'),
  );
}

export async function twoWayAudioPermissionCheck(session: DoctorSession): Promise<DoctorCheck> {
  const result = await session.read(TWO_WAY_AUDIO);
  return permissionCheck(
    session,
    'permission-two-way-audio',
    'two-way audio',
    RIGHTS.twoWayAudio,
    fromRead(result, 'the two-way audio channels are readable'),
  );
}

export async function doorControlPermissionCheck(session: DoctorSession): Promise<DoctorCheck> {
  const kind = session.facts.kind;
  if (kind !== 'doorbell' && kind !== 'access-controller') {
    return skip('permission-door-control', 'not a doorbell or access controller');
  }
  const result = await session.read('/ISAPI/AccessControl/RemoteControl/door/capabilities');
  const doors = result.ok ? attr(result.doc.node, 'doorNo', 'max') : undefined;
  return permissionCheck(
    session,
    'permission-door-control',
    'door control',
    RIGHTS.doors,
    fromRead(
      result,
      `door control is available${doors ? ` (${doors} door${doors === '1' ? '' : 's'})` : ''}`,
    ),
  );
}
