/** `hikbridge sim`: serve simulated devices until interrupted. */
import { randomBytes } from 'node:crypto';
import { type SimDevice, type SimDeviceOptions, startSimFleet } from '../../sim/index.ts';
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
}

/** Devices started at once; a 1000-device fleet must not open 1000 listeners in one burst. */
const START_BATCH = 100;

export async function runSim(options: SimCommandOptions): Promise<SimDevice[]> {
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
  const devices: SimDevice[] = [];
  let batch: Promise<SimDevice[]> = Promise.resolve([]);
  // Installed before the first device starts, so a signal at any moment closes what runs.
  stopOnSignal(async () => {
    const inFlight = await batch.catch(() => []);
    await Promise.all([...new Set([...devices, ...inFlight])].map((device) => device.close()));
  });
  try {
    for (let i = 0; i < deviceOptions.length; i += START_BATCH) {
      batch = startSimFleet(deviceOptions.slice(i, i + START_BATCH));
      devices.push(...(await batch));
    }
  } catch (error) {
    await Promise.all(devices.map((device) => device.close()));
    throw error;
  }
  // One line per device: "<model> (<kind>) <url with credentials>"; the URL is the only token
  // starting with http(s)://, so scripts can pick it out.
  process.stdout.write(
    `${devices.map((device) => describeSim(device, options.user, options.password)).join('\n')}\n`,
  );
  process.stdout.write(
    'Control API: POST <url>/__sim/event, /__sim/fault, /__sim/call, /__sim/load (see sim/README.md). Ctrl+C stops.\n',
  );
  return devices;
}

export function describeSim(device: SimDevice, user: string, password: string): string {
  const withCredentials = device.url.replace(
    '://',
    `://${encodeURIComponent(user)}:${encodeURIComponent(password)}@`,
  );
  const pin = device.certificateFingerprint ? ` (certificate ${device.certificateFingerprint})` : '';
  return `${device.profile.model} (${device.profile.kind}) ${withCredentials}${pin}`;
}
