/** Settings and shared shapes of the cloud module. */
import type { Config } from '../../core/config/index.ts';
import type { CloudQuality } from '../../core/store/types.ts';

export type CloudSettings = Config['cloud'];

/** Where a running sync is, for the API's progress and the CLI's bar. */
export interface SyncProgress {
  phase: 'token' | 'devices' | 'cameras' | 'addresses' | 'done' | 'failed';
  startedAt: string;
  devices: number;
  cameras: number;
  /** Live URLs to fetch in this sync, and fetched so far. */
  addressesTotal: number;
  addressesDone: number;
  /** API calls made by this sync so far. */
  calls: number;
  /** Seconds left at the account's rate limit (5 calls/s), when known. */
  etaSeconds: number | null;
  error: string | null;
}

export interface AccountInput {
  name: string;
  appKey: string;
  secretKey: string;
  baseUrl?: string | null;
  quality?: CloudQuality;
  enabled?: boolean;
}

export interface CameraPatch {
  enabled?: boolean;
  quality?: CloudQuality | null;
  streamCode?: string | null;
}
