/**
 * The media module: owns MediaMTX. It provisions and supervises the binary (or talks to one the
 * user runs, or only writes its config file), authorizes viewers through a loopback hook, and
 * keeps MediaMTX's paths equal to the store's cameras. Other modules ask it for stream URLs,
 * a frame from a stream, and a path for a talk session.
 */
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Bus } from '../../core/bus.ts';
import { AppError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { defineModule, type Module } from '../../core/module.ts';
import type { Store } from '../../core/store/types.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import { MediamtxApi, type MediamtxCredentials } from '../../protocols/mediamtx/api.ts';
import { buildBaseConfig, type PathConfig, publisherPath } from '../../protocols/mediamtx/config.ts';
import { authModule } from '../auth/index.ts';
import { devicesModule } from '../devices/index.ts';
import { API_USER, AuthHook, INTERNAL_USER } from './auth-hook.ts';
import { writeMediamtxConfig } from './config-file.ts';
import { MediamtxEngine } from './engine.ts';
import { grabFrame } from './frame-grab.ts';
import { KeyFrameRequester } from './key-frames.ts';
import { registerMediaMetrics } from './metrics.ts';
import {
  type ExternalCamera,
  loadStreamPaths,
  PATH_NAMES_KEY,
  type StreamPath,
  streamSuffix,
  TALK_PREFIX,
} from './paths.ts';
import { MEDIAMTX_VERSION, MediamtxUnavailableError, provisionMediamtx } from './provision.ts';
import { PathReconciler } from './reconcile.ts';
import { mediaRoutes } from './routes.ts';
import type { MediaSettings, MediaState, MediaStatus, StreamView, TalkPath } from './types.ts';
import { browserPlayable, streamUrls } from './urls.ts';
import { signViewerToken, viewerTokenKey } from './viewer-token.ts';

export type { ExternalCamera } from './paths.ts';
export type { MediaSettings, MediaState, MediaStatus, StreamView, TalkPath } from './types.ts';

export interface MediaModuleDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  /** Where MediaMTX's own log lines go (tagged). */
  engineLogger?: Logger;
  settings: MediaSettings;
  dataDir: string;
  /** `server.publicUrl`: its host is the default host of stream URLs. */
  publicUrl?: string | undefined;
  secretKey: Buffer;
  verifyCredentials: (credentials: { user: string; password: string; token: string }) => Promise<boolean>;
  /** Progress of a MediaMTX build (minutes on first start); the CLI prints it. */
  onProgress?: (message: string) => void;
  /** How often a MediaMTX the user runs is checked for restarts (external mode). */
  externalCheckMs?: number;
  /** Where the engine gauges go (the gateway's /metrics); tests may leave it out. */
  metrics?: Registry;
  /**
   * Whether the gateway must not log in to a device now (password refused, device locked, another
   * device at the address): its paths are taken out, since each viewer would make MediaMTX try
   * the refused password again and bring the device closer to locking the account.
   */
  contactHeld?: (deviceId: string) => boolean;
  /**
   * The device's ISAPI client, for asking a camera for a key frame when a viewer joins (see
   * key-frames.ts); without it viewers wait for the camera's next key frame.
   */
  deviceClient?: (deviceId: string) => IsapiClient | undefined;
}

const CHANGE_DEBOUNCE_MS = 100;
const WRITTEN_PATHS_KEY = 'media.externalPaths';
const EXTERNAL_CHECK_MS = 15_000;

