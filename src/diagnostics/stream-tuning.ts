/**
 * Stream tuning: key frames far apart (a viewer waits up to a whole interval for the first
 * picture, and a lost packet spoils the picture until the next one) and a sub stream whose peak
 * bitrate is far above what its size needs (the stream meant for phones and grids). The same
 * rules offer the fixes (`fixes.ts`), so what the doctor reports here `--fix` can change.
 */
import { DeviceError } from '../protocols/http/errors.ts';
import { computeFixes, type Fix, readFixState } from './fixes.ts';
import { type DoctorCheck, pass, skip, warn } from './report.ts';
import { type DoctorSession, OUT_OF_TIME, OutOfTime, unreadable, withinBudget } from './session.ts';

const ID = 'stream-tuning';
const FINDINGS = new Set(['stream-keyframe', 'stream-bitrate']);

export async function streamTuningCheck(session: DoctorSession): Promise<DoctorCheck> {
  let fixes: Fix[];
  try {
    const channels = session.facts.channels.map((channel) => channel.id);
    const state = await withinBudget(
      session.budget,
      readFixState(session.client, channels.length > 0 ? { channels } : {}),
    );
    fixes = computeFixes(state).filter((fix) => FINDINGS.has(fix.finding));
  } catch (error) {
    if (error instanceof OutOfTime) return skip(ID, OUT_OF_TIME);
    if (!(error instanceof DeviceError)) throw error;
    return unreadable(ID, 'the stream settings (Streaming/channels)', session.failure(error));
  }
  if (fixes.length === 0) return pass(ID, 'key frames and sub stream bitrates suit live view');
  const detail = fixes.map((fix) => `channel ${fix.channel}: ${fix.why}`).join('; ');
  return warn(
    ID,
    detail,
    'Run the doctor with --fix (or use GET/POST /api/v1/devices/{id}/fixes) to see and apply the proposed ' +
      "values, or set them in the device's web page (Configuration > Video/Audio > Video).",
  );
}
