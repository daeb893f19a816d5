/**
 * `hikbridge probe --json` shows what a device can do: per channel `ptz` and `detections`, per
 * device `storage`. Run against the simulator serving every real capture, the values must be
 * what the capture says. The table below was written by reading each capture by hand
 * (`Event/triggers`, `System/capabilities`, `ContentMgmt/Storage`), not computed with the
 * code under test:
 * - detections: the capture's trigger event types of that channel, without device exceptions
 *   (diskfull, diskerror, nicbroken, ipconflict, illaccess, recordingfailure, badvideo,
 *   videomismatch, storageDetection) and alarm inputs (IO, softIO), in the events' words
 *   (VMD -> motion, tamperdetection -> tamper, fielddetection -> intrusion, linedetection ->
 *   line-crossing, regionEntrance/regionExiting -> region-entrance/region-exit, videoloss ->
 *   video-loss, PIR -> pir, scenechangedetection -> scene-change, facedetection/faceSnap ->
 *   face), other types lower-cased;
 * - ptz: no captured camera names a PTZCtrlCap; the NVRs and the DVR do, but none of their
 *   channels answers a PTZ capabilities request (not captured: 404), so no channel has PTZ;
 * - storage: hddList and nasList entries; a camera's disk is its memory card (sd).
 * PTZ that is there is shown with profiles built here from captures plus a PTZ capabilities
 * answer (no PTZ camera was captured; those answers are the test's own).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveProfile, type SimDevice, type SimProfile, startSimFleet } from '../../sim/index.ts';
import type { ProbeJson } from '../../src/cli/probe.ts';
import { runCli } from '../support/cli.ts';

const PASSWORD = 'Probe-Caps-1';

type Storage = ProbeJson['storage'];

interface Expected {
  /** Detections per channel id, in channel order; PTZ per channel (false when left out). */
  detections: Record<number, string[]>;
  ptz?: Record<number, boolean>;
  storage: Storage;
}

const CAMERA_FULL = ['intrusion', 'line-crossing', 'motion', 'region-entrance', 'region-exit', 'tamper'];
const NVR_FACES = [
  'face',
  'facecontrast',
  'facecontrastfailure',
  'facecontrastsuccess',
  'intrusion',
  'line-crossing',
  'motion',
  'objectsthrowndetection',
  'region-entrance',
  'region-exit',
  'scene-change',
  'tamper',
  'video-loss',
  'whitelistfacecontrast',
];
const K2_FULL = [
  'intrusion',
  'line-crossing',
  'motion',
  'region-entrance',
  'region-exit',
  'scene-change',
  'tamper',
  'video-loss',
];
const Q2_BASIC = ['intrusion', 'line-crossing', 'motion', 'tamper', 'video-loss'];
const Q2_FACE = ['face', ...Q2_BASIC];

const sd = (id: number, free: number, capacity: number): Storage[number] => ({
  id,
  name: 'hdde',
  type: 'sd',
  status: 'ok',
  capacityMb: capacity,
  freeMb: free,
});
const hdd = (free: number, capacity: number): Storage[number] => ({
  id: 1,
  name: 'hdd1',
  type: 'hdd',
  status: 'ok',
  capacityMb: capacity,
  freeMb: free,
});