export class MediaModule implements Module {
  readonly name = 'media';
  readonly routes;
  private readonly tokenKey: Buffer;
  private readonly hook: AuthHook;
  private readonly api: MediamtxApi;
  private readonly reconciler: PathReconciler;
  /** Asks cameras for a key frame when a viewer joins one of their paths. */
  readonly keyFrames: KeyFrameRequester;
  private engine: MediamtxEngine | undefined;
  private state: MediaState;
  private binary: string | null = null;
  private lastError: string | null = null;
  private streamPaths: StreamPath[] = [];
  private readonly talkPaths = new Set<string>();
  private readonly externalSources: Array<() => Promise<ExternalCamera[]>> = [];
  private externalChannels = new Set<string>();
  /** Devices whose paths are out because the gateway must not log in to them now. */
  private readonly heldDevices = new Set<string>();
  /**
   * Paths hikbridge wrote into a MediaMTX it does not own: only those may be deleted there. Kept
   * in the store, so a device removed while hikbridge was down still loses its paths.
   */
  private written = new Set<string>();
  private readonly unsubscribe: Array<() => void> = [];
  private changeTimer: NodeJS.Timeout | undefined;
  private externalTimer: NodeJS.Timeout | undefined;
  private externalStarted: string | undefined;
  private stopped = false;
  private firstSync: Promise<void> | undefined;

  constructor(private readonly deps: MediaModuleDeps) {
    const { settings } = deps;
    this.tokenKey = viewerTokenKey(deps.secretKey);
    this.hook = new AuthHook({
      logger: deps.logger,
      tokenKey: this.tokenKey,
      verifyCredentials: deps.verifyCredentials,
      onRead: (path, protocol) => this.viewerJoining(path, protocol),
    });
    this.api = new MediamtxApi({
      baseUrl: settings.apiUrl ?? `http://127.0.0.1:${settings.apiPort}`,
      credentials: this.apiCredentials(),
    });
    this.keyFrames = new KeyFrameRequester({
      logger: deps.logger,
      livePath: (name) => this.api.getPath(name),
      client: (deviceId) =>
        this.deps.contactHeld?.(deviceId) ? undefined : this.deps.deviceClient?.(deviceId),
      watchMs: (settings.onDemandStartTimeoutSeconds + 2) * 1000,
    });
    this.reconciler = new PathReconciler({
      api: this.api,
      logger: deps.logger,
      desired: () => this.desiredPaths(),
      mayDelete: (name) => settings.mode === 'supervised' || this.written.has(name),
      onApplied: (name) => this.written.add(name),
      onDeleted: (name) => this.written.delete(name),
    });
    this.state = settings.enabled
      ? settings.mode === 'supervised'
        ? 'provisioning'
        : settings.mode
      : 'disabled';
    this.routes = mediaRoutes(this, deps.store);
    if (deps.metrics && settings.enabled) registerMediaMetrics(deps.metrics, () => this.status());
  }

  /**
   * A MediaMTX configured by hikbridge (supervised, file) lets only the per-start API user in; a
   * MediaMTX the user runs takes the credentials the user configured, if any.
   */
  private apiCredentials(): MediamtxCredentials | undefined {
    const { settings } = this.deps;
    if (settings.mode !== 'external') return { user: API_USER, password: this.hook.apiPassword };
    if (settings.apiUsername === undefined) return undefined;
    return { user: settings.apiUsername, password: settings.apiPassword ?? '' };
  }

  private get configFile(): string {
    return this.deps.settings.configFile ?? join(this.deps.dataDir, 'mediamtx', 'mediamtx.yml');
  }

