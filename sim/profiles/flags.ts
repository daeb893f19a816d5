/** Flags a profile spec may carry after `?` (see resolveProfile): what this device lacks. */
import type { SimProfile } from '../types.ts';

const KEY_FRAME_ANSWERS = ['403', '404'];

export function withProfileFlags(profile: SimProfile, flags: string): SimProfile {
  const params = new URLSearchParams(flags);
  for (const name of params.keys()) {
    if (name !== 'requestKeyFrame')
      throw new Error(`unknown profile flag "${name}": use requestKeyFrame=404|403`);
  }
  const keyFrame = params.get('requestKeyFrame');
  if (keyFrame === null) return profile;
  if (!KEY_FRAME_ANSWERS.includes(keyFrame)) {
    throw new Error(`requestKeyFrame=${keyFrame}: use 404 (the firmware lacks it) or 403 (the user may not)`);
  }
  return withoutKeyFrameRequest(profile, Number(keyFrame));
}

/**
 * Every stream answers `requestKeyFrame` with `status` (404 notSupport: firmware without it;
 * 403: the account lacks the right): recorded answers, which sim/routes/key-frame.ts serves.
 */
function withoutKeyFrameRequest(profile: SimProfile, status: number): SimProfile {
  const isapi = { ...profile.isapi };
  for (const path of Object.keys(profile.isapi)) {
    const stream = /^Streaming\/channels\/(\d+)$/.exec(path);
    if (stream) isapi[`Streaming/channels/${stream[1]}/requestKeyFrame`] = { status_code: status };
  }
  return { ...profile, name: `${profile.name}?requestKeyFrame=${status}`, isapi };
}
