/**
 * Simulated HikCentral Connect OpenAPI (see ../shared/notes/hikcentral-connect.md): a bootstrap
 * host that only hands out tokens and an area host (`areaDomain`) that serves the account's
 * devices, cameras and live addresses, both over plain HTTP on loopback. The envelope, error
 * codes, paging rules, token header and time units follow the notes; faults make tokens die
 * early, the cloud overloaded or slow, and devices offline or encrypted. Every call is logged
 * with its time, so tests can check the 5 calls/s limit was kept.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimCloudCamera {
  name: string;
  channelNo: number;
  online?: boolean;
}

export interface SimCloudDevice {
  serialNumber: string;
  name: string;
  category?: string;
  online?: boolean;
  /** Stream encryption on: live addresses need this verification code. */
  verificationCode?: string;
  cameras: SimCloudCamera[];
}

export interface SimCloudOptions {
  appKey: string;
  secretKey: string;
  devices: SimCloudDevice[];
  /** Token lifetime the cloud announces, in seconds (the real one: 7 days). */
  tokenLifetimeSeconds?: number;
  /** Host:port the RTMP URLs point at (a test's own RTMP server). */
  rtmpHost?: string;
}

export interface SimCloudCall {
  host: 'bootstrap' | 'area';
  path: string;
  body: Record<string, unknown>;
  token: string | undefined;
  errorCode: string;
  at: number;
}

export interface SimCloud {
  /** The bootstrap address to configure (where tokens come from). */
  url: string;
  /** The areaDomain the token answer names. */
  areaUrl: string;
  calls: SimCloudCall[];
  /** Live addresses handed out, newest last. */
  issued: Array<{ resourceId: string; url: string; expireSeconds: number; expiresAt: number }>;
  /** Every token handed out so far stops working (the cloud drops tokens before their expiry). */
  revokeTokens(): void;
  /** The next `count` area calls answer `errorCode` (e.g. VMS000009 = overloaded). */
  failNext(errorCode: string, count?: number): void;
  /** The next `count` calls get no answer at all. */
  hangNext(count?: number): void;
  close(): Promise<void>;
}

interface Resource {
  id: string;
  device: SimCloudDevice;
  deviceId: string;
  camera: SimCloudCamera;
}

const MAX_PAGE_SIZE = 500;

