/** Live-stream limits and where pictures are stored, read from the effective configuration. */
import { join } from 'node:path';
import type { ApiDeps } from '../../server.ts';

export interface StreamSettings {
  heartbeatSeconds: number;
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  maxReplay: number;
  maxClients: number;
}

const DEFAULT_STREAM: StreamSettings = {
  heartbeatSeconds: 15,
  maxQueuedMessages: 1000,
  maxQueuedBytes: 4 * 1024 * 1024,
  maxReplay: 1000,
  maxClients: 100,
};

/**
 * ApiDeps has no place for these yet, so they come from the effective configuration (which
 * publicConfig() returns with only secrets masked; none of these are secret).
 */
export function settingsOf(deps: ApiDeps): { streams: StreamSettings; snapshotsDir: string } {
  const config = (deps.publicConfig() ?? {}) as {
    dataDir?: string;
    events?: { stream?: Partial<StreamSettings> };
  };
  return {
    streams: { ...DEFAULT_STREAM, ...config.events?.stream },
    snapshotsDir: join(config.dataDir ?? './data', 'snapshots'),
  };
}
