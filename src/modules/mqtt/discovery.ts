/**
 * Home Assistant MQTT discovery: one retained config per entity under
 * `<discoveryPrefix>/<component>/<nodeId>/<key>/config`, and the bookkeeping that removes
 * configs (and retained states) of entities that no longer exist.
 */
import type { DoorbellCallState } from '../../core/bus.ts';
import type { CloudCameraStatus, DeviceRecord } from '../../core/store/types.ts';
import { type DeviceView, type EntitySpec, presetOption } from './entities.ts';
import type { Topics } from './topics.ts';

/** store.settings key holding what was published, so stale entities can be removed after a restart. */
export const PUBLISHED_KEY = 'mqtt.discovery';

export interface PublishedTopics {
  /** Discovery config topics. */
  configs: string[];
  /** State, attribute, availability and picture topics that may hold a retained message. */
  retained: string[];
}

export interface Origin {
  name: string;
  sw_version: string;
  support_url?: string;
}

export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

const ON_OFF = { payload_on: 'ON', payload_off: 'OFF' };

export function nodeId(deviceId: string): string {
  return `hikbridge_${deviceId}`;
}

function deviceIdentifier(deviceId: string, channelNo: number | null): string {
  return channelNo === null ? nodeId(deviceId) : `${nodeId(deviceId)}_ch${channelNo}`;
}

export function discoveryMessages(view: DeviceView, topics: Topics, origin: Origin): DiscoveryMessage[] {
  return view.entities.map((entity) => ({
    topic: topics.discoveryConfig(entity.component, nodeId(view.device.id), entity.key),
    payload: entityConfig(view, entity, topics, origin),
  }));
}

function entityConfig(
  view: DeviceView,
  entity: EntitySpec,
  topics: Topics,
  origin: Origin,
): Record<string, unknown> {
  const deviceId = view.device.id;
  return {
    name: entity.name,
    unique_id: `${nodeId(deviceId)}_${entity.key}`,
    device: haDevice(view, entity.channelDevice),
    origin,
    availability: availabilityOf(deviceId, entity, topics),
    availability_mode: 'all',
    payload_available: 'online',
    payload_not_available: 'offline',
    qos: 1,
    ...roleConfig(deviceId, entity, topics),
  };
}

/**
 * Entities follow the bridge and the device. The retry button follows the bridge only: it is
 * needed exactly while the device is unavailable (its login refused).
 */
function availabilityOf(deviceId: string, entity: EntitySpec, topics: Topics): Array<{ topic: string }> {
  const bridge = { topic: topics.bridgeState() };
  if (entity.role.type === 'retry-login') return [bridge];
  return [bridge, { topic: topics.availability(deviceId) }];
}

/** Every status word a cloud camera may have: the options of its HA `enum` sensor. */
const CLOUD_STATUS_WORDS: Record<CloudCameraStatus, true> = {
  pending: true,
  ok: true,
  offline: true,
  error: true,
  removed: true,
  disabled: true,
};

/**
 * The component-specific part: topics, payloads and device classes. `deviceId` is the node the
 * entity's topics hang under (a device id, or `cloud/<cameraId>`).
 */
