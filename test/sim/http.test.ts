import { describe, expect, it } from 'vitest';
import { Collector, client, rawSocket, sim } from './helpers.ts';

const statuses = (text: string): string[] => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]!);

describe('the simulator HTTP server', () => {
  it('serves pipelined requests in order on one keep-alive connection, bodies included', async () => {
    const device = await sim({ profile: 'doorbell' });
    const c = client(device);
    await c.prime();
    const socket = await rawSocket(device);
    const collector = new Collector(socket);
    const door = '/ISAPI/AccessControl/RemoteControl/door/1';
    const body = '<RemoteControlDoor><cmd>open</cmd></RemoteControlDoor>';
    const info = '/ISAPI/System/deviceInfo';
    socket.write(
      `PUT ${door} HTTP/1.1\r\nHost: sim\r\nAuthorization: ${c.authorization('PUT', door)}\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}` +
        `GET ${info} HTTP/1.1\r\nHost: sim\r\nAuthorization: ${c.authorization('GET', info)}\r\n\r\n`,
    );
    await collector.until((t) => t.includes('</DeviceInfo>'));
    expect(statuses(collector.text)).toEqual(['200', '200']);
    expect(collector.text).toContain('Connection: keep-alive');
    expect(collector.ended).toBe(false);
    expect(device.doorCommands).toHaveLength(1);
  });

  it('decodes chunked request bodies', async () => {
    const device = await sim({ profile: 'doorbell' });
    const c = client(device);
    await c.prime();
    const socket = await rawSocket(device);
    const collector = new Collector(socket);
    const door = '/ISAPI/AccessControl/RemoteControl/door/2';
    const [a, b] = ['<RemoteControlDoor><cmd>', 'open</cmd></RemoteControlDoor>'];
    socket.write(
      `PUT ${door} HTTP/1.1\r\nHost: sim\r\nAuthorization: ${c.authorization('PUT', door)}\r\n` +
        `Transfer-Encoding: chunked\r\n\r\n${a.length.toString(16)}\r\n${a}\r\n${b.length.toString(16)}\r\n${b}\r\n0\r\n\r\n`,
    );
    await collector.until((t) => t.includes('</ResponseStatus>'));
    expect(statuses(collector.text)).toEqual(['200']);
    expect(device.doorCommands).toMatchObject([{ door: 2, cmd: 'open' }]);
  });

  it('closes the connection when the client asks to', async () => {
    const device = await sim({ profile: 'camera' });
    const socket = await rawSocket(device);
    const collector = new Collector(socket);
    socket.write('GET /ISAPI/System/deviceInfo HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\r\n');
    await collector.waitClosed();
    expect(collector.text).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(collector.text).toContain('Connection: close');
  });

  it('answers 400 to a malformed request and closes', async () => {
    const device = await sim({ profile: 'camera' });
    const socket = await rawSocket(device);
    const collector = new Collector(socket);
    socket.write('THIS IS NOT HTTP\r\n\r\n');
    await collector.waitClosed();
    expect(collector.text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });
});
