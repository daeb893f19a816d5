/**
 * The MQTT module: publishes devices and cloud cameras to Home Assistant (discovery), device
 * events and cloud camera status as entity states, pictures on snapshot topics, and carries out
 * lock and snapshot commands. It reads the store and listens on the bus (never the cloud module
 * itself); it owns nothing but what it published to the broker.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Bus, ControlsInventory, DeviceHealth, DoorbellCallEvent } from '../../core/bus.ts';
import type { GatewayEvent } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import type { Module } from '../../core/module.ts';
import type { Store } from '../../core/store/types.ts';
import type { DevicesModule } from '../devices/index.ts';
import {
  buildCloudAccountView,
  type CloudAccountView,
  type CloudCameraView,
  cloudDiscoveryMessages,
  cloudRetainedTopics,
  cloudStates,
} from './cloud.ts';
import { CommandHandler, type ControlRequest } from './commands.ts';
import { type ConnectionStatus, MqttConnection, readCaFile } from './connection.ts';
import {
  type DiscoveryMessage,
  discoveryMessages,
  nodeId,
  type Origin,
  PUBLISHED_KEY,
  type PublishedTopics,
  parsePublished,
  retainedTopics,
  staleTopics,
} from './discovery.ts';
import { buildView, type DeviceView, isControlKey } from './entities.ts';
import { registerMqttMetrics } from './metrics.ts';
import type { MessageKind, Outgoing } from './queue.ts';
import { SnapshotPublisher, type SnapshotTarget } from './snapshots.ts';
import { callAttributes, controlStates, effectsOf, eventAttributes, initialStates } from './states.ts';
import { Topics } from './topics.ts';

export interface MqttSettings {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  baseTopic: string;
  discoveryPrefix: string;
  discovery: boolean;
  clientId?: string | undefined;
  retainStates: boolean;
  snapshotOnEvent: boolean;
  keepaliveSeconds: number;
  /** PEM file of the CA that signed the broker's certificate (mqtts:// with a private CA). */
  caFile?: string | undefined;
  /** hikbridge's version, for the discovery `origin`. */
  version: string;
  /** The gateway's public address (server.publicUrl), shown as `origin.support_url`. */
  supportUrl?: string | undefined;
  /** `cloud.enabled`: when off, cloud cameras stay in Home Assistant as unavailable (default on). */
  cloudEnabled?: boolean;
  /** Reconnect back-off bounds (tests shorten them). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface MqttModuleDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  devices: Pick<
    DevicesModule,
    | 'snapshot'
    | 'doorCommand'
    | 'doorCommands'
    | 'health'
    | 'retryLogin'
    | 'callAction'
    | 'resetTamper'
    | 'tamperState'
  >;
  settings: MqttSettings;
  /** Where the connection gauge and the dropped-message counter go (/metrics); tests may leave it out. */
  metrics?: Registry;
}

const NOTHING_PUBLISHED: PublishedTopics = { configs: [], retained: [] };
const ONLINE = 'online';
const OFFLINE = 'offline';
const RING_EVENT = JSON.stringify({ event_type: 'ring' });
/** Entity keys the module publishes to outside of device events (entities.ts). */
const CALL_KEY = 'call';
const TAMPER_KEY = 'tamper';
/** Longest pause between two back-to-back discovery syncs (see requestSync). */
const MAX_SYNC_PAUSE_MS = 2000;

