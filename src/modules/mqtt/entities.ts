/**
 * What hikbridge exposes over MQTT for one device, derived from the store records alone, so the
 * same records always give the same entity keys (and so the same topics and unique ids).
 */

import type { ControlsChannelInventory, ControlsInventory } from '../../core/bus.ts';
import type { ChannelRecord, DeviceRecord, EntityRecord } from '../../core/store/types.ts';
import type { CallAction } from '../devices/index.ts';

export type Component =
  | 'binary_sensor'
  | 'event'
  | 'lock'
  | 'image'
  | 'button'
  | 'sensor'
  | 'switch'
  | 'select'
  | 'number';

/** PTZ buttons of a channel: a short move one way (the controls module stops it), stop, home. */
export type PtzButton = 'left' | 'right' | 'up' | 'down' | 'zoom-in' | 'zoom-out' | 'stop' | 'home';

/** The lights a supplement light may have, each with its brightness. */
export type LightKind = 'white' | 'ir';

/** What a detection's trigger may do besides notifying the center. */
export type Linkage = 'siren' | 'strobe';

/** The siren's numbers: its volume, and how many times it plays per alarm. */
export type SirenLevel = 'volume' | 'times';

/** What a disk gives: its status word, free space and capacity (MB), and a problem sensor. */
export type DiskReading = 'status' | 'free' | 'capacity' | 'problem';

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
  | { type: 'cloud-status' }
  /** A detection of a channel switched on or off (controls inventory). */
  | { type: 'detection'; channelNo: number; channelId: string; kind: string }
  /** On when that detection does not notify the surveillance center (hikbridge gets no event). */
  | { type: 'detection-unreported'; channelNo: number; kind: string }
  /** An alarm output switched on or off. */
  | { type: 'output'; output: number }
  | { type: 'reboot' }
  | { type: 'ptz'; channelNo: number; channelId: string; button: PtzButton }
  /** Goes to a preset; options `"<n>: <name>"`. */
  | { type: 'ptz-preset'; channelNo: number; channelId: string; presets: Array<{ id: number; name: string }> }
  /** Starts or stops one patrol (ISAPI has both per patrol). */
  | { type: 'ptz-patrol'; channelNo: number; channelId: string; patrol: number; command: 'start' | 'stop' }
  /** The supplement light's mode; options as the camera lists them. */
  | { type: 'light-mode'; channelNo: number; channelId: string; modes: string[] }
  /** One light's brightness, 0-100. */
  | { type: 'light-brightness'; channelNo: number; channelId: string; light: LightKind }
  /** Whether a detection sounds the siren / flashes the strobe (its trigger's linkage). */
  | { type: 'detection-linkage'; channelNo: number; channelId: string; kind: string; linkage: Linkage }
  /** The siren's sound; options the device's names for them (sirenSoundOptions). */
  | { type: 'siren-sound'; sounds: Array<{ id: number; option: string }> }
  /** The siren's volume or times, within the device's range. */
  | { type: 'siren-level'; level: SirenLevel; min: number; max: number }
  /** The strobe's frequency; options as the device lists them. */
  | { type: 'strobe-frequency'; channelNo: number; channelId: string; frequencies: string[] }
  /** Seconds the strobe flashes, within the device's range. */
  | { type: 'strobe-duration'; channelNo: number; channelId: string; min: number; max: number }
  | { type: 'disk'; disk: number; reading: DiskReading };

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
  controls?: ControlsInventory,
): DeviceView {
  const enabled = channels.filter((channel) => channel.enabled).sort((a, b) => a.channelNo - b.channelNo);
  const entities = [
    ...enabled.flatMap((channel) => channelEntities(device, channel, enabled.length)),
    ...records.filter((record) => record.enabled).flatMap(deviceEntities),
    RETRY_LOGIN,
    ...(controls ? controlEntities(device, enabled, records, controls) : []),
  ];
  return { device, channels: enabled, entities, keys: new Set(entities.map((entity) => entity.key)) };
}

/** The HA device of a channel's entities, and the name prefix they need there. */
function channelPlace(device: DeviceRecord, channel: ChannelRecord, count: number) {
  const channelDevice = hasChannelDevices(device) ? channel.channelNo : null;
  // Several channels on one HA device (multi-sensor cameras) need the channel in the name.
  const prefix = channelDevice === null && count > 1 ? `${channel.name} ` : '';
  return { channelDevice, prefix };
}

