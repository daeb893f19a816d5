/**
 * The device registry: add a device (probe, then persist), change its settings, refresh what
 * it offers, remove it. NVR channels become cameras automatically; doorbell locks, contacts
 * and tamper become child entities. Every change is announced on the bus.
 */
import type { Bus } from '../../core/bus.ts';
import { ConflictError, DeviceOperationError, InputError, NotFoundError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ChannelRecord, DeviceRecord, EntityRecord, Patch, Store } from '../../core/store/types.ts';
import { DeviceError } from '../../protocols/http/errors.ts';
import { type DeviceDescription, discoverDevice } from '../../protocols/isapi/discovery.ts';
import { type ConnectSettings, createDeviceClient } from './connect.ts';
import {
  checkChannels,
  checkFingerprint,
  checkHost,
  checkPort,
  checkSnapshotUrl,
  checkStreamNo,
  type DeviceInput,
  type DevicePatch,
  keepStoredPassword,
} from './input.ts';
import { CURRENT_SETTINGS_VERSION } from './settings-version.ts';

type ChannelInput = Omit<ChannelRecord, 'id' | 'deviceId' | 'createdAt' | 'updatedAt'>;
type EntityInput = Omit<EntityRecord, 'id' | 'deviceId' | 'createdAt' | 'enabled'>;

/** Settings whose change means the device must be probed again and clients rebuilt. */
const CONNECTION_FIELDS = [
  'host',
  'port',
  'https',
  'username',
  'password',
  'tlsFingerprint',
  'insecureTls',
] as const;

const CREDENTIALS: ReadonlySet<string> = new Set(['username', 'password']);

export interface DeviceRegistryDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  connect: ConnectSettings;
}

export class DeviceRegistry {
  constructor(private readonly deps: DeviceRegistryDeps) {}

  list(): Promise<DeviceRecord[]> {
    return this.deps.store.devices.list();
  }

  async get(id: string): Promise<DeviceRecord> {
    const device = await this.deps.store.devices.get(id);
    if (!device) throw new NotFoundError('device', id);
    return device;
  }

  /** Probes the device and saves it with its channels and entities. Nothing is saved if the probe fails. */
  async add(input: DeviceInput): Promise<DeviceRecord> {
    const draft = normalizeNewDevice(input);
    await this.assertNotDuplicate(draft.host, draft.port);
    const { description, fingerprint } = await this.probe(draft);
    await this.assertSerialUnique(description.serialNumber);
    const record = {
      ...draft,
      ...describedFields(description),
      name: input.name?.trim() || description.deviceName || description.model,
      tlsFingerprint: draft.tlsFingerprint ?? fingerprint ?? null,
    };
    const saved = await this.deps.store.transaction(async (store) => {
      const device = await store.devices.insert(record);
      await store.channels.replaceForDevice(device.id, channelsFrom(description));
      await store.entities.replaceForDevice(device.id, entitiesFrom(description));
      return device;
    });
    this.deps.logger.info({ deviceId: saved.id, model: saved.model, kind: saved.kind }, 'device added');
    this.deps.bus.emit('device.added', { deviceId: saved.id });
    return saved;
  }

  /** Applies a settings change; connection changes are verified against the device first. */
  async update(id: string, patch: DevicePatch): Promise<DeviceRecord> {
    const current = await this.get(id);
    const changes = normalizePatch(patch);
    if (changes.snapshotUrlOverride) {
      changes.snapshotUrlOverride = keepStoredPassword(
        changes.snapshotUrlOverride,
        current.snapshotUrlOverride,
      );
    }
    const next = { ...current, ...changes };
    // Credentials given again count even when unchanged: the user says they fixed them (on the
    // device, say), which must lift a login hold like any change would.
    const reconnect = CONNECTION_FIELDS.some(
      (field) => field in changes && (CREDENTIALS.has(field) || changes[field] !== current[field]),
    );
    if (reconnect && (next.host !== current.host || next.port !== current.port)) {
      await this.assertNotDuplicate(next.host, next.port, id);
    }
    if (reconnect && next.enabled) {
      // Verify the new settings work before keeping them; the old ones stay if they do not.
      const { description, fingerprint } = await this.probe(next);
      if (
        description.serialNumber &&
        current.serialNumber &&
        description.serialNumber !== current.serialNumber
      ) {
        throw new ConflictError(
          `A different device answers at ${next.host}:${next.port} (serial ${description.serialNumber}, expected ${current.serialNumber}). Add it as a new device instead.`,
        );
      }
      if (!changes.tlsFingerprint && next.https && !next.tlsFingerprint)
        changes.tlsFingerprint = fingerprint ?? null;
    }
    const updated = await this.deps.store.devices.update(id, changes);
    if (!updated) throw new NotFoundError('device', id);
    if (changes.channelOverride !== undefined) await this.refresh(id);
    this.deps.bus.emit('device.updated', { deviceId: id, reconnect });
    return updated;
  }