export function roleConfig(deviceId: string, entity: EntitySpec, topics: Topics): Record<string, unknown> {
  const state = topics.state(deviceId, entity.key);
  const attributes = topics.attributes(deviceId, entity.key);
  const sensor = { state_topic: state, json_attributes_topic: attributes, ...ON_OFF };
  const role = entity.role;
  switch (role.type) {
    case 'channel-sensor':
      return { ...sensor, ...CHANNEL_SENSOR_CLASSES[role.sensor] };
    case 'ring':
      return { state_topic: state, event_types: ['ring'], device_class: 'doorbell' };
    case 'ringing':
      return { ...sensor, icon: 'mdi:bell-ring' };
    case 'lock':
      return {
        state_topic: state,
        json_attributes_topic: attributes,
        command_topic: topics.command(deviceId, entity.key),
        payload_lock: 'LOCK',
        payload_unlock: 'UNLOCK',
        payload_open: 'OPEN',
        state_locked: 'LOCKED',
        state_unlocked: 'UNLOCKED',
        state_jammed: 'JAMMED',
        // The state follows the device's lock events, never the command alone.
        optimistic: false,
        // A retained command would open the door again after every restart.
        retain: false,
      };
    case 'contact':
      return { ...sensor, device_class: 'door' };
    case 'tamper':
      return { ...sensor, device_class: 'tamper', entity_category: 'diagnostic' };
    case 'alarm-input':
      return { ...sensor, icon: 'mdi:electric-switch' };
    case 'snapshot':
      return { image_topic: topics.plainSnapshot(deviceId, role.channelNo), content_type: 'image/jpeg' };
    case 'take-snapshot':
      return {
        command_topic: topics.command(deviceId, entity.key),
        payload_press: 'PRESS',
        retain: false,
        icon: 'mdi:camera',
      };
    case 'retry-login':
      return {
        command_topic: topics.command(deviceId, entity.key),
        payload_press: 'PRESS',
        retain: false,
        icon: 'mdi:account-key',
        entity_category: 'config',
      };
    case 'tamper-reset':
      return {
        command_topic: topics.command(deviceId, entity.key),
        payload_press: 'PRESS',
        retain: false,
        icon: 'mdi:shield-refresh',
        entity_category: 'config',
      };
    case 'call':
      return {
        command_topic: topics.command(deviceId, entity.key),
        payload_press: 'PRESS',
        retain: false,
        icon: CALL_ICONS[role.action],
      };
    case 'call-state':
      return {
        state_topic: state,
        json_attributes_topic: attributes,
        device_class: 'enum',
        options: Object.keys(CALL_STATE_WORDS),
        icon: 'mdi:phone-ring',
      };
    case 'connectivity':
      return { state_topic: state, ...ON_OFF, device_class: 'connectivity', entity_category: 'diagnostic' };
    case 'cloud-status':
      return {
        state_topic: state,
        json_attributes_topic: attributes,
        device_class: 'enum',
        options: Object.keys(CLOUD_STATUS_WORDS),
        entity_category: 'diagnostic',
        icon: 'mdi:cloud-check-variant',
      };
    case 'detection':
    case 'output':
      return {
        state_topic: state,
        command_topic: topics.command(deviceId, entity.key),
        ...ON_OFF,
        state_on: 'ON',
        state_off: 'OFF',
        // The state is the device's, read back after each command, never the command alone.
        optimistic: false,
        retain: false,
        ...(role.type === 'detection'
          ? { icon: 'mdi:motion-sensor', entity_category: 'config' }
          : { icon: 'mdi:electric-switch-closed' }),
      };
    case 'detection-linkage':
      return {
        state_topic: state,
        command_topic: topics.command(deviceId, entity.key),
        ...ON_OFF,
        state_on: 'ON',
        state_off: 'OFF',
        // The state is the trigger's as read back from the device, never the command alone.
        optimistic: false,
        retain: false,
        icon: role.linkage === 'siren' ? 'mdi:bullhorn' : 'mdi:alarm-light',
        entity_category: 'config',
      };
    case 'siren-sound':
    case 'strobe-frequency':
      return {
        state_topic: state,
        command_topic: topics.command(deviceId, entity.key),
        options: role.type === 'siren-sound' ? role.sounds.map((sound) => sound.option) : role.frequencies,
        // The state is the device's, read back after each command.
        optimistic: false,
        retain: false,
        icon: role.type === 'siren-sound' ? 'mdi:music-note' : 'mdi:alarm-light-outline',
        entity_category: 'config',
      };
    case 'siren-level':
    case 'strobe-duration':
      return {
        state_topic: state,
        command_topic: topics.command(deviceId, entity.key),
        min: role.min,
        max: role.max,
        step: 1,
        mode: role.type === 'siren-level' && role.level === 'volume' ? 'slider' : 'box',
        ...(role.type === 'strobe-duration' ? { unit_of_measurement: 's', device_class: 'duration' } : {}),
        optimistic: false,
        retain: false,
        icon: SIREN_LEVEL_ICONS[role.type === 'siren-level' ? role.level : 'duration'],
        entity_category: 'config',
      };
    case 'detection-unreported':
      return { state_topic: state, ...ON_OFF, device_class: 'problem', entity_category: 'diagnostic' };
    case 'reboot':
      return {
        command_topic: topics.command(deviceId, entity.key),
        payload_press: 'PRESS',
        retain: false,
        device_class: 'restart',
        entity_category: 'config',
      };
    case 'ptz':
      return {
        command_topic: topics.command(deviceId, entity.key),
        payload_press: 'PRESS',
        retain: false,
        icon: PTZ_ICONS[role.button],
      };
    case 'ptz-preset':
      // No state topic: the camera does not say which preset it is at (HA keeps the last choice).
      return {
        command_topic: topics.command(deviceId, entity.key),
        options: role.presets.map(presetOption),
        optimistic: true,
        retain: false,
        icon: 'mdi:map-marker-radius',
      };
    case 'ptz-patrol':
      return {
        command_topic: topics.command(deviceId, entity.key),
        payload_press: 'PRESS',
        retain: false,
        icon: role.command === 'start' ? 'mdi:map-marker-path' : 'mdi:stop-circle-outline',
      };
    case 'light-mode':
      return {
        state_topic: state,
        command_topic: topics.command(deviceId, entity.key),
        options: role.modes,
        // The state is the camera's, read back after each command.
        optimistic: false,
        retain: false,
        icon: 'mdi:lightbulb-auto',
        entity_category: 'config',
      };
    case 'light-brightness':
      return {
        state_topic: state,
        command_topic: topics.command(deviceId, entity.key),
        min: 0,
        max: 100,
        step: 1,
        mode: 'slider',
        unit_of_measurement: '%',
        optimistic: false,
        retain: false,
        icon: role.light === 'white' ? 'mdi:brightness-6' : 'mdi:weather-night',
        entity_category: 'config',
      };
    case 'disk':
      return { state_topic: state, ...DISK_CONFIGS[role.reading] };
  }
}

