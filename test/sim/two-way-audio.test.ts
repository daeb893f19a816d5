import { describe, expect, it } from 'vitest';
import type { SimDevice } from '../../sim/index.ts';
import { bodyOf, Collector, client, type DigestClient, rawSocket, sim, sleep, tag } from './helpers.ts';

const CH = '/ISAPI/System/TwoWayAudio/channels/1';

async function openSession(c: DigestClient): Promise<string> {
  expect((await c.text(`${CH}/close`, { method: 'PUT' })).status).toBe(200);
  const { status, body } = await c.text(`${CH}/open`, { method: 'PUT' });
  expect(status).toBe(200);
  expect(body).toContain('<TwoWayAudioSession');
  return tag(body, 'sessionId')!;
}

/** Streams audio the way clients must: Content-Length 0 (or none), then raw bytes on the socket. */
async function upload(
  device: SimDevice,
  c: DigestClient,
  path: string,
  chunks: Buffer[],
  length = 'Content-Length: 0\r\n',
) {
  const socket = await rawSocket(device);
  const collector = new Collector(socket);
  socket.write(
    `PUT ${path} HTTP/1.1\r\nHost: sim\r\nAuthorization: ${c.authorization('PUT', path)}\r\n` +
      `Content-Type: application/octet-stream\r\n${length}\r\n`,
  );
  for (const chunk of chunks) {
    socket.write(chunk);
    await sleep(5);
  }
  return collector;
}

