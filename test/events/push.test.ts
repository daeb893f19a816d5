/** Push mode: events POSTed by devices (httpHosts) reach the same pipeline as the alertStream. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import type { GatewayEvent } from '../../src/core/events.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';

const SNAPSHOT_PATH = '/ISAPI/Streaming/channels/101/picture';
let gw: TestGateway;
let camera: SimDevice;
let deviceId: string;
let pushUrl: string;
const received: GatewayEvent[] = [];
const pictures: string[] = [];

function alertXml(eventType: string): string {
  const now = new Date().toISOString().replace(/\.\d+Z$/, '+00:00');
  return `<?xml version="1.0" encoding="UTF-8"?><EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema"><channelID>1</channelID><dateTime>${now}</dateTime><activePostCount>1</activePostCount><eventType>${eventType}</eventType><eventState>active</eventState><eventDescription>${eventType} alarm</eventDescription></EventNotificationAlert>`;
}

function post(xml: string): Promise<Response> {
  return fetch(`${pushUrl}/events/${deviceId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/xml' },
    body: xml,
    signal: AbortSignal.timeout(10_000),
  });
}

beforeAll(async () => {
  gw = await startTestGateway({
    overrides: { events: { push: { enabled: true, host: '127.0.0.1', port: 0 } } },
  });
  gw.gateway.bus.on('event', (event) => received.push(event));
  gw.gateway.bus.on('event.snapshot', ({ eventId }) => pictures.push(eventId));
  camera = await startSimDevice({
    profile: 'camera',
    password: 'Push-Pass1',
    serialNumber: `PUSH${Date.now()}`,
  });
  const url = new URL(camera.url);
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { host: url.hostname, port: Number(url.port), password: 'Push-Pass1' },
  });
  deviceId = added.json.id;
  pushUrl = `http://127.0.0.1:${gw.gateway.events.pushAddress!.port}`;
});
afterAll(async () => {
  await gw?.stop();
  await camera?.close();
});

describe('push listener', () => {
  it('an XML post becomes an event of that device', async () => {
    const answer = await fetch(`${pushUrl}/events/${deviceId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: alertXml('PIR'),
    });
    expect(answer.status).toBe(200);
    const event = await eventually(async () =>
      received.find((e) => e.deviceId === deviceId && e.kind === 'pir'),
    );
    expect(event).toMatchObject({ state: 'start', channelNo: 1 });
    // No picture came with it: the camera is asked for one after the picture wait. Waiting for it
    // here keeps that snapshot out of the next test's count (it once landed there under load).
    await eventually(async () => pictures.includes(event.id));
  });

  it('a multipart post with XML and a JPEG attaches the picture', async () => {
    const xml = alertXml('linedetection');
    const jpeg = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.alloc(200, 1),
      Buffer.from([0xff, 0xd9]),
    ]);
    const body = Buffer.concat([
      Buffer.from(
        `--frontier\r\nContent-Type: application/xml\r\nContent-Length: ${xml.length}\r\n\r\n${xml}\r\n`,
      ),
      Buffer.from(`--frontier\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`),
      jpeg,
      Buffer.from('\r\n--frontier--\r\n'),
    ]);
    const snapshotsBefore = camera.countRequests(SNAPSHOT_PATH);
    const answer = await fetch(`${pushUrl}/events/${deviceId}`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=frontier' },
      body,
    });
    expect(answer.status).toBe(200);
    const event = await eventually(async () => received.find((e) => e.kind === 'line-crossing'));
    await eventually(async () => pictures.includes(event.id));
    const stored = join(gw.gateway.events.snapshots.dir, event.snapshotRef!);
    expect(await readFile(stored)).toEqual(jpeg); // the picture posted, not a snapshot
    // Nor is a snapshot taken for it after its picture wait (400 ms). A later event without a
    // picture waits as long, and timers of equal length fire in order: once that event's
    // snapshot is stored, this event's wait is over, and any snapshot for it would be stored too.
    expect((await post(alertXml('VMD'))).status).toBe(200);
    const marker = await eventually(async () => received.find((e) => e.kind === 'motion'));
    await eventually(async () => pictures.includes(marker.id));
    expect(pictures.filter((id) => id === event.id)).toHaveLength(1);
    expect(await readFile(stored)).toEqual(jpeg);
    // At most the later event's snapshot reached the camera (pictures are cached for a second).
    expect(camera.countRequests(SNAPSHOT_PATH)).toBeLessThanOrEqual(snapshotsBefore + 1);
  });

  it('a binary private-format post is refused with a clear log line', async () => {
    const answer = await fetch(`${pushUrl}/events/${deviceId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([0x00, 0x01, 0x02, 0xfe, 0x10, 0x20]),
    });
    expect(answer.status).toBe(415);
    expect(gw.logs()).toContain('refused a binary (private-format) event post');
  });

  it('posts from unknown devices are refused', async () => {
    const answer = await fetch(`${pushUrl}/events/not-a-device`, { method: 'POST', body: alertXml('VMD') });
    expect(answer.status).toBe(403);
  });
});