export class MqttModule implements Module {
  readonly name = 'mqtt';
  private readonly topics: Topics;
  private readonly connection: MqttConnection;
  private readonly snapshots: SnapshotPublisher;
  private readonly commands: CommandHandler;
  private readonly origin: Origin;
  private views = new Map<string, DeviceView>();
  /** The last controls inventory per device (bus `controls.inventory`): switches, PTZ, disks. */
  private readonly inventories = new Map<string, ControlsInventory>();
  /** Devices the controls module has spoken of since the start (an inventory, or null). */
  private readonly inventoryKnown = new Set<string>();
  /** Last state per topic, sent again when Home Assistant or the connection comes back. */
  private readonly stateCache = new Map<string, Outgoing>();
  /** Cloud accounts as published, by account id. */
  private cloudViews = new Map<string, CloudAccountView>();
  /** Published cloud cameras by node (`cloud/<cameraId>`): commands and pictures find them here. */
  private readonly cloudNodes = new Map<string, CloudCameraView>();
  /** Availability last sent per cloud camera node on the current connection. */
  private readonly cloudAvailability = new Map<string, boolean>();
  /**
   * Digests of the discovery configs sent on the current connection, to send only what changed
   * (a digest instead of the JSON: about 8 MB less at 1000 devices).
   */
  private readonly sentConfigs = new Map<string, string>();
  /** Devices whose availability was sent on the current connection. */
  private readonly sentAvailability = new Set<string>();
  /** Lasting-state topics already reset to OFF by this process (see initialStates). */
  private readonly initialised = new Set<string>();
  /**
   * Topics published per device (and per cloud account, as `cloud:<accountId>`) on the current
   * connection: what to clear when it changes.
   */
  private readonly published = new Map<string, PublishedTopics>();
  private readonly unsubscribers: Array<() => void> = [];
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  private fullSyncPending = false;
  /** Devices changed since the last sync (added, updated, removed, channels changed). */
  private readonly changedDevices = new Set<string>();
  /** Cloud accounts whose cameras changed since the last sync. */
  private readonly changedAccounts = new Set<string>();
  private stopping = false;

  constructor(private readonly deps: MqttModuleDeps) {
    const { settings, logger } = deps;
    this.topics = new Topics(settings.baseTopic, settings.discoveryPrefix);
    this.origin = {
      name: 'hikbridge',
      sw_version: settings.version,
      ...(settings.supportUrl ? { support_url: settings.supportUrl } : {}),
    };
    this.connection = this.createConnection();
    this.snapshots = new SnapshotPublisher(
      (channelId) => deps.devices.snapshot(channelId),
      (target, jpeg) => this.publishPicture(target, jpeg),
      logger,
    );
    this.commands = new CommandHandler({
      topics: this.topics,
      logger,
      view: (node) => this.views.get(node) ?? this.cloudNodes.get(node),
      doorCommand: (deviceId, door, command) => deps.devices.doorCommand(deviceId, door, command),
      doorCommands: (deviceId) => deps.devices.doorCommands(deviceId),
      retryLogin: (deviceId) => deps.devices.retryLogin(deviceId),
      callAction: (deviceId, action) => deps.devices.callAction(deviceId, action),
      resetTamper: (deviceId) => deps.devices.resetTamper(deviceId),
      control: (deviceId, control) => this.control(deviceId, control),
      snapshots: this.snapshots,
      clearRetained: (topic) => this.send(topic, '', true, 'config'),
    });
  }