export async function startSimCloud(options: SimCloudOptions): Promise<SimCloud> {
  const calls: SimCloudCall[] = [];
  const issued: SimCloud['issued'] = [];
  const tokens = new Set<string>();
  const failures: string[] = [];
  let hangs = 0;
  const hanging = new Set<ServerResponse>();
  const deviceIds = new Map(options.devices.map((device) => [device, randomBytes(8).toString('hex')]));
  const resources: Resource[] = options.devices.flatMap((device) =>
    device.cameras.map((camera) => ({
      id: randomBytes(16).toString('hex'),
      device,
      deviceId: deviceIds.get(device)!,
      camera,
    })),
  );

  const area = await listen((req, res, body) => {
    const token = header(req, 'token');
    const answer = (errorCode: string, data?: unknown) => {
      calls.push({ host: 'area', path: req.url ?? '', body, token, errorCode, at: Date.now() });
      reply(res, errorCode, data);
    };
    if (hangs > 0) {
      hangs--;
      calls.push({ host: 'area', path: req.url ?? '', body, token, errorCode: 'hang', at: Date.now() });
      hanging.add(res);
      return;
    }
    if (!token) return answer('OPEN000007');
    if (!tokens.has(token)) return answer('TOKEN_NOT_FOUND');
    const failure = failures.shift();
    if (failure) return answer(failure);
    switch (req.url) {
      case '/api/hccgw/resource/v1/devices/get':
        return page(body, options.devices, answer, 'device', (device) => ({
          id: deviceIds.get(device),
          name: device.name,
          category: device.category ?? 'IPC',
          type: 'encodingDevice',
          serialNo: device.serialNumber,
          version: 'V5.7.3 build 221121',
          timeZone: 'UTC+01:00',
          onlineStatus: device.online === false ? 0 : 1,
          addTime: '2025-01-01T00:00:00+00:00',
        }));
      case '/api/hccgw/resource/v1/areas/cameras/get': {
        const filter = (body.filter ?? {}) as Record<string, unknown>;
        const serial = typeof filter.deviceSerialNo === 'string' ? filter.deviceSerialNo : undefined;
        const list = serial ? resources.filter((r) => r.device.serialNumber === serial) : resources;
        return page(body, list, answer, 'camera', (r) => ({
          id: r.id,
          name: r.camera.name,
          online: r.camera.online === false || r.device.online === false ? '0' : '1',
          area: { id: '1', name: 'Site' },
          device: {
            devInfo: {
              id: r.deviceId,
              category: r.device.category ?? 'IPC',
              serialNo: r.device.serialNumber,
            },
            channelInfo: { id: `${r.deviceId}-${r.camera.channelNo}`, no: r.camera.channelNo },
          },
        }));
      }
      case '/api/hccgw/video/v1/live/address/get':
        return liveAddress(body, answer);
      default:
        return answer('OPEN000010');
    }
  });

  const bootstrap = await listen((req, res, body) => {
    const answer = (errorCode: string, data?: unknown) => {
      calls.push({
        host: 'bootstrap',
        path: req.url ?? '',
        body,
        token: undefined,
        errorCode,
        at: Date.now(),
      });
      reply(res, errorCode, data);
    };
    if (req.url !== '/api/hccgw/platform/v1/token/get') return answer('OPEN000010');
    if (body.appKey !== options.appKey) return answer('OPEN000001');
    if (body.secretKey !== options.secretKey) return answer('OPEN000002');
    const accessToken = `hcc.${randomBytes(24).toString('base64url')}`;
    tokens.add(accessToken);
    const lifetime = options.tokenLifetimeSeconds ?? 7 * 86_400;
    answer('0', {
      accessToken,
      expireTime: Math.floor(Date.now() / 1000) + lifetime,
      userId: 'sim-user',
      areaDomain: area.url,
    });
  });

  function liveAddress(body: Record<string, unknown>, answer: (code: string, data?: unknown) => void) {
    const resource = resources.find((r) => r.id === body.resourceId);
    if (!resource) return answer('OPEN000503');
    if (body.deviceSerial !== resource.device.serialNumber) return answer('EVZ20002');
    const expireSeconds = Number(body.expireTime);
    if (!Number.isInteger(expireSeconds) || expireSeconds < 30 || expireSeconds > 720 * 86_400)
      return answer('OPEN000010');
    if (resource.device.online === false || resource.camera.online === false) return answer('EVZ20007');
    const code = resource.device.verificationCode;
    if (code && body.code === undefined) return answer('EVZ60019');
    if (code && body.code !== code) return answer('EVZ10001');
    const quality = body.quality === '2' ? 2 : 1;
    const expiresAt = Date.now() + expireSeconds * 1000;
    const id = randomBytes(8).toString('hex');
    const stream = `${resource.device.serialNumber}_${resource.camera.channelNo}_${quality}`;
    const query = `expire=${Math.floor(expiresAt / 1000)}&id=${id}&c=${randomBytes(5).toString('hex')}&t=${randomBytes(16).toString('hex')}&ev=100`;
    const host = options.rtmpHost ?? 'vtmsgpzl.ezvizlife.com:1935';
    const url =
      Number(body.protocol) === 2
        ? `http://${host}/v3/openlive/${stream}.m3u8?${query}`
        : `rtmp://${host}/v3/openlive/${stream}?${query}`;
    issued.push({ resourceId: resource.id, url, expireSeconds, expiresAt });
    answer('0', { id, url, expireTime: expiresAt });
  }

  return {
    url: bootstrap.url,
    areaUrl: area.url,
    calls,
    issued,
    revokeTokens: () => tokens.clear(),
    failNext: (errorCode, count = 1) => {
      for (let i = 0; i < count; i++) failures.push(errorCode);
    },
    hangNext: (count = 1) => {
      hangs += count;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      await Promise.all([bootstrap.close(), area.close()]);
    },
  };
}

/** Pages as the API does: 1-based pageIndex, pageSize 1..500 (OPEN000025 otherwise). */
function page<T>(
  body: Record<string, unknown>,
  list: T[],
  answer: (code: string, data?: unknown) => void,
  key: string,
  view: (item: T) => unknown,
) {
  const pageIndex = Number(body.pageIndex);
  const pageSize = Number(body.pageSize);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) return answer('OPEN000025');
  if (!Number.isInteger(pageIndex) || pageIndex < 1) return answer('OPEN000010');
  const items = list.slice((pageIndex - 1) * pageSize, pageIndex * pageSize).map(view);
  answer('0', { pageIndex, pageSize, totalCount: list.length, [key]: items });
}

function reply(res: ServerResponse, errorCode: string, data?: unknown): void {
  const message = errorCode === '0' ? 'success' : `simulated error ${errorCode}`;
  // HTTP 200 even on failure, like the real API.
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errorCode, message, ...(data === undefined ? {} : { data }) }));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) => void;

async function listen(handler: Handler): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        reply(res, 'OPEN000010');
        return;
      }
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
