/** The pure parts of the MQTT module: topics, the offline queue, event mapping, command parsing. */
import { describe, expect, it } from 'vitest';
import type { ControlsInventory } from '../../src/core/bus.ts';
import { createLogger } from '../../src/core/logger.ts';
import type { ChannelRecord, DeviceRecord, EntityRecord } from '../../src/core/store/types.ts';
import { lockCommandFor, parseCommand } from '../../src/modules/mqtt/commands.ts';
import { backoffDelay, MqttConnection } from '../../src/modules/mqtt/connection.ts';
import {
  discoveryMessages,
  parsePublished,
  retainedTopics,
  staleTopics,
} from '../../src/modules/mqtt/discovery.ts';
import { buildView, isControlKey, sirenSoundOptions } from '../../src/modules/mqtt/entities.ts';
import { OfflineQueue } from '../../src/modules/mqtt/queue.ts';
import { controlStates, effectsOf, eventAttributes, initialStates } from '../../src/modules/mqtt/states.ts';
import { Topics } from '../../src/modules/mqtt/topics.ts';
import { gatewayEvent } from './helpers.ts';

const NOW = '2026-01-01T00:00:00.000Z';

function device(kind: DeviceRecord['kind'], id = 'dev-1'): DeviceRecord {
  return {
    id,
    name: 'Front',
    host: '10.0.0.2',
    port: 80,
    https: false,
    username: 'admin',
    password: 'never-published',
    tlsFingerprint: null,
    insecureTls: false,
    httpPortOverride: null,
    snapshotUrlOverride: null,
    channelOverride: null,
    defaultStream: null,
    kind,
    model: 'DS-X',
    serialNumber: 'S1',
    firmwareVersion: 'V1',
    macAddress: null,
    rtspPort: 554,
    twoWayAudio: null,
    doors: 2,
    alarmInputs: 0,
    alarmOutputs: 0,
    settingsVersion: 1,
    enabled: true,
    createdAt: NOW,
    updatedAt: NOW,
  };
}

function channel(channelNo: number, enabled = true): ChannelRecord {
  return {
    id: `ch-${channelNo}`,
    deviceId: 'dev-1',
    channelNo,
    name: `Camera ${channelNo}`,
    source: 'local',
    model: null,
    enabled,
    online: true,
    streams: [],
    snapshotUrlOverride: null,
    defaultStream: null,
    createdAt: NOW,
    updatedAt: NOW,
  };
}

function entity(
  kind: EntityRecord['kind'],
  key: string,
  attributes: Record<string, unknown> = {},
): EntityRecord {
  return { id: key, deviceId: 'dev-1', kind, key, name: key, attributes, enabled: true, createdAt: NOW };
}

const doorbellView = buildView(
  device('doorbell'),
  [channel(1)],
  [
    entity('doorbell', 'ring'),
    entity('lock', 'door-1', { door: 1 }),
    entity('contact', 'door-1-contact', { door: 1 }),
    entity('tamper', 'tamper'),
    entity('alarm-output', 'alarm-output-1', { port: 1 }),
  ],
);

describe('topics', () => {
  const topics = new Topics('hb/site1', 'homeassistant');

  it('parses command topics of entities only', () => {
    expect(topics.parseCommand('hb/site1/dev-1/door_1/set')).toEqual({ deviceId: 'dev-1', key: 'door_1' });
    expect(topics.parseCommand('hb/site1/bridge/x/set')).toBeUndefined();
    expect(topics.parseCommand('hb/site1/dev-1/set')).toBeUndefined();
    expect(topics.parseCommand('hb/site1/dev-1/1/motion')).toBeUndefined();
    expect(topics.parseCommand('other/dev-1/door_1/set')).toBeUndefined();
  });
});

describe('offline queue', () => {
  const message = (topic: string, payload = 'x') => ({
    topic,
    payload,
    retain: true,
    kind: 'image' as const,
  });

  it('keeps the newest value per topic and drops the oldest beyond its cap', () => {
    const queue = new OfflineQueue(3, 1_000_000);
    expect(queue.push(message('a', '1'))).toBe(0);
    queue.push(message('b'));
    expect(queue.push(message('a', '2'))).toBe(0);
    expect(queue.size).toBe(2);
    expect(queue.push(message('c'))).toBe(0);
    expect(queue.push(message('d'))).toBe(1);
    expect(queue.drain().map((m) => `${m.topic}${m.payload}`)).toEqual(['a2', 'cx', 'dx']);
    expect(queue.size).toBe(0);
  });

  it('is bounded in bytes too', () => {
    const queue = new OfflineQueue(100, 1000);
    let dropped = 0;
    for (let i = 0; i < 10; i++) dropped += queue.push(message(`t${i}`, 'y'.repeat(300)));
    expect(queue.size).toBe(3);
    expect(dropped).toBe(7);
  });
});

