/** `hikbridge sim`: serve simulated devices until interrupted. */
import { type SimDevice, type SimDeviceOptions, startSimFleet } from '../../sim/index.ts';

export interface SimCommandOptions {
  profile: string[];
  port: number;
  host: string;
  user: string;
  password: string;
  https?: boolean;
}

export async function runSim(options: SimCommandOptions): Promise<SimDevice[]> {
  const devices = await startSimFleet(
    options.profile.map(
      (profile, index): SimDeviceOptions => ({
        profile,
        host: options.host,
        port: options.port === 0 ? 0 : options.port + index,
        username: options.user,
        password: options.password,
        https: options.https ?? false,
      }),
    ),
  );
  for (const device of devices) {
    process.stdout.write(`${describeSim(device, options.user, options.password)}\n`);
  }
  process.stdout.write(
    'Control API: POST <url>/__sim/event, /__sim/fault, /__sim/call (see sim/README.md). Ctrl+C stops.\n',
  );
  stopOnSignal(devices);
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

function stopOnSignal(devices: SimDevice[]): void {
  const stop = async () => {
    await Promise.all(devices.map((device) => device.close()));
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