  async start(): Promise<void> {
    // First: a CA file that cannot be read stops the start before anything runs (connecting
    // without it would only fail later).
    const { caFile } = this.deps.settings;
    const ca = caFile ? await readCaFile(caFile) : undefined;
    // Entities are known before the first event; their states are sent at connect (syncAll).
    await this.reloadViews();
    await this.reloadCloudViews();
    const { bus } = this.deps;
    this.unsubscribers.push(
      bus.on('event', (event) => this.onEvent(event)),
      bus.on('device.health', (health) => this.onHealth(health)),
      bus.on('device.added', ({ deviceId }) => void this.requestSync(deviceId)),
      bus.on('device.updated', ({ deviceId }) => void this.requestSync(deviceId)),
      bus.on('device.removed', ({ deviceId }) => void this.requestSync(deviceId)),
      bus.on('channels.changed', ({ deviceId }) => void this.requestSync(deviceId)),
      // An entity switched off leaves Home Assistant; switched on again, it comes back.
      bus.on('entities.changed', ({ deviceId }) => void this.requestSync(deviceId)),
      bus.on('doorbell.call', (call) => this.onCall(call)),
      // What the controls module read of a device: its switches, PTZ and disks come and go with it.
      bus.on('controls.inventory', ({ deviceId, inventory }) => {
        this.inventoryKnown.add(deviceId);
        if (inventory) this.inventories.set(deviceId, inventory);
        else this.inventories.delete(deviceId);
        void this.requestSync(deviceId);
      }),
      bus.on('cloud.cameras.changed', ({ accountId }) => void this.requestCloudSync(accountId)),
      // The latch is the tamper sensor's truth: a reset turns it off without any device event.
      bus.on('tamper.changed', ({ deviceId, latched }) => {
        if (this.views.get(deviceId)?.keys.has(TAMPER_KEY)) {
          this.publishState(this.topics.state(deviceId, TAMPER_KEY), latched ? 'ON' : 'OFF');
        }
      }),
    );
    // Not awaited: the gateway runs without its broker and keeps trying in the background.
    this.connection.start(ca);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    await this.syncing;
    await this.connection.stop({
      topic: this.topics.bridgeState(),
      payload: OFFLINE,
      retain: true,
      kind: 'availability',
    });
  }

  /** For `/health`: whether the broker connection is up and, if not, why (never a credential). */
  async healthReport(): Promise<{ broker: ConnectionStatus['state']; problem?: string }> {
    const { state, problem } = this.connection.status;
    return { broker: state, ...(problem ? { problem } : {}) };
  }

  private createConnection(): MqttConnection {
    const { settings, logger } = this.deps;
    const metrics = this.deps.metrics
      ? registerMqttMetrics(this.deps.metrics, () => this.connection.connected)
      : undefined;
    return new MqttConnection({
      url: settings.url,
      username: settings.username,
      password: settings.password,
      clientId: settings.clientId ?? `hikbridge-${randomBytes(4).toString('hex')}`,
      keepaliveSeconds: settings.keepaliveSeconds,
      will: { topic: this.topics.bridgeState(), payload: OFFLINE },
      logger,
      onConnect: () => this.onConnect(),
      onMessage: (topic, payload, retained) => this.onMessage(topic, payload, retained),
      ...(metrics ? { onDropped: metrics.dropped } : {}),
      ...(settings.minBackoffMs ? { minBackoffMs: settings.minBackoffMs } : {}),
      ...(settings.maxBackoffMs ? { maxBackoffMs: settings.maxBackoffMs } : {}),
    });
  }

  private onConnect(): void {
    this.send(this.topics.bridgeState(), ONLINE, true, 'availability');
    this.connection.subscribe([
      this.topics.commandFilter(),
      this.topics.cloudCommandFilter(),
      this.topics.homeAssistantStatus(),
    ]);
    void this.requestSync('full');
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    if (topic === this.topics.homeAssistantStatus()) {
      // Home Assistant (re)started: it forgets non-retained states and wants every config again.
      if (payload.toString('utf8').trim() === ONLINE) void this.requestSync('full');
      return;
    }
    void this.commands.handle(topic, payload, retained);
  }

  /** Hands a command to the controls module over the bus; it must claim it, or nothing happens. */
  private control(deviceId: string, control: ControlRequest): Promise<void> {
    let done: Promise<void> | undefined;
    this.deps.bus.emit('controls.command', {
      ...control,
      deviceId,
      claim: (work) => {
        done = work;
      },
    });
    return (
      done ?? Promise.reject(new Error('the controls module is not running: the command was not carried out'))
    );
  }

  private onHealth(health: DeviceHealth): void {
    // Unknown devices get theirs from the next sync, which also publishes their discovery.
    if (!this.views.has(health.deviceId)) return;
    this.publishAvailability(health.deviceId, health.state === 'online');
  }

