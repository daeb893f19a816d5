/**
 * Device controls as Home Assistant entities, against a real Mosquitto, a real gateway and
 * simulated devices: a camera built from a capture (detections, one alarm output, a memory card)
 * and the simulated PTZ dome (both with the simulator's invented supplement light; the dome also
 * with its invented siren and strobe). The controls module reads what each device can do and
 * announces it on the bus; the MQTT module publishes switches, buttons, a preset select, patrol
 * buttons, the light's mode and brightness, the siren's and strobe's settings, what each detection
 * sets off, and disk sensors,
 * and its commands reach the devices through the controls module (the simulators' request logs
 * show them). Removing a device clears what it had on the broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { type SimPtzRequest, simPtz } from '../../sim/routes/ptz.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.ts';
import { json, type Received, Recorder, retainedMessages } from './helpers.ts';

const PASSWORD = 'Controls-Mqtt-5';
/** Reading a device's controls is many requests: generous on a loaded machine. */
const READ_MS = 30_000;

let broker: Mosquitto;
let recorder: Recorder;
let gw: TestGateway;
let camera: SimDevice; // DS-2CD2346G2-ISU: motion on without "notify center", output 1, memory card
let dome: SimDevice;
let cameraId: string;
let cameraChannel: string;

const config = (component: string, id: string, key: string) =>
  `homeassistant/${component}/hikbridge_${id}/${key}/config`;
const state = (id: string, key: string) => `hikbridge/${id}/${key}/state`;
const command = (id: string, key: string) => `hikbridge/${id}/${key}/set`;

const published = (topic: string, from = 0): Promise<Received> =>
  recorder.waitFor((m) => m.topic === topic && m.payload.length > 0, from, READ_MS);
const payload = (topic: string, value: string, from = 0): Promise<Received> =>
  recorder.waitFor((m) => m.topic === topic && m.payload.toString() === value, from, READ_MS);

async function add(sim: SimDevice, name: string): Promise<string> {
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name, host: '127.0.0.1', port: sim.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  return added.json.id as string;
}

async function retainedConfigs(id: string): Promise<string[]> {
  const retained = await retainedMessages(broker.url, `homeassistant/+/hikbridge_${id}/#`);
  return [...retained.keys()].map((topic) =>
    topic.split('/').slice(1, 4).join('/').replace(`/hikbridge_${id}`, ''),
  );
}

beforeAll(async () => {
  broker = await startMosquitto();
  recorder = await Recorder.start(broker.url);
  camera = await startSimDevice({ profile: 'DS-2CD2346G2-ISU', password: PASSWORD, rebootMs: 1500 });
  dome = await startSimDevice({ profile: 'ptz', password: PASSWORD, heartbeatMs: 0 });
  gw = await startTestGateway({ overrides: { mqtt: { url: broker.url } } });
  cameraId = await add(camera, 'Drive');
  cameraChannel = (await gw.api('GET', `/api/v1/devices/${cameraId}/channels`)).json[0].id;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await recorder?.stop();
  await Promise.all([camera?.close(), dome?.close()]);
  await broker?.stop();
});

