/**
 * What each device can be told to do, read in the background and announced on the bus
 * (`controls.inventory`) for modules that cannot call this one (MQTT starts first): per channel
 * its detections (with their siren / strobe linkage), PTZ (capabilities, presets, patrols),
 * supplement light and strobe, the device's alarm outputs, storage and siren.
 *
 * Read when a device comes online (and at the start for those already online), and again after
 * a change made through the controls routes or a bus command, or to its channels. One read at a time per device (a
 * request during a read makes one more read after it), a few devices at once, and a time bound
 * per device: a part that fails or runs out of time is left out at the first read (empty, or PTZ
 * null) and keeps its last value at the next ones (a blip must not remove entities), its error
 * logged once until it works again. A removed device is forgotten (`inventory: null`); an offline
 * or disabled one keeps its last inventory.
 */
import type { ControlsChannelInventory, ControlsInventory, DeviceHealth } from '../../core/bus.ts';
import type { ChannelRecord, DeviceRecord } from '../../core/store/types.ts';
import {
  type IsapiClient,
  isDetectionKind,
  listDetections,
  listOutputs,
  listPatrols,
  listPresets,
  NotSupportedError,
  type PtzCapabilities,
  readChannelLinkages,
  readPtzCapabilities,
  readSiren,
  readStorage,
  readStrobe,
  readSupplementLight,
  type StorageDevice,
} from '../../protocols/isapi/index.ts';
import type { ControlsContext } from './types.ts';

/** How long one device's whole read may take before the rest of it is left out. */
const DEFAULT_TIMEOUT_MS = 60_000;
/** Devices read at once (a start with many devices online must not flood the network). */
const DEFAULT_CONCURRENCY = 4;

/**
 * What to read again: the whole device, or one part after a change to it (a detection switched
 * reads that channel again, an output its outputs, the siren the siren), so an NVR is not read
 * whole for one switch.
 */
export type InventoryScope = 'all' | 'outputs' | 'siren' | { channelId: string };

interface Wanted {
  all: boolean;
  outputs: boolean;
  siren: boolean;
  channels: Set<string>;
}

type Part = <T>(name: string, fallback: T, work: () => Promise<T>) => Promise<T>;

export interface InventoryOptions {
  timeoutMs?: number;
  concurrency?: number;
}

export class ControlsInventoryReader {
  private readonly cache = new Map<string, ControlsInventory>();
  /** Per device: the reads in progress, and what is still to be read (taken in turn by them). */
  private readonly running = new Map<string, Promise<void>>();
  private readonly pending = new Map<string, Wanted>();
  /** Bumped when a device is forgotten: a read that started before is dropped. */
  private readonly generation = new Map<string, number>();
  /** Parts whose failure was logged (`deviceId part`), until they work again. */
  private readonly reported = new Set<string>();
  /** Last health state per device: a read follows a change to online, not every report. */
  private readonly lastState = new Map<string, DeviceHealth['state']>();
  private readonly unsubscribers: Array<() => void> = [];
  private readonly slots: Array<() => void> = [];
  private active = 0;
  private stopped = false;
  private readonly timeoutMs: number;
  private readonly concurrency: number;

  constructor(
    private readonly controls: ControlsContext,
    options: InventoryOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  }