  private onCall(call: DoorbellCallEvent): void {
    if (!this.views.get(call.deviceId)?.keys.has(CALL_KEY)) return;
    this.publishState(this.topics.state(call.deviceId, CALL_KEY), call.state);
    this.publishState(this.topics.attributes(call.deviceId, CALL_KEY), JSON.stringify(callAttributes(call)));
  }

  private onEvent(event: GatewayEvent): void {
    const view = this.views.get(event.deviceId);
    if (view) {
      this.applyEvent(view, event);
      return;
    }
    // A device added a moment ago: load it, then try once more.
    void this.requestSync(event.deviceId).then(() => {
      const loaded = this.views.get(event.deviceId);
      if (loaded) this.applyEvent(loaded, event);
    });
  }

  private applyEvent(view: DeviceView, event: GatewayEvent): void {
    const effects = effectsOf(event, view);
    const deviceId = view.device.id;
    // The ring goes first: it is what a phone notification waits for.
    if (effects.ring) this.send(this.topics.state(deviceId, 'ring'), RING_EVENT, false, 'event');
    if (effects.states.length > 0) {
      const attributes = JSON.stringify(eventAttributes(event));
      for (const update of effects.states) {
        this.publishState(this.topics.state(deviceId, update.key), update.payload);
        this.publishState(this.topics.attributes(deviceId, update.key), attributes);
      }
    }
    if (effects.motion) {
      this.publishState(this.topics.plainMotion(deviceId, effects.motion.channelNo), effects.motion.payload);
    }
    if (effects.snapshot && this.deps.settings.snapshotOnEvent) {
      const { id, channelNo } = effects.snapshot;
      void this.snapshots.request({ deviceId, channelId: id, channelNo }, event.kind);
    }
  }

  /** A full sync, or one of a device (added, changed, removed, its channels changed). */
  private requestSync(scope: 'full' | string): Promise<void> {
    if (scope === 'full') this.fullSyncPending = true;
    else this.changedDevices.add(scope);
    return this.runSyncs();
  }

  /** The cameras of a cloud account were added, changed or removed (or the account itself). */
  private requestCloudSync(accountId: string): Promise<void> {
    this.changedAccounts.add(accountId);
    return this.runSyncs();
  }

  /**
   * Runs syncs one at a time; requests made during a sync cause one more run after it. A full
   * sync (connect, Home Assistant back online) brings every device and cloud camera in line;
   * otherwise only the devices and cloud accounts changed since the last run are, so adding
   * 1000 devices stays linear.
   */
  private runSyncs(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    const run = async () => {
      do {
        this.syncAgain = false;
        const fullRun = this.fullSyncPending;
        const changed = [...this.changedDevices];
        const accounts = [...this.changedAccounts];
        this.fullSyncPending = false;
        this.changedDevices.clear();
        this.changedAccounts.clear();
        const started = performance.now();
        if (fullRun) await this.syncAll();
        else {
          if (changed.length > 0) await this.syncDevices(changed);
          if (accounts.length > 0) await this.syncCloudAccounts(accounts);
        }
        // While devices are added in bulk, requests keep coming: leave the event loop twice the
        // sync's time before the next one, so events never wait behind back-to-back syncs.
        if (this.syncAgain && !this.stopping)
          await sleep(Math.min(MAX_SYNC_PAUSE_MS, 2 * (performance.now() - started)));
      } while (this.syncAgain && !this.stopping);
    };
    this.syncing = run()
      .catch((error: unknown) => this.deps.logger.error({ err: error }, 'MQTT discovery sync failed'))
      .finally(() => {
        this.syncing = undefined;
      });
    return this.syncing;
  }

