/**
 * The cloud module: HikCentral Connect accounts, their cameras imported into the store, live
 * URLs kept valid by their expiry, and a MediaMTX path per camera through the media module.
 * Cloud cameras are channels like any other (the channel routes, stream URLs, snapshots from
 * the stream, MQTT); this module only wires src/protocols/hcc to the store and to media.
 */
import type { Dispatcher } from 'undici';
import type { Bus } from '../../core/bus.ts';
import { AppError, ConflictError, InputError, NotFoundError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { defineModule, type Module } from '../../core/module.ts';
import type {
  CloudAccountRecord,
  CloudCameraRecord,
  CloudQuality,
  CloudSyncOutcome,
  Patch,
  Store,
} from '../../core/store/types.ts';
import { type Clock, type HccClient, HccError, realClock } from '../../protocols/hcc/index.ts';
import { checkUserUrl, URL_RULES, UrlPolicyError } from '../../protocols/http/url-policy.ts';
import { type DeviceSnapshot, devicesModule } from '../devices/index.ts';
import { type ExternalCamera, mediaModule, type StreamView } from '../media/index.ts';
import { AccountRunner, accountClient } from './account.ts';
import { type CloudMedia, LiveSources } from './live-sources.ts';
import { cloudRoutes } from './routes.ts';
import type { AccountInput, CameraPatch, CloudSettings, SyncProgress } from './types.ts';
import { accountView, cameraView, cloudChannelView, cloudStream } from './views.ts';

export type { AccountInput, CameraPatch, CloudSettings, SyncProgress } from './types.ts';

/** What the cloud module needs of the media module. */
export interface CloudMediaPort extends CloudMedia {
  addExternalCameras(list: () => Promise<ExternalCamera[]>): void;
  grabFrame(channelId: string, timeoutMs?: number): Promise<Buffer>;
  streams(channelId: string, requestHost: string): StreamView[];
}

export interface CloudModuleDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  settings: CloudSettings;
  media: CloudMediaPort;
  clock?: Clock;
  /** undici dispatcher for the cloud's HTTPS (tests, proxies). */
  dispatcher?: Dispatcher;
  /** How often renewed URLs waiting for viewers to leave are checked (tests shorten it). */
  pendingCheckMs?: number;
}

/** Seconds a frame grabbed from a cloud stream is served again to other snapshot requests. */
const SNAPSHOT_REUSE_MS = 2_000;

/** A frame grab that fails sooner than this failed to start, not to wait: worth one more try. */
const QUICK_FAILURE_MS = 5_000;

export class CloudModule implements Module {
  readonly name = 'cloud';
  readonly routes;
  readonly sources: LiveSources;
  private readonly runners = new Map<string, AccountRunner>();
  private readonly clock: Clock;
  private readonly snapshots = new Map<string, Promise<DeviceSnapshot>>();

  constructor(private readonly deps: CloudModuleDeps) {
    this.clock = deps.clock ?? realClock;
    this.sources = new LiveSources(deps.media, deps.logger, deps.pendingCheckMs);
    this.routes = cloudRoutes(this);
  }

  async start(): Promise<void> {
    if (!this.deps.settings.enabled) return;
    for (const account of await this.deps.store.cloud.listAccounts()) {
      if (account.enabled) this.startRunner(account);
    }
    this.deps.media.requestSync();
  }

  async stop(): Promise<void> {
    this.sources.stop();
    await Promise.all([...this.runners.values()].map((runner) => runner.stop()));
    this.runners.clear();
  }

  async healthReport(): Promise<Record<string, unknown>> {
    const cameras = await this.deps.store.cloud.listCameras();
    return {
      accounts: (await this.deps.store.cloud.listAccounts()).length,
      cameras: cameras.length,
      camerasOk: cameras.filter((camera) => camera.status === 'ok' && camera.enabled && !camera.removedAt)
        .length,
      waitingForViewersToLeave: this.sources.pendingCount,
    };
  }

