/**
 * The Home Assistant lock on a door whose capabilities list no `close` command. One real door
 * station answers RemoteControl/door/capabilities with `open,alwaysOpen,resume`
 * (test/fixtures/doorbell/other/isapi_remotecontrol_capabilities.xml): LOCK must not send the
 * `close` it rejects, but `resume` (which ends a remain-open; its lock closes by itself after an
 * open). The simulated station serves that captured answer and, like a device, rejects commands
 * it does not list. Each test starts its own station, so none depends on another.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimDevice, XmlDict } from '../../sim/index.ts';
import { startSimDevice } from '../../sim/index.ts';
import { attr, parseXml } from '../../src/protocols/isapi/xml.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { DOORBELL_FIXTURES } from '../support/fixtures.ts';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.ts';
import { Recorder } from './helpers.ts';

const DEVICE_PASSWORD = 'Dev1ce-Secret#dr';
const CAPABILITIES = 'AccessControl/RemoteControl/door/capabilities';
const CAPTURED = parseXml(
  readFileSync(new URL('other/isapi_remotecontrol_capabilities.xml', DOORBELL_FIXTURES), 'utf8'),
);

let broker: Mosquitto;
let recorder: Recorder;
let gw: TestGateway;
const sims: SimDevice[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  recorder = await Recorder.start(broker.url);
  gw = await startTestGateway({ overrides: { mqtt: { url: broker.url } } });
});

afterAll(async () => {
  await gw?.stop();
  await recorder?.stop();
  await Promise.all(sims.map((sim) => sim.close()));
  await broker?.stop();
});

/** The capabilities answer with the captured door range and the given command list. */
function capabilities(commands: string): XmlDict {
  return {
    RemoteControlDoor: {
      '@version': '2.0',
      '@xmlns': 'http://www.isapi.org/ver20/XMLSchema',
      doorNo: {
        '@min': attr(CAPTURED.node, 'doorNo', 'min')!,
        '@max': attr(CAPTURED.node, 'doorNo', 'max')!,
      },
      cmd: { '@opt': commands },
    },
  };
}