describe('two-way audio', () => {
  it('lists the channel with its codec', async () => {
    const c = client(await sim({ profile: 'camera' }));
    const { body } = await c.text('/ISAPI/System/TwoWayAudio/channels');
    expect(tag(body, 'id')).toBe('1');
    expect(tag(body, 'audioCompressionType')).toBe('G.711ulaw');
    expect(tag(body, 'enabled')).toBe('true');
  });

  it('enabled is the channel setting: switched off, the channel cannot be opened', async () => {
    const c = client(await sim({ profile: 'camera' }));
    const off = '<TwoWayAudioChannel><id>1</id><enabled>false</enabled></TwoWayAudioChannel>';
    expect((await c.text(CH, { method: 'PUT', body: off })).status).toBe(200);
    expect(tag((await c.text(CH)).body, 'enabled')).toBe('false');
    expect((await c.text(`${CH}/open`, { method: 'PUT' })).status).toBe(403);
    const on =
      '<TwoWayAudioChannel><id>1</id><enabled>true</enabled><audioCompressionType>G.711alaw</audioCompressionType></TwoWayAudioChannel>';
    expect((await c.text(CH, { method: 'PUT', body: on })).status).toBe(200);
    expect(tag((await c.text(CH)).body, 'audioCompressionType')).toBe('G.711alaw');
    expect((await c.text(`${CH}/open`, { method: 'PUT' })).status).toBe(200);
  });

  it('open / audioData (no Content-Length expectations) / close records every byte', async () => {
    const device = await sim({ profile: 'camera' });
    const c = client(device);
    const sessionId = await openSession(c);
    expect(sessionId).toMatch(/^[0-9a-f]{32}$/);

    const frames = Array.from({ length: 10 }, (_, i) => Buffer.alloc(160, i + 1));
    const path = `${CH}/audioData?sessionId=${sessionId}`;
    const stream = await upload(device, c, path, frames);
    await sleep(30);
    expect(device.audioReceived(1)).toEqual(Buffer.concat(frames));
    expect(stream.text).toBe(''); // devices answer the upload only when it ends

    expect((await c.text(`${CH}/close`, { method: 'PUT' })).status).toBe(200);
    await stream.waitClosed();
    expect(stream.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(device.audioReceived()).toHaveLength(1600);
    expect(device.countRequests(`${CH}/audioData`, 'PUT')).toBe(1);
  });

  it('accepts uploads without any Content-Length and the first bytes in the same packet as the head', async () => {
    const device = await sim({ profile: 'doorbell' });
    const c = client(device);
    const sessionId = await openSession(c);
    const path = `${CH}/audioData?sessionId=${sessionId}`;
    await c.prime();
    const socket = await rawSocket(device);
    const head = `PUT ${path} HTTP/1.1\r\nHost: sim\r\nAuthorization: ${c.authorization('PUT', path)}\r\n\r\n`;
    socket.write(Buffer.concat([Buffer.from(head), Buffer.alloc(320, 0x7f)]));
    await sleep(20);
    socket.end(Buffer.alloc(160, 0x55)); // the client ends: the device answers and closes
    await new Collector(socket).waitClosed();
    expect(device.audioReceived(1)).toEqual(
      Buffer.concat([Buffer.alloc(320, 0x7f), Buffer.alloc(160, 0x55)]),
    );
  });

  it('a second open while a session is open is refused as busy', async () => {
    const c = client(await sim({ profile: 'camera' }));
    await openSession(c);
    const { status, body } = await c.text(`${CH}/open`, { method: 'PUT' });
    expect(status).toBe(403);
    expect(tag(body, 'statusCode')).toBe('2');
    expect(tag(body, 'subStatusCode')).toBe('deviceBusy');
  });

  it('audioData without an open session (or with another sessionId) is refused', async () => {
    const device = await sim({ profile: 'camera' });
    const c = client(device);
    const none = await c.text(`${CH}/audioData`, { method: 'GET' });
    expect(none.status).toBe(403);
    await openSession(c);
    const wrong = await c.text(`${CH}/audioData?sessionId=nope`, { method: 'GET' });
    expect(wrong.status).toBe(403);
    expect(tag(wrong.body, 'subStatusCode')).toBe('invalidOperation');
  });

  it('a rejected upload (401 of the digest dance) leaves the connection usable', async () => {
    const device = await sim({ profile: 'camera' });
    const c = client(device);
    const sessionId = await openSession(c);
    const path = `${CH}/audioData?sessionId=${sessionId}`;
    const socket = await rawSocket(device);
    const collector = new Collector(socket);
    socket.write(`PUT ${path} HTTP/1.1\r\nHost: sim\r\nContent-Length: 0\r\n\r\n`);
    await collector.until((t) => t.includes('</userCheck>'));
    expect(collector.text).toMatch(/^HTTP\/1\.1 401 /);
    socket.write(
      `PUT ${path} HTTP/1.1\r\nHost: sim\r\nAuthorization: ${c.authorization('PUT', path)}\r\nContent-Length: 0\r\n\r\n`,
    );
    socket.write(Buffer.alloc(480, 0x11));
    await sleep(30);
    expect(device.audioReceived(1)).toEqual(Buffer.alloc(480, 0x11));
  });

  it('GET audioData streams G.711 u-law silence until the session closes', async () => {
    const device = await sim({ profile: 'camera' });
    const c = client(device);
    const sessionId = await openSession(c);
    const path = `${CH}/audioData?sessionId=${sessionId}`;
    await c.prime();
    const socket = await rawSocket(device);
    const collector = new Collector(socket);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: sim\r\nAuthorization: ${c.authorization('GET', path)}\r\n\r\n`,
    );
    await collector.until((t) => bodyOf(Buffer.from(t, 'latin1')).length >= 800);
    expect(collector.text).toContain('Content-Type: application/octet-stream');
    const audio = bodyOf(collector.data);
    expect(audio.every((b) => b === 0xff)).toBe(true);
    await c.text(`${CH}/close`, { method: 'PUT' });
    await collector.waitClosed();
  });

  it('a doorbell refuses to talk while ringing', async () => {
    const device = await sim({ profile: 'doorbell' });
    const c = client(device);
    expect(tag((await c.text('/ISAPI/System/TwoWayAudio/channels')).body, 'audioCompressionType')).toBe(
      'G.711ulaw',
    );
    device.ring();
    const ringing = await c.text(`${CH}/open`, { method: 'PUT' });
    expect(ringing.status).toBe(403);
    expect(tag(ringing.body, 'subStatusCode')).toBe('deviceBusy');
    device.setCallStatus('onCall');
    expect((await c.text(`${CH}/open`, { method: 'PUT' })).status).toBe(200);
  });

  it('devices without voicetalk have no two-way audio', async () => {
    const c = client(await sim({ profile: 'DS-2CD2386G2-IU' })); // voicetalkNums 0 in the capture
    const { status, body } = await c.text('/ISAPI/System/TwoWayAudio/channels');
    expect(status).toBe(404);
    expect(tag(body, 'subStatusCode')).toBe('notSupport');
  });
});