describe('connection while the broker is away', () => {
  it('keeps pictures within the queue bound, drops rings, and reports every loss', () => {
    const lost: Array<[string, number]> = [];
    const connection = new MqttConnection({
      url: 'mqtt://127.0.0.1:1',
      clientId: 'offline-test',
      keepaliveSeconds: 30,
      will: { topic: 'hikbridge/bridge/state', payload: 'offline' },
      logger: createLogger({ level: 'silent' }),
      onConnect: () => undefined,
      onMessage: () => undefined,
      onDropped: (kind, count) => lost.push([kind, count]),
      queueMessages: 2,
    });
    const picture = (channel: number) => ({
      topic: `hikbridge/dev/${channel}/snapshot`,
      payload: Buffer.from([0xff, 0xd8]),
      retain: true,
      kind: 'image' as const,
    });
    connection.publish(picture(1));
    connection.publish(picture(2));
    expect(lost).toEqual([]);
    connection.publish(picture(3));
    connection.publish({ topic: 'hikbridge/dev/ring/state', payload: '{}', retain: false, kind: 'event' });
    // States are the module's to send again at connect (it keeps the newest of each): no loss.
    connection.publish({
      topic: 'hikbridge/dev/ch1_motion/state',
      payload: 'ON',
      retain: true,
      kind: 'state',
    });
    expect(lost).toEqual([
      ['image', 1],
      ['event', 1],
    ]);
    expect(connection.status).toEqual({ state: 'connecting' });
  });
});

describe('entities', () => {
  it('a doorbell has ring, ringing, call sensor and buttons, lock, contact, tamper, its camera channel and the retry button', () => {
    expect([...doorbellView.keys].sort()).toEqual(
      [
        'retry_login',
        'call',
        'answer',
        'hang_up',
        'stop_ringing',
        'tamper_reset',
        'ch1_intrusion',
        'ch1_line_crossing',
        'ch1_motion',
        'ch1_snapshot',
        'ch1_take_snapshot',
        'ch1_tamper',
        'ch1_video_loss',
        'door_1',
        'door_1_contact',
        'ring',
        'ringing',
        'tamper',
      ].sort(),
    );
  });

  it('disabled channels get no entities; multi-channel cameras name their channels', () => {
    const view = buildView(device('camera'), [channel(1), channel(2), channel(3, false)], []);
    expect(view.keys.has('ch3_motion')).toBe(false);
    expect(view.entities.find((e) => e.key === 'ch2_motion')?.name).toBe('Camera 2 Motion');
  });

  it('lasting states start OFF, the call idle; locks and contacts stay unknown', () => {
    const updates = initialStates(doorbellView);
    const keys = updates.map((update) => update.key);
    expect(keys).toContain('ringing');
    expect(keys).toContain('ch1_motion');
    expect(updates).toContainEqual({ key: 'call', payload: 'idle' });
    expect(keys).not.toContain('door_1');
    expect(keys).not.toContain('door_1_contact');
  });

  it('entities switched off are left out, with what derives from them', () => {
    const off = (record: EntityRecord): EntityRecord => ({ ...record, enabled: false });
    const view = buildView(
      device('doorbell'),
      [channel(1)],
      [
        entity('doorbell', 'ring'),
        off(entity('lock', 'door-1', { door: 1 })),
        entity('contact', 'door-1-contact', { door: 1 }),
        off(entity('tamper', 'tamper')),
      ],
    );
    for (const key of ['door_1', 'tamper', 'tamper_reset']) expect(view.keys.has(key)).toBe(false);
    for (const key of ['door_1_contact', 'ring', 'call']) expect(view.keys.has(key)).toBe(true);
    const topics = new Topics('hikbridge', 'homeassistant');
    const origin = { name: 'hikbridge', sw_version: '0' };
    const configs = discoveryMessages(view, topics, origin).map((message) => message.topic);
    expect(configs).not.toContain('homeassistant/binary_sensor/hikbridge_dev-1/tamper/config');
    expect(retainedTopics(view, topics)).not.toContain('hikbridge/dev-1/tamper/state');
  });

  it('the call sensor is an enum of ringing, in call and idle', () => {
    const topics = new Topics('hikbridge', 'homeassistant');
    const call = discoveryMessages(doorbellView, topics, { name: 'hikbridge', sw_version: '0' }).find(
      (message) => message.topic === 'homeassistant/sensor/hikbridge_dev-1/call/config',
    );
    expect(call?.payload).toMatchObject({
      name: 'Call',
      device_class: 'enum',
      options: ['ringing', 'in call', 'idle'],
      state_topic: 'hikbridge/dev-1/call/state',
      json_attributes_topic: 'hikbridge/dev-1/call/attributes',
    });
    expect(retainedTopics(doorbellView, topics)).toContain('hikbridge/dev-1/call/state');
  });
});