  async start(): Promise<void> {
    const { settings, bus } = this.deps;
    if (!settings.enabled) return;
    this.stopped = false;
    if (settings.mode !== 'external') await this.hook.start();
    await this.refreshStreamPaths();
    const onChange = () => this.scheduleSync();
    this.unsubscribe.push(
      bus.on('device.added', onChange),
      bus.on('device.updated', onChange),
      bus.on('device.removed', onChange),
      bus.on('channels.changed', onChange),
      bus.on('device.health', ({ deviceId }) => this.followContactHold(deviceId)),
      // A changed or removed device may answer a key-frame request differently: ask it afresh.
      bus.on('device.updated', ({ deviceId }) => this.keyFrames.forgetDevice(deviceId)),
      bus.on('device.removed', ({ deviceId }) => this.keyFrames.forgetDevice(deviceId)),
    );
    if (settings.mode === 'file') {
      await this.writeConfigFile();
      this.firstSync = Promise.resolve();
    } else if (settings.mode === 'external') {
      this.written = new Set((await this.deps.store.settings.get<string[]>(WRITTEN_PATHS_KEY)) ?? []);
      this.firstSync = this.checkExternal();
      const every = this.deps.externalCheckMs ?? EXTERNAL_CHECK_MS;
      this.externalTimer = setInterval(() => void this.checkExternal(), every);
    } else {
      // Provisioning may build MediaMTX for minutes: the rest of the gateway does not wait.
      this.firstSync = this.startSupervised();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.keyFrames.stop();
    for (const off of this.unsubscribe.splice(0)) off();
    clearTimeout(this.changeTimer);
    clearInterval(this.externalTimer);
    await this.engine?.stop();
    await this.hook.stop();
  }

  /** Resolves when MediaMTX first has the store's paths (or start-up failed; see status()). */
  async ready(): Promise<void> {
    await this.firstSync;
  }

  /** Applies the store's current state now (tests and the API's refresh use it). */
  async sync(): Promise<void> {
    await this.refreshStreamPaths();
    if (this.deps.settings.mode === 'file') return this.writeConfigFile();
    const state = this.status().state;
    // A MediaMTX that is (re)starting gets every path once it answers.
    if (state === 'running' || state === 'external') await this.reconcile();
  }

  private async reconcile(): Promise<void> {
    await this.reconciler.request();
    if (this.deps.settings.mode === 'external') {
      await this.deps.store.settings.set(WRITTEN_PATHS_KEY, [...this.written].sort());
    }
  }

  status(): MediaStatus {
    const engine = this.engine?.status();
    let state = this.state;
    if (engine && state !== 'failed') state = engine.state === 'stopped' ? state : engine.state;
    return {
      enabled: this.deps.settings.enabled,
      mode: this.deps.settings.mode,
      state,
      version: MEDIAMTX_VERSION,
      binary: this.binary,
      restarts: engine?.restarts ?? 0,
      lastError: this.lastError ?? engine?.lastError ?? this.reconciler.status().lastError,
      paths: this.streamPaths.length + this.talkPaths.size,
    };
  }

  /** The control API client, with the gateway's credentials (tests and checks in this process). */
  get mediamtxApi(): MediamtxApi {
    return this.api;
  }

  /** The MediaMTX process id (supervised mode), for tests that kill it. */
  get enginePid(): number | undefined {
    return this.engine?.pid;
  }

  /** The streams of a channel as viewers see them; `host` is the host the viewer used. */
  streams(channelId: string, requestHost: string): StreamView[] {
    if (!this.deps.settings.enabled) return [];
    const paths = this.streamPaths.filter((path) => path.channelId === channelId);
    if (paths.length === 0) return [];
    const host = this.publicHost(requestHost);
    const slug = paths[0]!.name.split('/')[0]!;
    const token = signViewerToken(this.tokenKey, {
      scope: slug,
      action: 'read',
      expiresAt: Date.now() + this.deps.settings.viewerTokenMinutes * 60_000,
    });
    const defaultNo = this.defaultStreamNo(paths);
    const held = this.deps.contactHeld?.(paths[0]!.deviceId) ?? false;
    return paths.map(({ name, stream }) => {
      const playable = browserPlayable(stream.codec);
      return {
        id: stream.id,
        streamNo: stream.streamNo,
        name: streamSuffix(stream.streamNo),
        path: name,
        codec: stream.codec,
        width: stream.width,
        height: stream.height,
        fps: stream.fps,
        browserPlayable: playable,
        default: stream.streamNo === defaultNo,
        note: held
          ? 'Off while the device refuses the login (or another device answers at its address): fix the ' +
            'password or press "retry login" on the device.'
          : playable
            ? null
            : `${stream.codec} plays in few browsers; watch an H.264 stream in the browser, or set this ` +
              'stream to H.264 in the camera.',
        urls: streamUrls(host, this.deps.settings, name, token),
      };
    });
  }

  /** A JPEG from the channel's live stream through MediaMTX (the last snapshot fallback). */
  async grabFrame(channelId: string, timeoutMs = 15_000): Promise<Buffer> {
    const paths = this.streamPaths.filter((path) => path.channelId === channelId);
    if (!this.deps.settings.enabled || paths.length === 0) {
      throw new AppError('no_live_stream', 404, `Channel "${channelId}" has no live stream.`);
    }
    const defaultNo = this.defaultStreamNo(paths);
    const path = paths.find((each) => each.stream.streamNo === defaultNo) ?? paths[0]!;
    return grabFrame(this.deps.settings.ffmpeg, this.internalRtspUrl(path.name), timeoutMs);
  }

  /** Adds a path a browser can publish its microphone to, for one talk session. */
  async openTalkPath(sessionId: string, requestHost: string): Promise<TalkPath> {
    const path = `${TALK_PREFIX}${sessionId}`;
    this.talkPaths.add(path);
    await this.sync();
    const token = signViewerToken(this.tokenKey, {
      scope: path,
      action: 'publish',
      expiresAt: Date.now() + 60 * 60_000,
    });
    const host = this.hostPart(this.publicHost(requestHost));
    return {
      path,
      whipUrl: `http://${host}:${this.deps.settings.webrtcPort}/${path}/whip?token=${encodeURIComponent(token)}`,
      readUrl: this.internalRtspUrl(path),
    };
  }

  /** Resolves when someone publishes into `path` (a browser's microphone); false on timeout. */
  async waitForPublisher(path: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !signal?.aborted) {
      const live = await this.api.getPath(path).catch(() => null);
      if (live?.ready) return true;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return false;
  }

  async closeTalkPath(sessionId: string): Promise<void> {
    if (this.talkPaths.delete(`${TALK_PREFIX}${sessionId}`)) await this.sync();
  }

  /** The configured path name of a channel's stream (`front-door/main`), if it has one. */
  pathName(channelId: string, streamNo?: number): string | undefined {
    const paths = this.streamPaths.filter((path) => path.channelId === channelId);
    const wanted = streamNo ?? this.defaultStreamNo(paths);
    return paths.find((path) => path.stream.streamNo === wanted)?.name;
  }

  /** rtsp://127.0.0.1 URL with the internal credential, for hikbridge's own readers. */
  internalRtspUrl(path: string): string {
    const password = encodeURIComponent(this.hook.internalPassword);
    return `rtsp://${INTERNAL_USER}:${password}@127.0.0.1:${this.deps.settings.rtspPort}/${path}`;
  }

  private defaultStreamNo(paths: StreamPath[]): number {
    const channelDefault = paths[0]?.preferredStream;
    if (channelDefault && paths.some((path) => path.stream.streamNo === channelDefault))
      return channelDefault;
    // The seed's advice automated: the first stream a browser can play.
    return (paths.find((path) => browserPlayable(path.stream.codec)) ?? paths[0])?.stream.streamNo ?? 1;
  }

  private publicHost(requestHost: string): string {
    if (this.deps.settings.publicHost) return this.deps.settings.publicHost;
    if (this.deps.publicUrl) return new URL(this.deps.publicUrl).hostname;
    // `host:port` or `[v6]:port` from the Host header: keep the host.
    const match = /^\[([^\]]+)\]|^([^:]+)/.exec(requestHost);
    return match?.[1] ?? match?.[2] ?? '127.0.0.1';
  }

