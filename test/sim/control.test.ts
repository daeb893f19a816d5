import { fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import type { SimRequestRecord } from '../../sim/index.ts';
import { client, openRaw, sim, tag } from './helpers.ts';

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('/__sim/ control API (no auth)', () => {
  it('POST /__sim/event delivers to open alertStreams', async () => {
    const device = await sim({ profile: 'camera' });
    const stream = await openRaw(device, '/ISAPI/Event/notification/alertStream');
    await stream.until((t) => t.includes('\r\n\r\n'));
    const res = await post(`${device.url}/__sim/event`, {
      type: 'linedetection',
      channel: 1,
      targets: ['human'],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, delivered: 1 });
    await stream.until((t) => t.includes('<eventType>linedetection</eventType>') && t.includes('image/jpeg'));
  });

  it('POST /__sim/fault and DELETE /__sim/faults', async () => {
    const device = await sim({ profile: 'camera' });
    const c = client(device);
    expect((await post(`${device.url}/__sim/fault`, { kind: 'busy' })).status).toBe(200);
    expect((await c.text('/ISAPI/System/deviceInfo')).status).toBe(503);
    expect((await fetch(`${device.url}/__sim/faults`, { method: 'DELETE' })).status).toBe(200);
    expect((await c.text('/ISAPI/System/deviceInfo')).status).toBe(200);
  });

  it('POST /__sim/call rings the doorbell', async () => {
    const device = await sim({ profile: 'doorbell' });
    const res = await post(`${device.url}/__sim/call`, { status: 'ring' });
    expect(await res.json()).toEqual({ ok: true, status: 'ring' });
    const status = await client(device).request('/ISAPI/VideoIntercom/callStatus?format=json');
    expect(await status.json()).toEqual({ CallStatus: { status: 'ring' } });
    await post(`${device.url}/__sim/call`, { status: 'idle' });
    expect(device.callStatus).toBe('idle');
  });

  it('GET /__sim/requests lists device requests, not control calls', async () => {
    const device = await sim({ profile: 'camera' });
    await client(device).text('/ISAPI/System/deviceInfo?x=1');
    const records = (await (await fetch(`${device.url}/__sim/requests`)).json()) as SimRequestRecord[];
    expect(records.map((r) => [r.method, r.path, r.query, r.status, r.authenticated, r.authorized])).toEqual([
      ['GET', '/ISAPI/System/deviceInfo', '', 401, false, false],
      ['GET', '/ISAPI/System/deviceInfo', 'x=1', 200, true, true],
    ]);
    expect(device.countRequests('/ISAPI/System')).toBe(1); // the 401 handshake is not counted
    expect(device.countRequests('/ISAPI/System', 'PUT')).toBe(0);
    expect(device.countRequests('/__sim')).toBe(0);
  });

  it('GET /__sim/doors and GET /__sim/audio', async () => {
    const device = await sim({ profile: 'doorbell' });
    const c = client(device);
    await c.text('/ISAPI/AccessControl/RemoteControl/door/2', {
      method: 'PUT',
      body: '<RemoteControlDoor><cmd>alwaysOpen</cmd></RemoteControlDoor>',
    });
    const doors = (await (await fetch(`${device.url}/__sim/doors`)).json()) as Array<{
      door: number;
      cmd: string;
    }>;
    expect(doors).toMatchObject([{ door: 2, cmd: 'alwaysOpen' }]);

    const open = await c.text('/ISAPI/System/TwoWayAudio/channels/1/open', { method: 'PUT' });
    const sessionId = tag(open.body, 'sessionId');
    // A body sent the ordinary way (Content-Length) is recorded too.
    await c.text(`/ISAPI/System/TwoWayAudio/channels/1/audioData?sessionId=${sessionId}`, {
      method: 'PUT',
      body: Buffer.alloc(320, 0xab),
    });
    const audio = Buffer.from(await (await fetch(`${device.url}/__sim/audio?channel=1`)).arrayBuffer());
    expect(audio).toEqual(Buffer.alloc(320, 0xab));
  });

  it('POST /__sim/load with toggle and activeMs ends each episode activeMs after it started', async () => {
    const device = await sim({ profile: 'camera' });
    const stream = await openRaw(device, '/ISAPI/Event/notification/alertStream');
    await stream.until((t) => t.includes('\r\n\r\n'));
    // 2 events/s: evenly spaced, the inactive would come 500 ms after its active.
    const startAt = Date.now() + 200;
    const load = { rate: 2, seconds: 2, startAt, toggle: true, stamp: true, activeMs: 50 };
    const res = await post(`${device.url}/__sim/load`, load);
    expect(await res.json()).toEqual({ ok: true, events: 4 });
    const text = await stream.until((t) => t.split('<eventType>VMD</eventType>').length === 5, 10_000);
    const posts = text
      .split('<EventNotificationAlert')
      .slice(1)
      .map((xml) => ({ state: tag(xml, 'eventState'), at: Number(tag(xml, 'eventDescription')?.slice(11)) }));
    expect(posts.map((each) => each.state)).toEqual(['active', 'inactive', 'active', 'inactive']);
    // Timers never fire early (a few ms of rounding and clock reading aside); late ones (a busy
    // machine) are allowed for.
    const due = [0, 50, 1000, 1050];
    for (const [i, each] of posts.entries()) expect(each.at).toBeGreaterThanOrEqual(startAt + due[i]! - 5);
    expect(posts[1]!.at).toBeLessThan(startAt + 500);
    expect(posts[3]!.at).toBeLessThan(startAt + 1500);
  });

  it('answers 400 with a clear message on bad input and 404 on unknown endpoints', async () => {
    const device = await sim({ profile: 'camera' });
    const cases: Array<[string, unknown, RegExp]> = [
      ['event', 'not json', /not valid JSON/],
      ['event', { type: '' }, /event.type/],
      ['event', { type: 'VMD', state: 'on' }, /state must be/],
      ['event', { type: 'fielddetection', targets: ['cat'] }, /targets/],
      ['fault', { kind: 'nope' }, /unknown fault kind/],
      ['fault', { kind: 'status', paths: ['/ISAPI'] }, /status must be/],
      ['call', { status: 'ring' }, /not a doorbell/],
      ['call', { status: 'dancing' }, /status must be one of idle, ring, onCall/],
      ['load', { rate: 2, seconds: 2, toggle: true, activeMs: 1000 }, /activeMs must be less than 2 \/ rate/],
    ];
    for (const [endpoint, body, message] of cases) {
      const res = await post(`${device.url}/__sim/${endpoint}`, body);
      expect(res.status, `${endpoint} ${JSON.stringify(body)}`).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
    const unknown = await fetch(`${device.url}/__sim/nothing`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/no control endpoint/);
  });
});