describe('controls in Home Assistant', () => {
  it('shows detection and output switches, the reboot button and disk sensors, with their states', async () => {
    const id = cameraId;
    const motion = json(await published(config('switch', id, 'ch1_motion_detection')));
    expect(motion).toMatchObject({
      name: 'Motion detection',
      unique_id: `hikbridge_${id}_ch1_motion_detection`,
      state_topic: state(id, 'ch1_motion_detection'),
      command_topic: command(id, 'ch1_motion_detection'),
      payload_on: 'ON',
      payload_off: 'OFF',
      optimistic: false,
      retain: false,
      device: { identifiers: [`hikbridge_${id}`] },
    });
    const unreported = json(await published(config('binary_sensor', id, 'ch1_motion_detection_unreported')));
    expect(unreported).toMatchObject({ device_class: 'problem', entity_category: 'diagnostic' });
    expect(json(await published(config('switch', id, 'alarm_output_1')))).toMatchObject({
      command_topic: command(id, 'alarm_output_1'),
    });
    expect(json(await published(config('button', id, 'reboot')))).toMatchObject({
      device_class: 'restart',
      entity_category: 'config',
      command_topic: command(id, 'reboot'),
      payload_press: 'PRESS',
    });
    expect(json(await published(config('sensor', id, 'disk_1_free')))).toMatchObject({
      device_class: 'data_size',
      unit_of_measurement: 'MB',
    });
    expect(json(await published(config('binary_sensor', id, 'disk_1_problem')))).toMatchObject({
      device_class: 'problem',
    });

    // States as the device has them (the capture: motion on, not notifying; line crossing off).
    await payload(state(id, 'ch1_motion_detection'), 'ON');
    await payload(state(id, 'ch1_motion_detection_unreported'), 'ON');
    await payload(state(id, 'ch1_intrusion_detection_unreported'), 'OFF');
    await payload(state(id, 'ch1_line_crossing_detection'), 'OFF');
    await payload(state(id, 'alarm_output_1'), 'OFF');
    await payload(state(id, 'disk_1_status'), 'ok');
    await payload(state(id, 'disk_1_capacity'), '121942');
    await payload(state(id, 'disk_1_free'), '26623');
    await payload(state(id, 'disk_1_problem'), 'OFF');
    const retained = await retainedMessages(broker.url, `hikbridge/${id}/alarm_output_1/state`);
    expect(retained.get(state(id, 'alarm_output_1'))?.toString()).toBe('OFF');

    // A fixed camera has no PTZ entities.
    const configs = await retainedConfigs(id);
    expect(configs).toEqual(
      expect.arrayContaining(['switch/ch1_motion_detection', 'button/reboot', 'sensor/disk_1_status']),
    );
    expect(configs.filter((entity) => entity.includes('ptz'))).toEqual([]);
  }, 60_000);

  it('switches a detection and an output from MQTT; the state follows the device', async () => {
    const id = cameraId;
    await payload(state(id, 'ch1_line_crossing_detection'), 'OFF');
    const from = recorder.messages.length;
    await recorder.publish(command(id, 'ch1_line_crossing_detection'), 'ON');
    await payload(state(id, 'ch1_line_crossing_detection'), 'ON', from);
    expect(camera.countRequests('/ISAPI/Smart/LineDetection/1', 'PUT')).toBe(1);
    const detections = (await gw.api('GET', `/api/v1/channels/${cameraChannel}/detections`)).json;
    expect(detections.find((d: { kind: string }) => d.kind === 'line-crossing').enabled).toBe(true);

    await recorder.publish(command(id, 'alarm_output_1'), 'ON');
    await payload(state(id, 'alarm_output_1'), 'ON', from);
    expect(camera.countRequests('/ISAPI/System/IO/outputs/1/trigger', 'PUT')).toBe(1);
    expect((await gw.api('GET', `/api/v1/devices/${id}/outputs`)).json[0].state).toBe('on');
    await recorder.publish(command(id, 'alarm_output_1'), 'OFF');
    await payload(state(id, 'alarm_output_1'), 'OFF', from);

    // A change through the API is shown too.
    const off = await gw.api('PUT', `/api/v1/channels/${cameraChannel}/detections/line-crossing`, {
      body: { enabled: false },
    });
    expect(off.status, off.text).toBe(200);
    await payload(state(id, 'ch1_line_crossing_detection'), 'OFF', from);

    // Nonsense changes nothing.
    const puts = camera.countRequests('/ISAPI/Smart/', 'PUT');
    await recorder.publish(command(id, 'ch1_line_crossing_detection'), 'MAYBE');
    await eventually(async () => /ignored an invalid MQTT command/.test(gw.logs()), 10_000);
    expect(camera.countRequests('/ISAPI/Smart/', 'PUT')).toBe(puts);
  }, 60_000);

  it('sets the supplement light mode and brightness from MQTT; the state is read back from the camera', async () => {
    const id = cameraId;
    const mode = json(await published(config('select', id, 'ch1_light_mode')));
    expect(mode).toMatchObject({
      name: 'Supplement light mode',
      state_topic: state(id, 'ch1_light_mode'),
      command_topic: command(id, 'ch1_light_mode'),
      options: ['eventIntelligence', 'irLight', 'colorVuWhiteLight', 'close'],
      optimistic: false,
      retain: false,
    });
    for (const light of ['white', 'ir']) {
      expect(json(await published(config('number', id, `ch1_light_${light}_brightness`)))).toMatchObject({
        state_topic: state(id, `ch1_light_${light}_brightness`),
        command_topic: command(id, `ch1_light_${light}_brightness`),
        min: 0,
        max: 100,
        step: 1,
        optimistic: false,
      });
    }
    // The simulator's light starts in IR at 50/50.
    await payload(state(id, 'ch1_light_mode'), 'irLight');
    await payload(state(id, 'ch1_light_white_brightness'), '50');

    const path = '/ISAPI/Image/channels/1/supplementLight';
    const from = recorder.messages.length;
    await recorder.publish(command(id, 'ch1_light_mode'), 'colorVuWhiteLight');
    await payload(state(id, 'ch1_light_mode'), 'colorVuWhiteLight', from);
    expect(camera.countRequests(path, 'PUT')).toBe(1);
    await recorder.publish(command(id, 'ch1_light_white_brightness'), '80');
    await payload(state(id, 'ch1_light_white_brightness'), '80', from);
    expect(camera.countRequests(path, 'PUT')).toBe(2);
    const light = (await gw.api('GET', `/api/v1/channels/${cameraChannel}/light`)).json;
    expect(light).toMatchObject({ mode: 'colorVuWhiteLight', whiteBrightness: 80, irBrightness: 50 });

    // A change through the API is shown too.
    const back = await gw.api('PUT', `/api/v1/channels/${cameraChannel}/light`, {
      body: { mode: 'irLight' },
    });
    expect(back.status, back.text).toBe(200);
    await payload(state(id, 'ch1_light_mode'), 'irLight', from);

    // Out of range or unlisted: nothing reaches the camera.
    const puts = camera.countRequests(path, 'PUT');
    const logged = (gw.logs().match(/ignored an invalid MQTT command/g) ?? []).length;
    await recorder.publish(command(id, 'ch1_light_white_brightness'), '150');
    await recorder.publish(command(id, 'ch1_light_mode'), 'disco');
    await eventually(
      async () => (gw.logs().match(/ignored an invalid MQTT command/g) ?? []).length >= logged + 2,
      10_000,
    );
    expect(camera.countRequests(path, 'PUT')).toBe(puts);
  }, 60_000);

  it('moves a PTZ camera a little per button press, goes to a preset, and leaves with the device', async () => {
    const id = await add(dome, 'Car park dome');
    const left = json(await published(config('button', id, 'ch1_ptz_left')));
    expect(left).toMatchObject({ command_topic: command(id, 'ch1_ptz_left'), payload_press: 'PRESS' });
    for (const key of ['ch1_ptz_zoom_in', 'ch1_ptz_stop', 'ch1_ptz_home'])
      await published(config('button', id, key));
    const select = json(await published(config('select', id, 'ch1_ptz_preset')));
    expect(select).toMatchObject({ options: ['1: Entrance'], command_topic: command(id, 'ch1_ptz_preset') });

    const requests = (): SimPtzRequest[] => simPtz(dome).requests.filter((r) => r.method === 'PUT');
    const before = requests().length;
    await recorder.publish(command(id, 'ch1_ptz_left'), 'PRESS');
    await eventually(
      async () =>
        requests()
          .slice(before)
          .some((r) => r.speeds?.pan === -50),
      10_000,
    );
    // The nudge ends by itself: a zero-speed move about a second later.
    await eventually(
      async () =>
        requests()
          .slice(before)
          .some((r) => r.action === 'continuous' && r.speeds?.pan === 0 && r.speeds.tilt === 0),
      10_000,
    );
    await recorder.publish(command(id, 'ch1_ptz_preset'), '1: Entrance');
    await eventually(async () => requests().some((r) => r.path.includes('presets/1/goto')), 10_000);
    await recorder.publish(command(id, 'ch1_ptz_home'), 'PRESS');
    await eventually(
      async () => requests().some((r) => r.path.toLowerCase().includes('homeposition/goto')),
      10_000,
    );

    // Patrols: a start and a stop button for each set-up one (the simulator has patrol 1 only).
    const start = json(await published(config('button', id, 'ch1_ptz_patrol_1_start')));
    expect(start).toMatchObject({ name: 'Start patrol 1', payload_press: 'PRESS', retain: false });
    await published(config('button', id, 'ch1_ptz_patrol_1_stop'));
    expect((await retainedConfigs(id)).filter((entity) => entity.includes('patrol_2'))).toEqual([]);
    await recorder.publish(command(id, 'ch1_ptz_patrol_1_start'), 'PRESS');
    await eventually(async () => simPtz(dome).channel(1).runningPatrol === 1, 10_000);
    await recorder.publish(command(id, 'ch1_ptz_patrol_1_stop'), 'PRESS');
    await eventually(async () => simPtz(dome).channel(1).runningPatrol === null, 10_000);
    expect(
      requests()
        .filter((r) => r.path.includes('patrols/1/'))
        .map((r) => r.action),
    ).toEqual(['patrolStart', 'patrolStop']);
    // The dome's light too: it leaves with the device below.
    await published(config('select', id, 'ch1_light_mode'));

    const from = recorder.messages.length;
    const removed = await gw.api('DELETE', `/api/v1/devices/${id}`);
    expect(removed.status).toBe(204);
    for (const [component, key] of [
      ['select', 'ch1_ptz_preset'],
      ['button', 'ch1_ptz_patrol_1_start'],
      ['select', 'ch1_light_mode'],
      ['number', 'ch1_light_ir_brightness'],
    ]) {
      const gone = await recorder.waitFor(
        (m) => m.topic === config(component!, id, key!) && m.payload.length === 0,
        from,
        READ_MS,
      );
      expect(gone.retain).toBe(true);
    }
    await eventually(async () => (await retainedConfigs(id)).length === 0, 15_000);
    await eventually(
      async () => (await retainedMessages(broker.url, `hikbridge/${id}/#`)).size === 0,
      15_000,
    );
  }, 60_000);

  it('sets the siren, the strobe and what each detection sets off from MQTT; bad values stay here; all leave with the device', async () => {
    // The camera from a capture has neither: no entities, and nothing said about it.
    await published(config('switch', cameraId, 'ch1_motion_detection'));
    expect(camera.countRequests('/ISAPI/Event/triggers/notifications/AudioAlarm', 'GET')).toBeGreaterThan(0);
    expect((await retainedConfigs(cameraId)).filter((entity) => /siren|strobe/.test(entity))).toEqual([]);
    expect(gw.logs()).not.toMatch(/(siren|strobe)[^\n]*left out/);

    const id = await add(dome, 'Yard dome');
    const channelId = (await gw.api('GET', `/api/v1/devices/${id}/channels`)).json[0].id;
    expect(json(await published(config('select', id, 'siren_sound')))).toMatchObject({
      name: 'Siren sound',
      state_topic: state(id, 'siren_sound'),
      command_topic: command(id, 'siren_sound'),
      options: ['Siren', 'Warning, this is a restricted area', 'Dog barking'],
      optimistic: false,
      retain: false,
      entity_category: 'config',
    });
    expect(json(await published(config('number', id, 'siren_volume')))).toMatchObject({ min: 1, max: 100 });
    expect(json(await published(config('number', id, 'siren_times')))).toMatchObject({ min: 1, max: 50 });
    expect(json(await published(config('select', id, 'ch1_strobe_frequency')))).toMatchObject({
      options: ['high', 'medium', 'low', 'normallyOn'],
    });
    expect(json(await published(config('number', id, 'ch1_strobe_duration')))).toMatchObject({
      min: 1,
      max: 60,
      unit_of_measurement: 's',
    });
    expect(json(await published(config('switch', id, 'ch1_motion_detection_siren')))).toMatchObject({
      name: 'Motion sounds the siren',
      command_topic: command(id, 'ch1_motion_detection_siren'),
      optimistic: false,
    });
    expect(json(await published(config('switch', id, 'ch1_line_crossing_detection_strobe')))).toMatchObject({
      name: 'Line crossing flashes the strobe',
    });
    // The simulator's defaults: the first sound, 50, 5 times; medium for 15 s; nothing linked.
    await payload(state(id, 'siren_sound'), 'Siren');
    await payload(state(id, 'siren_volume'), '50');
    await payload(state(id, 'siren_times'), '5');
    await payload(state(id, 'ch1_strobe_frequency'), 'medium');
    await payload(state(id, 'ch1_strobe_duration'), '15');
    await payload(state(id, 'ch1_motion_detection_siren'), 'OFF');
    await payload(state(id, 'ch1_line_crossing_detection_strobe'), 'OFF');

    // The siren: each change written, read back, and only the siren read again (not the channel).
    const siren = '/ISAPI/Event/triggers/notifications/AudioAlarm';
    const channelReads = dome.countRequests('/ISAPI/PTZCtrl/channels/1/capabilities', 'GET');
    const from = recorder.messages.length;
    await recorder.publish(command(id, 'siren_sound'), 'Dog barking');
    await payload(state(id, 'siren_sound'), 'Dog barking', from);
    await recorder.publish(command(id, 'siren_volume'), '80');
    await payload(state(id, 'siren_volume'), '80', from);
    await recorder.publish(command(id, 'siren_times'), '3.0');
    await payload(state(id, 'siren_times'), '3', from);
    expect(dome.countRequests(siren, 'PUT')).toBe(3);
    expect(dome.countRequests('/ISAPI/PTZCtrl/channels/1/capabilities', 'GET')).toBe(channelReads);
    expect((await gw.api('GET', `/api/v1/devices/${id}/siren`)).json).toMatchObject({
      soundId: 3,
      volume: 80,
      times: 3,
    });
    // A change through the API is shown too.
    const quiet = await gw.api('PUT', `/api/v1/devices/${id}/siren`, { body: { volume: 20 } });
    expect(quiet.status, quiet.text).toBe(200);
    await payload(state(id, 'siren_volume'), '20', from);

    // The strobe and the linkage.
    const strobe = '/ISAPI/Event/triggers/notifications/channels/1/whiteLightAlarm';
    await recorder.publish(command(id, 'ch1_strobe_frequency'), 'high');
    await payload(state(id, 'ch1_strobe_frequency'), 'high', from);
    await recorder.publish(command(id, 'ch1_strobe_duration'), '30');
    await payload(state(id, 'ch1_strobe_duration'), '30', from);
    expect(dome.countRequests(strobe, 'PUT')).toBe(2);
    await recorder.publish(command(id, 'ch1_motion_detection_siren'), 'ON');
    await payload(state(id, 'ch1_motion_detection_siren'), 'ON', from);
    await recorder.publish(command(id, 'ch1_motion_detection_strobe'), 'ON');
    await payload(state(id, 'ch1_motion_detection_strobe'), 'ON', from);
    expect(dome.countRequests('/ISAPI/Event/triggers/VMD-1', 'PUT')).toBe(2);
    const linkage = await gw.api('GET', `/api/v1/channels/${channelId}/detections/motion/linkage`);
    expect(linkage.json).toMatchObject({ notifyCenter: true, siren: true, strobe: true });
    expect((await gw.api('GET', `/api/v1/channels/${channelId}/strobe`)).json).toMatchObject({
      frequency: 'high',
      duration: 30,
    });

    // Unlisted or out of range: refused here, nothing reaches the device.
    const puts = () => dome.countRequests('/ISAPI/Event/triggers/', 'PUT');
    const before = puts();
    const invalid = () => (gw.logs().match(/ignored an invalid MQTT command/g) ?? []).length;
    const logged = invalid();
    const bad: Array<[string, string]> = [
      ['siren_sound', 'Cat'],
      ['siren_volume', '0'],
      ['siren_volume', '101'],
      ['siren_times', '2.5'],
      ['ch1_strobe_frequency', 'disco'],
      ['ch1_strobe_duration', '61'],
      ['ch1_motion_detection_siren', 'MAYBE'],
    ];
    for (const [key, text] of bad) await recorder.publish(command(id, key), text);
    await eventually(async () => invalid() >= logged + bad.length, 10_000);
    expect(puts()).toBe(before);

    const removedFrom = recorder.messages.length;
    expect((await gw.api('DELETE', `/api/v1/devices/${id}`)).status).toBe(204);
    for (const [component, key] of [
      ['select', 'siren_sound'],
      ['number', 'siren_volume'],
      ['select', 'ch1_strobe_frequency'],
      ['number', 'ch1_strobe_duration'],
      ['switch', 'ch1_motion_detection_siren'],
    ]) {
      const gone = await recorder.waitFor(
        (m) => m.topic === config(component!, id, key!) && m.payload.length === 0,
        removedFrom,
        READ_MS,
      );
      expect(gone.retain).toBe(true);
    }
    await eventually(async () => (await retainedConfigs(id)).length === 0, 15_000);
    await eventually(
      async () => (await retainedMessages(broker.url, `hikbridge/${id}/#`)).size === 0,
      15_000,
    );
  }, 90_000);

  it('reboots the device once per press of its button', async () => {
    const health: Array<{ state: string; code: string | null }> = [];
    gw.gateway.bus.on('device.health', (change) => {
      if (change.deviceId === cameraId) health.push({ state: change.state, code: change.lastErrorCode });
    });
    await recorder.publish(command(cameraId, 'reboot'), 'PRESS');
    await eventually(async () => camera.countRequests('/ISAPI/System/reboot', 'PUT') === 1, 10_000);
    // Logged once the device has answered, a moment after the simulator counted the request.
    await eventually(async () => /reboot of \\"Drive\\" asked/.test(gw.logs()), 10_000);
    // Away as a reboot (not a failure), then back.
    await eventually(
      async () => health.at(-1)?.state === 'online' && health.some((h) => h.code === 'rebooting'),
      30_000,
    );
    expect(camera.countRequests('/ISAPI/System/reboot', 'PUT')).toBe(1);
  }, 60_000);

  it('leaves out a part the device fails to answer, logged once; what it did answer is shown', async () => {
    const broken = await startSimDevice({ profile: 'camera', password: PASSWORD, heartbeatMs: 0 });
    try {
      broken.setEndpoint('System/IO/outputs', { status_code: 500 });
      // A camera without a supplement light (404 notSupport): no light entities, nothing logged.
      broken.setEndpoint('Image/channels/1/supplementLight', { status_code: 404 });
      const id = await add(broken, 'Broken outputs');
      const channelId = (await gw.api('GET', `/api/v1/devices/${id}/channels`)).json[0].id;
      await published(config('switch', id, 'ch1_motion_detection'));
      await published(config('button', id, 'reboot'));
      const left = () => gw.logs().match(/"part":"alarm outputs"[^\n]*left out/g) ?? [];
      await eventually(async () => left().length === 1, 10_000);
      // A change to a detection reads that channel again, and the state follows.
      const change = await gw.api('PUT', `/api/v1/channels/${channelId}/detections/motion`, {
        body: { enabled: false },
      });
      expect(change.status, change.text).toBe(200);
      await payload(state(id, 'ch1_motion_detection'), 'OFF');
      expect((await retainedConfigs(id)).filter((entity) => entity.includes('alarm_output'))).toEqual([]);
      expect((await retainedConfigs(id)).filter((entity) => entity.includes('light'))).toEqual([]);
      expect(broken.countRequests('/ISAPI/Image/channels/1/supplementLight', 'GET')).toBeGreaterThan(0);
      expect(gw.logs()).not.toMatch(/supplement light[^\n]*left out/);
      // Disabled, it keeps its controls (shown unavailable with the rest).
      expect((await gw.api('PATCH', `/api/v1/devices/${id}`, { body: { enabled: false } })).status).toBe(200);
      await eventually(async () => gw.gateway.devices.health(id)?.state === 'disabled', 10_000);
      // Home Assistant back: every entity the module has is sent again, the switch among them.
      const from = recorder.messages.length;
      await recorder.publish('homeassistant/status', 'online');
      await published(config('switch', id, 'ch1_motion_detection'), from);
      expect(await retainedConfigs(id)).toEqual(expect.arrayContaining(['switch/ch1_motion_detection']));
      // Enabled again, it is read again whole: the same failure is not logged again.
      // (The storage is read after the outputs: once it is asked for, the outputs' failure is handled.)
      const outputReads = broken.countRequests('/ISAPI/System/IO/outputs', 'GET');
      const storageReads = broken.countRequests('/ISAPI/ContentMgmt/Storage', 'GET');
      expect((await gw.api('PATCH', `/api/v1/devices/${id}`, { body: { enabled: true } })).status).toBe(200);
      await eventually(
        async () => broken.countRequests('/ISAPI/ContentMgmt/Storage', 'GET') > storageReads,
        15_000,
      );
      expect(broken.countRequests('/ISAPI/System/IO/outputs', 'GET')).toBeGreaterThan(outputReads);
      expect(left()).toHaveLength(1);
      // Removed, its controls go.
      expect((await gw.api('DELETE', `/api/v1/devices/${id}`)).status).toBe(204);
      await eventually(async () => (await retainedConfigs(id)).length === 0, 15_000);
    } finally {
      await broken.close();
    }
  }, 60_000);

  it('keeps the control entities across a restart: none removed and added again', async () => {
    await published(config('switch', cameraId, 'ch1_motion_detection'));
    const { dataDir } = gw;
    await gw.stop();
    const from = recorder.messages.length;
    gw = await startTestGateway({ dataDir, overrides: { mqtt: { url: broker.url } } });
    // Read again once the camera is online: its states are sent again.
    await payload(state(cameraId, 'alarm_output_1'), 'OFF', from);
    await payload(state(cameraId, 'ch1_motion_detection'), 'ON', from);
    const removals = recorder.messages
      .slice(from)
      .filter((m) => m.topic.includes(`/hikbridge_${cameraId}/`) && m.payload.length === 0);
    expect(removals.map((m) => m.topic)).toEqual([]);
    expect(await retainedConfigs(cameraId)).toEqual(
      expect.arrayContaining(['switch/ch1_motion_detection', 'button/reboot', 'sensor/disk_1_free']),
    );
  }, 60_000);
});
