/**
 * One sync of an account: its devices and cameras from the cloud (all pages), upserted into the
 * store; cameras the cloud no longer lists marked removed (never deleted); then a live URL for
 * every camera that needs one. Nothing in the store changes until both lists have arrived, so a
 * cloud that fails half-way leaves the last good state.
 */
import type {
  CloudAccountRecord,
  CloudCameraRecord,
  CloudSyncOutcome,
  Store,
} from '../../core/store/types.ts';
import type { Clock, HccCamera, HccClient, HccDevice } from '../../protocols/hcc/index.ts';
import type { LiveSources } from './live-sources.ts';
import { AccountTrouble, type Renewer } from './renewal.ts';
import type { SyncProgress } from './types.ts';

export interface SyncDeps {
  store: Store;
  clock: Clock;
  client: HccClient;
  renewer: Renewer;
  sources: LiveSources;
  /** Calls per second the client sustains under the rate limit, for the time left. */
  callsPerSecond: number;
  onProgress(progress: SyncProgress): void;
  /** True once the gateway stops: the sync ends after the call in flight. */
  stopped(): boolean;
}

/** A sync that has just begun. */
export function startingProgress(startedAt: string): SyncProgress {
  return {
    phase: 'devices',
    startedAt,
    devices: 0,
    cameras: 0,
    addressesTotal: 0,
    addressesDone: 0,
    calls: 0,
    etaSeconds: null,
    error: null,
  };
}

export async function syncAccount(account: CloudAccountRecord, deps: SyncDeps): Promise<CloudSyncOutcome> {
  const { clock, client, store } = deps;
  const startedAt = new Date(clock.now()).toISOString();
  const callsBefore = client.callCount;
  const progress = startingProgress(startedAt);
  const report = (change: Partial<SyncProgress>) => {
    Object.assign(progress, change, { calls: client.callCount - callsBefore });
    const left = progress.addressesTotal - progress.addressesDone;
    progress.etaSeconds = progress.phase === 'addresses' ? Math.ceil(left / deps.callsPerSecond) : null;
    deps.onProgress({ ...progress });
  };
  const outcome = (counts: Partial<CloudSyncOutcome>, error: string | null): CloudSyncOutcome => ({
    startedAt,
    finishedAt: new Date(clock.now()).toISOString(),
    ok: error === null,
    error,
    devices: progress.devices,
    cameras: progress.cameras,
    added: 0,
    updated: 0,
    removed: 0,
    failed: 0,
    calls: client.callCount - callsBefore,
    ...counts,
  });

  report({});
  let devices: HccDevice[];
  let cameras: HccCamera[];
  try {
    devices = await client.listDevices();
    report({ phase: 'cameras', devices: devices.length });
    cameras = await client.listCameras();
    report({ cameras: cameras.length });
  } catch (error) {
    const message = (error as Error).message;
    report({ phase: 'failed', error: message });
    return outcome({}, `${message} Nothing was changed; the cameras imported before are kept.`);
  }

  const counts = await applyCameraList(account, devices, cameras, deps);
  const due = await deps.renewer.due();
  report({ phase: 'addresses', addressesTotal: due.length });
  let error: string | null = null;
  try {
    await deps.renewer.runDue(({ done }) => report({ addressesDone: done }), deps.stopped);
  } catch (failure) {
    if (!(failure instanceof AccountTrouble)) throw failure;
    error = `${failure.message} The camera list was updated; live URLs not fetched yet will be retried.`;
  }
  if (!error && deps.stopped()) {
    error =
      'The gateway stopped before the sync finished; the live URLs not fetched yet follow after the restart.';
  }
  const failed = (await store.cloud.listCameras(account.id)).filter(
    (camera) =>
      camera.enabled && !camera.removedAt && (camera.status === 'error' || camera.status === 'offline'),
  ).length;
  report({ phase: error ? 'failed' : 'done', error });
  return outcome({ ...counts, failed }, error);
}

interface ListCounts {
  added: number;
  updated: number;
  removed: number;
}

async function applyCameraList(
  account: CloudAccountRecord,
  devices: HccDevice[],
  cameras: HccCamera[],
  deps: SyncDeps,
): Promise<ListCounts> {
  const { store, clock, sources } = deps;
  const deviceBySerial = new Map(devices.map((device) => [device.serialNumber, device]));
  const existing = new Map(
    (await store.cloud.listCameras(account.id)).map((camera) => [naturalKey(camera), camera]),
  );
  const seen = new Set<string>();
  const counts: ListCounts = { added: 0, updated: 0, removed: 0 };
  for (const camera of cameras) {
    // A camera without a serial cannot be asked for a live URL.
    if (!camera.deviceSerial || !camera.id) continue;
    const device = deviceBySerial.get(camera.deviceSerial);
    const key = `${camera.deviceSerial}/${camera.channelNo}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const before = existing.get(key);
    const saved = await store.cloud.upsertCamera({
      accountId: account.id,
      deviceSerial: camera.deviceSerial,
      channelNo: camera.channelNo,
      resourceId: camera.id,
      name: camera.name || `${device?.name ?? camera.deviceSerial} ${camera.channelNo}`,
      online: camera.online && device?.online !== false,
      attributes: {
        area: camera.areaName || null,
        deviceName: device?.name ?? null,
        deviceCategory: camera.deviceCategory || device?.category || null,
        deviceModel: device?.type ?? null,
      },
    });
    if (!before) counts.added++;
    else if (before.removedAt || before.name !== saved.name || before.resourceId !== saved.resourceId) {
      counts.updated++;
    }
    // Back from the dead, or moved to another resource: it needs a URL of its own again.
    if (before && (before.removedAt || before.resourceId !== saved.resourceId)) {
      await store.cloud.updateCamera(saved.id, { status: 'pending', nextRenewalAt: null, renewFailures: 0 });
    }
  }
  const now = new Date(clock.now()).toISOString();
  for (const [key, camera] of existing) {
    if (seen.has(key) || camera.removedAt) continue;
    await store.cloud.updateCamera(camera.id, {
      removedAt: now,
      status: 'removed',
      lastError:
        'HikCentral Connect no longer lists this camera; it stays here, without live video, until you delete it.',
    });
    sources.forget(camera.id);
    counts.removed++;
  }
  return counts;
}

function naturalKey(camera: Pick<CloudCameraRecord, 'deviceSerial' | 'channelNo'>): string {
  return `${camera.deviceSerial}/${camera.channelNo}`;
}