describe('events to states', () => {
  it('maps lasting events to ON/OFF and pulses to door and lock states', () => {
    const motion = effectsOf(
      gatewayEvent({ deviceId: 'dev-1', channelNo: 1, kind: 'motion', state: 'start' }),
      doorbellView,
    );
    expect(motion.states).toEqual([{ key: 'ch1_motion', payload: 'ON' }]);
    expect(motion.motion).toEqual({ channelNo: 1, payload: 'ON' });
    expect(motion.snapshot?.id).toBe('ch-1');
    const end = effectsOf(
      gatewayEvent({ deviceId: 'dev-1', channelNo: 1, kind: 'motion', state: 'end' }),
      doorbellView,
    );
    expect(end.states).toEqual([{ key: 'ch1_motion', payload: 'OFF' }]);
    expect(end.snapshot).toBeUndefined();
    const jammed = effectsOf(
      gatewayEvent({ deviceId: 'dev-1', kind: 'lock-exception', state: 'pulse', region: 1 }),
      doorbellView,
    );
    expect(jammed.states).toEqual([{ key: 'door_1', payload: 'JAMMED' }]);
  });

  it('a ring fires the event once and holds ringing until the end', () => {
    const start = effectsOf(
      gatewayEvent({ deviceId: 'dev-1', kind: 'doorbell-ring', state: 'start' }),
      doorbellView,
    );
    expect(start.ring).toBe(true);
    expect(start.states).toEqual([{ key: 'ringing', payload: 'ON' }]);
    const update = effectsOf(
      gatewayEvent({ deviceId: 'dev-1', kind: 'doorbell-ring', state: 'update' }),
      doorbellView,
    );
    expect(update.ring).toBe(false);
  });

  it('ignores entities the device does not have', () => {
    const effects = effectsOf(
      gatewayEvent({ deviceId: 'dev-1', kind: 'door-open', state: 'pulse', region: 2 }),
      doorbellView,
    );
    expect(effects.states).toEqual([]);
  });

  it('masks secrets in attributes and bounds their size', () => {
    const event = gatewayEvent({
      deviceId: 'dev-1',
      kind: 'motion',
      state: 'start',
      attributes: { url: 'rtsp://admin:hunter2@10.0.0.2/x', password: 'hunter2', blob: 'z'.repeat(20_000) },
    });
    const text = JSON.stringify(eventAttributes(event));
    expect(text).not.toContain('hunter2');
    expect(text.length).toBeLessThan(1000);
    const small = JSON.stringify(eventAttributes({ ...event, attributes: { password: 'hunter2', zone: 3 } }));
    expect(small).not.toContain('hunter2');
    expect(small).toContain('"zone":3');
  });
});

