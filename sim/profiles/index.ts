/** Resolves a ProfileSpec ('camera', 'nvr:8', 'doorbell', a fixture path or name) to a SimProfile. */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { ProfileSpec, SimProfile } from '../types.ts';
import { cameraProfile } from './camera.ts';
import { doorbellProfile } from './doorbell.ts';
import { listFixtureProfiles, loadFixtureProfile } from './fixture.ts';
import { withProfileFlags } from './flags.ts';
import { MAX_NVR_CHANNELS, nvrProfile } from './nvr.ts';
import { ptzProfile } from './ptz.ts';

export { listFixtureProfiles } from './fixture.ts';

export const BUILT_IN_PROFILES = ['camera', 'ptz', 'nvr', 'nvr:N', 'doorbell'];

/**
 * A profile with flags after `?`: `camera?requestKeyFrame=404` (or `=403`) is a device without
 * the key-frame request (`Streaming/channels/<id>/requestKeyFrame`), which every profile has
 * otherwise (sim/routes/key-frame.ts).
 */
export function resolveProfile(spec: ProfileSpec | SimProfile): SimProfile {
  if (typeof spec !== 'string') return spec;
  const flagsAt = spec.lastIndexOf('?');
  if (flagsAt > 0 && !existsSync(spec)) {
    return withProfileFlags(resolveBaseProfile(spec.slice(0, flagsAt)), spec.slice(flagsAt + 1));
  }
  return resolveBaseProfile(spec);
}

function resolveBaseProfile(spec: string): SimProfile {
  if (spec === 'camera') return cameraProfile();
  if (spec === 'doorbell') return doorbellProfile();
  if (spec === 'ptz') return ptzProfile();
  if (spec === 'nvr') return nvrProfile(4);
  const nvr = /^nvr:(\d+)$/.exec(spec);
  if (nvr) {
    const count = Number(nvr[1]);
    if (count < 1 || count > MAX_NVR_CHANNELS) throw new Error(`nvr:N needs 1 <= N <= ${MAX_NVR_CHANNELS}`);
    return nvrProfile(count);
  }
  if (existsSync(spec)) return loadFixtureProfile(spec);
  // Convenience: a fixture's file name without extension (e.g. 'DS-7608NXI-I2').
  const byName = listFixtureProfiles().find((file) => basename(file, '.json') === spec);
  if (byName) return loadFixtureProfile(byName);
  throw new Error(
    `unknown profile ${JSON.stringify(spec)}: use ${BUILT_IN_PROFILES.join(', ')}, a fixture JSON path or a fixture name`,
  );
}
