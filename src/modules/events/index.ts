/**
 * The events module: one alertStream per device (plus call-status polling for doorbells),
 * alerts turned into the common event model with episodes, announced on the bus at once,
 * then stored with their pictures, and pruned by the retention policy.
 */
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Bus, DoorbellCallEvent } from '../../core/bus.ts';
import type { Config } from '../../core/config/index.ts';
import type { DetectionTarget, EventKind, EventState, GatewayEvent } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import { defineModule, type Module } from '../../core/module.ts';
import type { DeviceRecord, Store } from '../../core/store/types.ts';
import type { AlertImage, RawAlert } from '../../protocols/isapi/alert-stream/index.ts';
import { withDeviceZone } from '../../protocols/isapi/clock.ts';
import { type DevicesModule, devicesModule } from '../devices/index.ts';
import { AlertConnection } from './alert-connection.ts';
import { type CallState, CallStatusPoller } from './call-status.ts';
import { attributesOf, isLasting, kindOfAccessCode, kindOfEventType, targetsOf } from './classify.ts';
import { DeviceClock } from './device-clock.ts';
import { type EpisodeKey, EpisodeTracker } from './episodes.ts';
import { EventWriter, isJpeg, newEventId, SnapshotFiles } from './event-store.ts';
import { EventHub, eventRoutes } from './live/index.ts';
import { type EventMetrics, type PictureRefusal, registerEventMetrics } from './metrics.ts';
import { PushListener } from './push-listener.ts';
import { type DropReason, explainDrop, replayReason } from './replays.ts';
import { callStateWords, RingSources } from './ring-sources.ts';
import { tamperAsMotion, tamperSensorOn, tamperSwitchNote } from './tamper-as-motion.ts';

export type EventsSettings = Config['events'];

export interface EventsModuleDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  devices: DevicesModule;
  dataDir: string;
  settings: EventsSettings;
  /** Where the event counter goes (the gateway's /metrics); tests may leave it out. */
  metrics?: Registry;
}

/** What the module keeps per supervised device. */
interface Attached {
  device: DeviceRecord;
  connection: AlertConnection;
  poller: CallStatusPoller | undefined;
  /** channelNo -> store channel id. */
  channels: Map<number, string>;
  /** The device clock's offset from ours: alerts are judged by the device's own time. */
  clock: DeviceClock;
  /** When the current event stream opened (our clock); alerts from before it are replays. */
  streamOpenedAt: number | undefined;
  /** What was already logged for this device: each drop reason (or refusal) once, then counted. */
  told: Set<DropReason | PictureRefusal>;
  /** Start events waiting for a picture part, per channel number. */
  lastStart: Map<number, GatewayEvent>;
  /** Off when the user switched the tamper entity off: tamper alarms are then reported as motion. */
  tamperSensorOn: boolean;
}

const PICTURE_WAIT_MS = 400;
const PRUNE_EVERY_MS = 3600_000;
/** A reopened stream reuses a clock measurement this recent instead of waiting for a new one. */
const CLOCK_FRESH_MS = 30_000;
/** An alert dropped by its time measures the clock again (it may have been set), at most this often. */
const CLOCK_RECHECK_MS = 60_000;

type AlertSource = 'stream' | 'push';

export class EventsModule implements Module {
  readonly name = 'events';
  readonly snapshots: SnapshotFiles;
  readonly routes;
  /** Live delivery to SSE and WebSocket clients. */
  private readonly hub: EventHub;
  private readonly settings: EventsSettings;
  private readonly attached = new Map<string, Attached>();
  private readonly episodes: EpisodeTracker;
  private readonly rings: RingSources;
  private readonly writer: EventWriter;
  private readonly metrics: EventMetrics;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly pendingPictures = new Set<string>();
  private pruneTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private push: PushListener | undefined;
  /** Where the push listener listens, when enabled. */
  pushAddress: { host: string; port: number } | undefined;
  /** Work started by bus events; awaited on stop so nothing touches a closed store. */
  private readonly tasks = new Set<Promise<void>>();

  constructor(private readonly deps: EventsModuleDeps) {
    this.settings = deps.settings;
    this.snapshots = new SnapshotFiles(join(deps.dataDir, 'snapshots'));
    this.hub = new EventHub(
      deps.bus,
      deps.store,
      deps.logger.child({ part: 'event-stream' }),
      this.settings.stream,
    );
    this.routes = eventRoutes(this.hub, deps.store, this.snapshots.dir);
    this.metrics = registerEventMetrics(deps.metrics, deps.bus);
    this.writer = new EventWriter(deps.store, deps.logger);
    this.episodes = new EpisodeTracker(
      {
        quietMs: this.settings.quietSeconds * 1000,
        updateEveryMs: this.settings.updateEverySeconds * 1000,
        maxOpen: 10_000,
      },
      (key) => this.emitEnd(key, 'quiet period'),
    );
    // A doorbell's status may say `ring` for up to a poll (and a request) after SIP saw the end.
    this.rings = new RingSources(this.settings.callStatusPollMs * 2 + 2000);
  }