function channelEntities(device: DeviceRecord, channel: ChannelRecord, count: number): EntitySpec[] {
  const channelNo = channel.channelNo;
  const { channelDevice, prefix } = channelPlace(device, channel, count);
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
      // Alarm outputs are switches made from the controls inventory (controlEntities).
      return [];
  }
}

const PTZ_BUTTONS: Array<[button: PtzButton, name: string, needs: 'panTilt' | 'zoom' | null]> = [
  ['left', 'PTZ left', 'panTilt'],
  ['right', 'PTZ right', 'panTilt'],
  ['up', 'PTZ up', 'panTilt'],
  ['down', 'PTZ down', 'panTilt'],
  ['zoom-in', 'Zoom in', 'zoom'],
  ['zoom-out', 'Zoom out', 'zoom'],
  ['stop', 'PTZ stop', null],
  ['home', 'PTZ home', null],
];

const DISK_READINGS: Array<[reading: DiskReading, name: string]> = [
  ['status', 'status'],
  ['free', 'free space'],
  ['capacity', 'capacity'],
  ['problem', 'problem'],
];

/** `line-crossing` → `Line crossing`. */
function words(kind: string): string {
  const text = kind.replaceAll('-', ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Entities from what the controls module read of the device: detection switches (and whether
 * each notifies the center, sounds the siren, flashes the strobe), the supplement light's mode
 * and brightness, the strobe's frequency and duration, alarm output switches, the siren's sound,
 * volume and times, the reboot button, PTZ buttons, presets and patrols, and storage sensors.
 * Only for enabled channels; an alarm output whose store entity is switched off is left out,
 * like any switched-off entity.
 */
function controlEntities(
  device: DeviceRecord,
  channels: ChannelRecord[],
  records: EntityRecord[],
  controls: ControlsInventory,
): EntitySpec[] {
  const entities: EntitySpec[] = [];
  for (const inventory of controls.channels) {
    const channel = channels.find((candidate) => candidate.id === inventory.channelId);
    if (!channel) continue;
    const { channelNo, id: channelId } = channel;
    const { channelDevice, prefix } = channelPlace(device, channel, channels.length);
    for (const { kind } of inventory.detections) {
      const suffix = `${kind.replaceAll('-', '_')}_detection`;
      entities.push(
        {
          key: channelKey(channelNo, suffix),
          component: 'switch',
          name: `${prefix}${words(kind)} detection`,
          channelDevice,
          role: { type: 'detection', channelNo, channelId, kind },
        },
        {
          key: channelKey(channelNo, `${suffix}_unreported`),
          component: 'binary_sensor',
          name: `${prefix}${words(kind)} detection does not notify center`,
          channelDevice,
          role: { type: 'detection-unreported', channelNo, kind },
        },
      );
    }
    const place = { channelNo, channelId, channelDevice, prefix };
    entities.push(...linkageEntities(place, inventory.detections));
    entities.push(...lightEntities(place, inventory.light));
    entities.push(...strobeEntities(place, inventory.strobe));
    const ptz = inventory.ptz;
    if (!ptz) continue;
    for (const [button, name, needs] of PTZ_BUTTONS) {
      if (needs && !ptz[needs]) continue;
      entities.push({
        key: channelKey(channelNo, `ptz_${button.replace('-', '_')}`),
        component: 'button',
        name: `${prefix}${name}`,
        channelDevice,
        role: { type: 'ptz', channelNo, channelId, button },
      });
    }
    if (ptz.presets.length > 0) {
      entities.push({
        key: channelKey(channelNo, 'ptz_preset'),
        component: 'select',
        name: `${prefix}PTZ preset`,
        channelDevice,
        role: { type: 'ptz-preset', channelNo, channelId, presets: ptz.presets },
      });
    }
    entities.push(...patrolEntities(place, ptz.patrols));
  }
  const base = { channelDevice: null };
  for (const output of controls.outputs) {
    const record = records.find((candidate) => candidate.key === `alarm-output-${output.id}`);
    if (record && !record.enabled) continue;
    entities.push({
      ...base,
      key: `alarm_output_${output.id}`,
      component: 'switch',
      name: record?.name ?? output.name ?? `Alarm output ${output.id}`,
      role: { type: 'output', output: output.id },
    });
  }
  entities.push(...sirenEntities(controls.siren));
  entities.push({ ...base, key: 'reboot', component: 'button', name: 'Reboot', role: { type: 'reboot' } });
  for (const disk of controls.storage) {
    for (const [reading, name] of DISK_READINGS) {
      entities.push({
        ...base,
        key: `disk_${disk.id}_${reading}`,
        component: reading === 'problem' ? 'binary_sensor' : 'sensor',
        name: `${diskName(disk)} ${name}`,
        role: { type: 'disk', disk: disk.id, reading },
      });
    }
  }
  return entities;
}

/** Where a channel's control entities go: its HA device and the name prefix they need there. */
interface ChannelPlace {
  channelNo: number;
  channelId: string;
  channelDevice: number | null;
  prefix: string;
}

const LIGHT_NAMES: Record<LightKind, string> = { white: 'White light', ir: 'IR light' };

/** A select for the light's mode, and a brightness number per light the camera reports. */
function lightEntities(place: ChannelPlace, light: ControlsChannelInventory['light']): EntitySpec[] {
  if (!light) return [];
  const { channelNo, channelId, channelDevice, prefix } = place;
  // A camera that does not list its modes still takes its current one (nothing else is known).
  const listed = light.modes ?? [];
  const modes = listed.includes(light.mode) ? listed : [...listed, light.mode];
  const entities: EntitySpec[] = [
    {
      key: channelKey(channelNo, 'light_mode'),
      component: 'select',
      name: `${prefix}Supplement light mode`,
      channelDevice,
      role: { type: 'light-mode', channelNo, channelId, modes },
    },
  ];
  const brightness: Record<LightKind, number | null> = {
    white: light.whiteBrightness,
    ir: light.irBrightness,
  };
  for (const kind of ['white', 'ir'] as const) {
    if (brightness[kind] === null) continue;
    entities.push({
      key: channelKey(channelNo, `light_${kind}_brightness`),
      component: 'number',
      name: `${prefix}${LIGHT_NAMES[kind]} brightness`,
      channelDevice,
      role: { type: 'light-brightness', channelNo, channelId, light: kind },
    });
  }
  return entities;
}

const LINKAGE_NAMES: Record<Linkage, string> = { siren: 'sounds the siren', strobe: 'flashes the strobe' };

/** A switch per detection and siren / strobe it can be linked to ("Motion sounds the siren"). */
function linkageEntities(
  place: ChannelPlace,
  detections: ControlsChannelInventory['detections'],
): EntitySpec[] {
  const { channelNo, channelId, channelDevice, prefix } = place;
  const entities: EntitySpec[] = [];
  for (const detection of detections) {
    for (const linkage of ['siren', 'strobe'] as const) {
      if (detection[linkage] === null) continue;
      entities.push({
        key: channelKey(channelNo, `${detection.kind.replaceAll('-', '_')}_detection_${linkage}`),
        component: 'switch',
        name: `${prefix}${words(detection.kind)} ${LINKAGE_NAMES[linkage]}`,
        channelDevice,
        role: { type: 'detection-linkage', channelNo, channelId, kind: detection.kind, linkage },
      });
    }
  }
  return entities;
}

/**
 * The strobe's frequency select and duration number. A duration without a stated range gets no
 * number: nothing would bound what Home Assistant sends.
 */
function strobeEntities(place: ChannelPlace, strobe: ControlsChannelInventory['strobe']): EntitySpec[] {
  if (!strobe) return [];
  const { channelNo, channelId, channelDevice, prefix } = place;
  const entities: EntitySpec[] = [];
  // A device that does not list its frequencies still takes its current one.
  const listed = strobe.frequencies ?? [];
  const frequencies =
    strobe.frequency === null || listed.includes(strobe.frequency) ? listed : [...listed, strobe.frequency];
  if (frequencies.length > 0) {
    entities.push({
      key: channelKey(channelNo, 'strobe_frequency'),
      component: 'select',
      name: `${prefix}Strobe frequency`,
      channelDevice,
      role: { type: 'strobe-frequency', channelNo, channelId, frequencies },
    });
  }
  if (strobe.duration !== null && strobe.durationRange) {
    const { min, max } = strobe.durationRange;
    entities.push({
      key: channelKey(channelNo, 'strobe_duration'),
      component: 'number',
      name: `${prefix}Strobe duration`,
      channelDevice,
      role: { type: 'strobe-duration', channelNo, channelId, min, max },
    });
  }
  return entities;
}

const SIREN_LEVEL_NAMES: Record<SirenLevel, string> = {
  volume: 'Siren volume',
  times: 'Siren plays per alarm',
};

/**
 * The siren's sound select, and its volume and times numbers where the device states their
 * range (without one, nothing would bound what Home Assistant sends).
 */
function sirenEntities(siren: ControlsInventory['siren']): EntitySpec[] {
  if (!siren) return [];
  const base = { channelDevice: null };
  const entities: EntitySpec[] = [];
  const sounds = sirenSoundOptions(siren.sounds);
  if (sounds.length > 0) {
    entities.push({
      ...base,
      key: 'siren_sound',
      component: 'select',
      name: 'Siren sound',
      role: { type: 'siren-sound', sounds },
    });
  }
  const levels: Record<SirenLevel, [value: number | null, range: { min: number; max: number } | null]> = {
    volume: [siren.volume, siren.volumeRange],
    times: [siren.times, siren.timesRange],
  };
  for (const level of ['volume', 'times'] as const) {
    const [value, range] = levels[level];
    if (value === null || !range) continue;
    entities.push({
      ...base,
      key: `siren_${level}`,
      component: 'number',
      name: SIREN_LEVEL_NAMES[level],
      role: { type: 'siren-level', level, min: range.min, max: range.max },
    });
  }
  return entities;
}

/**
 * The select options of the siren's sounds: the device's names ("Dog barking"), `Sound 3` for one
 * without a name, and `3: <name>` for every sound when two would read the same.
 */
export function sirenSoundOptions(
  sounds: Array<{ id: number; name: string | null }>,
): Array<{ id: number; option: string }> {
  const named = sounds.map((sound) => ({ id: sound.id, option: sound.name?.trim() || `Sound ${sound.id}` }));
  const unique = new Set(named.map((sound) => sound.option)).size === named.length;
  return unique ? named : named.map((sound) => ({ id: sound.id, option: `${sound.id}: ${sound.option}` }));
}

/** A start and a stop button per set-up patrol (ISAPI starts and stops each by its number). */
function patrolEntities(place: ChannelPlace, patrols: Array<{ id: number; name: string }>): EntitySpec[] {
  const { channelNo, channelId, channelDevice, prefix } = place;
  return patrols.flatMap((patrol) =>
    (['start', 'stop'] as const).map(
      (command): EntitySpec => ({
        key: channelKey(channelNo, `ptz_patrol_${patrol.id}_${command}`),
        component: 'button',
        name: `${prefix}${command === 'start' ? 'Start' : 'Stop'} patrol ${patrolLabel(patrol)}`,
        channelDevice,
        role: { type: 'ptz-patrol', channelNo, channelId, patrol: patrol.id, command },
      }),
    ),
  );
}

/** `Patrol 1` as `1`, a name of its own as `2 (Perimeter)`: unique and readable. */
function patrolLabel(patrol: { id: number; name: string }): string {
  return patrol.name === `Patrol ${patrol.id}` || patrol.name === ''
    ? String(patrol.id)
    : `${patrol.id} (${patrol.name})`;
}

/** `Memory card`, `Disk hdd1`, `NAS 10.0.0.5/share`. */
function diskName(disk: ControlsInventory['storage'][number]): string {
  if (disk.type === 'sd')
    return disk.name && disk.name !== 'hdde' ? `Memory card ${disk.name}` : 'Memory card';
  if (disk.type === 'nas') return `NAS ${disk.name}`;
  return `Disk ${disk.name || disk.id}`;
}

/** Disk status words that need someone's attention (the device's own words). */
const DISK_PROBLEMS = new Set(['error', 'unformatted', 'smartfailed', 'abnormal']);

export function diskHasProblem(status: string): boolean {
  return DISK_PROBLEMS.has(status.toLowerCase());
}

/** Keys of the entities made from the controls inventory (controlEntities). */
const CONTROL_KEY =
  /^(ch\d+_(\w+_detection(_unreported|_siren|_strobe)?|ptz_\w+|light_\w+|strobe_\w+)|alarm_output_\d+|reboot|siren_\w+|disk_\d+_\w+)$/;

export function isControlKey(key: string): boolean {
  return CONTROL_KEY.test(key);
}

/** The select option of a preset. */
export function presetOption(preset: { id: number; name: string }): string {
  return `${preset.id}: ${preset.name}`;
}
