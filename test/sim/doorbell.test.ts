import { describe, expect, it } from 'vitest';
import { client, type DigestClient, openRaw, parseParts, sim, sleep, tag } from './helpers.ts';

const signal = (c: DigestClient, cmdType: string) =>
  c.request('/ISAPI/VideoIntercom/callSignal?format=json', {
    method: 'PUT',
    body: JSON.stringify({ CallSignal: { cmdType } }),
    headers: { 'Content-Type': 'application/json' },
  });

const callStatus = async (c: DigestClient): Promise<string> =>
  (
    (await (await c.request('/ISAPI/VideoIntercom/callStatus?format=json')).json()) as {
      CallStatus: { status: string };
    }
  ).CallStatus.status;

const openDoor = (c: DigestClient, door: number, cmd = 'open') =>
  c.text(`/ISAPI/AccessControl/RemoteControl/door/${door}`, {
    method: 'PUT',
    body: `<RemoteControlDoor><cmd>${cmd}</cmd></RemoteControlDoor>`,
    headers: { 'Content-Type': 'application/xml' },
  });

describe('doorbell calls', () => {
  it('ring -> callStatus ring -> callSignal hangUp -> idle', async () => {
    const device = await sim({ profile: 'doorbell' });
    const c = client(device);
    expect(await callStatus(c)).toBe('idle');
    device.ring();
    expect(await callStatus(c)).toBe('ring');
    const res = await signal(c, 'hangUp');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ statusCode: 1, statusString: 'OK', subStatusCode: 'ok' });
    expect(await callStatus(c)).toBe('idle');
    expect(device.callStatus).toBe('idle');
  });

  it('answer makes the call onCall; hangUp ends it', async () => {
    const device = await sim({ profile: 'doorbell' });
    const c = client(device);
    device.ring();
    expect((await signal(c, 'answer')).status).toBe(200);
    expect(await callStatus(c)).toBe('onCall');
    expect((await signal(c, 'hangUp')).status).toBe(200);
    expect(await callStatus(c)).toBe('idle');
  });

  it('reject, cancel and bellTimeout end a ringing call', async () => {
    const device = await sim({ profile: 'doorbell' });
    const c = client(device);
    for (const cmd of ['reject', 'cancel', 'bellTimeout']) {
      device.ring();
      expect((await signal(c, cmd)).status, cmd).toBe(200);
      expect(await callStatus(c)).toBe('idle');
    }
  });

  it('answers statusCode 4 noRequest when nothing is pending', async () => {
    const c = client(await sim({ profile: 'doorbell' }));
    for (const cmd of ['answer', 'hangUp', 'reject']) {
      const res = await signal(c, cmd);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({
        statusCode: 4,
        statusString: 'Invalid Operation',
        subStatusCode: 'noRequest',
      });
    }
  });

  it('rejects unknown commands (case matters: hangUp)', async () => {
    const c = client(await sim({ profile: 'doorbell' }));
    const res = await signal(c, 'hangup');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ statusCode: 6, subStatusCode: 'badJsonContent' });
  });

  it('an unanswered ring returns to idle after maxRingTime', async () => {
    const device = await sim({ profile: 'doorbell', maxRingTimeMs: 80 });
    device.ring();
    expect(device.callStatus).toBe('ring');
    await sleep(150);
    expect(await callStatus(client(device))).toBe('idle');
  });

  it('answers callStatus in XML without format=json', async () => {
    const device = await sim({ profile: 'doorbell' });
    device.setCallStatus('onCall');
    const { body } = await client(device).text('/ISAPI/VideoIntercom/callStatus');
    expect(tag(body, 'status')).toBe('onCall');
  });

  it('cameras have no call endpoints', async () => {
    const { status } = await client(await sim({ profile: 'camera' })).text(
      '/ISAPI/VideoIntercom/callStatus?format=json',
    );
    expect(status).toBe(404);
  });
});

describe('doorbell doors', () => {
  it('PUT door/1 open is recorded and acknowledged like the real station', async () => {
    const device = await sim({ profile: 'doorbell' });
    const before = Date.now();
    const { status, body } = await openDoor(client(device), 1);
    expect(status).toBe(200);
    expect(body).toContain('<ResponseStatus version="1.0"');
    expect(tag(body, 'statusCode')).toBe('1');
    expect(tag(body, 'subStatusCode')).toBe('ok');
    expect(tag(body, 'requestURL')).toBe('/ISAPI/AccessControl/RemoteControl/door/1');
    expect(device.doorCommands).toHaveLength(1);
    expect(device.doorCommands[0]).toMatchObject({ door: 1, cmd: 'open' });
    expect(device.doorCommands[0]!.at).toBeGreaterThanOrEqual(before);
  });

  it('validates the door number, the command and the XML', async () => {
    const device = await sim({ profile: 'doorbell' });
    const c = client(device);
    expect((await openDoor(c, 3)).status).toBe(400);
    const badCmd = await openDoor(c, 1, 'explode');
    expect(badCmd.status).toBe(400);
    expect(tag(badCmd.body, 'subStatusCode')).toBe('badXmlContent');
    const broken = await c.text('/ISAPI/AccessControl/RemoteControl/door/1', {
      method: 'PUT',
      body: '<RemoteControlDoor><cmd>open',
    });
    expect(broken.status).toBe(400);
    expect(tag(broken.body, 'statusCode')).toBe('5');
    expect(device.doorCommands).toHaveLength(0);
  });

  it('AcsWorkStatus shows the lock open after an open, closed after openDuration', async () => {
    const device = await sim({ profile: 'doorbell', doorOpenDurationMs: 300 });
    const c = client(device);
    const status = async () =>
      (
        (await (await c.request('/ISAPI/AccessControl/AcsWorkStatus?format=json')).json()) as {
          AcsWorkStatus: { doorLockStatus: number[] };
        }
      ).AcsWorkStatus.doorLockStatus;
    expect(await status()).toEqual([0, 0]);
    await openDoor(c, 2);
    expect(await status()).toEqual([0, 1]);
    await sleep(400);
    expect(await status()).toEqual([0, 0]);
  });

  it('pushes access-control events for a remote open on the alertStream (JSON, MIME_boundary)', async () => {
    const device = await sim({ profile: 'doorbell', doorOpenDurationMs: 50 });
    const stream = await openRaw(device, '/ISAPI/Event/notification/alertStream');
    await stream.until((t) => t.includes('\r\n\r\n'));
    expect(stream.text).toContain('Content-Type: multipart/mixed; boundary=MIME_boundary');
    await openDoor(client(device), 1);
    await stream.until((t) => t.split('"subEventType"').length - 1 >= 3);
    const events = parseParts(stream.data, 'MIME_boundary').map((p) => {
      expect(p.headers['content-type']).toBe('application/json; charset="UTF-8"');
      return JSON.parse(p.body.toString()) as Record<string, unknown> & {
        AccessControllerEvent: {
          majorEventType: number;
          subEventType: number;
          doorNo: number;
          currentEvent: boolean;
        };
      };
    });
    expect(
      events.map((e) => `${e.AccessControllerEvent.majorEventType}/${e.AccessControllerEvent.subEventType}`),
    ).toEqual(['3/1024', '5/21', '5/22']);
    expect(events[0]).toMatchObject({
      eventType: 'AccessControllerEvent',
      eventState: 'active',
      channelID: 1,
    });
    expect(events[1]!.AccessControllerEvent).toMatchObject({ doorNo: 1, currentEvent: true });
  });
});