  // Accounts

  async listAccounts() {
    const [accounts, cameras] = await Promise.all([
      this.deps.store.cloud.listAccounts(),
      this.deps.store.cloud.listCameras(),
    ]);
    return accounts.map((account) =>
      this.view(
        account,
        cameras.filter((camera) => camera.accountId === account.id),
      ),
    );
  }

  async getAccount(id: string) {
    const account = await this.account(id);
    return this.view(account, await this.deps.store.cloud.listCameras(id));
  }

  /** Checks the key and secret with the cloud (one token call) before anything is saved. */
  async addAccount(input: AccountInput, options: { sync?: boolean } = {}) {
    const checked = checkAccountInput(input);
    const client = await this.verify(checked.appKey, checked.secretKey, checked.baseUrl);
    const account = await this.deps.store.cloud.insertAccount({
      name: checked.name,
      appKey: checked.appKey,
      appSecret: checked.secretKey,
      baseUrl: checked.baseUrl,
      quality: checked.quality,
      enabled: checked.enabled,
    });
    this.deps.logger.info({ accountId: account.id, name: account.name }, 'cloud account added');
    if (account.enabled && this.deps.settings.enabled) {
      this.startRunner(account, { firstSync: false, client });
      if (options.sync !== false) this.startSync(account.id);
    }
    return this.getAccount(account.id);
  }

  async updateAccount(id: string, patch: Partial<AccountInput>) {
    const current = await this.account(id);
    const merged = checkAccountInput({
      name: patch.name ?? current.name,
      appKey: patch.appKey ?? current.appKey,
      secretKey: patch.secretKey ?? current.appSecret,
      baseUrl: patch.baseUrl === undefined ? current.baseUrl : patch.baseUrl,
      quality: patch.quality ?? current.quality,
      enabled: patch.enabled ?? current.enabled,
    });
    const reconnect =
      merged.appKey !== current.appKey ||
      merged.secretKey !== current.appSecret ||
      merged.baseUrl !== current.baseUrl;
    const client = reconnect ? await this.verify(merged.appKey, merged.secretKey, merged.baseUrl) : undefined;
    const updated = await this.deps.store.cloud.updateAccount(id, {
      name: merged.name,
      appKey: merged.appKey,
      appSecret: merged.secretKey,
      baseUrl: merged.baseUrl,
      quality: merged.quality,
      enabled: merged.enabled,
    });
    if (!updated) throw new NotFoundError('cloud account', id);
    if (merged.quality !== current.quality) await this.renewQualityChange(id);
    const runner = this.runners.get(id);
    if (reconnect || !updated.enabled || !runner) {
      await this.stopRunner(id);
      if (updated.enabled && this.deps.settings.enabled) this.startRunner(updated, client ? { client } : {});
    } else {
      runner.setRecord(updated);
      runner.wake();
    }
    this.changed(id);
    return this.getAccount(id);
  }

  async removeAccount(id: string): Promise<void> {
    await this.account(id);
    await this.stopRunner(id);
    for (const camera of await this.deps.store.cloud.listCameras(id)) this.sources.forget(camera.id);
    await this.deps.store.cloud.deleteAccount(id);
    this.deps.logger.info({ accountId: id }, 'cloud account removed');
    this.changed(id);
  }

  /** Starts a sync (or joins the running one); `wait` resolves with its outcome. */
  async sync(id: string): Promise<CloudSyncOutcome> {
    return this.runnerOf(await this.account(id)).sync();
  }

  startSync(id: string): void {
    void this.sync(id).catch((error) =>
      this.deps.logger.error({ err: error, accountId: id }, 'cloud sync failed unexpectedly'),
    );
  }

  progress(id: string): SyncProgress | null {
    return this.runners.get(id)?.state().sync ?? null;
  }