describe('commands', () => {
  it('maps lock payloads to door commands and refuses anything else', () => {
    expect(parseCommand(doorbellView, 'door_1', 'UNLOCK')).toEqual({
      type: 'door',
      door: 1,
      command: 'open',
    });
    expect(parseCommand(doorbellView, 'door_1', 'OPEN')).toEqual({ type: 'door', door: 1, command: 'open' });
    expect(parseCommand(doorbellView, 'door_1', ' LOCK\n')).toEqual({
      type: 'door',
      door: 1,
      command: 'close',
    });
    expect(typeof parseCommand(doorbellView, 'door_1', 'unlock please')).toBe('string');
    expect(typeof parseCommand(doorbellView, 'ringing', 'ON')).toBe('string');
    expect(typeof parseCommand(doorbellView, 'door_5', 'UNLOCK')).toBe('string');
    expect(parseCommand(doorbellView, 'ch1_take_snapshot', 'PRESS')).toEqual({
      type: 'snapshot',
      channelId: 'ch-1',
      channelNo: 1,
    });
  });

  it('LOCK sends close where listed, else resume, else nothing', () => {
    expect(lockCommandFor(undefined)).toBe('close');
    expect(lockCommandFor(['open', 'close', 'alwaysOpen', 'resume'])).toBe('close');
    // The captured door station without close (test/fixtures/doorbell/other).
    expect(lockCommandFor(['open', 'alwaysOpen', 'resume'])).toBe('resume');
    expect(lockCommandFor(['open'])).toEqual({ refused: expect.stringContaining('it lists: open') });
    expect(lockCommandFor([])).toEqual({ refused: expect.stringContaining('it lists: none') });
  });

  it('"Retry login" takes PRESS only, and stays available while the device is not', () => {
    expect(parseCommand(doorbellView, 'retry_login', 'PRESS')).toEqual({ type: 'retry-login' });
    expect(typeof parseCommand(doorbellView, 'retry_login', 'ON')).toBe('string');
    const topics = new Topics('hikbridge', 'homeassistant');
    const origin = { name: 'hikbridge', sw_version: 'test' };
    const configs = discoveryMessages(doorbellView, topics, origin);
    const button = configs.find((m) => m.topic.endsWith('/retry_login/config'))!;
    expect(button.topic).toBe('homeassistant/button/hikbridge_dev-1/retry_login/config');
    expect(button.payload).toMatchObject({
      command_topic: 'hikbridge/dev-1/retry_login/set',
      payload_press: 'PRESS',
      retain: false,
      availability: [{ topic: topics.bridgeState() }],
    });
    const sensor = configs.find((m) => m.topic.endsWith('/ringing/config'))!;
    expect(sensor.payload.availability).toContainEqual({ topic: 'hikbridge/dev-1/availability' });
    expect(retainedTopics(doorbellView, topics).some((topic) => topic.includes('retry_login'))).toBe(false);
  });
});

