/**
 * What hikbridge exposes over MQTT for one device, derived from the store records alone, so the
 * same records always give the same entity keys (and so the same topics and unique ids).
 */

import type { ChannelRecord, DeviceRecord, EntityRecord } from '../../core/store/types.ts';
import type { CallAction } from '../devices/index.ts';

export type Component = 'binary_sensor' | 'event' | 'lock' | 'image' | 'button' | 'sensor';

/** Binary sensors every camera channel has, by key suffix. */
export const CHANNEL_SENSORS = ['motion', 'line_crossing', 'intrusion', 'tamper', 'video_loss'] as const;
export type ChannelSensor = (typeof CHANNEL_SENSORS)[number];

export type EntityRole =
  | { type: 'channel-sensor'; channelNo: number; sensor: ChannelSensor }
  | { type: 'snapshot'; channelNo: number; channelId: string }
  | { type: 'take-snapshot'; channelNo: number; channelId: string }
  | { type: 'ring' }
  | { type: 'ringing' }
  | { type: 'lock'; door: number }
  | { type: 'contact'; door: number }
  | { type: 'tamper' }
  | { type: 'alarm-input'; port: number }
  /** Lifts the login hold after the credentials were fixed on the device (usable while it is offline). */
  | { type: 'retry-login' }
  /** Turns the tamper latch off after the user checked the device. */
  | { type: 'tamper-reset' }
  /** Doorbell call control: answer, hang up, or stop the ringing (answer then hang up). */
  | { type: 'call'; action: CallAction }
  /** The doorbell's call in words: ringing, in call, idle (bus event `doorbell.call`). */
  | { type: 'call-state' }
  /** A cloud camera's `online` as the cloud reports it. */
  | { type: 'connectivity' }
  /** A cloud camera's status word (pending, ok, offline, error...), its last error as an attribute. */
  | { type: 'cloud-status' };

export interface EntitySpec {
  /** Topic segment and discovery object id: `ch1_motion`, `door_1`, `ring`... */
  key: string;
  component: Component;
  /** Entity name, shown after the HA device name. */
  name: string;
  /** The HA device it belongs to: the Hikvision device itself, or one NVR channel. */
  channelDevice: number | null;
  role: EntityRole;
}

export interface DeviceView {
  device: DeviceRecord;
  /** Enabled channels only: disabled ones are not cameras, so they get no entities. */
  channels: ChannelRecord[];
  /** From the enabled store entities only: one the user switched off leaves Home Assistant. */
  entities: EntitySpec[];
  /** Entity keys, for quick "does this exist" checks when events arrive. */
  keys: ReadonlySet<string>;
}

const SENSOR_NAMES: Record<ChannelSensor, string> = {
  motion: 'Motion',
  line_crossing: 'Line crossing',
  intrusion: 'Intrusion',
  tamper: 'Video tamper',
  video_loss: 'Video loss',
};

export function channelKey(channelNo: number, suffix: string): string {
  return `ch${channelNo}_${suffix}`;
}

/** NVR/DVR channels are cameras of their own in Home Assistant, linked through the recorder. */
export function hasChannelDevices(device: Pick<DeviceRecord, 'kind'>): boolean {
  return device.kind === 'nvr' || device.kind === 'dvr';
}

export function buildView(
  device: DeviceRecord,
  channels: ChannelRecord[],
  records: EntityRecord[],
): DeviceView {
  const enabled = channels.filter((channel) => channel.enabled).sort((a, b) => a.channelNo - b.channelNo);
  const entities = [
    ...enabled.flatMap((channel) => channelEntities(device, channel, enabled.length)),
    ...records.filter((record) => record.enabled).flatMap(deviceEntities),
    RETRY_LOGIN,
  ];
  return { device, channels: enabled, entities, keys: new Set(entities.map((entity) => entity.key)) };
}

function channelEntities(device: DeviceRecord, channel: ChannelRecord, count: number): EntitySpec[] {
  const channelNo = channel.channelNo;
  const channelDevice = hasChannelDevices(device) ? channelNo : null;
  // Several channels on one HA device (multi-sensor cameras) need the channel in the name.
  const prefix = channelDevice === null && count > 1 ? `${channel.name} ` : '';
  const sensors: EntitySpec[] = CHANNEL_SENSORS.map((sensor) => ({
    key: channelKey(channelNo, sensor),
    component: 'binary_sensor',
    name: `${prefix}${SENSOR_NAMES[sensor]}`,
    channelDevice,
    role: { type: 'channel-sensor', channelNo, sensor },
  }));
  return [
    ...sensors,
    {
      key: channelKey(channelNo, 'snapshot'),
      component: 'image',
      name: `${prefix}Snapshot`,
      channelDevice,
      role: { type: 'snapshot', channelNo, channelId: channel.id },
    },
    {
      key: channelKey(channelNo, 'take_snapshot'),
      component: 'button',
      name: `${prefix}Take snapshot`,
      channelDevice,
      role: { type: 'take-snapshot', channelNo, channelId: channel.id },
    },
  ];
}

const CALL_BUTTONS: Array<[key: string, name: string, action: CallAction]> = [
  ['answer', 'Answer', 'answer'],
  ['hang_up', 'Hang up', 'hang-up'],
  ['stop_ringing', 'Stop ringing', 'stop-ringing'],
];

/** Every device has it: after a refused password hikbridge does not log in until told to. */
const RETRY_LOGIN: EntitySpec = {
  key: 'retry_login',
  component: 'button',
  name: 'Retry login',
  channelDevice: null,
  role: { type: 'retry-login' },
};

/**
 * Store entity → MQTT entities (the doorbell gives the ring event, the ringing and call sensors
 * and the call buttons).
 */
function deviceEntities(record: EntityRecord): EntitySpec[] {
  const base = { channelDevice: null };
  const number = (name: string) => Number(record.attributes[name]) || 1;
  switch (record.kind) {
    case 'doorbell':
      return [
        { ...base, key: 'ring', component: 'event', name: 'Ring', role: { type: 'ring' } },
        { ...base, key: 'ringing', component: 'binary_sensor', name: 'Ringing', role: { type: 'ringing' } },
        { ...base, key: 'call', component: 'sensor', name: 'Call', role: { type: 'call-state' } },
        ...CALL_BUTTONS.map(
          ([key, name, action]): EntitySpec => ({
            ...base,
            key,
            component: 'button',
            name,
            role: { type: 'call', action },
          }),
        ),
      ];
    case 'lock': {
      const door = number('door');
      return [
        { ...base, key: `door_${door}`, component: 'lock', name: record.name, role: { type: 'lock', door } },
      ];
    }
    case 'contact': {
      const door = number('door');
      return [
        {
          ...base,
          key: `door_${door}_contact`,
          component: 'binary_sensor',
          name: record.name,
          role: { type: 'contact', door },
        },
      ];
    }
    case 'tamper':
      return [
        { ...base, key: 'tamper', component: 'binary_sensor', name: record.name, role: { type: 'tamper' } },
        {
          ...base,
          key: 'tamper_reset',
          component: 'button',
          name: `${record.name} reset`,
          role: { type: 'tamper-reset' },
        },
      ];
    case 'alarm-input': {
      const port = number('port');
      return [
        {
          ...base,
          key: `alarm_input_${port}`,
          component: 'binary_sensor',
          name: record.name,
          role: { type: 'alarm-input', port },
        },
      ];
    }
    default:
      // Alarm outputs would be switches; hikbridge has no output command yet.
      return [];
  }
}