  async start(): Promise<void> {
    const { bus, devices } = this.controls.deps;
    this.unsubscribers.push(
      bus.on('device.health', (health) => this.onHealth(health)),
      bus.on('device.removed', ({ deviceId }) => this.forget(deviceId)),
      // Enabled again or reconnected, its link starts afresh (not always through a health report
      // that is not online): its next online reads it again.
      bus.on('device.updated', ({ deviceId }) => {
        if (this.devicesModuleHealth(deviceId) !== 'online') this.lastState.delete(deviceId);
      }),
      // Channels switched on or off, or found again by a re-probe: their controls change too.
      bus.on('channels.changed', ({ deviceId }) => {
        if (this.lastState.get(deviceId) === 'online') void this.refresh(deviceId);
      }),
    );
    for (const device of await devices.registry.list()) {
      const health = devices.supervisor.health(device.id);
      if (health) this.onHealth(health);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    for (const release of this.slots.splice(0)) release();
    await Promise.all([...this.running.values()]);
  }

  /** The last inventory read of a device, if any. */
  get(deviceId: string): ControlsInventory | undefined {
    return this.cache.get(deviceId);
  }

  /** Every device's last inventory (removed devices are gone from it): for the metrics. */
  entries(): IterableIterator<[deviceId: string, inventory: ControlsInventory]> {
    return this.cache.entries();
  }

  /**
   * Reads the device (or a part of it) again; returns when that read is done. Nothing is read
   * while nobody listens to `controls.inventory` (MQTT off): the devices are spared the requests.
   */
  refresh(deviceId: string, scope: InventoryScope = 'all'): Promise<void> {
    if (this.stopped || this.controls.deps.bus.listenerCount('controls.inventory') === 0) {
      return Promise.resolve();
    }
    const wanted = this.pending.get(deviceId) ?? {
      all: false,
      outputs: false,
      siren: false,
      channels: new Set<string>(),
    };
    if (scope === 'all') wanted.all = true;
    else if (scope === 'outputs') wanted.outputs = true;
    else if (scope === 'siren') wanted.siren = true;
    else wanted.channels.add(scope.channelId);
    this.pending.set(deviceId, wanted);
    // A read in progress takes what is pending when it is done.
    const running = this.running.get(deviceId);
    if (running) return running;
    const run = (async () => {
      for (let next = this.pending.get(deviceId); next && !this.stopped; next = this.pending.get(deviceId)) {
        this.pending.delete(deviceId);
        await this.readAndAnnounce(deviceId, next);
      }
    })().finally(() => this.running.delete(deviceId));
    this.running.set(deviceId, run);
    return run;
  }

  private devicesModuleHealth(deviceId: string): DeviceHealth['state'] | undefined {
    return this.controls.deps.devices.supervisor.health(deviceId)?.state;
  }

  private onHealth(health: DeviceHealth): void {
    const previous = this.lastState.get(health.deviceId);
    this.lastState.set(health.deviceId, health.state);
    // Offline or disabled, its last inventory stays: its entities are shown unavailable, like the
    // device's others, rather than removed and added back (which loses what users set on them).
    if (health.state === 'online' && previous !== 'online') void this.refresh(health.deviceId);
  }

  private forget(deviceId: string): void {
    this.generation.set(deviceId, (this.generation.get(deviceId) ?? 0) + 1);
    this.lastState.delete(deviceId);
    this.pending.delete(deviceId);
    for (const key of [...this.reported]) if (key.startsWith(`${deviceId} `)) this.reported.delete(key);
    if (this.cache.delete(deviceId) || this.running.has(deviceId)) {
      this.controls.deps.bus.emit('controls.inventory', { deviceId, inventory: null });
    }
  }

  private async readAndAnnounce(deviceId: string, wanted: Wanted): Promise<void> {
    const generation = this.generation.get(deviceId) ?? 0;
    await this.slot();
    let inventory: ControlsInventory | undefined;
    try {
      const cached = this.cache.get(deviceId);
      if (this.stopped) inventory = undefined;
      else if (wanted.all || !cached) inventory = await this.read(deviceId);
      else inventory = await this.readParts(deviceId, cached, wanted);
    } catch (error) {
      this.controls.deps.logger.warn({ deviceId, err: error }, 'reading the controls of a device failed');
    } finally {
      this.release();
    }
    // Removed, disabled or stopped meanwhile: what was read no longer belongs anywhere.
    if (!inventory || this.stopped || (this.generation.get(deviceId) ?? 0) !== generation) return;
    const before = this.cache.get(deviceId);
    this.cache.set(deviceId, inventory);
    if (before && sameInventory(before, inventory)) return;
    this.controls.deps.bus.emit('controls.inventory', { deviceId, inventory });
  }

  /** The device, its client and its enabled channels; undefined when it cannot be read now. */
  private async reach(deviceId: string) {
    const { registry, supervisor } = this.controls.deps.devices;
    const device = await registry.get(deviceId).catch(() => undefined);
    const client = supervisor.client(deviceId);
    if (!device?.enabled || !client) return undefined;
    const channels = (await this.controls.deps.store.channels.listByDevice(deviceId))
      .filter((channel) => channel.enabled)
      .sort((a, b) => a.channelNo - b.channelNo);
    const deadline = Date.now() + this.timeoutMs;
    const part: Part = (name, fallback, work) => this.part(deviceId, name, deadline, fallback, work);
    return { device, client, channels, part };
  }

  /** Reads the wanted parts again into a copy of the cached inventory (a new channel: all of it). */
  private async readParts(
    deviceId: string,
    cached: ControlsInventory,
    wanted: Wanted,
  ): Promise<ControlsInventory | undefined> {
    const reached = await this.reach(deviceId);
    if (!reached) return undefined;
    const { device, client, channels, part } = reached;
    const known = new Set(cached.channels.map((channel) => channel.channelId));
    const enabled = new Set(channels.map((channel) => channel.id));
    if ([...wanted.channels].some((id) => enabled.has(id) !== known.has(id))) return this.read(deviceId);
    const outputs = wanted.outputs
      ? await part('alarm outputs', cached.outputs, async () => outputList(await listOutputs(client)))
      : cached.outputs;
    const siren = wanted.siren ? await this.readSiren(client, device, part, cached.siren) : cached.siren;
    // A siren come or gone changes every detection's linkage: read all of it.
    if ((siren === null) !== (cached.siren === null)) return this.read(deviceId);
    const fresh: ControlsChannelInventory[] = [];
    for (const inventory of cached.channels) {
      const channel = channels.find((candidate) => candidate.id === inventory.channelId);
      fresh.push(
        channel && wanted.channels.has(channel.id)
          ? await this.readChannel(client, channel, part, siren !== null, inventory)
          : inventory,
      );
    }
    return { ...cached, channels: fresh, outputs, siren, readAt: new Date().toISOString() };
  }

  private async read(deviceId: string): Promise<ControlsInventory | undefined> {
    const reached = await this.reach(deviceId);
    if (!reached) return undefined;
    const { device, client, channels, part } = reached;
    const recorder = device.kind === 'nvr' || device.kind === 'dvr';
    // Read again, a part that fails keeps what was read before (a blip must not remove entities).
    const cached = this.cache.get(deviceId);
    const outputs = await part('alarm outputs', cached?.outputs ?? [], async () =>
      outputList(await listOutputs(client)),
    );
    const storage = await part('storage', cached?.storage ?? [], async () =>
      storageList(await readStorage(client, { localMedia: recorder ? 'hdd' : 'sd' })),
    );
    const siren = await this.readSiren(client, device, part, cached?.siren);
    const channelInventories: ControlsChannelInventory[] = [];
    for (const channel of channels) {
      const before = cached?.channels.find((candidate) => candidate.channelId === channel.id);
      channelInventories.push(await this.readChannel(client, channel, part, siren !== null, before));
    }
    return { channels: channelInventories, outputs, storage, siren, readAt: new Date().toISOString() };
  }

  private async readChannel(
    client: IsapiClient,
    channel: ChannelRecord,
    part: Part,
    hasSiren: boolean,
    before?: ControlsChannelInventory,
  ): Promise<ControlsChannelInventory> {
    const where = `channel ${channel.channelNo}`;
    const found = await part<Array<Omit<ControlsChannelInventory['detections'][number], 'siren' | 'strobe'>>>(
      `${where} detections`,
      before?.detections ?? [],
      async () =>
        (await listDetections(client, { channel: channel.channelNo, source: channel.source })).map(
          ({ kind, enabled, notifiesCenter }) => ({ kind, enabled, notifiesCenter }),
        ),
    );
    const target = { channel: channel.channelNo, proxy: channel.source === 'proxy' };
    const caps = await part<PtzCapabilities | undefined | typeof UNREAD>(`${where} PTZ`, UNREAD, () =>
      readPtzCapabilities(client, target),
    );
    let ptz: ControlsChannelInventory['ptz'] = null;
    if (caps === UNREAD) ptz = before?.ptz ?? null;
    else if (caps && (caps.panTilt || caps.zoom)) {
      const presets =
        caps.maxPresets > 0
          ? await part(`${where} PTZ presets`, before?.ptz?.presets ?? [], async () =>
              (await listPresets(client, target, caps)).map(({ id, name }) => ({ id, name })),
            )
          : [];
      const patrols =
        caps.maxPatrols > 0
          ? await part(`${where} PTZ patrols`, before?.ptz?.patrols ?? [], async () =>
              // Only the set-up ones: a patrol without presets has nothing to run.
              (await listPatrols(client, target, caps))
                .filter((patrol) => patrol.enabled)
                .map(({ id, name }) => ({ id, name })),
            )
          : [];
      ptz = { panTilt: caps.panTilt, zoom: caps.zoom, presets, patrols };
    }
    const light = await this.readLight(client, channel, part, before);
    const strobe = await this.readStrobe(client, channel, part, before);
    const detections = await this.readLinkage(client, channel, found, part, {
      siren: hasSiren,
      strobe: strobe !== null,
      before,
    });
    return { channelId: channel.id, channelNo: channel.channelNo, detections, ptz, light, strobe };
  }

  /**
   * The siren of a camera (a recorder is not asked: its own `beep` is its buzzer, and it does not
   * pass these settings on to its IP cameras); null when it has none.
   */
  private async readSiren(
    client: IsapiClient,
    device: DeviceRecord,
    part: Part,
    before: ControlsInventory['siren'] | undefined,
  ): Promise<ControlsInventory['siren']> {
    if (device.kind === 'nvr' || device.kind === 'dvr') return null;
    const siren = await part<ControlsInventory['siren'] | typeof UNREAD>('siren', UNREAD, () =>
      absentAsNull(async () => {
        const { soundId, sounds, volume, volumeRange, times, timesRange } = await readSiren(client);
        return { soundId, sounds, volume, volumeRange, times, timesRange };
      }),
    );
    return siren === UNREAD ? (before ?? null) : siren;
  }

  /** The strobe of a camera's own channel (an NVR's IP channels are not asked); null when none. */
  private async readStrobe(
    client: IsapiClient,
    channel: ChannelRecord,
    part: Part,
    before?: ControlsChannelInventory,
  ): Promise<ControlsChannelInventory['strobe']> {
    if (channel.source === 'proxy') return null;
    const strobe = await part<ControlsChannelInventory['strobe'] | typeof UNREAD>(
      `channel ${channel.channelNo} strobe`,
      UNREAD,
      () =>
        absentAsNull(async () => {
          const { duration, durationRange, frequency, frequencies } = await readStrobe(
            client,
            channel.channelNo,
          );
          return { duration, durationRange, frequency, frequencies };
        }),
    );
    return strobe === UNREAD ? (before?.strobe ?? null) : strobe;
  }

  /**
   * Whether each detection sounds the siren / flashes the strobe. Asked only where there is one
   * to link (the requests are spared on the many cameras without); a failed read keeps the last.
   */
  private async readLinkage(
    client: IsapiClient,
    channel: ChannelRecord,
    detections: Array<Omit<ControlsChannelInventory['detections'][number], 'siren' | 'strobe'>>,
    part: Part,
    has: { siren: boolean; strobe: boolean; before?: ControlsChannelInventory },
  ): Promise<ControlsChannelInventory['detections']> {
    const unlinked = detections.map((detection) => ({ ...detection, siren: null, strobe: null }));
    if (channel.source === 'proxy' || (!has.siren && !has.strobe)) return unlinked;
    const last = (kind: string) => has.before?.detections.find((candidate) => candidate.kind === kind);
    const fallback = unlinked.map((detection) => ({
      ...detection,
      siren: has.siren ? (last(detection.kind)?.siren ?? null) : null,
      strobe: has.strobe ? (last(detection.kind)?.strobe ?? null) : null,
    }));
    return part(`channel ${channel.channelNo} siren and strobe linkage`, fallback, async () => {
      const kinds = detections.map((d) => d.kind).filter(isDetectionKind);
      const where = { channel: channel.channelNo, source: channel.source };
      // One read of the trigger list for every detection (the siren and strobe are known here).
      const linkages = await readChannelLinkages(client, kinds, where, has);
      const linked: ControlsChannelInventory['detections'] = detections.map((detection) => {
        const linkage = linkages.find((each) => each.kind === detection.kind);
        return {
          ...detection,
          siren: has.siren ? (linkage?.siren ?? null) : null,
          strobe: has.strobe ? (linkage?.strobe ?? null) : null,
        };
      });
      return linked;
    });
  }

  /**
   * The supplement light of a camera's own channel (an NVR does not pass these settings on to its
   * IP cameras, so those are not asked); null when the camera has none.
   */
  private async readLight(
    client: IsapiClient,
    channel: ChannelRecord,
    part: Part,
    before?: ControlsChannelInventory,
  ): Promise<ControlsChannelInventory['light']> {
    if (channel.source === 'proxy') return null;
    const light = await part<ControlsChannelInventory['light'] | typeof UNREAD>(
      `channel ${channel.channelNo} supplement light`,
      UNREAD,
      async () => {
        try {
          const { mode, modes, whiteBrightness, irBrightness } = await readSupplementLight(
            client,
            channel.channelNo,
          );
          return { mode, modes, whiteBrightness, irBrightness };
        } catch (error) {
          // Not having one is an answer, not a failure: its entities go.
          if (error instanceof NotSupportedError) return null;
          throw error;
        }
      },
    );
    return light === UNREAD ? (before?.light ?? null) : light;
  }

  /** One part of a read: its fallback when it fails or the device's time is up (logged once). */
  private async part<T>(
    deviceId: string,
    name: string,
    deadline: number,
    fallback: T,
    work: () => Promise<T>,
  ): Promise<T> {
    const key = `${deviceId} ${name}`;
    const left = deadline - Date.now();
    try {
      if (left <= 0) throw new Error(`no time left (${this.timeoutMs / 1000} s per device)`);
      const value = await withTimeout(work(), left);
      this.reported.delete(key);
      return value;
    } catch (error) {
      if (!this.reported.has(key)) {
        this.reported.add(key);
        const missing = error instanceof NotSupportedError;
        this.controls.deps.logger[missing ? 'debug' : 'warn'](
          { deviceId, part: name, err: error },
          `controls of the device: ${name} left out (could not be read)`,
        );
      }
      return fallback;
    }
  }

  private async slot(): Promise<void> {
    if (this.active < this.concurrency || this.stopped) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.slots.push(resolve));
    this.active++;
  }

