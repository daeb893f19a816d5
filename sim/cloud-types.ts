/** The simulated cloud's public types (sim/cloud.ts starts it; sim/README.md, "Cloud"). */
import type { SimCloudCamera, SimCloudDevice } from './cloud-account.ts';
import type { IssuedAddress, PlayVerdict } from './cloud-live.ts';
import type { CloudOrigin } from './cloud-origin.ts';

export interface SimCloudOptions {
  appKey: string;
  secretKey: string;
  devices: SimCloudDevice[];
  /** Token lifetime the cloud announces, in seconds (the real one: 7 days). */
  tokenLifetimeSeconds?: number;
  /** Host:port the RTMP URLs point at (a test's own RTMP server); `origin` sets it itself. */
  rtmpHost?: string;
  /** The cloud's clock (epoch ms) for every time decision; default `Date.now`. */
  now?: () => number;
  /** Calls per sliding second the account may make, token calls included; 0 = no limit. Default 5. */
  rateLimitPerSecond?: number;
  /**
   * How much shorter than 1 s the rate window is (default 100 ms): the cloud times calls on
   * arrival, and arrival jitters on a loaded machine although the client sends them evenly.
   */
  rateLimitToleranceMs?: number;
  /**
   * Addition: live URLs last at most this long (seconds), whatever was asked, so tests cross
   * several lifetimes in seconds. The answer's `expireTime` says the granted lifetime, as the
   * real cloud's does. Default: what was asked.
   */
  maxUrlLifetimeSeconds?: number;
  /** Start a real RTMP origin (sim/cloud-origin.ts) that plays the addresses this cloud hands out. */
  origin?: { mediamtx: string; ffmpeg?: string };
}

export interface SimCloudCall {
  host: 'bootstrap' | 'area';
  path: string;
  body: Record<string, unknown>;
  token: string | undefined;
  /** The answer's errorCode, or `hang` / `unreachable` for calls that got no answer. */
  errorCode: string;
  /** When it arrived, on the cloud's clock (epoch ms). */
  at: number;
}

export interface SimCloud {
  /** The bootstrap address to configure (where tokens come from). */
  url: string;
  /** The areaDomain the token answer names. */
  areaUrl: string;
  calls: SimCloudCall[];
  /** Live addresses handed out, newest last. */
  issued: IssuedAddress[];
  /** The RTMP origin, when `origin` was given. */
  origin: CloudOrigin | undefined;
  /** Every token handed out so far stops working (the cloud drops tokens before their expiry). */
  revokeTokens(): void;
  /** The next `count` area calls answer `errorCode` (e.g. VMS000009 = overloaded). */
  failNext(errorCode: string, count?: number): void;
  /** The next `count` calls get no answer at all. */
  hangNext(count?: number): void;
  setDeviceOnline(serialNumber: string, online: boolean): void;
  setCameraOnline(serialNumber: string, channelNo: number, online: boolean): void;
  removeCamera(serialNumber: string, channelNo: number): void;
  addCamera(serialNumber: string, camera: SimCloudCamera): void;
  renameCamera(serialNumber: string, channelNo: number, name: string): void;
  /** On: every API call's socket is destroyed without an answer, as in a network outage. */
  setUnreachable(on: boolean): void;
  /** A rotated secret: the old key then gets OPEN000001, the old secret OPEN000002. */
  setCredentials(appKey: string, secretKey: string): void;
  /** May a player read `path` (`v3/openlive/SN_1_2`) with `query`? The origin asks this. */
  validatePlay(path: string, query: string): boolean;
  /** The same, with the reason. */
  explainPlay(path: string, query: string): PlayVerdict;
  close(): Promise<void>;
}
