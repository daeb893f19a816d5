/**
 * hikbridge device simulator: Hikvision cameras, NVRs/DVRs and doorbells over real HTTP(S),
 * built from captured device answers. See sim/README.md.
 */

export { type SimCloud, type SimCloudDevice, type SimCloudOptions, startSimCloud } from './cloud.ts';
export { startSimDevice, startSimFleet } from './device.ts';
export { INVENTED, INVENTED_HEADER } from './invented.ts';
export { listFixtureProfiles, resolveProfile } from './profiles/index.ts';
export type {
  AuthMode,
  BoundaryMode,
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
