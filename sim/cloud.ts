/**
 * Simulated HikCentral Connect OpenAPI (see ../shared/notes/hikcentral-connect.md): a bootstrap
 * host that only hands out tokens and an area host (`areaDomain`) that serves the account's
 * devices, cameras and live addresses, both over plain HTTP on loopback. The envelope, error
 * codes, paging rules, token header and time units follow the notes. Every time decision (token
 * and address expiry, the rate window, the call log) reads one injectable clock, so a benchmark
 * can run a simulated day in seconds. Faults make tokens die early, the cloud overloaded, slow
 * or unreachable; devices and cameras go offline, appear, disappear and get renamed while a
 * client runs. With `origin`, a real RTMP server plays the addresses it hands out
 * (sim/cloud-origin.ts). sim/README.md, "The cloud", lists what is invented.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CloudAccount, type SimCloudDevice } from './cloud-account.ts';
import { CLOUD_CONTROL_PREFIX, handleCloudControl } from './cloud-control.ts';
import { header, type Listener, listen, replyEnvelope } from './cloud-http.ts';
import { LiveAddresses } from './cloud-live.ts';
import { type CloudOrigin, startCloudOrigin } from './cloud-origin.ts';
import { SlidingWindowLimit } from './cloud-rate.ts';
import type { SimCloud, SimCloudCall, SimCloudOptions } from './cloud-types.ts';

export type { SimCloudCamera, SimCloudDevice } from './cloud-account.ts';
export type { IssuedAddress, PlayVerdict } from './cloud-live.ts';
export type { SimCloud, SimCloudCall, SimCloudOptions } from './cloud-types.ts';

const MAX_PAGE_SIZE = 500;
const TOKEN_PATH = '/api/hccgw/platform/v1/token/get';
/**
 * The guide documents no error code of its own for the 5 calls/s limit; VMS001001 is its
 * "overloaded, back off" answer, the closest documented one, so that is what a call over the
 * limit gets here (an assumption, see sim/README.md).
 */
export const RATE_LIMIT_ERROR = 'VMS001001';

type Answer = (errorCode: string, data?: unknown) => void;

