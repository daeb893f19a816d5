/** `hikbridge sim`: serve simulated devices and, with `--cloud`, a HikCentral Connect cloud until interrupted. */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  CLOUD_CONTROL_PREFIX,
  type SimCloud,
  type SimCloudDevice,
  type SimDevice,
  type SimDeviceOptions,
  startSimCloud,
  startSimFleet,
} from '../../sim/index.ts';
import { provisionMediamtx } from '../modules/media/provision.ts';
import { stopOnSignal } from './signals.ts';

export interface SimCommandOptions {
  profile: string[];
  port: number;
  host: string;
  user: string;
  password: string;
  https?: boolean;
  /** Copies of each profile (a fleet); copies get distinct serial numbers. */
  count?: number;
  /** Also serve a simulated HikCentral Connect cloud. */
  cloud?: boolean;
  /** Devices of the cloud account (default 3). */
  cloudDevices?: number;
  /** Cameras of the cloud account, spread over its devices (default 20). */
  cloudCameras?: number;
}

export interface SimRun {
  devices: SimDevice[];
  cloud: SimCloud | undefined;
}

/** Devices started at once; a 1000-device fleet must not open 1000 listeners in one burst. */
const START_BATCH = 100;
/** Where live addresses point when there is no origin: loopback, so nothing leaves the machine. */
const NO_ORIGIN_RTMP_HOST = '127.0.0.1:1935';