describe('controls entities', () => {
  const inventory: ControlsInventory = {
    channels: [
      {
        channelId: 'ch-1',
        channelNo: 1,
        detections: [
          { kind: 'motion', enabled: true, notifiesCenter: true, siren: null, strobe: null },
          { kind: 'line-crossing', enabled: false, notifiesCenter: null, siren: null, strobe: null },
        ],
        ptz: {
          panTilt: false,
          zoom: true,
          presets: [{ id: 3, name: 'Gate' }],
          patrols: [
            { id: 1, name: 'Patrol 1' },
            { id: 2, name: 'Perimeter' },
          ],
        },
        // An IR-only light that does not list its modes: the current one is the only option.
        light: { mode: 'irLight', modes: null, whiteBrightness: null, irBrightness: 60 },
        strobe: null,
      },
      // A channel switched off (or unknown) gives nothing.
      {
        channelId: 'ch-9',
        channelNo: 9,
        detections: [{ kind: 'motion', enabled: true, notifiesCenter: true, siren: null, strobe: null }],
        ptz: null,
        light: null,
        strobe: null,
      },
    ],
    outputs: [
      { id: 1, name: null, state: 'on' },
      { id: 2, name: 'Siren', state: 'off' },
    ],
    storage: [{ id: 1, name: 'hdd1', type: 'hdd', status: 'unformatted', capacityMb: 1000, freeMb: null }],
    siren: null,
    readAt: NOW,
  };
  const nvr = () =>
    buildView(
      device('nvr'),
      [channel(1)],
      [{ ...entity('alarm-output', 'alarm-output-2'), enabled: false }],
      inventory,
    );

  it('are built from the inventory: NVR channels on their own HA device, outputs switched off left out', () => {
    const view = nvr();
    const keys = view.entities.filter((e) => isControlKey(e.key)).map((e) => `${e.component}/${e.key}`);
    expect(keys).toEqual([
      'switch/ch1_motion_detection',
      'binary_sensor/ch1_motion_detection_unreported',
      'switch/ch1_line_crossing_detection',
      'binary_sensor/ch1_line_crossing_detection_unreported',
      // No white light: no white brightness.
      'select/ch1_light_mode',
      'number/ch1_light_ir_brightness',
      // Zoom only: no pan/tilt buttons.
      'button/ch1_ptz_zoom_in',
      'button/ch1_ptz_zoom_out',
      'button/ch1_ptz_stop',
      'button/ch1_ptz_home',
      'select/ch1_ptz_preset',
      'button/ch1_ptz_patrol_1_start',
      'button/ch1_ptz_patrol_1_stop',
      'button/ch1_ptz_patrol_2_start',
      'button/ch1_ptz_patrol_2_stop',
      'switch/alarm_output_1',
      'button/reboot',
      'sensor/disk_1_status',
      'sensor/disk_1_free',
      'sensor/disk_1_capacity',
      'binary_sensor/disk_1_problem',
    ]);
    expect(view.entities.find((e) => e.key === 'ch1_ptz_preset')?.channelDevice).toBe(1);
    expect(view.entities.find((e) => e.key === 'reboot')?.channelDevice).toBeNull();
    expect(view.entities.find((e) => e.key === 'ch1_ptz_patrol_2_start')?.name).toBe(
      'Start patrol 2 (Perimeter)',
    );
    expect(view.entities.find((e) => e.key === 'ch1_ptz_patrol_1_stop')?.name).toBe('Stop patrol 1');
    expect(view.entities.find((e) => e.key === 'ch1_light_mode')?.role).toMatchObject({ modes: ['irLight'] });
    for (const key of ['ch1_motion', 'ch1_snapshot', 'retry_login', 'door_1'])
      expect(isControlKey(key)).toBe(false);
    // Without an inventory, none of them.
    expect(buildView(device('nvr'), [channel(1)], []).entities.some((e) => isControlKey(e.key))).toBe(false);
  });

  it('states: switches as read, a detection without its trigger is a problem, disk sizes only when known', () => {
    expect(controlStates(nvr(), inventory)).toEqual([
      { key: 'ch1_motion_detection', payload: 'ON' },
      { key: 'ch1_motion_detection_unreported', payload: 'OFF' },
      { key: 'ch1_line_crossing_detection', payload: 'OFF' },
      { key: 'ch1_line_crossing_detection_unreported', payload: 'ON' },
      { key: 'ch1_light_mode', payload: 'irLight' },
      { key: 'ch1_light_ir_brightness', payload: '60' },
      { key: 'alarm_output_1', payload: 'ON' },
      { key: 'disk_1_status', payload: 'unformatted' },
      { key: 'disk_1_capacity', payload: '1000' },
      { key: 'disk_1_problem', payload: 'ON' },
    ]);
  });

  it('commands: ON/OFF for switches, PRESS for buttons, a listed preset for the select', () => {
    const view = nvr();
    expect(parseCommand(view, 'ch1_line_crossing_detection', 'ON')).toEqual({
      type: 'control',
      control: { action: 'detection', channelId: 'ch-1', kind: 'line-crossing', value: true },
    });
    expect(parseCommand(view, 'alarm_output_1', 'OFF')).toEqual({
      type: 'control',
      control: { action: 'output', channelId: null, kind: '1', value: false },
    });
    expect(parseCommand(view, 'ch1_ptz_zoom_in', 'PRESS')).toEqual({
      type: 'control',
      control: { action: 'ptz-move', channelId: 'ch-1', kind: 'zoom-in' },
    });
    expect(parseCommand(view, 'ch1_ptz_stop', 'PRESS')).toMatchObject({ control: { action: 'ptz-stop' } });
    expect(parseCommand(view, 'reboot', 'PRESS')).toMatchObject({
      control: { action: 'reboot', channelId: null },
    });
    for (const option of ['3: Gate', '3']) {
      expect(parseCommand(view, 'ch1_ptz_preset', option)).toMatchObject({
        control: { action: 'ptz-preset', value: 3 },
      });
    }
    expect(typeof parseCommand(view, 'ch1_ptz_preset', '4: Elsewhere')).toBe('string');
    expect(parseCommand(view, 'ch1_ptz_patrol_2_start', 'PRESS')).toEqual({
      type: 'control',
      control: { action: 'ptz-patrol', channelId: 'ch-1', kind: 'start', value: 2 },
    });
    expect(parseCommand(view, 'ch1_ptz_patrol_1_stop', 'PRESS')).toMatchObject({
      control: { action: 'ptz-patrol', kind: 'stop', value: 1 },
    });
    expect(typeof parseCommand(view, 'ch1_ptz_patrol_1_stop', 'ON')).toBe('string');
    expect(parseCommand(view, 'ch1_light_mode', 'irLight')).toEqual({
      type: 'control',
      control: { action: 'light-mode', channelId: 'ch-1', kind: 'irLight' },
    });
    expect(typeof parseCommand(view, 'ch1_light_mode', 'colorVuWhiteLight')).toBe('string');
    for (const [text, value] of [
      ['0', 0],
      ['100', 100],
      ['40.0', 40],
    ] as const) {
      expect(parseCommand(view, 'ch1_light_ir_brightness', text)).toEqual({
        type: 'control',
        control: { action: 'light-brightness', channelId: 'ch-1', kind: 'ir', value },
      });
    }
    for (const text of ['101', '-1', '40.5', '', 'bright'])
      expect(typeof parseCommand(view, 'ch1_light_ir_brightness', text)).toBe('string');
    expect(typeof parseCommand(view, 'ch1_motion_detection', 'PRESS')).toBe('string');
    expect(typeof parseCommand(view, 'reboot', 'ON')).toBe('string');
    expect(typeof parseCommand(view, 'disk_1_status', 'ON')).toBe('string');
  });
});