const FIXTURES: Record<string, Expected> = {
  'DS-2CD2146G2-ISU': {
    detections: { 1: CAMERA_FULL },
    storage: [
      // An empty hddList and a NAS the camera reports offline.
      {
        id: 9,
        name: '1.0.0.127:/volume2/Cameras',
        type: 'nas',
        status: 'offline',
        capacityMb: 0,
        freeMb: 0,
      },
    ],
  },
  'DS-2CD2346G2-ISU': { detections: { 1: CAMERA_FULL }, storage: [sd(1, 26623, 121942)] },
  'DS-2CD2386G2-IU': {
    detections: { 1: CAMERA_FULL },
    storage: [
      sd(1, 27392, 30436),
      { id: 9, name: '1.0.0.203:/pub/hik', type: 'nas', status: 'ok', capacityMb: 122346, freeMb: 119296 },
    ],
  },
  'DS-2CD2443G0-IW': {
    detections: { 1: ['face', 'intrusion', 'line-crossing', 'motion', 'pir', 'tamper'] },
    storage: [
      { id: 9, name: '1.0.0.182:\\kamera3', type: 'nas', status: 'ok', capacityMb: 15359, freeMb: 512 },
    ],
  },
  'DS-2CD2T46G2-ISU': { detections: { 1: CAMERA_FULL }, storage: [sd(1, 0, 121942)] },
  'DS-7608NXI-I2': {
    detections: {
      1: NVR_FACES,
      2: NVR_FACES,
      3: NVR_FACES.filter((d) => d !== 'scene-change'),
      4: [],
    },
    storage: [hdd(0, 1907729)],
  },
  'DS-7616NI-K2': {
    detections: {
      1: K2_FULL,
      2: ['motion', 'tamper', 'video-loss'],
      3: K2_FULL,
      4: K2_FULL,
      5: K2_FULL,
      6: ['motion', 'video-loss'],
    },
    storage: [hdd(0, 7630885)],
  },
  'DS-7616NI-Q2': {
    detections: {
      1: Q2_BASIC,
      2: Q2_BASIC,
      3: Q2_FACE,
      4: Q2_FACE,
      5: Q2_FACE,
      6: Q2_BASIC,
      7: Q2_FACE,
      8: Q2_FACE,
      9: Q2_FACE,
    },
    storage: [hdd(1325056, 1907729)],
  },
  'iDS-7204HUHI-M1': {
    detections: Object.fromEntries(
      [1, 2, 3, 4].map((ch) => [
        ch,
        ['face', 'intrusion', 'line-crossing', 'motion', 'tamper', 'video-loss'],
      ]),
    ),
    storage: [hdd(814080, 953869)],
  },
};

/**
 * The simulator's own profiles: the camera and NVR carry captured data, the doorbell has neither
 * triggers nor storage, the PTZ dome is the camera with PTZ.
 */
const BUILT_IN: Record<string, Expected> = {
  camera: FIXTURES['DS-2CD2386G2-IU']!,
  nvr: {
    detections: Object.fromEntries(
      [1, 2, 3, 4].map((ch) => [
        ch,
        ['intrusion', 'line-crossing', 'motion', 'region-entrance', 'region-exit', 'tamper', 'video-loss'],
      ]),
    ),
    storage: [hdd(0, 1907729)],
  },
  doorbell: { detections: { 1: [] }, storage: [] },
  // The built-in camera as a PTZ dome (its PTZ answers are the simulator's own, marked invented).
  ptz: { ...FIXTURES['DS-2CD2386G2-IU']!, ptz: { 1: true } },
};

// --- profiles with PTZ, built here ----------------------------------------------------------------

/** A PTZ capabilities answer with movement spaces (our own body: no PTZ device was captured). */
function ptzAnswer(): SimProfile['isapi'][string] {
  return {
    response: {
      PTZChanelCap: {
        '@version': '2.0',
        '@xmlns': 'http://www.hikvision.com/ver20/XMLSchema',
        ContinuousPanTiltSpace: { XRange: { Min: '-100', Max: '100' }, YRange: { Min: '-100', Max: '100' } },
        ContinuousZoomSpace: { ZRange: { Min: '-100', Max: '100' } },
        maxPresetNum: '255',
      },
    },
  };
}

function withDeviceCap(profile: SimProfile, change: (cap: Record<string, unknown>) => void): SimProfile {
  const copy = structuredClone(profile);
  const entry = copy.isapi['System/capabilities'] as { response: { DeviceCap: Record<string, unknown> } };
  change(entry.response.DeviceCap);
  return copy;
}

/** The DS-2CD2386G2-IU capture as a PTZ camera: PTZCtrlCap and channel 1's PTZ capabilities. */
function ptzCamera(): SimProfile {
  const profile = withDeviceCap(resolveProfile('DS-2CD2386G2-IU'), (cap) => {
    cap.PTZCtrlCap = { isSupportPatrols: 'true' };
  });
  profile.isapi['PTZCtrl/channels/1/capabilities'] = ptzAnswer();
  return profile;
}