  private hostPart(host: string): string {
    return host.includes(':') ? `[${host}]` : host;
  }

  private async refreshStreamPaths(): Promise<void> {
    const { settings } = this.deps;
    const external = (await Promise.all(this.externalSources.map((list) => list()))).flat();
    this.externalChannels = new Set(external.map((camera) => camera.channelId));
    this.streamPaths = await loadStreamPaths(
      this.deps.store,
      {
        rtspTransport: settings.rtspTransport,
        startTimeoutSeconds: settings.onDemandStartTimeoutSeconds,
        closeAfterSeconds: settings.onDemandCloseAfterSeconds,
      },
      external,
    );
  }

  /**
   * Cameras another module owns (cloud cameras): listed at every sync, named and served like a
   * device's channels. The owner calls requestSync() when its list or a source changes.
   */
  addExternalCameras(list: () => Promise<ExternalCamera[]>): void {
    this.externalSources.push(list);
  }

  /**
   * Whether `channelId` is an external camera: known from the last sync, else asked of the
   * owners now (a camera imported a moment ago, or live video off and no sync ever ran).
   */
  async hasExternalChannel(channelId: string): Promise<boolean> {
    if (this.externalChannels.has(channelId)) return true;
    const external = (await Promise.all(this.externalSources.map((list) => list()))).flat();
    return external.some((camera) => camera.channelId === channelId);
  }

