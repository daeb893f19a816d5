import { XMLValidator } from 'fast-xml-parser';
import { fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { type SimFault, SimInputError } from '../../sim/index.ts';
import { bodyOf, Collector, client, openRaw, parseParts, rawSocket, sim, sleep, tag } from './helpers.ts';

const INFO = '/ISAPI/System/deviceInfo';
const STREAM = '/ISAPI/Event/notification/alertStream';

describe('faults', () => {
  it('wrongPassword: the configured password is rejected (and counts toward the lock)', async () => {
    const device = await sim({ profile: 'camera', lockoutAfter: 5 });
    device.setFault({ kind: 'wrongPassword' });
    const { status, body } = await client(device).text(INFO);
    expect(status).toBe(401);
    expect(tag(body, 'retryLoginTime')).toBe('4');
    device.clearFaults();
    expect((await client(device).text(INFO)).status).toBe(200);
  });

  it('forbidden: 403 noPermission on the given path prefixes only', async () => {
    const device = await sim({ profile: 'camera' });
    device.setFault({ kind: 'forbidden', paths: ['/ISAPI/Event'] });
    const c = client(device);
    const denied = await c.text('/ISAPI/Event/triggers');
    expect(denied.status).toBe(403);
    expect(tag(denied.body, 'statusCode')).toBe('4');
    expect(tag(denied.body, 'subStatusCode')).toBe('noPermission');
    expect((await c.text(INFO)).status).toBe(200);
  });

  it('busy: 503 with statusCode 2 Device Busy', async () => {
    const device = await sim({ profile: 'camera' });
    device.setFault({ kind: 'busy' });
    const { status, body } = await client(device).text(INFO);
    expect(status).toBe(503);
    expect([tag(body, 'statusCode'), tag(body, 'statusString'), tag(body, 'subStatusCode')]).toEqual([
      '2',
      'Device Busy',
      'deviceBusy',
    ]);
  });

  it('slow: answers after delayMs', async () => {
    const device = await sim({ profile: 'camera' });
    const c = client(device);
    await c.prime();
    device.setFault({ kind: 'slow', delayMs: 150, paths: [INFO] });
    const started = performance.now();
    expect((await c.text(INFO)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('stall: accepts the request and never answers, keeping the socket open', async () => {
    const device = await sim({ profile: 'camera' });
    device.setFault({ kind: 'stall', paths: [INFO] });
    const socket = await rawSocket(device);
    const collector = new Collector(socket);
    socket.write(`GET ${INFO} HTTP/1.1\r\nHost: sim\r\n\r\n`);
    await sleep(300);
    expect(collector.data).toHaveLength(0);
    expect(collector.ended).toBe(false);
    expect(device.requests.at(-1)).toMatchObject({ path: INFO, status: 0 });
    await device.close();
    await collector.waitClosed(500);
  });

  it('reset: destroys the socket without answering', async () => {
    const device = await sim({ profile: 'camera' });
    device.setFault({ kind: 'reset' });
    const socket = await rawSocket(device);
    const collector = new Collector(socket);
    socket.write(`GET ${INFO} HTTP/1.1\r\nHost: sim\r\n\r\n`);
    await collector.waitClosed();
    expect(collector.data).toHaveLength(0);
    await expect(fetch(`${device.url}${INFO}`)).rejects.toThrow();
  });

  it('malformedXml: 200 with XML that does not parse', async () => {
    const device = await sim({ profile: 'camera' });
    device.setFault({ kind: 'malformedXml', paths: [INFO] });
    const { status, body, res } = await client(device).text(INFO);
    expect(status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(body).toMatch(/^<\?xml/);
    expect(XMLValidator.validate(body)).not.toBe(true);
  });

  it('notActivated: every endpoint answers 401 with a notActivated ResponseStatus', async () => {
    const device = await sim({ profile: 'camera', lockoutAfter: 1 });
    device.setFault({ kind: 'notActivated' });
    const c = client(device);
    for (const path of [INFO, '/ISAPI/Streaming/channels']) {
      const { status, body } = await c.text(path);
      expect(status).toBe(401);
      expect(tag(body, 'subStatusCode')).toBe('notActivated');
      expect(tag(body, 'statusCode')).toBe('4');
    }
    device.clearFaults();
    expect((await c.text(INFO)).status).toBe(200); // the credentialed tries were not failures
  });

  it('noChallenge: 401 without WWW-Authenticate', async () => {
    const device = await sim({ profile: 'doorbell' });
    device.setFault({ kind: 'noChallenge' });
    const res = await fetch(`${device.url}${INFO}`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(tag(await res.text(), 'statusValue')).toBe('401');
  });

  it('status: that HTTP status with a matching ResponseStatus', async () => {
    const device = await sim({ profile: 'camera' });
    device.setFault({ kind: 'status', status: 500, paths: ['/ISAPI/Streaming'] });
    device.setFault({ kind: 'status', status: 404, paths: ['/ISAPI/System/capabilities'] });
    const c = client(device);
    const error = await c.text('/ISAPI/Streaming/channels/101');
    expect(error.status).toBe(500);
    expect([tag(error.body, 'statusCode'), tag(error.body, 'subStatusCode')]).toEqual(['3', 'deviceError']);
    expect(tag((await c.text('/ISAPI/System/capabilities')).body, 'subStatusCode')).toBe('notSupport');
    expect((await c.text(INFO)).status).toBe(200);
  });

  it('streamStall: headers and one part, then silence on an open socket', async () => {
    const device = await sim({ profile: 'camera', heartbeatMs: 30 });
    device.setFault({ kind: 'streamStall' });
    const stream = await openRaw(device, STREAM);
    await stream.until((t) => t.includes('</EventNotificationAlert>'));
    device.trigger({ type: 'VMD' });
    await sleep(200);
    expect(parseParts(bodyOf(stream.data), 'boundary')).toHaveLength(1);
    expect(stream.ended).toBe(false);
  });

  it('streamTruncate: the next part is cut mid-body, then the connection closes', async () => {
    const device = await sim({ profile: 'camera' });
    const stream = await openRaw(device, STREAM);
    await stream.until((t) => t.includes('\r\n\r\n'));
    device.setFault({ kind: 'streamTruncate' });
    device.trigger({ type: 'VMD' });
    await stream.waitClosed();
    const body = bodyOf(stream.data).toString();
    const declared = Number(/Content-Length: (\d+)/.exec(body)?.[1]);
    const received = body.length - body.indexOf('\r\n\r\n') - 4;
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(declared);
  });

  it('streamTruncate then "continue": the next part follows the cut one', async () => {
    const device = await sim({ profile: 'camera' });
    const stream = await openRaw(device, STREAM);
    await stream.until((t) => t.includes('\r\n\r\n'));
    device.setFault({ kind: 'streamTruncate', after: 'continue' });
    device.trigger({ type: 'VMD' });
    device.trigger({ type: 'IO' });
    await stream.until((t) => t.includes('<eventType>IO</eventType>'));
    // the VMD part never got its end: only the IO part is complete
    expect(stream.text.split('</EventNotificationAlert>')).toHaveLength(2);
    expect(stream.ended).toBe(false);
  });

  it('several faults can be active; clearFaults removes them all', async () => {
    const device = await sim({ profile: 'camera' });
    device.setFault({ kind: 'busy', paths: ['/ISAPI/Streaming'] });
    device.setFault({ kind: 'forbidden', paths: ['/ISAPI/Event'] });
    const c = client(device);
    expect((await c.text('/ISAPI/Streaming/channels')).status).toBe(503);
    expect((await c.text('/ISAPI/Event/triggers')).status).toBe(403);
    device.clearFaults();
    expect((await c.text('/ISAPI/Streaming/channels')).status).toBe(200);
    expect((await c.text('/ISAPI/Event/triggers')).status).toBe(200);
  });

  it('rejects malformed faults with a clear message', async () => {
    const device = await sim({ profile: 'camera' });
    const bad = [
      { kind: 'explode' },
      { kind: 'forbidden' },
      { kind: 'status', status: 99, paths: ['/ISAPI'] },
      { kind: 'slow', delayMs: -1 },
      { kind: 'streamFraming', boundaryMode: 'weird' },
      { kind: 'busy', paths: ['no-slash'] },
    ];
    for (const fault of bad)
      expect(() => device.setFault(fault as SimFault), JSON.stringify(fault)).toThrow(SimInputError);
    expect(() => device.setFault({ kind: 'explode' } as unknown as SimFault)).toThrow(
      /unknown fault kind "explode"/,
    );
  });
});
