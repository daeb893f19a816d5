/**
 * What each device can be told to do, read in the background and announced on the bus
 * (`controls.inventory`) for modules that cannot call this one (MQTT starts first): per channel
 * its detections and PTZ (capabilities, presets), the device's alarm outputs and its storage.
 *
 * Read when a device comes online (and at the start for those already online), and again after
 * a change made through the controls routes or a bus command, or to its channels. One read at a time per device (a
 * request during a read makes one more read after it), a few devices at once, and a time bound
 * per device: a part that fails or runs out of time is left out (empty, or PTZ null), its error
 * logged once until it works again. A removed device is forgotten (`inventory: null`); an offline
 * or disabled one keeps its last inventory.
 */
import type { ControlsChannelInventory, ControlsInventory, DeviceHealth } from '../../core/bus.ts';
import type { ChannelRecord, DeviceRecord } from '../../core/store/types.ts';
import {
  type IsapiClient,
  listDetections,
  listOutputs,
  listPresets,
  NotSupportedError,
  readPtzCapabilities,
  readStorage,
} from '../../protocols/isapi/index.ts';
import type { ControlsContext } from './types.ts';

/** How long one device's whole read may take before the rest of it is left out. */
const DEFAULT_TIMEOUT_MS = 60_000;
/** Devices read at once (a start with many devices online must not flood the network). */
const DEFAULT_CONCURRENCY = 4;

export interface InventoryOptions {
  timeoutMs?: number;
  concurrency?: number;
}

export class ControlsInventoryReader {
  private readonly cache = new Map<string, ControlsInventory>();
  /** Per device: the read in progress; `again` holds those asked again during it. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
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

  /** Reads the device again (after a change); returns when that read is done. */
  refresh(deviceId: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const running = this.running.get(deviceId);
    if (running) {
      this.again.add(deviceId);
      return running;
    }
    const run = (async () => {
      do {
        this.again.delete(deviceId);
        await this.readAndAnnounce(deviceId);
      } while (this.again.has(deviceId) && !this.stopped);
    })().finally(() => this.running.delete(deviceId));
    this.running.set(deviceId, run);
    return run;
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
    for (const key of [...this.reported]) if (key.startsWith(`${deviceId} `)) this.reported.delete(key);
    if (this.cache.delete(deviceId) || this.running.has(deviceId)) {
      this.controls.deps.bus.emit('controls.inventory', { deviceId, inventory: null });
    }
  }

  private async readAndAnnounce(deviceId: string): Promise<void> {
    const generation = this.generation.get(deviceId) ?? 0;
    await this.slot();
    let inventory: ControlsInventory | undefined;
    try {
      if (!this.stopped) inventory = await this.read(deviceId);
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

  private async read(deviceId: string): Promise<ControlsInventory | undefined> {
    const { registry, supervisor } = this.controls.deps.devices;
    const device = await registry.get(deviceId).catch(() => undefined);
    const client = supervisor.client(deviceId);
    if (!device?.enabled || !client) return undefined;
    const channels = (await this.controls.deps.store.channels.listByDevice(deviceId))
      .filter((channel) => channel.enabled)
      .sort((a, b) => a.channelNo - b.channelNo);
    const deadline = Date.now() + this.timeoutMs;
    const part = <T>(name: string, fallback: T, work: () => Promise<T>) =>
      this.part(deviceId, name, deadline, fallback, work);
    const recorder = device.kind === 'nvr' || device.kind === 'dvr';
    const outputs = await part('alarm outputs', [], () => listOutputs(client));
    const storage = await part('storage', [], () =>
      readStorage(client, { localMedia: recorder ? 'hdd' : 'sd' }),
    );
    const channelInventories: ControlsChannelInventory[] = [];
    for (const channel of channels) channelInventories.push(await this.readChannel(client, channel, part));
    return {
      channels: channelInventories,
      outputs: outputs.map(({ id, name, state }) => ({ id, name, state })),
      storage: storage.map(({ id, name, type, status, capacityMb, freeMb }) => ({
        id,
        name,
        type,
        status,
        capacityMb,
        freeMb,
      })),
      readAt: new Date().toISOString(),
    };
  }

  private async readChannel(
    client: IsapiClient,
    channel: ChannelRecord,
    part: <T>(name: string, fallback: T, work: () => Promise<T>) => Promise<T>,
  ): Promise<ControlsChannelInventory> {
    const where = `channel ${channel.channelNo}`;
    const detections = await part(`${where} detections`, [], () =>
      listDetections(client, { channel: channel.channelNo, source: channel.source }),
    );
    const target = { channel: channel.channelNo, proxy: channel.source === 'proxy' };
    const caps = await part(`${where} PTZ`, undefined, () => readPtzCapabilities(client, target));
    const presets =
      caps && caps.maxPresets > 0
        ? await part(`${where} PTZ presets`, [], () => listPresets(client, target, caps))
        : [];
    return {
      channelId: channel.id,
      channelNo: channel.channelNo,
      detections: detections.map(({ kind, enabled, notifiesCenter }) => ({ kind, enabled, notifiesCenter })),
      ptz:
        caps && (caps.panTilt || caps.zoom)
          ? { panTilt: caps.panTilt, zoom: caps.zoom, presets: presets.map(({ id, name }) => ({ id, name })) }
          : null,
    };
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

/** The device's id behind a route's `:id` (a device, or a channel of one); undefined when unknown. */
export async function deviceOfRoute(
  controls: ControlsContext,
  url: string,
  id: string,
): Promise<DeviceRecord['id'] | undefined> {
  if (url.startsWith('/api/v1/devices/:id')) return id;
  if (url.startsWith('/api/v1/channels/:id')) return (await controls.deps.store.channels.get(id))?.deviceId;
  return undefined;
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