const SIREN_LEVEL_ICONS = {
  volume: 'mdi:volume-high',
  times: 'mdi:repeat',
  duration: 'mdi:timer-outline',
} as const;

const PTZ_ICONS = {
  left: 'mdi:arrow-left-bold',
  right: 'mdi:arrow-right-bold',
  up: 'mdi:arrow-up-bold',
  down: 'mdi:arrow-down-bold',
  'zoom-in': 'mdi:magnify-plus',
  'zoom-out': 'mdi:magnify-minus',
  stop: 'mdi:stop',
  home: 'mdi:home',
} as const;

const MEGABYTES = {
  device_class: 'data_size',
  unit_of_measurement: 'MB',
  state_class: 'measurement',
  entity_category: 'diagnostic',
} as const;

const DISK_CONFIGS = {
  status: { entity_category: 'diagnostic', icon: 'mdi:harddisk' },
  free: MEGABYTES,
  capacity: MEGABYTES,
  problem: { ...ON_OFF, device_class: 'problem', entity_category: 'diagnostic' },
} as const;

/** Every state a doorbell call may have: the options of its HA `enum` sensor. */
const CALL_STATE_WORDS: Record<DoorbellCallState, true> = {
  ringing: true,
  'in call': true,
  idle: true,
};

const CALL_ICONS = {
  answer: 'mdi:phone',
  'hang-up': 'mdi:phone-hangup',
  'stop-ringing': 'mdi:bell-off',
} as const;

const CHANNEL_SENSOR_CLASSES = {
  motion: { device_class: 'motion' },
  line_crossing: { device_class: 'motion', icon: 'mdi:vector-line' },
  intrusion: { device_class: 'motion', icon: 'mdi:shield-alert' },
  tamper: { device_class: 'tamper', entity_category: 'diagnostic' },
  video_loss: { device_class: 'problem', entity_category: 'diagnostic' },
} as const;

/** The HA device: the Hikvision device, or one NVR channel shown as a camera of its own. */
function haDevice(view: DeviceView, channelNo: number | null): Record<string, unknown> {
  const { device } = view;
  const channel = channelNo === null ? undefined : view.channels.find((c) => c.channelNo === channelNo);
  if (channel) {
    return {
      identifiers: [deviceIdentifier(device.id, channel.channelNo)],
      name: channel.name,
      manufacturer: 'Hikvision',
      model: channel.model ?? 'IP camera',
      configuration_url: configurationUrl(device),
      via_device: deviceIdentifier(device.id, null),
    };
  }
  return {
    identifiers: [deviceIdentifier(device.id, null)],
    name: device.name,
    manufacturer: 'Hikvision',
    model: device.model ?? device.kind,
    ...(device.firmwareVersion ? { sw_version: device.firmwareVersion } : {}),
    ...(device.serialNumber ? { serial_number: device.serialNumber } : {}),
    ...(device.macAddress ? { connections: [['mac', device.macAddress.toLowerCase()]] } : {}),
    configuration_url: configurationUrl(device),
  };
}

/** The device's own web page: scheme, host and port only, never credentials. */
function configurationUrl(device: Pick<DeviceRecord, 'host' | 'port' | 'https'>): string {
  const host = device.host.includes(':') ? `[${device.host}]` : device.host;
  return `${device.https ? 'https' : 'http'}://${host}:${device.port}/`;
}

/** Entities without a state topic of their own. */
const STATELESS: ReadonlySet<EntitySpec['role']['type']> = new Set([
  'snapshot',
  'take-snapshot',
  'ring',
  'retry-login',
  'reboot',
  'ptz',
  'ptz-preset',
  'ptz-patrol',
]);

/** Every topic of a device that may hold a retained message (cleared when the device goes). */
export function retainedTopics(view: DeviceView, topics: Topics): string[] {
  const deviceId = view.device.id;
  const list = [topics.availability(deviceId)];
  for (const entity of view.entities) {
    const { role } = entity;
    if (role.type === 'snapshot') list.push(topics.plainSnapshot(deviceId, role.channelNo));
    else if (role.type === 'channel-sensor' && role.sensor === 'motion')
      list.push(topics.plainMotion(deviceId, role.channelNo));
    if (!STATELESS.has(role.type)) {
      list.push(topics.state(deviceId, entity.key), topics.attributes(deviceId, entity.key));
    }
  }
  return list;
}

/** Topics published before that are no longer wanted. */
export function staleTopics(previous: PublishedTopics, current: PublishedTopics): PublishedTopics {
  const configs = new Set(current.configs);
  const retained = new Set(current.retained);
  return {
    configs: previous.configs.filter((topic) => !configs.has(topic)),
    retained: previous.retained.filter((topic) => !retained.has(topic)),
  };
}

/** What the store holds, checked: an older or hand-edited value must not break the start. */
export function parsePublished(value: unknown): PublishedTopics {
  const list = (field: unknown) =>
    Array.isArray(field) ? field.filter((item): item is string => typeof item === 'string') : [];
  const record = (value ?? {}) as Record<string, unknown>;
  return { configs: list(record.configs), retained: list(record.retained) };
}