  /** Every enabled account, synced one after another (the old backend's initialize). */
  async syncAll(): Promise<Array<{ account: CloudAccountRecord; outcome: CloudSyncOutcome }>> {
    const results = [];
    for (const account of await this.deps.store.cloud.listAccounts()) {
      if (!account.enabled) continue;
      results.push({ account, outcome: await this.runnerOf(account).sync() });
    }
    return results;
  }

  // Cameras

  async listCameras(accountId?: string) {
    const [accounts, cameras] = await Promise.all([
      this.deps.store.cloud.listAccounts(),
      this.deps.store.cloud.listCameras(accountId),
    ]);
    const byId = new Map(accounts.map((account) => [account.id, account]));
    return cameras.map((camera) => cameraView(camera, byId.get(camera.accountId), this.pathOf(camera.id)));
  }

  async getCamera(id: string) {
    const camera = await this.camera(id);
    const account = await this.deps.store.cloud.getAccount(camera.accountId);
    return cameraView(camera, account, this.pathOf(id));
  }

  async updateCamera(id: string, patch: CameraPatch) {
    const camera = await this.camera(id);
    const changes: Patch<CloudCameraRecord> = {};
    if (patch.enabled !== undefined) changes.enabled = patch.enabled;
    if (patch.streamCode !== undefined) {
      if (patch.streamCode !== null && !/^[A-Za-z0-9]{1,32}$/.test(patch.streamCode)) {
        throw new InputError(
          'streamCode: the verification code is letters and digits (6 on the device label)',
          'streamCode',
        );
      }
      changes.streamCode = patch.streamCode;
    }
    if (patch.quality !== undefined) changes.quality = patch.quality;
    const newUrlNeeded =
      (patch.quality !== undefined && patch.quality !== camera.quality) ||
      (patch.streamCode !== undefined && patch.streamCode !== camera.streamCode) ||
      (patch.enabled === true && !camera.enabled);
    if (newUrlNeeded) Object.assign(changes, { nextRenewalAt: null, renewFailures: 0 });
    if (patch.quality !== undefined && patch.quality !== camera.quality) {
      Object.assign(changes, { url: null, urlExpiresAt: null, status: 'pending' });
      this.sources.forget(id);
    }
    if (patch.enabled === false) this.sources.forget(id);
    await this.deps.store.cloud.updateCamera(id, changes);
    if (newUrlNeeded) this.runners.get(camera.accountId)?.wake();
    this.changed(camera.accountId);
    return this.getCamera(id);
  }

  /** Only cameras the cloud no longer lists: any other would come back at the next sync. */
  async removeCamera(id: string): Promise<void> {
    const camera = await this.camera(id);
    if (!camera.removedAt) {
      throw new ConflictError(
        `"${camera.name}" is still in HikCentral Connect and would come back at the next sync; disable it instead.`,
      );
    }
    this.sources.forget(id);
    await this.deps.store.cloud.deleteCamera(id);
    this.changed(camera.accountId);
  }

  // What other modules see

  /** Every cloud camera for media: the ones to serve with their live URL, the others without. */
  async externalCameras(): Promise<ExternalCamera[]> {
    const [accounts, cameras] = await Promise.all([
      this.deps.store.cloud.listAccounts(),
      this.deps.store.cloud.listCameras(),
    ]);
    const byId = new Map(accounts.map((account) => [account.id, account]));
    const result: ExternalCamera[] = [];
    // Every camera is listed, served or not, so its path name is kept while it is off.
    for (const camera of cameras) {
      const account = byId.get(camera.accountId);
      if (!account) continue;
      const serve = account.enabled && camera.enabled && !camera.removedAt && this.deps.settings.enabled;
      result.push({
        channelId: camera.id,
        ownerId: camera.accountId,
        name: camera.name,
        createdAt: camera.createdAt,
        stream: cloudStream(camera.quality ?? account.quality),
        source: serve ? this.sources.sourceFor(camera.id, camera.url) : null,
      });
    }
    return result;
  }

