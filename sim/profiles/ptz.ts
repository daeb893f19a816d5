/**
 * Built-in 'ptz': the built-in camera turned into a PTZ dome (DS-2DE4425IW-DE, deviceType
 * IPDome). No capture of a PTZ camera exists, so everything PTZ here is INVENTED (marked, served
 * with X-Sim-Invented): `DeviceCap/PTZCtrlCap` (the shape the captured NVRs show) and
 * `PTZCtrl/channels/1/capabilities` (`PTZChanelCap`, shaped like public ISAPI clients read it:
 * continuous pan/tilt/zoom spaces -100..100, 255 presets with the reserved numbers in
 * `PresetNameCap/specialNo`, 4 patrols). The PTZ state itself lives in sim/routes/ptz.ts.
 * It also has active deterrence (INVENTED too): the capabilities of an audible alarm and of a
 * flashing light on channel 1, whose settings sim/routes/deterrence.ts serves with state.
 */
import { isDict, rootOf } from '../dict.ts';
import { invented } from '../invented.ts';
import { DETERRENCE_INVENTED } from '../routes/deterrence.ts';
import type { SimProfile, XmlDict } from '../types.ts';
import { NS_HIKVISION } from '../xml.ts';
import { cameraProfile } from './camera.ts';

export const PTZ_INVENTED =
  'PTZ: no capture of a PTZ camera; capabilities shaped like public ISAPI clients read them, state simulated';

export const PTZ_MODEL = 'DS-2DE4425IW-DE';

/** Preset numbers PTZ domes reserve for functions (33 flip, 34 back to origin, 35-38 patrols...). */
export const SPECIAL_PRESETS =
  '33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,90,92,93,94,95,96,97,98,99,100,101,102,103,104,105';

/** A `PTZChanelCap` document for one channel (also usable for an NVR's proxied channel). */
export function ptzCapabilities(namespace: string, maxPresets = 255, maxPatrols = 4): XmlDict {
  const speed = (axis: string): XmlDict => ({ [axis]: { Min: '-100', Max: '100' } });
  return {
    PTZChanelCap: {
      '@version': '2.0',
      '@xmlns': namespace,
      AbsolutePanTiltPositionSpace: {
        XRange: { Min: '0', Max: '3600' },
        YRange: { Min: '-900', Max: '900' },
      },
      AbsoluteZoomPositionSpace: { ZRange: { Min: '10', Max: '250' } },
      ContinuousPanTiltSpace: { ...speed('XRange'), ...speed('YRange') },
      ContinuousZoomSpace: speed('ZRange'),
      maxPresetNum: String(maxPresets),
      maxPatrolNum: String(maxPatrols),
      PresetNameCap: { presetNameSupport: 'true', specialNo: { '@opt': SPECIAL_PRESETS } },
      isSupportPosition3D: 'true',
    },
  };
}

/**
 * The siren and strobe capabilities (their presence is what makes the simulator serve the
 * settings). Sounds, ranges and frequencies as public ISAPI documentation shows them.
 */
function addDeterrence(isapi: SimProfile['isapi']): void {
  const sounds = ['Siren', 'Warning, this is a restricted area', 'Dog barking'];
  isapi['Event/triggers/notifications/AudioAlarm/capabilities'] = invented(
    {
      json: {
        AudioAlarmCap: {
          audioClass: { '@opt': ['alertAudio'] },
          AlertAudioTypeListCap: sounds.map((name, i) => ({
            alertAudioID: i + 1,
            alertAudioDescription: name,
          })),
          audioVolume: { '@min': 1, '@max': 100, '@def': 50 },
          alarmTimes: { '@min': 1, '@max': 50, '@def': 5 },
        },
      },
    },
    DETERRENCE_INVENTED,
  );
  isapi['Event/triggers/notifications/channels/1/whiteLightAlarm/capabilities'] = invented(
    {
      json: {
        WhiteLightAlarmCap: {
          channelID: { '@min': 1, '@max': 1 },
          durationTime: { '@min': 1, '@max': 60, '@def': 15 },
          frequency: { '@opt': ['high', 'medium', 'low', 'normallyOn'], '@def': 'medium' },
        },
      },
    },
    DETERRENCE_INVENTED,
  );
}

export function ptzProfile(): SimProfile {
  const profile = cameraProfile();
  const { isapi } = profile;
  const info = rootOf(isapi, 'System/deviceInfo');
  if (info) {
    info.model = PTZ_MODEL;
    info.deviceType = 'IPDome';
    info.deviceDescription = 'IPDome';
    info.serialNumber = `${PTZ_MODEL}20240101AAWRJ00000001`;
  }
  const cap = rootOf(isapi, 'System/capabilities');
  if (cap && isDict(cap)) cap.PTZCtrlCap = { isSupportPatrols: 'true' };
  const capabilities = isapi['System/capabilities'];
  if (capabilities) isapi['System/capabilities'] = invented(capabilities, PTZ_INVENTED);
  isapi['PTZCtrl/channels/1/capabilities'] = invented(
    { response: ptzCapabilities(NS_HIKVISION) },
    PTZ_INVENTED,
  );
  addDeterrence(isapi);
  return { ...profile, name: 'ptz', model: PTZ_MODEL };
}