  private release(): void {
    this.active--;
    this.slots.shift()?.();
  }
}

/**
 * What a change through a route touched: the device behind its `:id` (a device, or a channel of
 * one) and the part to read again; undefined when unknown.
 */
export async function changeOfRoute(
  controls: ControlsContext,
  url: string,
  id: string,
): Promise<{ deviceId: DeviceRecord['id']; scope: InventoryScope } | undefined> {
  if (url.startsWith('/api/v1/devices/:id/outputs')) return { deviceId: id, scope: 'outputs' };
  if (url.startsWith('/api/v1/devices/:id/siren')) return { deviceId: id, scope: 'siren' };
  if (url.startsWith('/api/v1/devices/:id')) return { deviceId: id, scope: 'all' };
  if (!url.startsWith('/api/v1/channels/:id')) return undefined;
  const channel = await controls.deps.store.channels.get(id);
  return channel ? { deviceId: channel.deviceId, scope: { channelId: channel.id } } : undefined;
}

/** A part that could not be read (as opposed to one the device does not have). */
const UNREAD = Symbol('unread');

/** Not having one is an answer, not a failure: its entities go, and nothing is logged. */
async function absentAsNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof NotSupportedError) return null;
    throw error;
  }
}

function storageList(storage: StorageDevice[]): ControlsInventory['storage'] {
  return storage.map(({ id, name, type, status, capacityMb, freeMb }) => ({
    id,
    name,
    type,
    status,
    capacityMb,
    freeMb,
  }));
}

function outputList(outputs: ControlsInventory['outputs']): ControlsInventory['outputs'] {
  return outputs.map(({ id, name, state }) => ({ id, name, state }));
}

function sameInventory(a: ControlsInventory, b: ControlsInventory): boolean {
  return JSON.stringify({ ...a, readAt: '' }) === JSON.stringify({ ...b, readAt: '' });
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([work, bound]).finally(() => clearTimeout(timer));
}