  async channels() {
    const [accounts, cameras] = await Promise.all([
      this.deps.store.cloud.listAccounts(),
      this.deps.store.cloud.listCameras(),
    ]);
    const byId = new Map(accounts.map((account) => [account.id, account]));
    return cameras.map((camera) => cloudChannelView(camera, byId.get(camera.accountId)));
  }

  async channel(id: string) {
    const camera = await this.deps.store.cloud.getCamera(id);
    if (!camera) return undefined;
    return cloudChannelView(camera, await this.deps.store.cloud.getAccount(camera.accountId));
  }

  /**
   * One frame. The path pulls from the cloud on demand: the first pull can fail at once while the
   * cloud's relay wakes up (seen under load), so a quick failure is tried once more.
   */
  private async grabOnce(id: string): Promise<Buffer> {
    const started = Date.now();
    try {
      return await this.deps.media.grabFrame(id);
    } catch (error) {
      if (Date.now() - started > QUICK_FAILURE_MS) throw error;
      this.deps.logger.debug({ cameraId: id, err: error }, 'cloud snapshot failed at once; trying again');
      return this.deps.media.grabFrame(id);
    }
  }

  /** A frame from the camera's live stream, shared by requests within a moment of each other. */
  snapshot(id: string): Promise<DeviceSnapshot> {
    const running = this.snapshots.get(id);
    if (running) return running;
    const grab = (async () => {
      const camera = await this.camera(id);
      if (!camera.enabled || camera.removedAt) {
        throw new AppError(
          'camera_disabled',
          409,
          `The cloud camera "${camera.name}" is disabled or removed.`,
        );
      }
      return { jpeg: await this.grabOnce(id), takenAt: Date.now(), source: 'stream' as const };
    })();
    this.snapshots.set(id, grab);
    const forget = () => {
      setTimeout(() => {
        if (this.snapshots.get(id) === grab) this.snapshots.delete(id);
      }, SNAPSHOT_REUSE_MS).unref();
    };
    grab.then(forget, () => this.snapshots.delete(id));
    return grab;
  }

  /** A camera's stream URLs for a viewer (with a viewer token). */
  streamsOf(cameraId: string, requestHost: string): StreamView[] {
    return this.deps.media.streams(cameraId, requestHost);
  }

  /** The MediaMTX path of a camera's stream, once media has named it. */
  pathOf(cameraId: string): string | null {
    return this.deps.media.pathName(cameraId) ?? null;
  }

  // Inner workings

  private view(account: CloudAccountRecord, cameras: CloudCameraRecord[]) {
    return accountView(
      account,
      this.runners.get(account.id)?.state(),
      cameras,
      this.deps.settings.defaultBaseUrl,
    );
  }

  private async account(id: string): Promise<CloudAccountRecord> {
    const account = await this.deps.store.cloud.getAccount(id);
    if (!account) throw new NotFoundError('cloud account', id);
    return account;
  }

  private async camera(id: string): Promise<CloudCameraRecord> {
    const camera = await this.deps.store.cloud.getCamera(id);
    if (!camera) throw new NotFoundError('cloud camera', id);
    return camera;
  }

  private runnerOf(account: CloudAccountRecord): AccountRunner {
    if (!this.deps.settings.enabled) {
      throw new AppError('cloud_disabled', 409, 'Cloud cameras are off (cloud.enabled is false).');
    }
    if (!account.enabled) {
      throw new AppError(
        'account_disabled',
        409,
        `The cloud account "${account.name}" is disabled; enable it first.`,
      );
    }
    return this.runners.get(account.id) ?? this.startRunner(account, { firstSync: false });
  }

  private startRunner(
    account: CloudAccountRecord,
    options: { firstSync?: boolean; client?: HccClient } = {},
  ): AccountRunner {
    const runner = new AccountRunner(
      account,
      {
        store: this.deps.store,
        logger: this.deps.logger.child({ accountId: account.id }),
        settings: this.deps.settings,
        clock: this.clock,
        sources: this.sources,
        ...(this.deps.dispatcher ? { dispatcher: this.deps.dispatcher } : {}),
        onChanged: (accountId) => this.changed(accountId),
      },
      options.client,
    );
    this.runners.set(account.id, runner);
    runner.start({ firstSync: options.firstSync ?? true });
    return runner;
  }

