/**
 * Events end to end: simulated devices push alerts, the gateway turns them into the common
 * model (episodes, channels, pictures), announces them on the bus and stores them; faults in
 * the stream (stall, reboot) are survived.
 */
import { readFile, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDateTime } from '../../sim/clock.ts';
import type { SimDevice, SimDeviceOptions } from '../../sim/index.ts';
import type { GatewayEvent } from '../../src/core/events.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { SimFleet } from './sim-fleet.ts';

const PASSWORD = 'Ev3nts-Pass';
let gw: TestGateway;
const received: GatewayEvent[] = [];
const pictures: Array<{ eventId: string; snapshotRef: string }> = [];
const fleet = new SimFleet({ password: PASSWORD, serialPrefix: 'EVT' });
const sim = (options: Partial<SimDeviceOptions> = {}) => fleet.start(options);
const add = (device: SimDevice) => fleet.add(gw, device);

function eventsOf(deviceId: string, kind?: string): GatewayEvent[] {
  return received.filter((e) => e.deviceId === deviceId && (!kind || e.kind === kind));
}

beforeAll(async () => {
  gw = await startTestGateway({
    overrides: {
      events: {
        quietSeconds: 1,
        updateEverySeconds: 0.2,
        idleTimeoutSeconds: 2,
        reconnectMaxSeconds: 1,
      },
    },
  });
  gw.gateway.bus.on('event', (event) => received.push(event));
  gw.gateway.bus.on('event.snapshot', (picture) => pictures.push(picture));
});
afterAll(async () => {
  await gw?.stop();
  await fleet.closeAll();
});

describe('events from the alertStream', () => {
  it('motion: one start for repeated alerts, updates throttled, end after the quiet period; stored', async () => {
    const camera = await sim();
    const deviceId = await add(camera);
    for (let i = 0; i < 5; i++) camera.trigger({ type: 'VMD', channel: 1 });
    const start = await eventually(async () => eventsOf(deviceId, 'motion').find((e) => e.state === 'start'));
    expect(start.channelNo).toBe(1);
    expect(start.channelId).toBeTruthy();
    expect(start.snapshotRef).toMatch(/\.jpg$/);
    expect(eventsOf(deviceId, 'motion').filter((e) => e.state === 'start')).toHaveLength(1);
    const end = await eventually(
      async () => eventsOf(deviceId, 'motion').find((e) => e.state === 'end'),
      5000,
    );
    expect(Date.parse(end.receivedAt) - Date.parse(start.receivedAt)).toBeGreaterThanOrEqual(900);
    await gw.gateway.events.flush();
    const stored = await gw.gateway.store.events.query({ deviceId, kind: 'motion' });
    expect(stored.map((e) => e.state).sort()).toEqual(['end', 'start']);
    // A picture was taken at the start (the camera sent none with plain motion).
    await eventually(async () => pictures.find((p) => p.eventId === start.id));
  });

  it('smart event: targets and the picture part that followed it', async () => {
    const camera = await sim();
    const deviceId = await add(camera);
    camera.trigger({ type: 'fielddetection', channel: 1, targets: ['human'], image: true });
    const start = await eventually(async () =>
      eventsOf(deviceId, 'intrusion').find((e) => e.state === 'start'),
    );
    expect(start.targets).toEqual(['human']);
    expect(start.attributes.eventType).toBe('fielddetection');
    const picture = await eventually(async () => pictures.find((p) => p.eventId === start.id));
    expect(picture.snapshotRef).toBe(start.snapshotRef);
    // The device sent its own picture: no extra snapshot request was needed.
    expect(camera.countRequests('/ISAPI/Streaming/channels/101/picture')).toBe(0);
  });

  it('an NVR stream is demultiplexed to its channels', async () => {
    const nvr = await sim({ profile: 'nvr:4' });
    const deviceId = await add(nvr);
    nvr.trigger({ type: 'linedetection', channel: 3, targets: ['vehicle'] });
    const event = await eventually(async () => eventsOf(deviceId, 'line-crossing')[0]);
    expect(event.channelNo).toBe(3);
    const channels = await gw.gateway.store.channels.listByDevice(deviceId);
    expect(event.channelId).toBe(channels.find((c) => c.channelNo === 3)!.id);
  });

  it('alarm input and video loss heartbeats', async () => {
    const camera = await sim();
    const deviceId = await add(camera);
    camera.trigger({ type: 'IO', ioPort: 1 });
    const io = await eventually(async () => eventsOf(deviceId, 'alarm-input')[0]);
    expect(io.region).toBe(1);
    // Heartbeats (videoloss inactive every 500 ms) are liveness, not events. Let the device
    // send a few, then a marker: once the marker is in, every heartbeat before it was handled.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    camera.trigger({ type: 'VMD', channel: 1 });
    await eventually(async () => eventsOf(deviceId, 'motion')[0]);
    expect(eventsOf(deviceId, 'video-loss')).toHaveLength(0);
  });
});