describe('siren and strobe entities', () => {
  const range = (min: number, max: number) => ({ min, max });
  const inventory: ControlsInventory = {
    channels: [
      {
        channelId: 'ch-1',
        channelNo: 1,
        detections: [
          // Linked to both; the siren only (no trigger for the strobe's answer); neither.
          { kind: 'motion', enabled: true, notifiesCenter: true, siren: true, strobe: false },
          { kind: 'line-crossing', enabled: true, notifiesCenter: true, siren: false, strobe: null },
          { kind: 'tamper', enabled: true, notifiesCenter: true, siren: null, strobe: null },
        ],
        ptz: null,
        light: null,
        strobe: {
          duration: 15,
          durationRange: range(1, 60),
          frequency: 'medium',
          frequencies: ['high', 'medium'],
        },
      },
    ],
    outputs: [],
    storage: [],
    siren: {
      soundId: 2,
      sounds: [
        { id: 1, name: 'Siren' },
        { id: 2, name: 'Dog barking' },
        { id: 3, name: null },
      ],
      volume: 50,
      volumeRange: range(1, 100),
      times: 5,
      // No range stated: no number (nothing would bound what is sent).
      timesRange: null,
    },
    readAt: NOW,
  };
  const view = () => buildView(device('camera'), [channel(1)], [], inventory);

  it('are built from the inventory: a switch per linkage that is not null, the siren on the device', () => {
    const keys = view()
      .entities.filter((e) => isControlKey(e.key) && /siren|strobe/.test(e.key))
      .map((e) => `${e.component}/${e.key}`);
    expect(keys).toEqual([
      'switch/ch1_motion_detection_siren',
      'switch/ch1_motion_detection_strobe',
      'switch/ch1_line_crossing_detection_siren',
      'select/ch1_strobe_frequency',
      'number/ch1_strobe_duration',
      'select/siren_sound',
      'number/siren_volume',
    ]);
    const names = Object.fromEntries(view().entities.map((e) => [e.key, e.name]));
    expect(names.ch1_motion_detection_siren).toBe('Motion sounds the siren');
    expect(names.ch1_line_crossing_detection_siren).toBe('Line crossing sounds the siren');
    expect(names.ch1_motion_detection_strobe).toBe('Motion flashes the strobe');
    const topics = new Topics('hikbridge', 'homeassistant');
    const configs = discoveryMessages(view(), topics, { name: 'hikbridge', sw_version: '0' });
    const config = (key: string) => configs.find((m) => m.topic.endsWith(`/${key}/config`))!.payload;
    expect(config('siren_sound')).toMatchObject({
      options: ['Siren', 'Dog barking', 'Sound 3'],
      optimistic: false,
    });
    expect(config('siren_volume')).toMatchObject({ min: 1, max: 100, step: 1, optimistic: false });
    expect(config('ch1_strobe_duration')).toMatchObject({ min: 1, max: 60, unit_of_measurement: 's' });
    expect(config('ch1_strobe_frequency')).toMatchObject({ options: ['high', 'medium'] });
    // Two sounds of the same name: every option carries its number.
    expect(
      sirenSoundOptions([
        { id: 1, name: 'Beep' },
        { id: 2, name: 'Beep' },
      ]).map((sound) => sound.option),
    ).toEqual(['1: Beep', '2: Beep']);
  });

  it('states come from the inventory', () => {
    const states = controlStates(view(), inventory).filter((u) => /siren|strobe/.test(u.key));
    expect(states).toEqual([
      { key: 'ch1_motion_detection_siren', payload: 'ON' },
      { key: 'ch1_motion_detection_strobe', payload: 'OFF' },
      { key: 'ch1_line_crossing_detection_siren', payload: 'OFF' },
      { key: 'ch1_strobe_frequency', payload: 'medium' },
      { key: 'ch1_strobe_duration', payload: '15' },
      { key: 'siren_sound', payload: 'Dog barking' },
      { key: 'siren_volume', payload: '50' },
    ]);
  });

  it('commands: a listed sound or frequency, a whole number within the range, ON/OFF for the linkage', () => {
    const v = view();
    expect(parseCommand(v, 'siren_sound', 'Siren')).toEqual({
      type: 'control',
      control: { action: 'siren', channelId: null, kind: 'sound', value: 1 },
    });
    expect(parseCommand(v, 'siren_volume', '80.0')).toEqual({
      type: 'control',
      control: { action: 'siren', channelId: null, kind: 'volume', value: 80 },
    });
    expect(parseCommand(v, 'ch1_strobe_frequency', 'high')).toEqual({
      type: 'control',
      control: { action: 'strobe-frequency', channelId: 'ch-1', kind: 'high' },
    });
    expect(parseCommand(v, 'ch1_strobe_duration', '60')).toEqual({
      type: 'control',
      control: { action: 'strobe-duration', channelId: 'ch-1', value: 60 },
    });
    expect(parseCommand(v, 'ch1_line_crossing_detection_siren', 'ON')).toEqual({
      type: 'control',
      control: { action: 'detection-siren', channelId: 'ch-1', kind: 'line-crossing', value: true },
    });
    expect(parseCommand(v, 'ch1_motion_detection_strobe', 'OFF')).toMatchObject({
      control: { action: 'detection-strobe', kind: 'motion', value: false },
    });
    for (const [key, text] of [
      ['siren_sound', 'Cat'],
      ['siren_sound', '1'],
      ['siren_volume', '0'],
      ['siren_volume', '101'],
      ['siren_volume', '5.5'],
      ['ch1_strobe_frequency', 'normallyOn'],
      ['ch1_strobe_duration', '61'],
      ['ch1_strobe_duration', ''],
      ['ch1_motion_detection_siren', 'PRESS'],
      ['siren_times', '3'],
      ['ch1_tamper_detection_siren', 'ON'],
    ] as const) {
      expect(typeof parseCommand(v, key, text), `${key} ${text}`).toBe('string');
    }
  });
});