  private async stopRunner(id: string): Promise<void> {
    const runner = this.runners.get(id);
    this.runners.delete(id);
    await runner?.stop();
  }

  /** A new quality means other URLs: every camera following the account's quality gets one. */
  private async renewQualityChange(accountId: string): Promise<void> {
    for (const camera of await this.deps.store.cloud.listCameras(accountId)) {
      if (camera.quality !== null) continue;
      this.sources.forget(camera.id);
      await this.deps.store.cloud.updateCamera(camera.id, {
        url: null,
        urlExpiresAt: null,
        nextRenewalAt: null,
        status: camera.removedAt ? camera.status : 'pending',
      });
    }
  }

  /** A token for these credentials, or an error in words; the client then serves the account. */
  private async verify(appKey: string, secretKey: string, baseUrl: string): Promise<HccClient> {
    const client = accountClient(
      { appKey, appSecret: secretKey, baseUrl },
      {
        settings: this.deps.settings,
        clock: this.clock,
        ...(this.deps.dispatcher ? { dispatcher: this.deps.dispatcher } : {}),
      },
    );
    try {
      await client.verify();
      return client;
    } catch (error) {
      if (!(error instanceof HccError)) throw error;
      if (error.kind === 'credentials') throw new InputError(error.message, 'secretKey');
      throw new AppError('cloud_unreachable', 502, `${error.message} Nothing was saved.`);
    }
  }

  private changed(accountId: string): void {
    this.deps.media.requestSync();
    this.deps.bus.emit('cloud.cameras.changed', { accountId });
  }
}

interface CheckedAccount {
  name: string;
  appKey: string;
  secretKey: string;
  baseUrl: string;
  quality: CloudQuality;
  enabled: boolean;
}

function checkAccountInput(input: AccountInput): CheckedAccount {
  const name = input.name?.trim() ?? '';
  if (!name || name.length > 100) throw new InputError('name: 1 to 100 characters', 'name');
  for (const field of ['appKey', 'secretKey'] as const) {
    const value = input[field];
    if (typeof value !== 'string' || value.length < 1 || value.length > 64 || /\s/.test(value)) {
      throw new InputError(
        `${field}: 1 to 64 characters without spaces, as shown in the OpenAPI settings`,
        field,
      );
    }
  }
  let baseUrl = '';
  if (input.baseUrl) {
    try {
      const { url } = checkUserUrl(input.baseUrl, URL_RULES.cloud);
      baseUrl = url.origin;
    } catch (error) {
      if (error instanceof UrlPolicyError) throw new InputError(error.message, 'baseUrl');
      throw error;
    }
  }
  return {
    name,
    appKey: input.appKey,
    secretKey: input.secretKey,
    baseUrl,
    quality: input.quality ?? 'main',
    enabled: input.enabled ?? true,
  };
}

/** Needs media (paths, frames) and devices (cloud cameras listed as channels). */
export const cloudModule = defineModule({
  name: 'cloud',
  settings: (config) => config.cloud,
  create: ({ modules, store, bus, logger, settings }) => {
    const media = modules.get(mediaModule);
    const devices = modules.get(devicesModule);
    const cloud = new CloudModule({ store, bus, logger, settings, media });
    media.addExternalCameras(() => cloud.externalCameras());
    devices.addExternalChannels({
      list: () => cloud.channels(),
      get: (id) => cloud.channel(id),
      setEnabled: async (id, enabled) => {
        await cloud.updateCamera(id, { enabled });
        const view = await cloud.channel(id);
        if (!view) throw new NotFoundError('channel', id);
        return view;
      },
      snapshot: (id) => cloud.snapshot(id),
    });
    return cloud;
  },
});
