/** Built-in 'camera': a DS-2CD2386G2-IU with two-way audio and alarm I/O (see data/camera-data.ts). */
import { clone, rootOf } from '../dict.ts';
import type { FixtureIsapi, SimProfile, XmlDict } from '../types.ts';
import { NS_HIKVISION } from '../xml.ts';
import { addAssumedEndpoints } from './assumed.ts';
import { cameraData } from './data/camera-data.ts';

/**
 * The capture had motion detection switched off with sensitivity 0. The built-in camera is the
 * healthy reference device (the doctor passes on it), so motion is on at a middle sensitivity;
 * the drawn full-frame grid stays as captured. Faults switch it off again (motionDisabled...).
 */
function enableMotion(isapi: FixtureIsapi): void {
  const motion = rootOf(isapi, 'System/Video/inputs/channels/1/motionDetection');
  if (!motion) return;
  motion.enabled = 'true';
  const layout = motion.MotionDetectionLayout as XmlDict;
  layout.sensitivityLevel = '60';
}

export function cameraProfile(): SimProfile {
  const isapi = clone(cameraData);
  enableMotion(isapi);
  addAssumedEndpoints(isapi, NS_HIKVISION, [1]);
  return {
    name: 'camera',
    model: 'DS-2CD2386G2-IU',
    kind: 'camera',
    isapi,
    pictureViaStreamingProxy: false,
    offlineChannels: [],
  };
}