  /** Probes again and brings channels and entities up to date (new NVR channels, renamed cameras...). */
  async refresh(id: string): Promise<DeviceRecord> {
    const device = await this.get(id);
    const { description } = await this.probe(device);
    const updated = await this.deps.store.transaction(async (store) => {
      const saved = await store.devices.update(id, describedFields(description));
      await store.channels.replaceForDevice(id, channelsFrom(description));
      await store.entities.replaceForDevice(id, entitiesFrom(description));
      return saved;
    });
    if (!updated) throw new NotFoundError('device', id);
    this.deps.bus.emit('channels.changed', { deviceId: id });
    return updated;
  }

  async remove(id: string): Promise<void> {
    const existed = await this.deps.store.devices.delete(id);
    if (!existed) throw new NotFoundError('device', id);
    this.deps.logger.info({ deviceId: id }, 'device removed');
    this.deps.bus.emit('device.removed', { deviceId: id });
  }

  /** Picks which channels appear as cameras. */
  async setChannelEnabled(channelId: string, enabled: boolean): Promise<ChannelRecord> {
    const channel = await this.deps.store.channels.update(channelId, { enabled });
    if (!channel) throw new NotFoundError('channel', channelId);
    this.deps.bus.emit('channels.changed', { deviceId: channel.deviceId });
    return channel;
  }

  private async probe(
    device: Pick<
      DeviceRecord,
      'host' | 'port' | 'https' | 'username' | 'password' | 'tlsFingerprint' | 'insecureTls'
    > & {
      channelOverride: number[] | null;
    },
  ): Promise<{ description: DeviceDescription; fingerprint: string | undefined }> {
    let fingerprint: string | undefined;
    const client = createDeviceClient(device, this.deps.connect, {
      onCertificate: (seen) => {
        fingerprint = seen;
      },
    });
    try {
      const description = await discoverDevice(
        client,
        device.channelOverride ? { channelIds: device.channelOverride } : {},
      );
      return { description, fingerprint };
    } catch (error) {
      if (error instanceof DeviceError) throw new DeviceOperationError(error.code, error.message);
      throw error;
    } finally {
      await client.close();
    }
  }

  private async assertNotDuplicate(host: string, port: number, exceptId?: string): Promise<void> {
    const existing = await this.deps.store.devices.findByAddress(host, port);
    if (existing && existing.id !== exceptId)
      throw new ConflictError(`${host}:${port} is already added as "${existing.name}".`);
  }

  private async assertSerialUnique(serial: string): Promise<void> {
    if (!serial) return;
    const existing = await this.deps.store.devices.findBySerial(serial);
    if (existing) {
      throw new ConflictError(
        `This device (serial ${serial}) is already added as "${existing.name}" at ${existing.host}:${existing.port}.`,
      );
    }
  }
}

type NewDevice = Omit<
  DeviceRecord,
  | 'id'
  | 'createdAt'
  | 'updatedAt'
  | 'name'
  | 'kind'
  | 'model'
  | 'serialNumber'
  | 'firmwareVersion'
  | 'macAddress'
  | 'rtspPort'
  | 'twoWayAudio'
  | 'doors'
  | 'alarmInputs'
  | 'alarmOutputs'
>;

function normalizeNewDevice(input: DeviceInput): NewDevice {
  if (typeof input.password !== 'string' || input.password === '')
    throw new InputError('password: required', 'password');
  const https = input.https ?? false;
  return {
    host: checkHost(input.host),
    port: checkPort(input.port ?? (https ? 443 : 80), 'port'),
    https,
    username: input.username?.trim() || 'admin',
    password: input.password,
    tlsFingerprint: input.tlsFingerprint ? checkFingerprint(input.tlsFingerprint) : null,
    insecureTls: input.insecureTls ?? false,
    httpPortOverride: input.httpPortOverride ? checkPort(input.httpPortOverride, 'httpPortOverride') : null,
    snapshotUrlOverride: input.snapshotUrlOverride ? checkSnapshotUrl(input.snapshotUrlOverride) : null,
    channelOverride: input.channelOverride ? checkChannels(input.channelOverride) : null,
    defaultStream: input.defaultStream ? checkStreamNo(input.defaultStream) : null,
    settingsVersion: CURRENT_SETTINGS_VERSION,
    enabled: input.enabled ?? true,
  };
}

