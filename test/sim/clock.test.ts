/**
 * A device clock that is off (cameras without NTP): with `clockOffsetMs` the simulated device
 * reports its own, shifted time everywhere it stamps one: System/time, the dateTime of every
 * alertStream part, and the Date header of its HTTP and RTSP answers.
 */
import { connect } from 'node:net';
import { fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { INVENTED, INVENTED_HEADER, type SimDevice, SimInputError } from '../../sim/index.ts';
import { bodyOf, Collector, client, openRaw, parseParts, sim, tag } from './helpers.ts';

const HOUR = 3_600_000;
const TWO_HOURS_BEHIND = -2 * HOUR;
/** The form the captures show for device times: local time with its offset, whole seconds. */
const DEVICE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;

/**
 * Checks that a device time (whole seconds, or an HTTP date) read between `before` and `after`
 * (real time) is real time shifted by `offsetMs`. The device drops the milliseconds, hence the
 * one second of slack below.
 */
function expectShifted(deviceTime: string, offsetMs: number, before: number, after: number): void {
  const at = Date.parse(deviceTime);
  expect(Number.isNaN(at), deviceTime).toBe(false);
  expect(at, deviceTime).toBeGreaterThanOrEqual(before + offsetMs - 1000);
  expect(at, deviceTime).toBeLessThanOrEqual(after + offsetMs);
}

async function systemTime(device: SimDevice) {
  const before = Date.now();
  const { status, body, res } = await client(device).text('/ISAPI/System/time');
  return { status, body, res, before, after: Date.now() };
}

/** Opens the alertStream, fires the events, and returns the parts once `parts` have arrived. */
async function streamParts(device: SimDevice, fire: () => void, parts: number, boundary = 'boundary') {
  const before = Date.now();
  const stream = await openRaw(device, '/ISAPI/Event/notification/alertStream');
  await stream.until((text) => text.includes('\r\n\r\n'));
  fire();
  const marker = `--${boundary}\r\n`;
  await stream.until((text) => text.split(marker).length - 1 >= parts);
  return { parts: parseParts(bodyOf(stream.data), boundary), before, after: Date.now() };
}

describe('device clock', () => {
  it('by default System/time shows real time, in the device format, marked as invented', async () => {
    const device = await sim({ profile: 'camera' });
    expect(device.clockOffsetMs).toBe(0);
    const { status, body, res, before, after } = await systemTime(device);
    expect(status).toBe(200);
    expect(res.headers.get(INVENTED_HEADER)).toBe(INVENTED.time);
    const localTime = tag(body, 'localTime')!;
    expect(localTime).toMatch(DEVICE_TIME);
    expectShifted(localTime, 0, before, after);
    expect(tag(body, 'timeMode')).toBe('NTP');
    expect(body).toContain('<Time version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">');
  });

  it('a camera 2 hours behind says so in System/time, its time zone unchanged', async () => {
    const device = await sim({ profile: 'camera', clockOffsetMs: TWO_HOURS_BEHIND });
    const { body, res, before, after } = await systemTime(device);
    const localTime = tag(body, 'localTime')!;
    expect(localTime).toMatch(DEVICE_TIME);
    expectShifted(localTime, TWO_HOURS_BEHIND, before, after);
    expect(tag(body, 'timeMode')).toBe('manual');
    // The machine's zone, at the device's time: in localTime's suffix, and in POSIX form (sign
    // inverted: UTC+1 is CST-1:00:00) in timeZone.
    const minutes = -new Date(Date.parse(localTime)).getTimezoneOffset();
    const [sign, hours, mins] = [
      minutes >= 0 ? '+' : '-',
      Math.floor(Math.abs(minutes) / 60),
      Math.abs(minutes) % 60,
    ];
    expect(localTime.slice(-6)).toBe(
      `${sign}${String(hours).padStart(2, '0')}:${String(mins).padStart(2, '0')}`,
    );
    const posix = `CST${minutes > 0 ? '-' : '+'}${hours}:${String(mins).padStart(2, '0')}:00`;
    expect(tag(body, 'timeZone')).toBe(posix);
    const zone = await client(device).text('/ISAPI/System/time/timeZone');
    expect(zone.status).toBe(200);
    expect(tag(zone.body, 'timeZone')).toBe(posix);
    // The HTTP Date header comes from the same clock.
    expectShifted(res.headers.get('date')!, TWO_HOURS_BEHIND, before, after);
  });

  it('stamps alertStream events, heartbeats and the old PIR schema with its own time', async () => {
    const device = await sim({ profile: 'camera', clockOffsetMs: TWO_HOURS_BEHIND });
    const { parts, before, after } = await streamParts(
      device,
      () => {
        device.trigger({ type: 'VMD' });
        device.trigger({ type: 'PIR' });
        device.trigger({ type: 'videoloss', state: 'inactive', image: false });
      },
      3,
    );
    const xml = parts.map((part) => part.body.toString());
    expect(xml.map((body) => tag(body, 'eventType'))).toEqual(['VMD', 'PIR', 'videoloss']);
    for (const body of xml) {
      const dateTime = tag(body, 'dateTime')!;
      expect(dateTime).toMatch(DEVICE_TIME);
      expectShifted(dateTime, TWO_HOURS_BEHIND, before, after);
    }
    // The PIR body repeats its time inside eventPush (type&&serial,time,channel,1.0).
    const eventPush = tag(xml[1]!, 'eventPush')!;
    expect(eventPush.split(',')[1]).toBe(tag(xml[1]!, 'dateTime'));
  });

  it('heartbeats and doorbell JSON parts carry the device time too', async () => {
    const camera = await sim({ profile: 'nvr:1', clockOffsetMs: HOUR, heartbeatMs: 50 });
    const beats = await streamParts(camera, () => undefined, 2);
    for (const part of beats.parts) {
      expect(tag(part.body.toString(), 'eventType')).toBe('videoloss');
      expectShifted(tag(part.body.toString(), 'dateTime')!, HOUR, beats.before, beats.after);
    }

    const doorbell = await sim({ profile: 'doorbell', clockOffsetMs: TWO_HOURS_BEHIND });
    const { parts, before, after } = await streamParts(
      doorbell,
      () => doorbell.trigger({ type: 'AccessControllerEvent', major: 5, minor: 21, door: 1 }),
      1,
      'MIME_boundary',
    );
    const part = JSON.parse(parts[0]!.body.toString()) as { dateTime: string; eventType: string };
    expect(part.eventType).toBe('AccessControllerEvent');
    expect(part.dateTime).toMatch(DEVICE_TIME);
    expectShifted(part.dateTime, TWO_HOURS_BEHIND, before, after);
  });

  it('changes at run time, in code and through the control endpoint', async () => {
    const device = await sim({ profile: 'camera' });
    device.setClockOffset(TWO_HOURS_BEHIND);
    const first = await systemTime(device);
    expectShifted(tag(first.body, 'localTime')!, TWO_HOURS_BEHIND, first.before, first.after);

    const before = Date.now();
    const set = await fetch(`${device.url}/__sim/clock`, {
      method: 'POST',
      body: JSON.stringify({ clockOffsetMs: 90 * 60_000 }),
    });
    const answer = (await set.json()) as {
      ok: boolean;
      clockOffsetMs: number;
      deviceTime: string;
      localTime: string;
    };
    expect(answer).toMatchObject({ ok: true, clockOffsetMs: 90 * 60_000 });
    expectShifted(answer.deviceTime, 90 * 60_000, before, Date.now());
    expect(answer.localTime).toMatch(DEVICE_TIME);
    expect(device.clockOffsetMs).toBe(90 * 60_000);
    const read = (await (await fetch(`${device.url}/__sim/clock`)).json()) as { clockOffsetMs: number };
    expect(read.clockOffsetMs).toBe(90 * 60_000);
    const second = await systemTime(device);
    expectShifted(tag(second.body, 'localTime')!, 90 * 60_000, second.before, second.after);
  });

  it('refuses offsets that are not whole milliseconds within ten years, saying why', async () => {
    const device = await sim({ profile: 'camera' });
    for (const bad of ['-2h', 1.5, null, 20 * 366 * 24 * HOUR]) {
      const res = await fetch(`${device.url}/__sim/clock`, {
        method: 'POST',
        body: JSON.stringify({ clockOffsetMs: bad }),
      });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/clockOffsetMs/);
    }
    expect(() => device.setClockOffset(Number.NaN)).toThrow(SimInputError);
    expect(device.clockOffsetMs).toBe(0);
  });

  it('System/time can be removed like any endpoint; the RTSP server dates its answers by the same clock', async () => {
    const device = await sim({ profile: 'camera', clockOffsetMs: TWO_HOURS_BEHIND, onvifBackchannel: true });
    device.setEndpoint('/ISAPI/System/time', null);
    expect((await client(device).text('/ISAPI/System/time')).status).toBe(404);

    const socket = connect({ host: '127.0.0.1', port: device.backchannelPort! });
    const rtsp = new Collector(socket);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const before = Date.now();
    socket.write(
      `OPTIONS rtsp://127.0.0.1:${device.backchannelPort}/Streaming/Channels/101 RTSP/1.0\r\nCSeq: 1\r\n\r\n`,
    );
    const answer = await rtsp.until((text) => text.includes('\r\n\r\n'));
    socket.destroy();
    const date = /\r\nDate: ([^\r]+)\r\n/.exec(answer)?.[1];
    expect(date, answer).toBeDefined();
    expectShifted(date!, TWO_HOURS_BEHIND, before, Date.now());
  });
});