export async function runSim(options: SimCommandOptions): Promise<SimRun> {
  const devices: SimDevice[] = [];
  let batch: Promise<SimDevice[]> = Promise.resolve([]);
  let cloudStart: Promise<SimCloud | undefined> = Promise.resolve(undefined);
  const closeAll = async () => {
    const inFlight = await batch.catch(() => []);
    const cloud = await cloudStart.catch(() => undefined);
    await Promise.all([
      ...[...new Set([...devices, ...inFlight])].map((device) => device.close()),
      cloud?.close(),
    ]);
  };
  // Installed before anything starts, so a signal at any moment closes what runs.
  stopOnSignal(closeAll);
  try {
    for (const chunk of deviceBatches(options)) {
      batch = startSimFleet(chunk);
      devices.push(...(await batch));
    }
    if (devices.length > 0) printDevices(devices, options);
    if (options.cloud) {
      cloudStart = startCloud(options.cloudDevices ?? 3, options.cloudCameras ?? 20);
      await cloudStart;
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  return { devices, cloud: await cloudStart };
}

function deviceBatches(options: SimCommandOptions): SimDeviceOptions[][] {
  const count = options.count ?? 1;
  // One run id per process, so fleets started twice never share serial numbers.
  const run = randomBytes(3).toString('hex').toUpperCase();
  const profiles = options.profile.flatMap((profile) => Array.from({ length: count }, () => profile));
  const deviceOptions = profiles.map(
    (profile, index): SimDeviceOptions => ({
      profile,
      host: options.host,
      port: options.port === 0 ? 0 : options.port + index,
      username: options.user,
      password: options.password,
      https: options.https ?? false,
      ...(count > 1 ? { serialNumber: `SIM${run}${String(index + 1).padStart(5, '0')}` } : {}),
    }),
  );
  const batches: SimDeviceOptions[][] = [];
  for (let i = 0; i < deviceOptions.length; i += START_BATCH)
    batches.push(deviceOptions.slice(i, i + START_BATCH));
  return batches;
}

function printDevices(devices: SimDevice[], options: SimCommandOptions): void {
  // One line per device: "<model> (<kind>) <url with credentials>"; the URL is the only token
  // starting with http(s)://, so scripts can pick it out.
  process.stdout.write(
    `${devices.map((device) => describeSim(device, options.user, options.password)).join('\n')}\n`,
  );
  process.stdout.write(
    'Control API: POST <url>/__sim/event, /__sim/fault, /__sim/call, /__sim/load (see sim/README.md). Ctrl+C stops.\n',
  );
}

export function describeSim(device: SimDevice, user: string, password: string): string {
  const withCredentials = device.url.replace(
    '://',
    `://${encodeURIComponent(user)}:${encodeURIComponent(password)}@`,
  );
  const pin = device.certificateFingerprint ? ` (certificate ${device.certificateFingerprint})` : '';
  return `${device.profile.model} (${device.profile.kind}) ${withCredentials}${pin}`;
}

/**
 * The simulated cloud with invented keys, printed in full: it is a local test double, and the
 * keys are what a user types into the gateway to try the cloud import.
 */
async function startCloud(deviceCount: number, cameraCount: number): Promise<SimCloud> {
  const appKey = randomBytes(16).toString('hex');
  const secretKey = randomBytes(24).toString('base64url');
  const devices = cloudFleet(deviceCount, cameraCount);
  const video = await videoTools();
  const cloud = await startSimCloud({
    appKey,
    secretKey,
    devices,
    ...(typeof video === 'string' ? { rtmpHost: NO_ORIGIN_RTMP_HOST } : { origin: video }),
  });
  const lines = [
    `cloud: HikCentral Connect (simulated) ${cloud.url}`,
    `cloud: AppKey ${appKey}`,
    `cloud: SecretKey ${secretKey}`,
    cloud.origin
      ? `cloud: video rtmp://${cloud.origin.rtmpHost} (a test pattern on every camera)`
      : `cloud: no video (${video}); live addresses point at rtmp://${NO_ORIGIN_RTMP_HOST}`,
    ...devices.map(describeCloudDevice),
    `cloud: control POST ${cloud.url}${CLOUD_CONTROL_PREFIX}<revoke-tokens|fail-next|hang-next|device-online|camera-online|remove-camera|add-camera|rename-camera|unreachable|credentials>, GET ${CLOUD_CONTROL_PREFIX}calls?since=<ms> (see sim/README.md). Ctrl+C stops.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return cloud;
}

/**
 * `SIMC000001`...: cameras spread evenly (the first devices get one more when they do not
 * divide), all online, stream encryption off (RTMP live video needs it off; the import's
 * encryption error is tested with devices of the tests' own).
 */
export function cloudFleet(deviceCount: number, cameraCount: number): SimCloudDevice[] {
  return Array.from({ length: deviceCount }, (_, index) => {
    const cameras = Math.floor(cameraCount / deviceCount) + (index < cameraCount % deviceCount ? 1 : 0);
    return {
      serialNumber: `SIMC${String(index + 1).padStart(6, '0')}`,
      name: `Cloud site ${index + 1}`,
      category: cameras > 1 ? 'NVR' : 'IPC',
      cameras: Array.from({ length: cameras }, (_, c) => ({ name: `Camera ${c + 1}`, channelNo: c + 1 })),
    };
  });
}

function describeCloudDevice(device: SimCloudDevice): string {
  const encryption = device.verificationCode
    ? `verification code ${device.verificationCode}`
    : 'stream encryption off';
  const cameras = `${device.cameras.length} camera${device.cameras.length === 1 ? '' : 's'}`;
  return `cloud: device ${device.serialNumber} "${device.name}" (${device.category}, ${cameras}, ${encryption})`;
}

/** MediaMTX (found, never built here: that takes minutes) and ffmpeg, or why there is no video. */
async function videoTools(): Promise<{ mediamtx: string; ffmpeg: string } | string> {
  let mediamtx: string;
  try {
    mediamtx = (await provisionMediamtx({ go: null })).path;
  } catch {
    return 'MediaMTX not found: put it on PATH, or run the gateway once to build it';
  }
  const ffmpegRuns = await new Promise<boolean>((resolve) =>
    execFile('ffmpeg', ['-version'], (error) => resolve(!error)),
  );
  return ffmpegRuns ? { mediamtx, ffmpeg: 'ffmpeg' } : 'ffmpeg is not installed';
}
