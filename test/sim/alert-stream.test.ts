import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { SimDevice } from '../../sim/index.ts';
import { bodyOf, client, openRaw, parseParts, sim, sleep, tag } from './helpers.ts';

const STREAM = '/ISAPI/Event/notification/alertStream';
const headOf = (text: string): string => text.slice(0, text.indexOf('\r\n\r\n'));
const count = (text: string, needle: string): number => text.split(needle).length - 1;

async function stream(device: SimDevice, path = STREAM) {
  const collector = await openRaw(device, path);
  await collector.until((t) => t.includes('\r\n\r\n'));
  return collector;
}

describe('alertStream', () => {
  it('answers a never-ending multipart/mixed with boundary=boundary', async () => {
    const device = await sim({ profile: 'camera' });
    const s = await stream(device);
    const head = headOf(s.text);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toContain('Content-Type: multipart/mixed; boundary=boundary');
    expect(head).not.toMatch(/Content-Length/i);
    expect(device.openAlertStreams).toBe(1);
    expect(device.requests.at(-1)).toMatchObject({ path: STREAM, status: 200, authenticated: true });
  });

  it('sends videoloss inactive heartbeats every heartbeatMs', async () => {
    const device = await sim({ profile: 'camera', heartbeatMs: 60 });
    const s = await stream(device);
    await s.until((t) => count(t, '--boundary\r\n') >= 3, 1000);
    const parts = parseParts(s.data, 'boundary');
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) {
      expect(part.headers['content-type']).toBe('application/xml; charset="UTF-8"');
      expect(Number(part.headers['content-length'])).toBe(part.body.length);
      const xml = part.body.toString();
      expect(XMLValidator.validate(xml)).toBe(true);
      expect(tag(xml, 'eventType')).toBe('videoloss');
      expect(tag(xml, 'eventState')).toBe('inactive');
    }
  });

  it('writes a triggered smart event as EventNotificationAlert v2.0, followed by its JPEG', async () => {
    const device = await sim({ profile: 'camera' });
    const s = await stream(device);
    device.trigger({ type: 'fielddetection', channel: 1, targets: ['human', 'vehicle'] });
    await s.until(
      (t) => t.includes('image/jpeg') && parseParts(bodyOf(Buffer.from(t, 'latin1')), 'boundary').length >= 2,
    );
    const [alert, image] = parseParts(bodyOf(s.data), 'boundary');
    const xml = alert!.body.toString();
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain(
      '<EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">',
    );
    expect(tag(xml, 'eventType')).toBe('fielddetection');
    expect(tag(xml, 'eventState')).toBe('active');
    expect(tag(xml, 'channelID')).toBe('1');
    expect(tag(xml, 'channelName')).toBe('yard');
    expect(tag(xml, 'macAddress')).toBe('a6:63:9e:f8:01:09');
    expect(tag(xml, 'dateTime')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    expect([...xml.matchAll(/<detectionTarget>(\w+)</g)].map((m) => m[1])).toEqual(['human', 'vehicle']);
    expect(xml).toContain('<TargetRect>');
    expect(tag(xml, 'detectionPicturesNumber')).toBe('1');
    expect(image!.headers['content-type']).toBe('image/jpeg');
    expect(image!.body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(Number(image!.headers['content-length'])).toBe(image!.body.length);
  });

  it('IO, PIR (v1.0 psialliance), duration and VMD bodies follow the captures', async () => {
    const device = await sim({ profile: 'camera' });
    const s = await stream(device);
    device.trigger({ type: 'IO', ioPort: 1 });
    device.trigger({ type: 'PIR' });
    device.trigger({ type: 'duration', relationEvent: 'linedetection' });
    device.trigger({ type: 'VMD', state: 'inactive' });
    await s.until((t) => count(t, '--boundary\r\n') >= 4);
    const [io, pir, duration, vmd] = parseParts(bodyOf(s.data), 'boundary').map((p) => p.body.toString());
    expect(tag(io!, 'inputIOPortID')).toBe('1');
    expect(tag(io!, 'eventDescription')).toBe('IO alarm');
    expect(pir).toContain('<EventNotificationAlert version="1.0" xmlns="urn:psialliance-org">');
    expect(tag(pir!, 'protocolType')).toBe('HTTP');
    expect(pir).toMatch(/<eventPush xmlns="urn:selfextension:psiaext-ver10-xsd">PIR&amp;&amp;/);
    expect(tag(duration!, 'eventType')).toBe('duration');
    expect(tag(duration!, 'relationEvent')).toBe('linedetection');
    expect(tag(vmd!, 'eventState')).toBe('inactive');
    expect(tag(vmd!, 'eventDescription')).toBe('Motion alarm');
    for (const body of [io, pir, duration, vmd]) expect(XMLValidator.validate(body!)).toBe(true);
  });

  it('counts activePostCount while an alarm stays active', async () => {
    const device = await sim({ profile: 'camera' });
    const s = await stream(device);
    for (let i = 0; i < 3; i++) device.trigger({ type: 'VMD' });
    device.trigger({ type: 'VMD', state: 'inactive' });
    device.trigger({ type: 'VMD' });
    await s.until((t) => count(t, '--boundary\r\n') >= 5);
    const counts = parseParts(bodyOf(s.data), 'boundary').map((p) =>
      tag(p.body.toString(), 'activePostCount'),
    );
    expect(counts).toEqual(['1', '2', '3', '1', '1']);
  });

  it('NVR events carry the channel, its name and dynChannelID; one connection carries every channel', async () => {
    const device = await sim({ profile: 'nvr:4' });
    const s = await stream(device);
    device.trigger({ type: 'linedetection', channel: 3, targets: ['vehicle'], image: false });
    device.trigger({ type: 'VMD', channel: 4 });
    await s.until((t) => count(t, '--boundary\r\n') >= 2);
    const [line, vmd] = parseParts(bodyOf(s.data), 'boundary').map((p) => p.body.toString());
    expect(line).toContain('xmlns="http://www.isapi.org/ver20/XMLSchema"');
    expect([tag(line!, 'channelID'), tag(line!, 'dynChannelID'), tag(line!, 'channelName')]).toEqual([
      '3',
      '3',
      'Camera 03',
    ]);
    expect(tag(vmd!, 'channelID')).toBe('4');
    expect(s.text).not.toContain('image/jpeg');
  });

  it('delivers to every open connection and serves the very old path', async () => {
    const device = await sim({ profile: 'camera' });
    const a = await stream(device);
    const b = await stream(device, '/Event/notification/alertStream');
    expect(device.openAlertStreams).toBe(2);
    device.trigger({ type: 'tamperdetection' });
    await a.until((t) => t.includes('<eventType>tamperdetection</eventType>'));
    await b.until((t) => t.includes('<eventType>tamperdetection</eventType>'));
  });

  it('writes raw events byte for byte', async () => {
    const device = await sim({ profile: 'camera' });
    const s = await stream(device);
    device.trigger({ raw: '--boundary\r\nContent-Type: text/plain\r\n\r\nhello & <bye\r\n' });
    await s.until((t) => t.includes('<bye'));
    expect(bodyOf(s.data).toString()).toBe('--boundary\r\nContent-Type: text/plain\r\n\r\nhello & <bye\r\n');
  });

  it('supports the empty <activePostCount/> and bare & quirks per event', async () => {
    const device = await sim({ profile: 'camera' });
    const s = await stream(device);
    device.trigger({ type: 'VMD', emptyActivePostCount: true, bareAmpersand: true });
    await s.until((t) => t.includes('</EventNotificationAlert>'));
    const xml = parseParts(bodyOf(s.data), 'boundary')[0]!.body.toString();
    expect(xml).toContain('<activePostCount/>');
    expect(xml).toContain('<eventDescription>Motion alarm & more</eventDescription>');
    expect(XMLValidator.validate(xml)).not.toBe(true);
  });

  it('drops events for a client that stops reading instead of buffering without limit', async () => {
    const device = await sim({ profile: 'camera' });
    const s = await stream(device);
    s.socket.pause();
    const total = 1000; // ~25 KB each with the picture: 25 MB if nothing were dropped
    for (let i = 0; i < total; i++) device.trigger({ type: 'fielddetection', targets: ['human'] });
    await sleep(50);
    s.socket.resume();
    await sleep(300);
    const received = count(s.text, 'Content-Type: image/jpeg');
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(total);
  });

  it('the doorbell streams JSON parts shaped like the capture, with MIME_boundary', async () => {
    const device = await sim({ profile: 'doorbell', heartbeatMs: 50 });
    const s = await stream(device);
    expect(headOf(s.text)).toContain('Content-Type: multipart/mixed; boundary=MIME_boundary');
    device.trigger({ type: 'AccessControllerEvent', major: 5, minor: 25, door: 1 });
    await s.until((t) => t.includes('"subEventType":25') && t.includes('"videoloss"'), 1000);
    const parts = parseParts(bodyOf(s.data), 'MIME_boundary').map((p) => JSON.parse(p.body.toString()));
    const heartbeat = parts.find((p) => p.eventType === 'videoloss');
    expect(Object.keys(heartbeat)).toEqual([
      'ipAddress',
      'portNo',
      'protocol',
      'channelID',
      'dateTime',
      'activePostCount',
      'eventType',
      'eventState',
      'eventDescription',
    ]);
    expect(heartbeat).toMatchObject({ channelID: 1, eventState: 'inactive', portNo: device.port });
    const access = parts.find((p) => p.eventType === 'AccessControllerEvent');
    expect(access.AccessControllerEvent).toMatchObject({
      majorEventType: 5,
      subEventType: 25,
      currentEvent: true,
    });
    expect(typeof access.AccessControllerEvent.serialNo).toBe('number');
  });

  it('needs authentication like any endpoint', async () => {
    const device = await sim({ profile: 'camera' });
    const res = await client(device).raw(STREAM);
    expect(res.status).toBe(401);
    await res.arrayBuffer();
    expect(device.openAlertStreams).toBe(0);
  });
});

describe('alertStream framing variants (streamFraming fault, new connections)', () => {
  it('literal-mismatch: the header advertises one boundary, parts use --boundary', async () => {
    const device = await sim({ profile: 'camera' });
    device.setFault({ kind: 'streamFraming', boundaryMode: 'literal-mismatch' });
    const s = await stream(device);
    const advertised = /boundary=([^\r\n;]+)/.exec(headOf(s.text))?.[1];
    expect(advertised).toBeDefined();
    expect(advertised).not.toBe('boundary');
    device.trigger({ type: 'VMD' });
    await s.until((t) => t.includes('</EventNotificationAlert>'));
    expect(bodyOf(s.data).toString()).toMatch(/^--boundary\r\n/);
    expect(s.text).not.toContain(`--${advertised}\r\n`);
  });

  it('missing: no boundary in the header', async () => {
    const device = await sim({ profile: 'camera' });
    device.setFault({ kind: 'streamFraming', boundaryMode: 'missing' });
    const s = await stream(device);
    expect(headOf(s.text)).toMatch(/Content-Type: multipart\/mixed\r?$/m);
    device.trigger({ type: 'VMD' });
    await s.until((t) => t.includes('--boundary\r\n'));
  });

  it('MIME_boundary on a camera', async () => {
    const device = await sim({ profile: 'camera' });
    device.setFault({ kind: 'streamFraming', boundaryMode: 'MIME_boundary' });
    const s = await stream(device);
    device.trigger({ type: 'VMD' });
    await s.until((t) => t.includes('</EventNotificationAlert>'));
    expect(parseParts(bodyOf(s.data), 'MIME_boundary')).toHaveLength(1);
  });

  it('parts without Content-Length and blank CRLF lines between parts', async () => {
    const device = await sim({ profile: 'camera' });
    device.setFault({ kind: 'streamFraming', contentLength: false, blankLines: true });
    const s = await stream(device);
    device.trigger({ type: 'VMD' });
    device.trigger({ type: 'IO' });
    await s.until((t) => count(t, '</EventNotificationAlert>') >= 2);
    const body = bodyOf(s.data).toString();
    expect(body).not.toMatch(/Content-Length/i);
    expect(body).toContain('</EventNotificationAlert>\n\r\n\r\n--boundary\r\n');
  });

  it('connection-wide quirks: empty activePostCount and bare & on every part', async () => {
    const device = await sim({ profile: 'camera', heartbeatMs: 40 });
    device.setFault({ kind: 'streamFraming', emptyActivePostCount: true, bareAmpersand: true });
    const s = await stream(device);
    await s.until((t) => count(t, '</EventNotificationAlert>') >= 2, 1000);
    expect(count(s.text, '<activePostCount/>')).toBeGreaterThanOrEqual(2);
    expect(s.text).toContain('videoloss alarm & more');
  });

  it('existing connections keep their framing', async () => {
    const device = await sim({ profile: 'camera' });
    const before = await stream(device);
    device.setFault({ kind: 'streamFraming', boundaryMode: 'MIME_boundary' });
    device.trigger({ type: 'VMD' });
    await before.until((t) => t.includes('--boundary\r\n'));
    expect(before.text).not.toContain('MIME_boundary');
  });
});