/** A door station added to the gateway, answering `commands` as its door commands. */
async function doorStation(commands: string): Promise<{ sim: SimDevice; id: string }> {
  const sim = await startSimDevice({
    profile: 'doorbell',
    password: DEVICE_PASSWORD,
    serialNumber: `DR${sims.length}X${Date.now().toString(36).toUpperCase()}`,
  });
  sims.push(sim);
  sim.setEndpoint(CAPABILITIES, { response: capabilities(commands) });
  const url = new URL(sim.url);
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { host: url.hostname, port: Number(url.port), username: 'admin', password: DEVICE_PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  const id = added.json.id as string;
  await recorder.waitFor((m) => m.topic === `homeassistant/lock/hikbridge_${id}/door_1/config`);
  return { sim, id };
}

const doorPuts = (sim: SimDevice, door: number) =>
  sim.countRequests(`/ISAPI/AccessControl/RemoteControl/door/${door}`, 'PUT');

describe('LOCK on a door without a close command', () => {
  it('sends resume to the captured door station, which lists open, alwaysOpen and resume', async () => {
    const listed = attr(CAPTURED.node, 'cmd', 'opt');
    expect(listed).toBe('open,alwaysOpen,resume');
    const { sim, id } = await doorStation(listed!);

    await recorder.publish(`hikbridge/${id}/door_2/set`, 'LOCK');
    await eventually(async () => sim.doorCommands.length === 1);
    expect(sim.doorCommands).toEqual([expect.objectContaining({ door: 2, cmd: 'resume' })]);
    // Nothing the device rejects was sent first.
    expect(doorPuts(sim, 2)).toBe(1);
    expect(gw.logs()).toContain('LOCK sent as resume');

    // UNLOCK is unchanged: open.
    await recorder.publish(`hikbridge/${id}/door_1/set`, 'UNLOCK');
    await eventually(async () => sim.doorCommands.length === 2);
    expect(sim.doorCommands[1]).toMatchObject({ door: 1, cmd: 'open' });
  });

  it('sends close where the device lists it (the DS-KV6124-E1 capture)', async () => {
    const captured = JSON.parse(
      readFileSync(new URL('ds_kv6124_e1_fw_3_9_0/remote_capabilities.json', DOORBELL_FIXTURES), 'utf8'),
    ) as { payload: { RemoteControlDoor: { cmd: { '@opt': string } } } };
    const { sim, id } = await doorStation(captured.payload.RemoteControlDoor.cmd['@opt']);

    await recorder.publish(`hikbridge/${id}/door_1/set`, 'LOCK');
    await eventually(async () => sim.doorCommands.length === 1);
    expect(sim.doorCommands).toEqual([expect.objectContaining({ door: 1, cmd: 'close' })]);
  });

  it('refuses LOCK with a warning, sending nothing, on a door that lists neither close nor resume', async () => {
    // Built here, not captured: the same answer with `open` alone.
    const { sim, id } = await doorStation('open');
    const refusals = () =>
      (gw.logs().match(/LOCK refused: the door cannot be locked remotely/g) ?? []).length;
    const before = refusals();

    await recorder.publish(`hikbridge/${id}/door_1/set`, 'LOCK');
    await eventually(async () => refusals() > before);
    expect(gw.logs()).toContain('lists no close or resume door command (it lists: open)');
    expect(doorPuts(sim, 1)).toBe(0);
    expect(sim.doorCommands).toEqual([]);
  });
});

describe('doorbell call buttons', () => {
  it('are discovered, and each press sends its call signals (stop ringing: answer, then hang up)', async () => {
    const { sim, id } = await doorStation('open,close');
    for (const key of ['answer', 'hang_up', 'stop_ringing']) {
      const config = await recorder.waitFor(
        (m) => m.topic === `homeassistant/button/hikbridge_${id}/${key}/config`,
      );
      expect(JSON.parse(config.payload.toString())).toMatchObject({
        command_topic: `hikbridge/${id}/${key}/set`,
        payload_press: 'PRESS',
        retain: false,
      });
    }
    sim.ring();
    await recorder.publish(`hikbridge/${id}/stop_ringing/set`, 'PRESS');
    await eventually(async () => sim.callStatus === 'idle');
    expect(sim.callSignals.map(({ cmdType, during }) => [cmdType, during])).toEqual([
      ['answer', 'ring'],
      ['hangUp', 'onCall'],
    ]);

    sim.ring();
    await recorder.publish(`hikbridge/${id}/answer/set`, 'PRESS');
    await eventually(async () => sim.callStatus === 'onCall');
    await recorder.publish(`hikbridge/${id}/hang_up/set`, 'PRESS');
    await eventually(async () => sim.callStatus === 'idle');
    expect(sim.callSignals.map(({ cmdType }) => cmdType)).toEqual(['answer', 'hangUp', 'answer', 'hangUp']);
    // Nothing is ringing: the press is refused by the doorbell and logged, nothing else happens.
    await recorder.publish(`hikbridge/${id}/answer/set`, 'PRESS');
    await eventually(async () => gw.logs().includes('has nothing ringing'));
  });
});

describe('tamper latch', () => {
  it('holds the tamper sensor on until the reset button is pressed', async () => {
    const { sim, id } = await doorStation('open,close');
    const config = await recorder.waitFor(
      (m) => m.topic === `homeassistant/button/hikbridge_${id}/tamper_reset/config`,
    );
    expect(JSON.parse(config.payload.toString())).toMatchObject({
      command_topic: `hikbridge/${id}/tamper_reset/set`,
    });
    const from = recorder.messages.length;
    await eventually(async () => sim.openAlertStreams > 0, 10_000);
    sim.trigger({ type: 'AccessControllerEvent', major: 1, minor: 1028 });
    await recorder.waitFor(
      (m) => m.topic === `hikbridge/${id}/tamper/state` && m.payload.toString() === 'ON',
      from,
    );
    const pressedAt = recorder.messages.length;
    await recorder.publish(`hikbridge/${id}/tamper_reset/set`, 'PRESS');
    await recorder.waitFor(
      (m) => m.topic === `hikbridge/${id}/tamper/state` && m.payload.toString() === 'OFF',
      pressedAt,
    );
    expect((await gw.api('GET', `/api/v1/devices/${id}/tamper`)).json.latched).toBe(false);
  });
});