  /** Applies changes soon; a burst of requests costs one pass. */
  requestSync(): void {
    if (this.deps.settings.enabled) this.scheduleSync();
  }

  /**
   * Who watches what now, by path name (MediaMTX's live view). `busy`: readers, or the stream up
   * (a viewer just left and the on-demand source has not closed yet). MediaMTX lists a static
   * source whether it runs or not, so a source still connecting for a first viewer is not seen.
   * Empty when MediaMTX is off or not answering: callers treat unknown as "not watched".
   */
  async watchers(): Promise<Map<string, { ready: boolean; readers: number; busy: boolean }>> {
    const state = this.status().state;
    if (state !== 'running' && state !== 'external') return new Map();
    const live = await this.api.listPaths().catch(() => []);
    return new Map(
      live.map((path) => [
        path.name,
        { ready: path.ready, readers: path.readers.length, busy: path.readers.length > 0 || path.ready },
      ]),
    );
  }

  /**
   * A reader was let in: when it is a camera's stream, that camera is asked for a key frame.
   * Not for HLS: MediaMTX asks the hook again for every playlist and segment a player fetches,
   * so each would start a watch of the path (polling MediaMTX) for as long as anyone watches,
   * and an HLS player starts on a segment boundary seconds behind anyway.
   */
  private viewerJoining(pathName: string, protocol: string): void {
    if (protocol === 'hls') return;
    const path = this.streamPaths.find((each) => each.name === pathName);
    if (!path) return;
    this.keyFrames.viewerJoining({
      path: path.name,
      deviceId: path.deviceId,
      streamId: Number(path.stream.id),
    });
  }

  /** Re-syncs when a device's logins go on hold or come off it. */
  private followContactHold(deviceId: string): void {
    const held = this.deps.contactHeld?.(deviceId) ?? false;
    if (held === this.heldDevices.has(deviceId)) return;
    if (held) this.heldDevices.add(deviceId);
    else this.heldDevices.delete(deviceId);
    this.deps.logger.info(
      { deviceId, held },
      held ? 'stream paths of a device on hold taken out' : 'stream paths back',
    );
    this.scheduleSync();
  }

  private async desiredPaths(): Promise<Map<string, PathConfig>> {
    const usable = this.streamPaths.filter((path) => !this.deps.contactHeld?.(path.deviceId));
    const paths = new Map<string, PathConfig>(usable.map((path) => [path.name, path.config]));
    for (const talk of this.talkPaths) paths.set(talk, publisherPath());
    return paths;
  }

  private scheduleSync(): void {
    clearTimeout(this.changeTimer);
    this.changeTimer = setTimeout(() => {
      this.sync().catch((error) =>
        this.deps.logger.warn({ err: error }, 'could not apply camera changes to MediaMTX'),
      );
    }, CHANGE_DEBOUNCE_MS);
  }