/** The same camera answering PTZ capabilities with presets only: a preset table is not PTZ. */
function presetsOnlyCamera(): SimProfile {
  const profile = ptzCamera();
  profile.isapi['PTZCtrl/channels/1/capabilities'] = {
    response: { PTZChanelCap: { maxPresetNum: '10' } },
  };
  return profile;
}

/** A camera that answers PTZ capabilities but names no PTZCtrlCap: never asked, so no PTZ. */
function unadvertisedPtzCamera(): SimProfile {
  const profile = structuredClone(resolveProfile('DS-2CD2386G2-IU'));
  profile.isapi['PTZCtrl/channels/1/capabilities'] = ptzAnswer();
  return profile;
}

/** The DS-7616NI-K2 capture with a PTZ dome on channel 2, answered through the NVR's PTZ proxy. */
function nvrWithPtzDome(): SimProfile {
  const profile = structuredClone(resolveProfile('DS-7616NI-K2'));
  profile.isapi['ContentMgmt/PTZCtrlProxy/channels/2/capabilities'] = ptzAnswer();
  return profile;
}

// --- running ----------------------------------------------------------------------------------------

const CASES: Array<[string, SimProfile | string, Expected]> = [
  ...Object.entries(FIXTURES).map(([name, expected]) => [name, name, expected] as [string, string, Expected]),
  ...Object.entries(BUILT_IN).map(
    ([name, expected]) => [`built-in ${name}`, name, expected] as [string, string, Expected],
  ),
  ['camera with PTZ', ptzCamera(), { ...FIXTURES['DS-2CD2386G2-IU']!, ptz: { 1: true } }],
  ['camera with presets only', presetsOnlyCamera(), FIXTURES['DS-2CD2386G2-IU']!],
  ['camera answering PTZ it does not advertise', unadvertisedPtzCamera(), FIXTURES['DS-2CD2386G2-IU']!],
  ['NVR with a PTZ dome on channel 2', nvrWithPtzDome(), { ...FIXTURES['DS-7616NI-K2']!, ptz: { 2: true } }],
];

let devices: SimDevice[] = [];

beforeAll(async () => {
  devices = await startSimFleet(CASES.map(([, profile]) => ({ profile, password: PASSWORD })));
});
afterAll(async () => {
  await Promise.all(devices.map((device) => device.close()));
});

function urlOf(device: SimDevice): string {
  return device.url.replace('://', `://admin:${PASSWORD}@`);
}

describe('probe shows PTZ, detections and storage as each device says', () => {
  it('covers every capture', () => {
    const captured = Object.keys(FIXTURES).sort();
    expect(captured).toHaveLength(9);
  });

  it.each(CASES.map(([name, , expected], index) => [name, expected, index] as const))(
    '%s',
    async (_name, expected, index) => {
      const result = await runCli(['probe', urlOf(devices[index]!), '--json']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const probe = JSON.parse(result.stdout) as ProbeJson;
      expect(Object.fromEntries(probe.channels.map((c) => [c.id, c.detections]))).toEqual(
        expected.detections,
      );
      const wantPtz = Object.keys(expected.detections).map((id) => [
        Number(id),
        expected.ptz?.[Number(id)] ?? false,
      ]);
      expect(probe.channels.map((c) => [c.id, c.ptz])).toEqual(wantPtz);
      expect(probe.storage).toEqual(expected.storage);
    },
    60_000,
  );

  it('a fixed camera is not asked about PTZ; an NVR asks its proxy once per channel', () => {
    const camera = devices[CASES.findIndex(([name]) => name === 'DS-2CD2386G2-IU')]!;
    expect(camera.requests.filter((r) => /PTZ/i.test(r.path))).toEqual([]);
    const nvr = devices[CASES.findIndex(([name]) => name === 'DS-7616NI-K2')]!;
    const asked = nvr.requests
      .filter((r) => r.authenticated && /PTZCtrlProxy/.test(r.path))
      .map((r) => r.path);
    expect(asked).toEqual(
      [1, 2, 3, 4, 5, 6].map((ch) => `/ISAPI/ContentMgmt/PTZCtrlProxy/channels/${ch}/capabilities`),
    );
  });
});
