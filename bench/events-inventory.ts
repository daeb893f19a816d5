/**
 * The controls inventory's start-up reads, seen from the devices: with MQTT on, the gateway reads
 * what each device can be told to do (detections, PTZ, light, siren, strobe, outputs, storage)
 * after it comes online. The simulated devices log every request they receive
 * (`GET /__sim/requests`); the requests the inventory makes are told apart by their ISAPI paths,
 * none of which the rest of a start asks for (test/bench/events.test.ts checks that against a
 * gateway without MQTT). From those records: how many requests per device, which parts, and how
 * long the inventory took for the fleet (stamped by the simulator on arrival, so polling late
 * does not stretch it).
 */
import { percentile, round } from './stats.ts';

/** The inventory's parts by the paths they read (src/modules/controls/inventory.ts). */
const INVENTORY_PARTS: Array<[part: string, path: RegExp]> = [
  ['outputs', /^\/ISAPI\/System\/IO\/outputs(\/|$)/],
  ['storage', /^\/ISAPI\/ContentMgmt\/Storage(\/|$)/i],
  ['siren', /^\/ISAPI\/Event\/triggers\/notifications\/AudioAlarm(\/|$)/],
  ['strobe', /^\/ISAPI\/Event\/triggers\/notifications\/(channels\/\d+\/)?whiteLightAlarm(\/|$)/],
  [
    'detections',
    /^\/ISAPI\/(System\/Video\/inputs\/channels\/\d+\/(motion|tamper)Detection|ContentMgmt\/InputProxy\/channels\/\d+\/video\/(motion|tamper)Detection|Smart\/\w+\/\d+$|Event\/triggers(\/[^/]+)?$)/,
  ],
  ['ptz', /^\/ISAPI\/PTZCtrl\//],
  ['light', /^\/ISAPI\/Image\/channels\/\d+\/supplementLight(\/|$)/],
];

/** The inventory part a request path belongs to; undefined for the rest of a start. */
export function inventoryPart(path: string): string | undefined {
  return INVENTORY_PARTS.find(([, pattern]) => pattern.test(path))?.[0];
}

/** What `GET /__sim/requests` answers per request (sim/types.ts SimRequestRecord). */
export interface DeviceRequest {
  method: string;
  path: string;
  status: number;
  authorized: boolean;
  at: number;
}

export interface InventoryReads {
  /** Devices whose inventory requests were seen. */
  devicesRead: number;
  /** Requests answered (a Digest login's 401 handshake not counted: see `loginChallenges`). */
  requests: number;
  loginChallenges: number;
  perDevice: { min: number; p50: number; max: number };
  byPart: Record<string, number>;
  /** From the gateway's start to the last inventory request any device received. */
  doneAfterStartSeconds: number;
  /** From the first inventory request any device received to the last. */
  spanSeconds: number;
  /** Per device, from its first inventory request to its last. */
  perDeviceMs: { p50: number; p99: number; max: number };
}

/** One device's inventory requests received at or after `since` (wall-clock ms). */
export function inventoryRequests(records: DeviceRequest[], since: number): DeviceRequest[] {
  return records.filter((record) => record.at >= since && inventoryPart(record.path) !== undefined);
}

/** The figures over every device's inventory requests (`since`: the gateway's start, wall clock). */
export function summarizeInventory(perDevice: DeviceRequest[][], since: number): InventoryReads {
  const byPart: Record<string, number> = {};
  const counts: number[] = [];
  const durations: number[] = [];
  let requests = 0;
  let loginChallenges = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const records of perDevice) {
    if (records.length === 0) continue;
    let answered = 0;
    for (const record of records) {
      // A 401 that got no further is the Digest handshake of a new connection, not a read.
      if (record.status === 401 && !record.authorized) {
        loginChallenges++;
        continue;
      }
      answered++;
      const part = inventoryPart(record.path)!;
      byPart[part] = (byPart[part] ?? 0) + 1;
    }
    requests += answered;
    counts.push(answered);
    const times = records.map((record) => record.at);
    const start = Math.min(...times);
    const end = Math.max(...times);
    durations.push(end - start);
    first = Math.min(first, start);
    last = Math.max(last, end);
  }
  const read = counts.length > 0;
  return {
    devicesRead: counts.length,
    requests,
    loginChallenges,
    perDevice: {
      min: read ? Math.min(...counts) : 0,
      p50: read ? percentile(counts, 50) : 0,
      max: read ? Math.max(...counts) : 0,
    },
    byPart,
    doneAfterStartSeconds: read ? round((last - since) / 1000, 2) : Number.NaN,
    spanSeconds: read ? round((last - first) / 1000, 2) : Number.NaN,
    perDeviceMs: {
      p50: round(percentile(durations, 50)),
      p99: round(percentile(durations, 99)),
      max: round(read ? Math.max(...durations) : Number.NaN),
    },
  };
}

/**
 * Waits until every device's inventory is read: each has received inventory requests, the
 * newest of them `quietMs` ago. A device found done is not asked again (the polls are requests
 * to the simulator's process, on the same cores as the gateway). Resolves with each device's
 * inventory requests since `since` (empty for a device not done when the time is up: the
 * figures then say how far the inventory got, `devicesRead` below the fleet).
 */
export async function waitForInventory(
  fetchRequests: (deviceIndex: number) => Promise<DeviceRequest[]>,
  devices: number,
  since: number,
  options: {
    quietMs: number;
    pollMs: number;
    timeoutMs: number;
    concurrency: number;
    onRound?: (done: number) => void;
  },
): Promise<DeviceRequest[][]> {
  const found: Array<DeviceRequest[] | undefined> = new Array(devices).fill(undefined);
  const until = Date.now() + options.timeoutMs;
  for (;;) {
    const pending = found.flatMap((done, index) => (done ? [] : [index]));
    options.onRound?.(devices - pending.length);
    if (pending.length === 0 || Date.now() > until) return found.map((records) => records ?? []);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pending.length) {
        const index = pending[next++]!;
        const records = inventoryRequests(await fetchRequests(index), since);
        const newest = records.reduce((max, record) => Math.max(max, record.at), 0);
        if (records.length > 0 && Date.now() - newest >= options.quietMs) found[index] = records;
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, pending.length) }, worker));
    if (found.some((done) => !done)) await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}