  async start(): Promise<void> {
    const { bus, store } = this.deps;
    this.hub.start();
    this.unsubscribe.push(
      bus.on('device.added', ({ deviceId }) => this.background(() => this.reattach(deviceId))),
      bus.on('device.updated', ({ deviceId, reconnect }) =>
        this.background(() =>
          reconnect || !this.attached.has(deviceId)
            ? this.reattach(deviceId)
            : this.refreshChannelsAndEntities(deviceId),
        ),
      ),
      bus.on('device.removed', ({ deviceId }) => this.background(() => this.detach(deviceId))),
      bus.on('channels.changed', ({ deviceId }) =>
        this.background(() => this.refreshChannelsAndEntities(deviceId)),
      ),
      bus.on('entities.changed', ({ deviceId }) =>
        this.background(() => this.refreshChannelsAndEntities(deviceId)),
      ),
      bus.on('doorbell.call', (call) => {
        if (call.source === 'sip') this.onSipCall(call);
      }),
    );
    for (const device of await store.devices.list()) await this.attach(device);
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
    if (this.settings.push.enabled) await this.startPushListener();
  }

  private async startPushListener(): Promise<void> {
    this.push = new PushListener(
      {
        resolve: (pathId, remote) => this.deviceForPush(pathId, remote),
        onAlert: (deviceId, alert) => {
          const attached = this.attached.get(deviceId);
          if (attached) this.whenClockKnown(attached, () => this.onAlert(attached, alert, 'push'));
        },
        onImage: (deviceId, image, previous) => {
          const attached = this.attached.get(deviceId);
          if (attached) this.whenClockKnown(attached, () => void this.onImage(attached, image, previous));
        },
      },
      this.deps.logger.child({ source: 'push' }),
    );
    const { address, port } = await this.push.start(this.settings.push.host, this.settings.push.port);
    this.pushAddress = { host: address, port };
    this.deps.logger.info({ host: address, port }, 'listening for pushed events');
  }

  /**
   * A pushed part is judged once the device's clock is known: devices that only push have no
   * stream whose opening measures it, so the first post does (when the device is verified online).
   */
  private whenClockKnown(attached: Attached, judge: () => void): void {
    const verified = this.deps.devices.supervisor.health(attached.device.id)?.state === 'online';
    if (!attached.clock.reading && verified) attached.clock.refresh(CLOCK_RECHECK_MS, { holdAlerts: true });
    attached.clock.whenKnown(judge);
  }

