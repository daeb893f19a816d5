/**
 * A snapshot override on another origin never gets the device's login: with no credentials of
 * its own it is asked without any (even when it answers 401 Basic), with its own `user:password`
 * it gets those only. The override's password is stored encrypted and shown as ***.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';

const DEVICE_PASSWORD = 'Dev1ce-Secret#ov';
const OVERRIDE_PASSWORD = 'Override-Pass-9';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9]);

let gw: TestGateway;
let camera: SimDevice;
let sink: Server;
let sinkUrl: string;
const authorizations: Array<string | undefined> = [];

/** A picture server of somebody else's: asks for a Basic login and shows what it got. */
function startSink(): Promise<Server> {
  const server = createServer((request: IncomingMessage, response) => {
    authorizations.push(request.headers.authorization);
    if (request.headers.authorization !== basic('pic', OVERRIDE_PASSWORD)) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="pictures"' }).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'image/jpeg' }).end(JPEG);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

beforeAll(async () => {
  gw = await startTestGateway();
  gw.scan.addSecret(OVERRIDE_PASSWORD, 'pic');
  camera = await startSimDevice({ profile: 'camera', password: DEVICE_PASSWORD, snapshotDelayMs: 0 });
  sink = await startSink();
  sinkUrl = `127.0.0.1:${(sink.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await gw?.stop();
  await camera?.close();
  await new Promise((resolve) => sink?.close(resolve));
});

it('sends no credentials to another origin, and an override’s own only to its origin', async () => {
  const url = new URL(camera.url);
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { host: url.hostname, port: Number(url.port), password: DEVICE_PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  const [channel] = (await gw.api('GET', `/api/v1/devices/${added.json.id}/channels`)).json;
  const snapshot = () => gw.api('GET', `/api/v1/channels/${channel.id}/snapshot.jpg`);

  // No credentials of its own: asked once, without any, and the 401 is the answer.
  let patch = await gw.api('PATCH', `/api/v1/channels/${channel.id}`, {
    body: { snapshotUrlOverride: `http://${sinkUrl}/snap.jpg` },
  });
  expect(patch.status, patch.text).toBe(200);
  expect((await snapshot()).status).toBeGreaterThanOrEqual(400);
  expect(authorizations.length).toBeGreaterThan(0);
  expect(authorizations.every((each) => each === undefined)).toBe(true);

  // Its own credentials: sent there, stored encrypted, shown masked.
  patch = await gw.api('PATCH', `/api/v1/channels/${channel.id}`, {
    body: { snapshotUrlOverride: `http://pic:${OVERRIDE_PASSWORD}@${sinkUrl}/snap.jpg` },
  });
  expect(patch.status, patch.text).toBe(200);
  expect(patch.json.snapshotUrlOverride).toBe(`http://pic:***@${sinkUrl}/snap.jpg`);
  const picture = await snapshot();
  expect(picture.status).toBe(200);
  expect(authorizations.at(-1)).toBe(basic('pic', OVERRIDE_PASSWORD));
  const database = new Database(join(gw.dataDir, 'hikbridge.db'), { readonly: true });
  const stored = database
    .prepare('SELECT snapshot_url_override AS url FROM channels WHERE id = ?')
    .get(channel.id) as {
    url: string;
  };
  database.close();
  expect(stored.url.startsWith('v1:')).toBe(true);
  expect(stored.url).not.toContain(OVERRIDE_PASSWORD);

  // Sent back as shown (***) with another change: the stored password stays.
  patch = await gw.api('PATCH', `/api/v1/channels/${channel.id}`, {
    body: { snapshotUrlOverride: patch.json.snapshotUrlOverride, defaultStream: 1 },
  });
  expect(patch.status, patch.text).toBe(200);
  expect((await snapshot()).status).toBe(200);
  expect(authorizations.at(-1)).toBe(basic('pic', OVERRIDE_PASSWORD));

  // The device's own login never reached the sink, in any form.
  for (const each of authorizations) {
    expect(each ?? '').not.toContain(Buffer.from(`admin:${DEVICE_PASSWORD}`).toString('base64'));
    expect(each ?? '').not.toMatch(/Digest/);
  }
});