/** Validates only the fields present; `null` clears an optional setting. */
function normalizePatch(patch: DevicePatch): Patch<DeviceRecord> {
  const out: Patch<DeviceRecord> = {};
  if (patch.name !== undefined) {
    const name = patch.name.trim();
    if (!name || name.length > 100) throw new InputError('name: 1-100 characters', 'name');
    out.name = name;
  }
  if (patch.host !== undefined) out.host = checkHost(patch.host);
  if (patch.port !== undefined) out.port = checkPort(patch.port, 'port');
  if (patch.https !== undefined) out.https = patch.https;
  if (patch.username !== undefined) out.username = patch.username.trim() || 'admin';
  if (patch.password !== undefined) {
    if (patch.password === '') throw new InputError('password: cannot be empty', 'password');
    out.password = patch.password;
  }
  if (patch.tlsFingerprint !== undefined)
    out.tlsFingerprint = patch.tlsFingerprint ? checkFingerprint(patch.tlsFingerprint) : null;
  if (patch.insecureTls !== undefined) out.insecureTls = patch.insecureTls;
  if (patch.httpPortOverride !== undefined) {
    out.httpPortOverride = patch.httpPortOverride
      ? checkPort(patch.httpPortOverride, 'httpPortOverride')
      : null;
  }
  if (patch.snapshotUrlOverride !== undefined) {
    out.snapshotUrlOverride = patch.snapshotUrlOverride ? checkSnapshotUrl(patch.snapshotUrlOverride) : null;
  }
  if (patch.channelOverride !== undefined)
    out.channelOverride = patch.channelOverride ? checkChannels(patch.channelOverride) : null;
  if (patch.defaultStream !== undefined)
    out.defaultStream = patch.defaultStream ? checkStreamNo(patch.defaultStream) : null;
  if (patch.enabled !== undefined) out.enabled = patch.enabled;
  return out;
}

/** The stored device fields that come from probing the device. */
export function describedFields(description: DeviceDescription) {
  return {
    kind: description.deviceType,
    model: description.model,
    serialNumber: description.serialNumber || null,
    firmwareVersion: description.firmwareVersion || null,
    macAddress: description.macAddress,
    rtspPort: description.rtspPort,
    twoWayAudio: description.twoWayAudio,
    doors: description.doors,
    alarmInputs: description.alarmInputs,
    alarmOutputs: description.alarmOutputs,
  };
}

export function channelsFrom(description: DeviceDescription): ChannelInput[] {
  return description.channels.map((channel) => ({
    channelNo: channel.id,
    name: channel.name,
    source: channel.source,
    model: channel.model,
    enabled: true,
    online: channel.online,
    streams: channel.streams.map(({ id, streamNo, codec, width, height, fps, audioCodec }) => ({
      id,
      streamNo,
      codec,
      width,
      height,
      fps,
      audioCodec,
    })),
    snapshotUrlOverride: null,
    defaultStream: null,
  }));
}

/** Child entities from what the device reports: doors (lock + contact), tamper, ring, alarm I/O. */
export function entitiesFrom(description: DeviceDescription): EntityInput[] {
  const entities: EntityInput[] = [];
  const intercom = description.deviceType === 'doorbell' || description.deviceType === 'access-controller';
  if (description.deviceType === 'doorbell') {
    entities.push({ kind: 'doorbell', key: 'ring', name: 'Doorbell', attributes: {} });
  }
  if (intercom) {
    for (let door = 1; door <= description.doors; door++) {
      entities.push({ kind: 'lock', key: `door-${door}`, name: `Door ${door} lock`, attributes: { door } });
      entities.push({
        kind: 'contact',
        key: `door-${door}-contact`,
        name: `Door ${door}`,
        attributes: { door },
      });
    }
    entities.push({ kind: 'tamper', key: 'tamper', name: 'Tamper', attributes: {} });
  }
  for (let input = 1; input <= description.alarmInputs; input++) {
    entities.push({
      kind: 'alarm-input',
      key: `alarm-input-${input}`,
      name: `Alarm input ${input}`,
      attributes: { port: input },
    });
  }
  for (let output = 1; output <= description.alarmOutputs; output++) {
    entities.push({
      kind: 'alarm-output',
      key: `alarm-output-${output}`,
      name: `Alarm output ${output}`,
      attributes: { port: output },
    });
  }
  return entities;
}