describe('doorbells', () => {
  it('ring from call status polling: start, then end when answered/hung up', async () => {
    const doorbell = await sim({ profile: 'doorbell' });
    const deviceId = await add(doorbell);
    doorbell.ring();
    const start = await eventually(
      async () => eventsOf(deviceId, 'doorbell-ring').find((e) => e.state === 'start'),
      5000,
    );
    expect(start.channelNo).toBe(1);
    doorbell.setCallStatus('idle');
    await eventually(async () => eventsOf(deviceId, 'doorbell-ring').find((e) => e.state === 'end'), 5000);
  });

  it('access events: door opened is a pulse for that door; replayed history is dropped', async () => {
    const doorbell = await sim({ profile: 'doorbell' });
    const deviceId = await add(doorbell);
    doorbell.trigger({ type: 'AccessControllerEvent', major: 5, minor: 25, door: 1, currentEvent: false });
    doorbell.trigger({ type: 'AccessControllerEvent', major: 5, minor: 25, door: 2 });
    const opened = await eventually(async () => eventsOf(deviceId, 'door-open')[0]);
    expect(opened).toMatchObject({ state: 'pulse', region: 2 });
    // A marker sent after both: once it is in, everything before it on the stream was handled.
    doorbell.trigger({ type: 'AccessControllerEvent', major: 5, minor: 25, door: 1 });
    await eventually(async () => eventsOf(deviceId, 'door-open').find((e) => e.region === 1));
    expect(eventsOf(deviceId, 'door-open').map((e) => e.region)).toEqual([2, 1]);
  });

  it('door commands reach the device', async () => {
    const doorbell = await sim({ profile: 'doorbell' });
    const deviceId = await add(doorbell);
    await gw.gateway.devices.doorCommand(deviceId, 2, 'open');
    expect(doorbell.doorCommands.map((c) => [c.door, c.cmd])).toEqual([[2, 'open']]);
    await expect(gw.gateway.devices.doorCommand(deviceId, 3)).rejects.toThrow(/has 2 door/);
  });
});

describe('old events', () => {
  it('an alert whose device time is long past (a replay) is dropped', async () => {
    const camera = await sim();
    const deviceId = await add(camera);
    const old = `<?xml version="1.0" encoding="UTF-8"?><EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema"><channelID>1</channelID><dateTime>2020-01-01T10:00:00+01:00</dateTime><activePostCount>1</activePostCount><eventType>PIR</eventType><eventState>active</eventState></EventNotificationAlert>`;
    camera.trigger({
      raw: `--boundary\r\nContent-Type: application/xml; charset="UTF-8"\r\nContent-Length: ${Buffer.byteLength(old)}\r\n\r\n${old}\r\n`,
    });
    camera.trigger({ type: 'PIR', channel: 1 });
    await eventually(async () => eventsOf(deviceId, 'pir')[0]);
    // A marker sent after both: once it is in, the replay before it was handled too.
    camera.trigger({ type: 'IO', ioPort: 1 });
    await eventually(async () => eventsOf(deviceId, 'alarm-input')[0]);
    expect(eventsOf(deviceId, 'pir').filter((e) => e.state === 'start')).toHaveLength(1);
    expect(eventsOf(deviceId, 'pir')[0]!.at.startsWith('2020')).toBe(false);
  });
});

describe('device pictures', () => {
  /** A smart event part followed by a picture part labelled image/jpeg that holds `picture`. */
  function smartEventWithPicture(picture: Buffer): Buffer {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">' +
      `<channelID>1</channelID><dateTime>${localDateTime(new Date())}</dateTime><activePostCount>1</activePostCount>` +
      '<eventType>fielddetection</eventType><eventState>active</eventState></EventNotificationAlert>';
    return Buffer.concat([
      Buffer.from(
        `--boundary\r\nContent-Type: application/xml; charset="UTF-8"\r\nContent-Length: ${Buffer.byteLength(xml)}\r\n\r\n${xml}\r\n`,
      ),
      Buffer.from(`--boundary\r\nContent-Type: image/jpeg\r\nContent-Length: ${picture.length}\r\n\r\n`),
      picture,
      Buffer.from('\r\n'),
    ]);
  }

  async function refused(): Promise<number> {
    const page = await gw.api('GET', '/metrics');
    const line = /^hikbridge_event_pictures_refused_total\{reason="not-jpeg"\} (\d+)$/m.exec(page.text);
    if (!line) throw new Error('no hikbridge_event_pictures_refused_total series');
    return Number(line[1]);
  }

  it('a picture part that is not a JPEG is refused (counted, logged once); the event gets a snapshot instead', async () => {
    const camera = await sim();
    const deviceId = await add(camera);
    const before = await refused();
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(300, 7)]);
    camera.trigger({ raw: smartEventWithPicture(png) });
    camera.trigger({ raw: smartEventWithPicture(png) });
    const start = await eventually(async () =>
      eventsOf(deviceId, 'intrusion').find((e) => e.state === 'start'),
    );
    await eventually(async () => (await refused()) === before + 2);
    const picture = await eventually(async () => pictures.find((p) => p.eventId === start.id));
    const saved = await readFile(join(gw.dataDir, 'snapshots', picture.snapshotRef));
    expect(saved.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(camera.countRequests('/ISAPI/Streaming/channels/101/picture')).toBe(1);
    const lines = gw
      .logs()
      .split('\n')
      .filter((line) => line.includes(deviceId) && line.includes('picture part refused'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      contentType: 'image/jpeg',
      bytes: 308,
      firstBytes: '89504e470d0a1a0a',
    });
  });
});