describe('stale bookkeeping', () => {
  it('finds configs and retained topics that are no longer wanted', () => {
    const topics = new Topics('hikbridge', 'homeassistant');
    const current = { configs: ['a'], retained: retainedTopics(doorbellView, topics) };
    expect(current.retained).toContain('hikbridge/dev-1/availability');
    expect(current.retained).toContain('hikbridge/dev-1/1/snapshot');
    expect(current.retained.some((topic) => topic.includes('/ring/'))).toBe(false);
    const stale = staleTopics({ configs: ['a', 'b'], retained: ['hikbridge/old/availability'] }, current);
    expect(stale).toEqual({ configs: ['b'], retained: ['hikbridge/old/availability'] });
    expect(parsePublished({ configs: ['x', 3], retained: 'nope' })).toEqual({ configs: ['x'], retained: [] });
    expect(parsePublished(undefined)).toEqual({ configs: [], retained: [] });
  });

  it('backs off exponentially within bounds', () => {
    expect(backoffDelay(0, 1000, 60_000)).toBeGreaterThanOrEqual(800);
    expect(backoffDelay(0, 1000, 60_000)).toBeLessThanOrEqual(1200);
    expect(backoffDelay(3, 1000, 60_000)).toBeGreaterThanOrEqual(6400);
    expect(backoffDelay(50, 1000, 60_000)).toBeLessThanOrEqual(72_000);
  });
});