  /**
   * Brings the broker in line with the store: every config and availability again, empty
   * retained payloads for entities that went away (also those removed while hikbridge was not
   * running), and the cached states.
   */
  private async syncAll(): Promise<void> {
    await this.reloadViews();
    await this.reloadCloudViews();
    if (!this.connection.connected) return; // the connect handler asks for a full sync
    this.sentConfigs.clear();
    this.sentAvailability.clear();
    this.cloudAvailability.clear();
    this.published.clear();
    const previous = parsePublished(await this.deps.store.settings.get(PUBLISHED_KEY));
    for (const view of this.views.values()) {
      const deviceId = view.device.id;
      this.published.set(deviceId, this.withHeldControls(deviceId, this.publishDiscovery(view), previous));
    }
    for (const account of this.cloudViews.values()) {
      this.published.set(cloudKey(account.accountId), this.publishCloudDiscovery(account));
    }
    // Also what went away while hikbridge was not running.
    this.clearStale(staleTopics(previous, this.allPublished()));
    await this.savePublished(previous);
    for (const deviceId of this.views.keys()) this.publishAvailabilityOnce(deviceId);
    for (const account of this.cloudViews.values()) {
      this.publishCloudAvailability(account);
      // Into the cache only: the loop below sends every cached state.
      this.updateCloudStates(account, false);
    }
    for (const message of this.stateCache.values()) this.connection.publish(message);
  }

  /** Brings the changed devices in line: their views, configs and stale topics only. */
  private async syncDevices(deviceIds: string[]): Promise<void> {
    for (const deviceId of deviceIds) await this.reloadView(deviceId);
    if (!this.connection.connected) return; // the connect handler asks for a full sync
    const before = this.allPublished();
    for (const deviceId of deviceIds) {
      const view = this.views.get(deviceId);
      const previous = this.published.get(deviceId) ?? NOTHING_PUBLISHED;
      const current = view
        ? this.withHeldControls(deviceId, this.publishDiscovery(view), previous)
        : NOTHING_PUBLISHED;
      this.clearStale(staleTopics(previous, current));
      if (view) {
        this.published.set(deviceId, current);
        this.publishAvailabilityOnce(deviceId);
      } else this.published.delete(deviceId);
    }
    await this.savePublished(before);
  }

  /** Brings the changed cloud accounts in line: their cameras' configs, availability, states. */
  private async syncCloudAccounts(accountIds: string[]): Promise<void> {
    for (const accountId of accountIds) await this.reloadCloudAccount(accountId);
    if (!this.connection.connected) return; // the connect handler asks for a full sync
    const before = this.allPublished();
    for (const accountId of accountIds) {
      const key = cloudKey(accountId);
      const account = this.cloudViews.get(accountId);
      const previous = this.published.get(key) ?? NOTHING_PUBLISHED;
      const current = account ? this.publishCloudDiscovery(account) : NOTHING_PUBLISHED;
      this.clearStale(staleTopics(previous, current));
      if (account) {
        this.published.set(key, current);
        this.publishCloudAvailability(account);
        this.updateCloudStates(account, true);
      } else this.published.delete(key);
    }
    await this.savePublished(before);
  }

  /**
   * Until the controls module has read a device since the start, its control entities published
   * before stay as they are (kept in `current`, not sent again): removing them at every restart
   * and adding them back moments later would make Home Assistant drop their settings. Its next
   * inventory (or null) decides.
   */
  private withHeldControls(
    deviceId: string,
    current: PublishedTopics,
    previous: PublishedTopics,
  ): PublishedTopics {
    if (this.inventoryKnown.has(deviceId) || !this.deps.settings.discovery) return current;
    const held = (list: string[], kept: string[], owner: (topic: string) => string | undefined) => {
      const have = new Set(kept);
      return list.filter((topic) => !have.has(topic) && owner(topic) !== undefined);
    };
    const node = nodeId(deviceId);
    const configKey = (topic: string) => {
      const parts = topic.split('/');
      const key = parts.at(-2);
      return parts.at(-1) === 'config' && parts.at(-3) === node && key && isControlKey(key) ? key : undefined;
    };
    const prefix = this.topics.devicePrefix(deviceId);
    const stateKey = (topic: string) => {
      if (!topic.startsWith(prefix)) return undefined;
      const key = topic.slice(prefix.length).split('/')[0];
      return key && isControlKey(key) ? key : undefined;
    };
    return {
      configs: [...current.configs, ...held(previous.configs, current.configs, configKey)],
      retained: [...current.retained, ...held(previous.retained, current.retained, stateKey)],
    };
  }

