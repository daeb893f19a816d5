/**
 * hikbridge device simulator: Hikvision cameras, NVRs/DVRs and doorbells over real HTTP(S),
 * built from captured device answers. See sim/README.md.
 */

export {
  type IssuedAddress,
  type PlayVerdict,
  RATE_LIMIT_ERROR,
  type SimCloud,
  type SimCloudCall,
  type SimCloudCamera,
  type SimCloudDevice,
  type SimCloudOptions,
  startSimCloud,
} from './cloud.ts';
export { CLOUD_CONTROL_PREFIX } from './cloud-control.ts';
export {
  type CloudOrigin,
  type CloudOriginOptions,
  type OriginPlay,
  startCloudOrigin,
} from './cloud-origin.ts';
export { callsInBusiestSecond } from './cloud-rate.ts';
export { startSimDevice, startSimFleet } from './device.ts';
export { INVENTED, INVENTED_HEADER } from './invented.ts';
export { listFixtureProfiles, resolveProfile } from './profiles/index.ts';
export type {
  AuthMode,
  BoundaryMode,
  CallSignalRecord,
  CallStatus,
  DeviceKind,
  DoorCommand,
  FixtureEntry,
  FixtureIsapi,
  ProfileSpec,
  SimAccessEvent,
  SimAlarmEvent,
  SimBackchannelOptions,
  SimBackchannelStats,
  SimDevice,
  SimDeviceOptions,
  SimEvent,
  SimFault,
  SimProfile,
  SimRawEvent,
  SimRequestRecord,
  SimRtspRequestRecord,
  SmartTarget,
  StreamFraming,
  XmlDict,
  XmlValue,
} from './types.ts';
export { SimInputError } from './validate.ts';
