/**
 * Device clocks, through a real gateway: a camera without NTP (here 2 hours behind) gets its
 * events delivered, because alerts are judged by the device's own clock (its offset is measured
 * from System/time). Replays are still dropped: what the device marks as retransmitted, what
 * predates the stream's opening by the device's clock, and pushed alerts older than
 * events.maxEventAgeSeconds by that clock; each drop is counted in a metric and logged once per
 * device and reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDateTime } from '../../sim/clock.ts';
import type { SimDevice, SimDeviceOptions } from '../../sim/index.ts';
import type { GatewayEvent } from '../../src/core/events.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import { readDeviceClock } from '../../src/protocols/isapi/clock.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { SimFleet } from './sim-fleet.ts';

const PASSWORD = 'Cl0ck-Pass';
const HOUR = 3_600_000;
const TWO_HOURS_BEHIND = -2 * HOUR;
let gw: TestGateway;
const received: GatewayEvent[] = [];
const fleet = new SimFleet({ password: PASSWORD, serialPrefix: 'CLK', snapshotDelayMs: 0 });
const sim = (options: Partial<SimDeviceOptions> = {}) => fleet.start(options);
const add = (device: SimDevice) => fleet.add(gw, device);

function eventsOf(deviceId: string, kind: string): GatewayEvent[] {
  return received.filter((e) => e.deviceId === deviceId && e.kind === kind);
}

/** The dropped-alerts counter for one reason, as /metrics shows it. */
async function dropped(reason: string): Promise<number> {
  const page = await gw.api('GET', '/metrics');
  const line = new RegExp(`^hikbridge_events_dropped_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(
    page.text,
  );
  if (!line) throw new Error(`no hikbridge_events_dropped_total series for ${reason}`);
  return Number(line[1]);
}

/** Parsed log lines of one device whose message contains `text`. */
function logLines(deviceId: string, text: string): Array<Record<string, unknown>> {
  return gw
    .logs()
    .split('\n')
    .filter((line) => line.includes(deviceId) && line.includes(text))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** An alertStream part as the camera writes it, with the time and fields we choose. */
function alertPart(eventType: string, dateTime: string, extra = ''): string {
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?><EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">' +
    `<channelID>1</channelID><dateTime>${dateTime}</dateTime><activePostCount>1</activePostCount>` +
    `<eventType>${eventType}</eventType><eventState>active</eventState>${extra}</EventNotificationAlert>`;
  return `--boundary\r\nContent-Type: application/xml; charset="UTF-8"\r\nContent-Length: ${Buffer.byteLength(xml)}\r\n\r\n${xml}\r\n`;
}

/** The device's own time, `ms` from its now, in its own format. */
function deviceTime(device: SimDevice, ms = 0): string {
  return localDateTime(new Date(device.deviceTime().getTime() + ms));
}

beforeAll(async () => {
  gw = await startTestGateway({
    overrides: {
      events: {
        quietSeconds: 1,
        updateEverySeconds: 0.2,
        push: { enabled: true, host: '127.0.0.1', port: 0 },
      },
    },
  });
  gw.gateway.bus.on('event', (event) => received.push(event));
});
afterAll(async () => {
  await gw?.stop();
  await fleet.closeAll();
});

describe('a camera whose clock is 2 hours behind', () => {
  let camera: SimDevice;
  let deviceId: string;

  beforeAll(async () => {
    camera = await sim({ clockOffsetMs: TWO_HOURS_BEHIND });
    deviceId = await add(camera);
  });

  it('gets its events delivered, stamped with its own time; the log says once that its clock is off', async () => {
    camera.trigger({ type: 'VMD', channel: 1 });
    camera.trigger({ type: 'fielddetection', channel: 1, targets: ['human'] });
    const motion = await eventually(async () =>
      eventsOf(deviceId, 'motion').find((e) => e.state === 'start'),
    );
    const intrusion = await eventually(async () => eventsOf(deviceId, 'intrusion')[0]);
    expect(intrusion.targets).toEqual(['human']);
    for (const event of [motion, intrusion]) {
      const behindMs = Date.parse(event.receivedAt) - Date.parse(event.at);
      expect(Math.abs(behindMs - 2 * HOUR), event.at).toBeLessThan(10_000);
    }
    const clockLines = logLines(deviceId, 'device clock is 2 h 0 min behind');
    expect(clockLines).toHaveLength(1);
    expect(clockLines[0]).toMatchObject({ clockOffsetSeconds: expect.any(Number), timeMode: 'manual' });
    // Measured to within the round trip: a few seconds at most on a loaded machine.
    expect(Math.abs((clockLines[0]!.clockOffsetSeconds as number) + 7200)).toBeLessThanOrEqual(10);
    expect(logLines(deviceId, 'event dropped')).toHaveLength(0);
  });

  it('old replayed alerts are dropped, counted and logged once per reason; later ones still arrive', async () => {
    const before = { old: await dropped('before-stream'), marked: await dropped('retransmitted') };
    // Ten minutes before the device's now: older than the stream, by the device's own clock.
    camera.trigger({ raw: alertPart('linedetection', deviceTime(camera, -10 * 60_000)) });
    camera.trigger({ raw: alertPart('linedetection', deviceTime(camera, -9 * 60_000)) });
    // Current by its clock, but marked by the device as sent before.
    camera.trigger({
      raw: alertPart(
        'regionExiting',
        deviceTime(camera),
        '<isDataRetransmission>true</isDataRetransmission>',
      ),
    });
    camera.trigger({
      raw: alertPart(
        'regionExiting',
        deviceTime(camera),
        '<isDataRetransmission>true</isDataRetransmission>',
      ),
    });
    // Parts are read in order: once this one arrived, the replays before it were judged.
    camera.trigger({ type: 'tamperdetection', channel: 1 });
    await eventually(async () => eventsOf(deviceId, 'tamper')[0]);

    expect(eventsOf(deviceId, 'line-crossing')).toHaveLength(0);
    expect(eventsOf(deviceId, 'region-exit')).toHaveLength(0);
    expect(await dropped('before-stream')).toBe(before.old + 2);
    expect(await dropped('retransmitted')).toBe(before.marked + 2);
    const lines = logLines(deviceId, 'event dropped as a replay');
    expect(lines.map((line) => line.reason).sort()).toEqual(['before-stream', 'retransmitted']);
    expect(lines.find((line) => line.reason === 'before-stream')).toMatchObject({
      eventType: 'linedetection',
      msg: expect.stringContaining('before the event stream opened'),
    });
  });

  it('pushed alerts: current ones by its clock arrive, one an hour old by its clock is dropped as too old', async () => {
    const before = await dropped('too-old');
    const push = `http://127.0.0.1:${gw.gateway.events.pushAddress!.port}/events/${deviceId}`;
    const post = (xml: string) =>
      fetch(push, {
        method: 'POST',
        headers: { 'content-type': 'application/xml' },
        body: xml,
        signal: AbortSignal.timeout(10_000),
      });
    const body = (part: string) => part.slice(part.indexOf('<?xml'), part.lastIndexOf('\r\n'));
    expect((await post(body(alertPart('PIR', deviceTime(camera, -HOUR))))).status).toBe(200);
    expect((await post(body(alertPart('IO', deviceTime(camera))))).status).toBe(200);
    // Posts are judged in order: once the second one's event is out, the first was judged.
    await eventually(async () => eventsOf(deviceId, 'alarm-input')[0]);
    expect(eventsOf(deviceId, 'pir')).toHaveLength(0);
    expect(await dropped('too-old')).toBe(before + 1);
    expect(
      logLines(deviceId, 'event dropped as a replay').filter((l) => l.reason === 'too-old'),
    ).toHaveLength(1);
  });
});

describe('measuring a device clock', () => {
  it('System/time gives the offset within its stated uncertainty', async () => {
    const camera = await sim({ clockOffsetMs: 90 * 60_000 + 1234 });
    const client = new IsapiClient({ baseUrl: camera.url, username: 'admin', password: PASSWORD });
    try {
      const reading = await readDeviceClock(client, { timeoutMs: 5000 });
      expect(Math.abs(reading.offsetMs - camera.clockOffsetMs)).toBeLessThanOrEqual(reading.uncertaintyMs);
      expect(reading.uncertaintyMs).toBeLessThan(5000);
      expect(reading.timeMode).toBe('manual');
      // The machine's zone (the simulator's); compared as a difference, as the zone may be -0.
      expect(Math.abs(reading.zoneMinutes! + camera.deviceTime().getTimezoneOffset())).toBe(0);
    } finally {
      await client.close();
    }
  });
});