  /** Sends the device's discovery configs that changed; returns every topic it publishes. */
  private publishDiscovery(view: DeviceView): PublishedTopics {
    return this.publishConfigs(retainedTopics(view, this.topics), () =>
      discoveryMessages(view, this.topics, this.origin),
    );
  }

  /** The same for the cameras of a cloud account. */
  private publishCloudDiscovery(account: CloudAccountView): PublishedTopics {
    return this.publishConfigs(
      account.cameras.flatMap((camera) => cloudRetainedTopics(camera, this.topics)),
      () => account.cameras.flatMap((camera) => cloudDiscoveryMessages(camera, this.topics, this.origin)),
    );
  }

  /** `messages` is only built when discovery is on. */
  private publishConfigs(retained: string[], messages: () => DiscoveryMessage[]): PublishedTopics {
    const configs: string[] = [];
    if (!this.deps.settings.discovery) return { configs, retained };
    for (const message of messages()) {
      configs.push(message.topic);
      const json = JSON.stringify(message.payload);
      const digest = configDigest(json);
      if (this.sentConfigs.get(message.topic) === digest) continue;
      this.send(message.topic, json, true, 'config');
      this.sentConfigs.set(message.topic, digest);
    }
    return { configs, retained };
  }

  private clearStale(stale: PublishedTopics): void {
    // Configs first, so Home Assistant drops the entity before its state topics are emptied.
    for (const topic of stale.configs) {
      this.send(topic, '', true, 'config');
      this.sentConfigs.delete(topic);
    }
    for (const topic of stale.retained) {
      this.send(topic, '', true, 'config');
      // Not sent again at the next connect; an entity switched on again starts afresh.
      this.stateCache.delete(topic);
      this.initialised.delete(topic);
    }
    if (stale.configs.length > 0) {
      this.deps.logger.info({ removed: stale.configs.length }, 'removed stale Home Assistant entities');
    }
  }

  private allPublished(): PublishedTopics {
    const all: PublishedTopics = { configs: [], retained: [] };
    for (const topics of this.published.values()) {
      for (const topic of topics.configs) all.configs.push(topic);
      for (const topic of topics.retained) all.retained.push(topic);
    }
    return all;
  }

  /** Remembers in the store what is published, so a restart can clear what went away meanwhile. */
  private async savePublished(previous: PublishedTopics): Promise<void> {
    const current = this.allPublished();
    if (!sameTopics(previous, current)) await this.deps.store.settings.set(PUBLISHED_KEY, current);
  }

  private async reloadViews(): Promise<void> {
    const { store } = this.deps;
    const [devices, channels, entities] = await Promise.all([
      store.devices.list(),
      store.channels.list(),
      store.entities.list(),
    ]);
    const views = new Map<string, DeviceView>();
    for (const device of devices) {
      const own = <T extends { deviceId: string }>(list: T[]) => list.filter((r) => r.deviceId === device.id);
      views.set(device.id, buildView(device, own(channels), own(entities), this.inventories.get(device.id)));
    }
    for (const deviceId of this.views.keys()) if (!views.has(deviceId)) this.forget(deviceId);
    // Inventories of removed devices are dropped by their own sync (reloadView): one that came for a
    // device added while this list was read must not be lost here.
    this.views = views;
    for (const view of views.values()) this.publishInitialStates(view);
  }