  /** By the id in the path, else by the sender's address when exactly one device has it. */
  private deviceForPush(pathId: string | undefined, remote: string): string | undefined {
    if (pathId) return this.attached.has(pathId) ? pathId : undefined;
    const address = remote.replace(/^::ffff:/, '');
    const matches = [...this.attached.values()].filter((a) => a.device.host === address);
    return matches.length === 1 ? matches[0]!.device.id : undefined;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const off of this.unsubscribe.splice(0)) off();
    await Promise.allSettled([...this.tasks]);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.push?.stop();
    await Promise.all([...this.attached.keys()].map((id) => this.detach(id)));
    this.episodes.clear();
    await this.writer.flush();
    this.hub.stop();
  }

  /** Writes queued events now (tests, shutdown). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Applies the retention policy to stored events and pictures. */
  async prune(): Promise<void> {
    const cutoff = Date.now() - this.settings.retentionDays * 86400_000;
    try {
      const rows = await this.deps.store.events.prune({
        olderThan: new Date(cutoff).toISOString(),
        maxRows: this.settings.maxRows,
      });
      const files = await this.snapshots.prune(cutoff);
      if (rows || files) this.deps.logger.info({ rows, files }, 'old events pruned');
    } catch (error) {
      this.deps.logger.error({ err: error }, 'event pruning failed');
    }
  }

  /** Runs bus-triggered work without blocking the bus; failures are logged, never unhandled. */
  private background(work: () => Promise<void>): void {
    if (this.stopping) return;
    const task = work()
      .catch((error) => this.deps.logger.error({ err: error }, 'event source update failed'))
      .finally(() => this.tasks.delete(task));
    this.tasks.add(task);
  }

  private async reattach(deviceId: string): Promise<void> {
    await this.detach(deviceId);
    const device = await this.deps.store.devices.get(deviceId);
    if (device) await this.attach(device);
  }

  private async attach(device: DeviceRecord): Promise<void> {
    if (this.stopping || !device.enabled || this.attached.has(device.id)) return;
    await this.deps.devices.supervisor.settled();
    const client = this.deps.devices.supervisor.client(device.id);
    if (!client) return;
    const log = this.deps.logger.child({ deviceId: device.id });
    const { supervisor } = this.deps.devices;
    const usable = (signal: AbortSignal) => supervisor.whenUsable(device.id, signal);
    const attached: Attached = {
      device,
      channels: new Map(),
      clock: new DeviceClock(client, log),
      streamOpenedAt: undefined,
      told: new Set(),
      lastStart: new Map(),
      tamperSensorOn: true,
      poller: undefined,
      connection: new AlertConnection(
        client,
        {
          idleTimeoutMs: this.settings.idleTimeoutSeconds * 1000,
          minBackoffMs: 1000,
          maxBackoffMs: this.settings.reconnectMaxSeconds * 1000,
          healthyAfterMs: 60_000,
        },
        {
          onAlert: (alert) => attached.clock.whenKnown(() => this.onAlert(attached, alert, 'stream')),
          onImage: (image, previous) =>
            attached.clock.whenKnown(() => void this.onImage(attached, image, previous)),
          onConnected: (gapMs) => this.onConnected(attached, gapMs),
          onDisconnected: (reason) => this.onDisconnected(attached, reason),
          whenUsable: usable,
        },
        log,
      ),
    };
    this.attached.set(device.id, attached);
    await this.refreshChannelsAndEntities(device.id);
    if (device.kind === 'doorbell') {
      attached.poller = new CallStatusPoller(
        client,
        this.settings.callStatusPollMs,
        (next, previous) => this.onCallState(attached, next, previous),
        log,
        usable,
      );
    }
    // After the supervisor's first check (see DeviceSupervisor.checked), reachable or not: the
    // stream then logs in at the first try and follows the paced start of a large fleet.
    void this.deps.devices.supervisor.checked(device.id).then(() => {
      if (this.attached.get(device.id) !== attached) return; // detached meanwhile
      attached.poller?.start();
      attached.connection.start();
    });
  }

  private async detach(deviceId: string): Promise<void> {
    const attached = this.attached.get(deviceId);
    if (!attached) return;
    this.attached.delete(deviceId);
    this.rings.forget(deviceId);
    attached.clock.stop();
    attached.poller?.stop();
    await attached.connection.stop();
    for (const key of this.episodes.endDevice(deviceId))
      this.emit(attached, key, 'end', { attributes: { reason: 'device detached' } });
  }

  private async refreshChannelsAndEntities(deviceId: string): Promise<void> {
    const attached = this.attached.get(deviceId);
    if (!attached) return;
    const { store } = this.deps;
    const [channels, entities] = await Promise.all([
      store.channels.listByDevice(deviceId),
      store.entities.listByDevice(deviceId),
    ]);
    attached.channels = new Map(channels.map((channel) => [channel.channelNo, channel.id]));
    const tamperOn = tamperSensorOn(entities);
    if (tamperOn !== attached.tamperSensorOn) this.deps.logger.info({ deviceId }, tamperSwitchNote(tamperOn));
    attached.tamperSensorOn = tamperOn;
  }

  private onConnected(attached: Attached, gapMs: number | null): void {
    attached.streamOpenedAt = Date.now();
    this.deps.devices.supervisor.streamConnected(attached.device.id);
    const log = this.deps.logger;
    if (gapMs === null) log.info({ deviceId: attached.device.id }, 'event stream connected');
    else
      log.warn(
        { deviceId: attached.device.id, gapSeconds: Math.round(gapMs / 1000) },
        'event stream reconnected; events in the gap may be missing',
      );
    // Replays come right after a stream opens, and a reboot may have reset a clock without NTP:
    // this stream's alerts wait for a measurement (one request) unless a recent one exists.
    attached.clock.refresh(CLOCK_FRESH_MS, { holdAlerts: true });
  }

  /** Nothing stays "on" while we cannot hear the device: open episodes end when the stream drops. */
  private onDisconnected(attached: Attached, reason: string): void {
    // The first sign of a device going away: its health is checked at once, not at the next turn.
    this.deps.devices.supervisor.streamLost(attached.device.id);
    this.deps.logger.warn({ deviceId: attached.device.id, reason }, 'event stream lost; reconnecting');
    for (const key of this.episodes.endDevice(attached.device.id))
      this.emit(attached, key, 'end', { attributes: { reason: 'stream lost' } });
  }

  private onAlert(attached: Attached, alert: RawAlert, source: AlertSource): void {
    const now = Date.now();
    const zone = attached.clock.zoneMinutes ?? -new Date(now).getTimezoneOffset();
    const deviceAt = withDeviceZone(alert.dateTime, zone);
    const replay = replayReason(alert, {
      deviceMs: deviceAt === undefined ? undefined : Date.parse(deviceAt),
      clock: attached.clock.reading,
      streamOpenedAt: source === 'stream' ? attached.streamOpenedAt : undefined,
      now,
      maxAgeMs: this.settings.maxEventAgeSeconds * 1000,
    });
    if (replay) {
      this.dropReplay(attached, alert, replay);
      return;
    }
    const at = deviceAt ?? new Date(now).toISOString();
    const { kind, active } = tamperAsMotion(
      {
        kind: alert.access
          ? kindOfAccessCode(alert.access.major, alert.access.minor)
          : kindOfEventType(alert.relationEvent ?? alert.eventType),
        active: alert.eventState !== 'inactive',
      },
      attached.tamperSensorOn,
    );
    const region =
      alert.access?.door ??
      (kind === 'alarm-input' ? alert.inputPortId : (alert.detections[0]?.regionId ?? null));
    const key: EpisodeKey = { deviceId: attached.device.id, channelNo: alert.channelId, kind, region };
    const details = {
      at,
      targets: targetsOf(alert),
      attributes: attributesOf(alert),
    };
    if (!isLasting(kind)) {
      this.emit(attached, key, 'pulse', details);
      return;
    }
    const decision = active ? this.episodes.active(key) : this.episodes.inactive(key);
    if (decision === 'ignore') return; // repeated "active" within the update interval, or a heartbeat
    this.emit(attached, key, decision, details);
  }

  /** Counted always, logged once per device and reason (a replaying device would flood the log). */
  private dropReplay(attached: Attached, alert: RawAlert, reason: DropReason): void {
    this.metrics.dropped(reason);
    // Judged by time: the device's clock may have been set since it was measured.
    if (reason !== 'retransmitted') attached.clock.refresh(CLOCK_RECHECK_MS);
    if (attached.told.has(reason)) return;
    attached.told.add(reason);
    const offsetMs = attached.clock.reading?.offsetMs;
    const fields = {
      deviceId: attached.device.id,
      reason,
      eventType: alert.eventType,
      dateTime: alert.dateTime,
      clockOffsetSeconds: offsetMs === undefined ? null : Math.round(offsetMs / 1000),
    };
    const message =
      `event dropped as a replay: ${explainDrop(reason, this.settings.maxEventAgeSeconds)}; ` +
      'further drops for this reason are only counted (hikbridge_events_dropped_total)';
    // Devices resend their history on purpose (doorbells at every connect): not a problem.
    if (reason === 'retransmitted') this.deps.logger.info(fields, message);
    else this.deps.logger.warn(fields, message);
  }

  private onCallState(attached: Attached, next: CallState, previous: CallState): void {
    const deviceId = attached.device.id;
    const state = callStateWords(next);
    if (state)
      this.deps.bus.emit('doorbell.call', {
        deviceId,
        state,
        source: 'callStatus',
        callId: null,
        reason: null,
      });
    const key = ringKey(deviceId);
    if (next === 'ring') {
      if (this.rings.polledRingIsNew(deviceId) && this.episodes.active(key) === 'start')
        this.emit(attached, key, 'start', { attributes: { source: 'callStatus' } });
    } else if (previous === 'ring' && this.episodes.inactive(key) === 'end') {
      this.emit(attached, key, 'end', { attributes: { source: 'callStatus', callStatus: next } });
    }
  }

  /** A doorbell's SIP call: the same ring episode polling feeds, whichever saw it first. */
  private onSipCall(call: DoorbellCallEvent): void {
    const attached = this.attached.get(call.deviceId);
    if (!attached) return;
    const key = ringKey(call.deviceId);
    if (call.state === 'ringing') {
      this.rings.sipRinging(call.deviceId);
      if (this.episodes.active(key) === 'start')
        this.emit(attached, key, 'start', { attributes: { source: 'sip', callId: call.callId } });
      return;
    }
    this.rings.sipEnded(call.deviceId);
    if (this.episodes.inactive(key) === 'end') {
      const how = call.state === 'in call' ? 'answered' : (call.reason ?? 'ended');
      this.emit(attached, key, 'end', { attributes: { source: 'sip', callId: call.callId, reason: how } });
    }
  }

  private emitEnd(key: EpisodeKey, reason: string): void {
    const attached = this.attached.get(key.deviceId);
    if (attached) this.emit(attached, key, 'end', { attributes: { reason } });
  }

  private emit(
    attached: Attached,
    key: EpisodeKey,
    state: EventState,
    details: { at?: string; targets?: DetectionTarget[]; attributes?: Record<string, unknown> } = {},
  ): void {
    const receivedAt = new Date();
    const id = newEventId(receivedAt.getTime());
    const channelId = key.channelNo === null ? null : (attached.channels.get(key.channelNo) ?? null);
    const wantsPicture = state === 'start' && channelId !== null && this.settings.snapshotOnStart;
    const event: GatewayEvent = {
      id,
      deviceId: key.deviceId,
      channelId,
      channelNo: key.channelNo,
      kind: key.kind as EventKind,
      state,
      at: details.at ?? receivedAt.toISOString(),
      receivedAt: receivedAt.toISOString(),
      targets: details.targets ?? [],
      region: key.region,
      attributes: details.attributes ?? {},
      snapshotRef: wantsPicture ? this.snapshots.refFor(id) : null,
    };
    this.deps.bus.emit('event', event);
    this.writer.add(event);
    if (wantsPicture && key.channelNo !== null) {
      attached.lastStart.set(key.channelNo, event);
      setTimeout(() => void this.snapshotIfNoPicture(event), PICTURE_WAIT_MS).unref();
    }
  }

  /** A picture part from the device belongs to the episode start just before it. */
  private async onImage(attached: Attached, image: AlertImage, previous: RawAlert | null): Promise<void> {
    if (!isJpeg(image.data)) {
      this.refusePicture(attached, image);
      return;
    }
    const channelNo = previous?.channelId ?? null;
    const event = channelNo === null ? undefined : attached.lastStart.get(channelNo);
    if (!event || this.pendingPictures.has(event.id)) return;
    attached.lastStart.delete(channelNo!);
    this.pendingPictures.add(event.id);
    await this.savePicture(event, image.data);
  }

  /**
   * Only JPEG bytes are saved as `.jpg`. The event keeps its picture wait, so it gets a snapshot
   * instead. Counted always, logged once per device.
   */
  private refusePicture(attached: Attached, image: AlertImage): void {
    this.metrics.pictureRefused('not-jpeg');
    if (attached.told.has('not-jpeg')) return;
    attached.told.add('not-jpeg');
    this.deps.logger.warn(
      {
        deviceId: attached.device.id,
        contentType: image.contentType,
        bytes: image.data.length,
        firstBytes: image.data.subarray(0, 8).toString('hex'),
      },
      'picture part refused: its bytes are not a JPEG (a snapshot is taken instead); further ones are ' +
        'only counted (hikbridge_event_pictures_refused_total)',
    );
  }

  private async snapshotIfNoPicture(event: GatewayEvent): Promise<void> {
    if (this.pendingPictures.has(event.id) || !event.channelId) return;
    this.pendingPictures.add(event.id);
    try {
      const snapshot = await this.deps.devices.snapshot(event.channelId);
      await this.savePicture(event, snapshot.jpeg);
    } catch (error) {
      this.deps.logger.debug({ eventId: event.id, err: error }, 'no snapshot for event');
      this.pendingPictures.delete(event.id);
    }
  }

  private async savePicture(event: GatewayEvent, jpeg: Buffer): Promise<void> {
    try {
      const ref = await this.snapshots.save(event.id, jpeg);
      this.deps.bus.emit('event.snapshot', { eventId: event.id, deviceId: event.deviceId, snapshotRef: ref });
    } catch (error) {
      this.deps.logger.warn({ eventId: event.id, err: error }, 'could not save event picture');
    } finally {
      // Bounded: ids are only needed until the picture is decided.
      setTimeout(() => this.pendingPictures.delete(event.id), 60_000).unref();
    }
  }
}

export const eventsModule = defineModule({
  name: 'events',
  settings: (config) => config.events,
  create: ({ modules, gateway, ...context }) =>
    new EventsModule({ ...context, devices: modules.get(devicesModule), dataDir: gateway.dataDir }),
});

function ringKey(deviceId: string): EpisodeKey {
  return { deviceId, channelNo: 1, kind: 'doorbell-ring', region: null };
}