  private baseConfig(): Record<string, unknown> {
    const { settings } = this.deps;
    return buildBaseConfig({
      apiAddress: `127.0.0.1:${settings.apiPort}`,
      rtspAddress: `:${settings.rtspPort}`,
      webrtcAddress: `:${settings.webrtcPort}`,
      webrtcUdpAddress: `:${settings.webrtcUdpPort}`,
      hlsAddress: `:${settings.hlsPort}`,
      authHttpAddress: this.hook.url,
      webrtcAdditionalHosts: settings.webrtcAdditionalHosts,
    });
  }

  private async writeConfigFile(): Promise<void> {
    const config = this.baseConfig();
    config.paths = Object.fromEntries(await this.desiredPaths());
    await writeMediamtxConfig(this.configFile, config);
  }

  private async startSupervised(): Promise<void> {
    const { settings, logger } = this.deps;
    try {
      const found = await provisionMediamtx({
        binary: settings.binary,
        cacheDir: settings.cacheDir,
        onProgress: (message) => {
          logger.info(message);
          this.deps.onProgress?.(message);
        },
      });
      this.binary = found.path;
      logger.info({ binary: found.path, source: found.source }, 'using MediaMTX');
    } catch (error) {
      this.state = 'failed';
      this.lastError =
        error instanceof MediamtxUnavailableError
          ? error.message
          : `MediaMTX unavailable: ${(error as Error).message}`;
      logger.error(this.lastError);
      return;
    }
    if (this.stopped) return;
    // Paths go through the API only: the file holds the global part, so a reload never drops them.
    await writeMediamtxConfig(this.configFile, this.baseConfig());
    this.state = 'starting';
    let firstReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      firstReady = resolve;
    });
    this.engine = new MediamtxEngine({
      binary: found(this.binary),
      configFile: this.configFile,
      api: this.api,
      logger: this.deps.engineLogger ?? logger,
      maxBackoffMs: settings.restartMaxSeconds * 1000,
      onReady: () => {
        this.state = 'running';
        this.reconciler.request().finally(firstReady);
      },
    });
    this.engine.start();
    await ready;
  }

  /** Notices a restart of a MediaMTX the user runs (its start time changes) and re-applies paths. */
  private async checkExternal(): Promise<void> {
    try {
      const info = await this.api.info();
      if (info.started !== this.externalStarted) {
        this.externalStarted = info.started;
        await this.reconcile();
      }
      this.lastError = null;
    } catch (error) {
      this.lastError = (error as Error).message;
      this.externalStarted = undefined;
    }
  }
}

function found(binary: string | null): string {
  if (!binary) throw new Error('MediaMTX binary missing after provisioning');
  return binary;
}

export { PATH_NAMES_KEY };

/** Needs auth (viewer credentials) and devices (the snapshot fallback from the live stream). */
export const mediaModule = defineModule({
  name: 'media',
  settings: (config) => config.media,
  create: ({ modules, gateway, loggerFor, ...context }) => {
    const auth = modules.get(authModule);
    const devices = modules.get(devicesModule);
    const media = new MediaModule({
      ...context,
      engineLogger: loggerFor('mediamtx'),
      dataDir: gateway.dataDir,
      publicUrl: gateway.publicUrl,
      secretKey: gateway.secretKey,
      verifyCredentials: (credentials) => auth.service.verifyViewer(credentials),
      contactHeld: (deviceId) =>
        devices.supervisor.loginBlock(deviceId) !== undefined ||
        devices.health(deviceId)?.lastErrorCode === 'wrong_device',
      deviceClient: (deviceId) => devices.supervisor.client(deviceId),
      ...(gateway.onProgress ? { onProgress: gateway.onProgress } : {}),
    });
    if (context.settings.enabled) {
      devices.setSnapshotFallback((channelId) => media.grabFrame(channelId));
    }
    return media;
  },
});