  private async reloadCloudViews(): Promise<void> {
    const { cloud } = this.deps.store;
    const [accounts, cameras] = await Promise.all([cloud.listAccounts(), cloud.listCameras()]);
    const current = new Set(accounts.map((account) => account.id));
    for (const accountId of [...this.cloudViews.keys()]) {
      if (!current.has(accountId)) this.applyCloudView(accountId, undefined);
    }
    for (const account of accounts) {
      const own = cameras.filter((camera) => camera.accountId === account.id);
      this.applyCloudView(account.id, this.buildCloudView(account, own));
    }
  }

  private async reloadCloudAccount(accountId: string): Promise<void> {
    const { cloud } = this.deps.store;
    const [account, cameras] = await Promise.all([cloud.getAccount(accountId), cloud.listCameras(accountId)]);
    this.applyCloudView(accountId, account ? this.buildCloudView(account, cameras) : undefined);
  }

  private buildCloudView(
    account: Parameters<typeof buildCloudAccountView>[0],
    cameras: Parameters<typeof buildCloudAccountView>[1],
  ): CloudAccountView {
    return buildCloudAccountView(account, cameras, this.deps.settings.cloudEnabled !== false, this.topics);
  }

  /** Replaces an account's view; cameras no longer in it are forgotten (the broker side is cleared by sync). */
  private applyCloudView(accountId: string, account: CloudAccountView | undefined): void {
    const kept = new Set(account?.cameras.map((camera) => camera.node));
    for (const camera of this.cloudViews.get(accountId)?.cameras ?? []) {
      if (kept.has(camera.node)) continue;
      this.cloudNodes.delete(camera.node);
      this.cloudAvailability.delete(camera.node);
      this.forget(camera.node);
    }
    for (const camera of account?.cameras ?? []) this.cloudNodes.set(camera.node, camera);
    if (account) this.cloudViews.set(accountId, account);
    else this.cloudViews.delete(accountId);
  }

  private async reloadView(deviceId: string): Promise<void> {
    const { store } = this.deps;
    const [device, channels, entities] = await Promise.all([
      store.devices.get(deviceId),
      store.channels.listByDevice(deviceId),
      store.entities.listByDevice(deviceId),
    ]);
    if (!device) {
      this.inventories.delete(deviceId);
      this.inventoryKnown.delete(deviceId);
      if (this.views.delete(deviceId)) this.forget(deviceId);
      return;
    }
    const view = buildView(device, channels, entities, this.inventories.get(deviceId));
    this.views.set(deviceId, view);
    this.publishInitialStates(view);
  }

  private publishInitialStates(view: DeviceView): void {
    const deviceId = view.device.id;
    for (const update of initialStates(view)) {
      const topic = this.topics.state(deviceId, update.key);
      if (this.initialised.has(topic)) continue;
      this.initialised.add(topic);
      this.publishState(topic, update.payload);
    }
    for (const channel of view.channels) {
      const topic = this.topics.plainMotion(deviceId, channel.channelNo);
      if (this.initialised.has(topic)) continue;
      this.initialised.add(topic);
      this.publishState(topic, 'OFF');
    }
    this.publishTamperLatch(view);
    this.publishControlStates(view);
  }

  /** The controls entities' states, those that changed (a switch read back after a command...). */
  private publishControlStates(view: DeviceView): void {
    const deviceId = view.device.id;
    const inventory = this.inventories.get(deviceId);
    if (!inventory) return;
    for (const update of controlStates(view, inventory)) {
      const topic = this.topics.state(deviceId, update.key);
      if (this.stateCache.get(topic)?.payload !== update.payload) this.publishState(topic, update.payload);
    }
  }

  /**
   * The tamper sensor shows the latch, which outlives restarts: its state is sent when the sensor
   * appears (start, device added, switched on again), not only when the latch changes.
   */
  private publishTamperLatch(view: DeviceView): void {
    const deviceId = view.device.id;
    const topic = this.topics.state(deviceId, TAMPER_KEY);
    if (!view.keys.has(TAMPER_KEY) || this.initialised.has(topic)) return;
    this.initialised.add(topic);
    this.deps.devices.tamperState(deviceId).then(
      ({ latched }) => {
        // Switched off or removed meanwhile: its topic was emptied and must stay so.
        if (this.views.get(deviceId)?.keys.has(TAMPER_KEY)) this.publishState(topic, latched ? 'ON' : 'OFF');
      },
      (error: unknown) => this.deps.logger.debug({ deviceId, err: error }, 'no tamper latch state'),
    );
  }

