/**
 * Tools for the runtime-fault suites: a real gateway with short supervision intervals, simulated
 * devices added through the API, and what the devices saw (refused logins, checks, streams).
 */
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import type { SimDeviceOptions, SimRequestRecord } from '../../sim/types.ts';
import { eventually, type TestGateway } from '../gateway/harness.ts';

export const PASSWORD = 'Fault-Pass-7!';
export const INFO_PATH = '/ISAPI/System/deviceInfo';
export const STREAM_PATH = '/ISAPI/Event/notification/alertStream';

/** Intervals short enough that a few seconds cover many turns of every loop. */
export const FAST_SUPERVISION = {
  devices: {
    requestTimeoutMs: 3000,
    supervisor: { checkIntervalSeconds: 1, minBackoffSeconds: 1, maxBackoffSeconds: 2 },
  },
  events: { reconnectMaxSeconds: 1, callStatusPollMs: 500, snapshotOnStart: false },
};

let serials = 0;

/** A simulated device with the test password, a serial of its own and no snapshot delay. */
export function simDevice(options: Partial<SimDeviceOptions> = {}): Promise<SimDevice> {
  serials++;
  return startSimDevice({
    profile: 'camera',
    password: PASSWORD,
    snapshotDelayMs: 0,
    serialNumber: `FAULT${serials}${Date.now().toString(36).toUpperCase()}`,
    ...options,
  });
}

export interface AddedDevice {
  id: string;
  name: string;
}

export async function addDevice(gw: TestGateway, sim: SimDevice): Promise<AddedDevice> {
  const url = new URL(sim.url);
  const answer = await gw.api('POST', '/api/v1/devices', {
    body: { host: url.hostname, port: Number(url.port), password: PASSWORD },
  });
  if (answer.status !== 201) throw new Error(`adding ${sim.url} failed: ${answer.status} ${answer.text}`);
  return answer.json as AddedDevice;
}

export interface Health {
  state: string;
  lastError: string | null;
  lastErrorCode: string | null;
  nextAttemptAt: string | null;
  since: string;
}

export async function healthOf(gw: TestGateway, deviceId: string): Promise<Health> {
  return (await gw.api('GET', `/api/v1/devices/${deviceId}/health`)).json as Health;
}

/** Waits until the device's health matches, polling the API; returns that health. */
export function healthBecomes(
  gw: TestGateway,
  deviceId: string,
  match: (health: Health) => boolean,
  timeoutMs = 10_000,
): Promise<Health> {
  let last: Health | undefined;
  return eventually(async () => {
    last = await healthOf(gw, deviceId);
    return match(last) ? last : undefined;
  }, timeoutMs).catch((error: Error) => {
    // Say where it stood: a timeout alone does not tell a slow machine from a wrong state.
    throw new Error(`${error.message}; last health: ${JSON.stringify(last)}`);
  });
}

/**
 * Requests that carried credentials and were refused (from request number `from` on): failed
 * logins as the device counts them, and tries while it had the user locked.
 */
export function refusedLogins(sim: SimDevice, from = 0): SimRequestRecord[] {
  return sim.requests.slice(from).filter((r) => r.authenticated && r.status === 401 && !r.authorized);
}

/** Health checks the device answered (logged in and served). */
export function answeredChecks(sim: SimDevice): number {
  return sim.requests.filter((r) => r.path === INFO_PATH && r.authorized && r.status === 200).length;
}

/** Waits until `sim` has answered `count` more health checks: proof that that many turns went by. */
export async function checksGoBy(sim: SimDevice, count: number, timeoutMs = 15_000): Promise<void> {
  const target = answeredChecks(sim) + count;
  await eventually(async () => answeredChecks(sim) >= target, timeoutMs);
}

/** Time until `condition` holds, polled every 25 ms (finer than `eventually`, for measurements). */
export async function msUntil(
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