describe('stream faults', () => {
  it('a silent stall is detected by the idle timeout; events resume and nothing stays on', async () => {
    const camera = await sim({ heartbeatMs: 0 });
    const deviceId = await add(camera);
    camera.trigger({ type: 'VMD', channel: 1 });
    await eventually(async () => eventsOf(deviceId, 'motion').find((e) => e.state === 'start'));
    camera.setFault({ kind: 'streamStall' });
    // Reconnect after the 2 s idle timeout: the stall fault applies to new connections too, so clear it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    camera.clearFaults();
    const logOf = (text: string) =>
      gw
        .logs()
        .split('\n')
        .some((line) => line.includes(deviceId) && line.includes(text));
    await eventually(async () => logOf('event stream lost'), 8000);
    await eventually(async () => logOf('event stream reconnected'), 8000);
    const before = eventsOf(deviceId, 'tamper').length;
    camera.trigger({ type: 'tamperdetection', channel: 1 });
    await eventually(async () => eventsOf(deviceId, 'tamper').length > before, 8000);
    expect(eventsOf(deviceId, 'motion').at(-1)!.state).toBe('end');
  });

  it('a device reboot (connection drop, same address) is followed by a reconnect', async () => {
    const camera = await sim();
    const deviceId = await add(camera);
    const port = camera.port;
    await camera.close();
    const rebooted = await sim({
      port,
      serialNumber: (await gw.gateway.store.devices.get(deviceId))!.serialNumber!,
    });
    await eventually(async () => rebooted.openAlertStreams > 0, 10_000);
    rebooted.trigger({ type: 'regionEntrance', channel: 1, targets: ['human'] });
    await eventually(async () => eventsOf(deviceId, 'region-entrance')[0], 5000);
    expect(gw.logs()).toMatch(/event stream reconnected/);
  });
});

describe('retention', () => {
  const DAY = 86_400_000;
  const HOUR = 3_600_000;

  async function storedIds(deviceId: string): Promise<string[]> {
    return (await gw.gateway.store.events.query({ deviceId })).map((event) => event.id).sort();
  }

  async function onDisk(ref: string): Promise<boolean> {
    return stat(join(gw.gateway.events.snapshots.dir, ref)).then(
      () => true,
      () => false,
    );
  }

  it('removes events and pictures older than the retention period and keeps newer ones, in the store and on disk', async () => {
    const days = gw.gateway.config.events.retentionDays;
    const deviceId = `retention-${Date.now()}`;
    // An hour either side of the cutoff, and far on each side: a cutoff off by a day, one that
    // prunes everything or one that prunes nothing all fail.
    const ages = {
      ancient: (days + 10) * DAY,
      justExpired: days * DAY + HOUR,
      justKept: days * DAY - HOUR,
      fresh: HOUR,
    };
    const ids = {
      ancient: '0000000000010000000000a1',
      justExpired: '0000000000010000000000a2',
      justKept: '0000000000010000000000a3',
      fresh: '0000000000010000000000a4',
    };
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    const now = Date.now();
    for (const name of Object.keys(ages) as Array<keyof typeof ages>) {
      const time = new Date(now - ages[name]);
      await gw.gateway.store.events.insert({
        id: ids[name],
        deviceId,
        channelId: null,
        kind: 'motion',
        state: 'start',
        at: time.toISOString(),
        receivedAt: time.toISOString(),
        data: {},
      });
      const ref = await gw.gateway.events.snapshots.save(ids[name], jpeg);
      await utimes(join(gw.gateway.events.snapshots.dir, ref), time, time);
    }
    expect(await storedIds(deviceId)).toEqual(Object.values(ids).sort());

    await gw.gateway.events.prune();

    expect(await storedIds(deviceId)).toEqual([ids.justKept, ids.fresh].sort());
    expect(await onDisk(`${ids.ancient}.jpg`)).toBe(false);
    expect(await onDisk(`${ids.justExpired}.jpg`)).toBe(false);
    expect(await onDisk(`${ids.justKept}.jpg`)).toBe(true);
    expect(await onDisk(`${ids.fresh}.jpg`)).toBe(true);
    expect(await readFile(join(gw.gateway.events.snapshots.dir, `${ids.fresh}.jpg`))).toEqual(jpeg);
  });
});