  /**
   * Drops what this process remembers of a removed device or cloud camera node (the broker side
   * is cleared by sync).
   */
  private forget(deviceId: string): void {
    const prefix = this.topics.devicePrefix(deviceId);
    for (const topic of [...this.stateCache.keys()])
      if (topic.startsWith(prefix)) this.stateCache.delete(topic);
    for (const topic of [...this.initialised]) if (topic.startsWith(prefix)) this.initialised.delete(topic);
    this.sentAvailability.delete(deviceId);
  }

  private publishAvailabilityOnce(deviceId: string): void {
    if (this.sentAvailability.has(deviceId)) return;
    this.publishAvailability(deviceId, this.deps.devices.health(deviceId)?.state === 'online');
  }

  private publishAvailability(deviceId: string, online: boolean): void {
    this.sentAvailability.add(deviceId);
    this.send(this.topics.availability(deviceId), online ? ONLINE : OFFLINE, true, 'availability');
  }

  /** Availability of an account's cameras, sent when it changed (or not yet on this connection). */
  private publishCloudAvailability(account: CloudAccountView): void {
    for (const camera of account.cameras) {
      if (this.cloudAvailability.get(camera.node) === account.available) continue;
      this.cloudAvailability.set(camera.node, account.available);
      this.send(
        this.topics.availability(camera.node),
        account.available ? ONLINE : OFFLINE,
        true,
        'availability',
      );
    }
  }

  /** The cameras' online/status states into the cache; with `send`, those that changed go out too. */
  private updateCloudStates(account: CloudAccountView, send: boolean): void {
    for (const camera of account.cameras) {
      for (const { topic, payload } of cloudStates(camera, this.topics)) {
        if (!send) this.stateCache.set(topic, this.stateMessage(topic, payload));
        else if (this.stateCache.get(topic)?.payload !== payload) this.publishState(topic, payload);
      }
    }
  }

  private stateMessage(topic: string, payload: string): Outgoing {
    return { topic, payload, retain: this.deps.settings.retainStates, kind: 'state' };
  }

  private publishState(topic: string, payload: string): void {
    const message = this.stateMessage(topic, payload);
    this.stateCache.set(topic, message);
    this.connection.publish(message);
  }

  private publishPicture(target: SnapshotTarget, jpeg: Buffer): void {
    const retain = this.deps.settings.retainStates;
    // A picture of a device or cloud camera removed while it was being taken must not come back
    // as a retained topic.
    const cloud = this.cloudNodes.get(target.deviceId);
    if (cloud) this.send(this.topics.cloudSnapshot(cloud.camera.id), jpeg, retain, 'image');
    else if (this.views.has(target.deviceId)) {
      this.send(this.topics.plainSnapshot(target.deviceId, target.channelNo), jpeg, retain, 'image');
    }
  }

  private send(topic: string, payload: string | Buffer, retain: boolean, kind: MessageKind): void {
    this.connection.publish({ topic, payload, retain, kind });
  }
}

/** The `published` key of a cloud account (device ids are UUIDs: no clash). */
function cloudKey(accountId: string): string {
  return `cloud:${accountId}`;
}

function configDigest(json: string): string {
  return createHash('sha256').update(json).digest('base64url').slice(0, 22);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sameTopics(a: PublishedTopics, b: PublishedTopics): boolean {
  const same = (x: string[], y: string[]) => x.length === y.length && x.every((topic, i) => topic === y[i]);
  return same(a.configs, b.configs) && same(a.retained, b.retained);
}