export async function startSimCloud(options: SimCloudOptions): Promise<SimCloud> {
  const now = options.now ?? Date.now;
  const account = new CloudAccount(options.devices);
  const credentials = { appKey: options.appKey, secretKey: options.secretKey };
  const calls: SimCloudCall[] = [];
  /** Token -> expireTime as announced (epoch seconds). */
  const tokens = new Map<string, number>();
  const failures: string[] = [];
  const hanging = new Set<ServerResponse>();
  const limit = new SlidingWindowLimit(options.rateLimitPerSecond ?? 5, options.rateLimitToleranceMs ?? 100);
  let hangs = 0;
  let unreachable = false;
  let origin: CloudOrigin | undefined;
  let closing: Promise<void> | undefined;
  const live = new LiveAddresses(account, now, () => origin?.rtmpHost ?? options.rtmpHost);

  /** What every API call goes through before its own endpoint; false when it is already dealt with. */
  function admit(
    host: SimCloudCall['host'],
    req: IncomingMessage,
    res: ServerResponse,
    body: Record<string, unknown>,
    token: string | undefined,
    arrivedAt: number,
  ): Answer | undefined {
    const log = (errorCode: string) =>
      calls.push({ host, path: req.url ?? '', body, token, errorCode, at: arrivedAt });
    if (unreachable) {
      log('unreachable');
      req.socket.destroy();
      return undefined;
    }
    const answer: Answer = (errorCode, data) => {
      log(errorCode);
      replyEnvelope(res, errorCode, data);
    };
    if (!limit.tryAcquire(arrivedAt)) {
      answer(RATE_LIMIT_ERROR);
      return undefined;
    }
    if (hangs > 0) {
      hangs--;
      log('hang');
      hanging.add(res);
      res.once('close', () => hanging.delete(res));
      return undefined;
    }
    return answer;
  }

  const area = await listen((req, res, body, arrivedAt) => {
    const token = header(req, 'token');
    const answer = admit('area', req, res, body, token, arrivedAt);
    if (!answer) return;
    if (!token) return answer('OPEN000007');
    const expireTime = tokens.get(token);
    if (expireTime === undefined) return answer('TOKEN_NOT_FOUND');
    if (expireTime * 1000 <= now()) return answer('OPEN000006');
    const failure = failures.shift();
    if (failure) return answer(failure);
    serveArea(req.url ?? '', body, answer);
  }, now);

  const cloud: SimCloud = {
    url: '',
    areaUrl: area.url,
    calls,
    issued: live.issued,
    origin: undefined,
    revokeTokens: () => tokens.clear(),
    failNext: (errorCode, count = 1) => {
      for (let i = 0; i < count; i++) failures.push(errorCode);
    },
    hangNext: (count = 1) => {
      hangs += count;
    },
    setDeviceOnline: (serial, online) => account.setDeviceOnline(serial, online),
    setCameraOnline: (serial, channelNo, online) => account.setCameraOnline(serial, channelNo, online),
    removeCamera: (serial, channelNo) => account.removeCamera(serial, channelNo),
    addCamera: (serial, camera) => account.addCamera(serial, camera),
    renameCamera: (serial, channelNo, name) => account.renameCamera(serial, channelNo, name),
    setUnreachable: (on) => {
      unreachable = on;
    },
    setCredentials: (appKey, secretKey) => {
      credentials.appKey = appKey;
      credentials.secretKey = secretKey;
    },
    validatePlay: (path, query) => live.checkPlay(path, query).accepted,
    explainPlay: (path, query) => live.checkPlay(path, query),
    close: () => {
      // Once: a test's cleanup may close what the test closed already.
      closing ??= (async () => {
        for (const res of hanging) res.destroy();
        await Promise.all([bootstrap.close(), area.close(), origin?.stop()]);
      })();
      return closing;
    },
  };

  const bootstrap: Listener = await listen((req, res, body, arrivedAt) => {
    if ((req.url ?? '').startsWith(CLOUD_CONTROL_PREFIX)) return handleCloudControl(cloud, req, res, body);
    const answer = admit('bootstrap', req, res, body, undefined, arrivedAt);
    if (!answer) return;
    if (req.url !== TOKEN_PATH) return answer('OPEN000010');
    if (body.appKey !== credentials.appKey) return answer('OPEN000001');
    if (body.secretKey !== credentials.secretKey) return answer('OPEN000002');
    const accessToken = `hcc.${randomBytes(24).toString('base64url')}`;
    const expireTime = Math.floor(now() / 1000) + (options.tokenLifetimeSeconds ?? 7 * 86_400);
    tokens.set(accessToken, expireTime);
    answer('0', { accessToken, expireTime, userId: 'sim-user', areaDomain: area.url });
  }, now);
  cloud.url = bootstrap.url;

  if (options.origin) {
    try {
      origin = await startCloudOrigin({
        ...options.origin,
        now,
        validate: (play) => cloud.explainPlay(play.path, play.query),
      });
    } catch (error) {
      await cloud.close();
      throw error;
    }
    cloud.origin = origin;
  }
  return cloud;

  function serveArea(path: string, body: Record<string, unknown>, answer: Answer) {
    switch (path) {
      case '/api/hccgw/resource/v1/devices/get':
        return page(body, account.devices, answer, 'device', deviceView);
      case '/api/hccgw/resource/v1/areas/cameras/get': {
        const filter = (body.filter ?? {}) as Record<string, unknown>;
        const serial = typeof filter.deviceSerialNo === 'string' ? filter.deviceSerialNo : undefined;
        return page(body, account.resources(serial), answer, 'camera', (r) => ({
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
  }

  function deviceView(device: SimCloudDevice) {
    return {
      id: account.deviceId(device),
      name: device.name,
      category: device.category ?? 'IPC',
      type: 'encodingDevice',
      serialNo: device.serialNumber,
      version: 'V5.7.3 build 221121',
      timeZone: 'UTC+01:00',
      onlineStatus: device.online === false ? 0 : 1,
      addTime: '2025-01-01T00:00:00+00:00',
    };
  }

  function liveAddress(body: Record<string, unknown>, answer: Answer) {
    const resource = account.findResource(body.resourceId);
    if (!resource) return answer('OPEN000503');
    if (body.deviceSerial !== resource.device.serialNumber) return answer('EVZ20002');
    const expireSeconds = Number(body.expireTime);
    if (!Number.isInteger(expireSeconds) || expireSeconds < 30 || expireSeconds > 720 * 86_400)
      return answer('OPEN000010');
    if (resource.device.online === false || resource.camera.online === false) return answer('EVZ20007');
    const code = resource.device.verificationCode;
    if (code && body.code === undefined) return answer('EVZ60019');
    if (code && body.code !== code) return answer('EVZ10001');
    // Tests cross several lifetimes in seconds: the cloud may grant less than was asked.
    const granted = Math.min(expireSeconds, options.maxUrlLifetimeSeconds ?? expireSeconds);
    const address = live.issue(resource, body.quality === '2' ? 2 : 1, Number(body.protocol), granted);
    answer('0', { id: address.id, url: address.url, expireTime: address.expiresAt });
  }
}

/** Pages as the API does: 1-based pageIndex, pageSize 1..500 (OPEN000025 otherwise). */
function page<T>(
  body: Record<string, unknown>,
  list: T[],
  answer: Answer,
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
