/**
 * The doorbell module: doorbell calls over SIP, in the two modes a user picks per doorbell —
 * a phone on their PBX ("connect to SIP proxy") or hikbridge as the doorbell's SIP server
 * ("emulate SIP proxy", with the doorbell configured over ISAPI). A call rings as a
 * `doorbell.call` bus event (the events module makes it the same `doorbell-ring` event polling
 * makes), and answer / hang up / stop ringing go over SIP while a SIP call is up.
 */
import type { Bus, DoorbellCallState } from '../../core/bus.ts';
import type { Config } from '../../core/config/index.ts';
import { AppError, NotFoundError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { defineModule, type Module } from '../../core/module.ts';
import type { DeviceRecord, DoorbellSipRecord, Store } from '../../core/store/types.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import { RtpAudioSender } from '../../protocols/sip/index.ts';
import { devicesModule } from '../devices/index.ts';
import { type AutoConfigStatus, AutoConfigurer } from './autoconfig.ts';
import { SipCalls } from './calls.ts';
import { ClientPhone } from './client.ts';
import { EmulatedProxy } from './emulate.ts';
import { doorbellRoutes, type SipViewType } from './routes.ts';
import { type DoorbellSipInput, EMULATE_DEFAULTS, recordFromInput } from './settings.ts';
import { localAddressFor, resolveIpv4, sipLog } from './sip-util.ts';

export type DoorbellSettings = Config['doorbell'];

/** What the doorbell module needs of the devices module. */
export interface DoorbellDevices {
  /** The device's ISAPI client while it is enabled and connected. */
  client(deviceId: string): IsapiClient | undefined;
}

export interface DoorbellModuleDeps {
  settings: DoorbellSettings;
  store: Store;
  bus: Bus;
  logger: Logger;
  devices: DoorbellDevices;
}

/** The settings key remembering the automatically picked shared port across restarts. */
const SHARED_PORT_KEY = 'doorbell.sipPort';

interface Attached {
  record: DoorbellSipRecord;
  device: DeviceRecord;
  /** Emulate mode: the server it uses, our address as it sees us, its resolved address. */
  proxy?: EmulatedProxy;
  localAddress?: string;
  autoConfig?: AutoConfigurer;
  /** Client mode. */
  phone?: ClientPhone;
  /** Why it could not start, in words. */
  error?: string;
}

export class DoorbellModule implements Module {
  readonly name = 'doorbell';
  readonly routes;
  private readonly calls: SipCalls;
  private readonly attached = new Map<string, Attached>();
  private readonly proxies = new Map<number, Promise<EmulatedProxy>>();
  private readonly registeredAt = new Map<string, number>();
  /** One change at a time per doorbell (settings saved while the last change still starts). */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly unsubscribe: Array<() => void> = [];
  private sharedPort: number | undefined;
  private stopped = false;

  constructor(private readonly deps: DoorbellModuleDeps) {
    this.calls = new SipCalls({
      bus: deps.bus,
      logger: deps.logger,
      stopRingingHangUpMs: deps.settings.stopRingingHangUpMs,
      openMedia: () => RtpAudioSender.open({ host: deps.settings.sipHost, log: sipLog(deps.logger) }),
    });
    this.routes = doorbellRoutes(this);
  }

  async start(): Promise<void> {
    const { bus } = this.deps;
    this.unsubscribe.push(
      bus.on('device.added', ({ deviceId }) => this.reattach(deviceId)),
      bus.on('device.updated', ({ deviceId, reconnect }) => void this.deviceUpdated(deviceId, reconnect)),
      bus.on('device.removed', ({ deviceId }) => this.reattach(deviceId)),
      bus.on('device.health', ({ deviceId, state }) => {
        if (state === 'online') this.attached.get(deviceId)?.autoConfig?.retryNow();
      }),
      bus.on('doorbell.call.command', ({ deviceId, action, claim }) => {
        const done = this.calls.command(deviceId, action);
        if (done) claim(done);
      }),
      bus.on('doorbell.call.query', ({ deviceId, answer }) => {
        const state = this.calls.state(deviceId);
        if (state) answer(state);
      }),
      bus.on('doorbell.sip.expected', ({ deviceId, answer }) => {
        const entry = this.attached.get(deviceId);
        if (!entry?.proxy || !entry.localAddress) return;
        const { doorbellNumber, proxyNumber, roomNumber, buttonNumber } = entry.record.emulate;
        answer({
          proxy: entry.localAddress,
          port: entry.proxy.port,
          doorbellNumber,
          proxyNumber,
          roomNumber,
          buttonNumber,
        });
      }),
      bus.on('doorbell.call.audio', ({ deviceId, answer }) => {
        const audio = this.calls.audio(deviceId);
        if (audio) answer(audio);
      }),
    );
    for (const record of await this.deps.store.doorbellSip.list()) {
      await this.attach(record.deviceId);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    await Promise.allSettled([...this.chains.values()]);
    await this.calls.stop();
    for (const deviceId of [...this.attached.keys()]) await this.detach(deviceId);
    const proxies = await Promise.allSettled([...this.proxies.values()]);
    for (const result of proxies) if (result.status === 'fulfilled') await result.value.close();
    this.proxies.clear();
  }

  async healthReport(): Promise<Record<string, unknown>> {
    const entries = [...this.attached.values()];
    return {
      doorbells: entries.length,
      registered: entries.filter((entry) => this.isRegistered(entry)).length,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Operations (routes)

  async view(deviceId: string): Promise<SipViewType> {
    const device = await this.doorbell(deviceId);
    const record = (await this.deps.store.doorbellSip.get(device.id)) ?? defaultRecord(device.id);
    return this.viewOf(record, this.attached.get(device.id));
  }

  async update(deviceId: string, input: DoorbellSipInput): Promise<SipViewType> {
    const device = await this.doorbell(deviceId);
    const current = await this.deps.store.doorbellSip.get(device.id);
    const record = recordFromInput(device.id, input, current);
    if (record.mode === 'emulate' && record.emulate.port !== null) await this.checkPortFree(record);
    await this.deps.store.doorbellSip.put(record);
    this.deps.logger.info({ deviceId: device.id, mode: record.mode }, 'doorbell SIP settings saved');
    await this.reattach(device.id);
    return this.view(device.id);
  }

  async reconfigure(deviceId: string): Promise<SipViewType> {
    const device = await this.doorbell(deviceId);
    const entry = this.attached.get(device.id);
    if (!entry?.autoConfig) {
      throw new AppError(
        'not_auto_configured',
        409,
        `"${device.name}" is not in "emulate SIP proxy" mode with auto-configuration on.`,
      );
    }
    entry.autoConfig.stop();
    await this.startAutoConfig(entry);
    return this.view(device.id);
  }

  /** A doorbell's SIP call state, when it has a SIP call (the devices module asks over the bus otherwise). */
  callState(deviceId: string): DoorbellCallState | undefined {
    return this.calls.state(deviceId);
  }

  // ---------------------------------------------------------------------------------------------
  // Attaching doorbells

  /** Applies the stored settings of a device anew (after a change, an edit or a removal). */
  private reattach(deviceId: string): Promise<void> {
    const previous = this.chains.get(deviceId) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        await this.detach(deviceId);
        if (!this.stopped) await this.attach(deviceId);
      })
      .catch((error: unknown) =>
        this.deps.logger.error({ err: error, deviceId }, 'doorbell SIP could not be set up'),
      )
      .finally(() => {
        if (this.chains.get(deviceId) === next) this.chains.delete(deviceId);
      });
    this.chains.set(deviceId, next);
    return next;
  }

  /**
   * A renamed doorbell keeps its SIP server, registration and call; a new address (or switching
   * it on or off) sets SIP up anew.
   */
  private async deviceUpdated(deviceId: string, reconnect: boolean): Promise<void> {
    if (reconnect) return this.reattach(deviceId);
    const device = await this.deps.store.devices.get(deviceId);
    const entry = this.attached.get(deviceId);
    if (entry && device?.enabled) entry.device = device;
    else if (entry || device?.enabled) await this.reattach(deviceId);
  }

  private async attach(deviceId: string): Promise<void> {
    const record = await this.deps.store.doorbellSip.get(deviceId);
    const device = await this.deps.store.devices.get(deviceId);
    if (!record || !device || record.mode === 'off' || !device.enabled || device.kind !== 'doorbell') return;
    const entry: Attached = { record, device };
    this.attached.set(deviceId, entry);
    try {
      if (record.mode === 'emulate') await this.attachEmulated(entry);
      else await this.attachClient(entry);
    } catch (error) {
      entry.error = `SIP could not start for "${device.name}": ${(error as Error).message}`;
      this.deps.logger.warn({ deviceId, reason: entry.error }, 'doorbell SIP not started');
    }
  }

  private async detach(deviceId: string): Promise<void> {
    const entry = this.attached.get(deviceId);
    if (!entry) return;
    this.attached.delete(deviceId);
    this.registeredAt.delete(deviceId);
    entry.autoConfig?.stop();
    await this.calls.drop(deviceId);
    entry.proxy?.remove(deviceId);
    await entry.phone?.close();
  }

  private async attachEmulated(entry: Attached): Promise<void> {
    const { record, device } = entry;
    const address = await resolveIpv4(device.host);
    const localAddress = this.deps.settings.advertisedHost || (await localAddressFor(address));
    const proxy = await this.proxyFor(record.emulate.port);
    entry.proxy = proxy;
    entry.localAddress = localAddress;
    proxy.add({
      deviceId: device.id,
      address,
      localAddress,
      settings: record.emulate,
      password: record.password,
    });
    if (record.emulate.autoConfigure) await this.startAutoConfig(entry);
  }

  private async startAutoConfig(entry: Attached): Promise<void> {
    const { record, device, proxy, localAddress } = entry;
    if (!proxy || !localAddress) return;
    const { settings } = this.deps;
    entry.autoConfig = new AutoConfigurer(
      {
        deviceId: device.id,
        name: device.name,
        settings: record.emulate,
        password: record.emulate.digestUsername ? record.password : null,
        proxyAddress: localAddress,
        proxyPort: proxy.port,
        expiresSeconds: settings.registerExpiresSeconds,
      },
      {
        logger: this.deps.logger.child({ part: 'doorbell-autoconfig' }),
        client: () => this.deps.devices.client(device.id),
        registeredSince: (since) => {
          const at = this.registeredAt.get(device.id);
          return at !== undefined && at >= since && proxy.binding(device.id) !== undefined;
        },
        retryMinMs: settings.configureRetryMinSeconds * 1000,
        retryMaxMs: settings.configureRetryMaxSeconds * 1000,
        registerWaitMs: settings.registerWaitSeconds * 1000,
        onChange: (status: AutoConfigStatus) => {
          if (status.state === 'failed')
            this.deps.logger.debug({ deviceId: device.id }, 'auto-configuration needs the user');
        },
      },
    );
    entry.autoConfig.start();
  }

  private async attachClient(entry: Attached): Promise<void> {
    const { record, device } = entry;
    const client = record.client!;
    const serverAddress = await resolveIpv4(client.server);
    const localAddress = this.deps.settings.advertisedHost || (await localAddressFor(serverAddress));
    entry.localAddress = localAddress;
    entry.phone = await ClientPhone.start({
      deviceId: device.id,
      host: this.deps.settings.sipHost,
      t1Ms: this.deps.settings.sipT1Ms,
      settings: client,
      serverAddress,
      localAddress,
      password: record.password,
      logger: this.deps.logger.child({ part: 'doorbell-sip', deviceId: device.id }),
      calls: this.calls,
      onStatus: (status) => {
        if (status.state === 'retrying' && status.lastError) {
          this.deps.logger.warn(
            { deviceId: device.id, reason: status.lastError },
            'PBX registration failed; retrying',
          );
        }
      },
    });
  }

  /** The emulated proxy on `port` (null = the shared port), started on first use. */
  private proxyFor(port: number | null): Promise<EmulatedProxy> {
    if (port !== null) return this.proxyOn(port);
    if (this.sharedPort !== undefined) return this.proxyOn(this.sharedPort);
    return this.startSharedProxy();
  }

  private proxyOn(port: number): Promise<EmulatedProxy> {
    let proxy = this.proxies.get(port);
    if (!proxy) {
      proxy = this.startProxy(port);
      this.proxies.set(port, proxy);
      proxy.catch(() => this.proxies.delete(port));
    }
    return proxy;
  }

  /** The shared port: configured, else the one picked last time (doorbells know it), else a free one. */
  private async startSharedProxy(): Promise<EmulatedProxy> {
    const configured = this.deps.settings.sipPort;
    const remembered = await this.deps.store.settings.get<number>(SHARED_PORT_KEY);
    const wanted = configured || remembered || 0;
    let proxy: EmulatedProxy;
    try {
      proxy = await this.startProxy(wanted);
    } catch (error) {
      if (configured || !remembered) throw error;
      // The remembered port is taken now: pick another; auto-configuration moves the doorbells.
      this.deps.logger.warn(
        { port: remembered },
        'the doorbell SIP port used last time is taken; picking another',
      );
      proxy = await this.startProxy(0);
    }
    this.sharedPort = proxy.port;
    this.proxies.set(proxy.port, Promise.resolve(proxy));
    if (!configured && proxy.port !== remembered)
      await this.deps.store.settings.set(SHARED_PORT_KEY, proxy.port);
    this.deps.logger.info({ port: proxy.port }, 'doorbell SIP server listening (UDP and TCP)');
    return proxy;
  }

  private startProxy(port: number): Promise<EmulatedProxy> {
    const logger = this.deps.logger.child({ part: 'doorbell-sip' });
    return EmulatedProxy.start({
      host: this.deps.settings.sipHost,
      port,
      t1Ms: this.deps.settings.sipT1Ms,
      registerExpiresSeconds: this.deps.settings.registerExpiresSeconds,
      logger,
      calls: this.calls,
      events: {
        registered: (deviceId, binding, refreshed) => {
          this.registeredAt.set(deviceId, Date.now());
          if (!refreshed) logger.info({ deviceId, contact: binding.contact }, 'doorbell registered');
          this.attached.get(deviceId)?.autoConfig?.registered();
        },
        unregistered: (deviceId) => {
          this.registeredAt.delete(deviceId);
          logger.info({ deviceId }, 'doorbell unregistered');
        },
        refused: (address, what) => logger.info({ address }, `SIP ${what}`),
      },
    });
  }

  private async checkPortFree(record: Omit<DoorbellSipRecord, 'updatedAt'>): Promise<void> {
    const port = record.emulate.port!;
    if (this.proxies.has(port) || port === this.sharedPort) return;
    // Started (and kept) now, so a port another program holds is refused before anything is saved.
    try {
      await this.proxyOn(port);
    } catch (error) {
      throw new AppError(
        'port_unavailable',
        409,
        `emulate.port: port ${port} cannot be used (${(error as Error).message}).`,
      );
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Views

  private isRegistered(entry: Attached): boolean {
    if (entry.phone) return entry.phone.status.state === 'registered';
    return entry.proxy?.binding(entry.device.id) !== undefined;
  }

  private viewOf(record: DoorbellSipRecord, entry: Attached | undefined): SipViewType {
    const { password, updatedAt: _updated, ...settings } = record;
    return {
      ...settings,
      emulate: { ...EMULATE_DEFAULTS, ...settings.emulate },
      passwordSet: password !== null,
      status: { ...this.statusOf(record, entry), call: this.calls.state(record.deviceId) ?? 'idle' },
    };
  }

  private statusOf(
    record: DoorbellSipRecord,
    entry: Attached | undefined,
  ): Omit<SipViewType['status'], 'call'> {
    const base = {
      listenPort: entry?.phone?.port ?? entry?.proxy?.port ?? null,
      localAddress: entry?.localAddress ?? null,
      registeredAt: null,
      expiresAt: null,
      autoConfig: entry?.autoConfig?.status ?? null,
    };
    if (record.mode === 'off')
      return { ...base, state: 'off', detail: 'ring is found by polling the doorbell' };
    if (!entry) return { ...base, state: 'off', detail: 'the doorbell is disabled' };
    if (entry.error) return { ...base, state: 'error', detail: entry.error };
    if (entry.phone) {
      const status = entry.phone.status;
      return {
        ...base,
        state:
          status.state === 'registered'
            ? 'registered'
            : status.state === 'retrying'
              ? 'retrying'
              : 'starting',
        detail: status.lastError,
        registeredAt: iso(status.registeredAt),
        expiresAt: iso(status.expiresAt),
      };
    }
    const binding = entry.proxy?.binding(record.deviceId);
    if (binding) {
      return {
        ...base,
        state: 'registered',
        detail: null,
        registeredAt: iso(binding.registeredAt),
        expiresAt: iso(binding.expiresAt),
      };
    }
    const autoConfig = entry.autoConfig?.status;
    const detail =
      autoConfig?.error ??
      (autoConfig
        ? 'waiting for the doorbell to register'
        : `waiting for the doorbell to register; set its SIP server to ${entry.localAddress}:${entry.proxy?.port}`);
    return { ...base, state: 'not-registered', detail };
  }

  private async doorbell(deviceId: string): Promise<DeviceRecord> {
    const device = await this.deps.store.devices.get(deviceId);
    if (!device) throw new NotFoundError('device', deviceId);
    if (device.kind !== 'doorbell') {
      throw new AppError('not_a_doorbell', 409, `"${device.name}" is a ${device.kind}, not a doorbell.`);
    }
    return device;
  }
}

function defaultRecord(deviceId: string): DoorbellSipRecord {
  return { deviceId, mode: 'off', emulate: EMULATE_DEFAULTS, client: null, password: null, updatedAt: '' };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export const doorbellModule = defineModule({
  name: 'doorbell',
  settings: (config) => config.doorbell,
  create: (context) => {
    const devices = context.modules.get(devicesModule);
    return new DoorbellModule({
      ...context,
      devices: { client: (deviceId) => devices.supervisor.client(deviceId) },
    });
  },
});
