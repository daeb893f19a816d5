/**
 * `/__sim/cloud/...` on the bootstrap host: the cloud's runtime changes and its call log for a
 * test or benchmark in another process (the `hikbridge sim --cloud` user). Loopback only; JSON
 * in and out; bad input answers 400 `{error}`. The call log leaves out tokens and replaces the
 * AppKey, SecretKey and verification codes with `***`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimCloudCamera } from './cloud-account.ts';
import { isLoopback, replyJson } from './cloud-http.ts';
import type { SimCloud, SimCloudCall } from './cloud-types.ts';
import { SimInputError } from './validate.ts';

export const CLOUD_CONTROL_PREFIX = '/__sim/cloud/';

type Body = Record<string, unknown>;
type Action = (cloud: SimCloud, body: Body) => void;

const ACTIONS: Record<string, Action> = {
  'revoke-tokens': (cloud) => cloud.revokeTokens(),
  'fail-next': (cloud, body) => cloud.failNext(text(body, 'errorCode'), count(body)),
  'hang-next': (cloud, body) => cloud.hangNext(count(body)),
  'device-online': (cloud, body) => cloud.setDeviceOnline(text(body, 'serial'), flag(body, 'online')),
  'camera-online': (cloud, body) =>
    cloud.setCameraOnline(text(body, 'serial'), channel(body), flag(body, 'online')),
  'remove-camera': (cloud, body) => cloud.removeCamera(text(body, 'serial'), channel(body)),
  'add-camera': (cloud, body) => cloud.addCamera(text(body, 'serial'), camera(body)),
  'rename-camera': (cloud, body) =>
    cloud.renameCamera(text(body, 'serial'), channel(body), text(body, 'name')),
  unreachable: (cloud, body) => cloud.setUnreachable(flag(body, 'on')),
  credentials: (cloud, body) => cloud.setCredentials(text(body, 'appKey'), text(body, 'secretKey')),
};

/** Answers one control request; `cloud` is the running simulated cloud. */
export function handleCloudControl(cloud: SimCloud, req: IncomingMessage, res: ServerResponse, body: Body) {
  if (!isLoopback(req.socket.remoteAddress)) return replyJson(res, 403, { error: 'loopback only' });
  const url = new URL(req.url ?? '/', 'http://sim');
  const name = url.pathname.slice(CLOUD_CONTROL_PREFIX.length);
  try {
    if (req.method === 'GET' && name === 'calls') {
      return replyJson(res, 200, { calls: cloud.calls.filter(since(url)).map(publicCall) });
    }
    if (req.method === 'GET' && name === 'plays') {
      return replyJson(res, 200, { plays: (cloud.origin?.plays ?? []).filter(since(url)) });
    }
    const action = req.method === 'POST' ? ACTIONS[name] : undefined;
    if (!action) {
      const endpoints = [...Object.keys(ACTIONS).map((a) => `POST ${a}`), 'GET calls', 'GET plays'];
      return replyJson(res, 404, { error: `unknown endpoint ${req.method} ${url.pathname}`, endpoints });
    }
    action(cloud, body);
    replyJson(res, 200, { ok: true });
  } catch (error) {
    if (!(error instanceof SimInputError)) throw error;
    replyJson(res, 400, { error: error.message });
  }
}

/** `?since=<ms>`: entries at or after that time (the cloud's clock). */
function since(url: URL): (entry: { at: number }) => boolean {
  const raw = url.searchParams.get('since');
  if (raw === null) return () => true;
  const from = Number(raw);
  if (!Number.isFinite(from)) throw new SimInputError('since must be a time in ms since the epoch');
  return (entry) => entry.at >= from;
}

const SECRET_FIELDS = new Set(['appKey', 'secretKey', 'code']);

function publicCall(call: SimCloudCall): Omit<SimCloudCall, 'token'> & { tokenSent: boolean } {
  const body = Object.fromEntries(
    Object.entries(call.body).map(([key, value]) => [key, SECRET_FIELDS.has(key) ? '***' : value]),
  );
  return {
    host: call.host,
    path: call.path,
    body,
    tokenSent: call.token !== undefined,
    errorCode: call.errorCode,
    at: call.at,
  };
}

function text(body: Body, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') throw new SimInputError(`${key} must be a non-empty string`);
  return value;
}

function flag(body: Body, key: string): boolean {
  const value = body[key];
  if (typeof value !== 'boolean') throw new SimInputError(`${key} must be true or false`);
  return value;
}

function channel(body: Body): number {
  const value = body.channelNo;
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new SimInputError('channelNo must be a whole number from 1');
  return value as number;
}

function count(body: Body): number {
  const value = body.count ?? 1;
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new SimInputError('count must be a whole number from 1');
  return value as number;
}

function camera(body: Body): SimCloudCamera {
  const value = body.camera;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new SimInputError('camera must be an object {name, channelNo, online?}');
  const fields = value as Body;
  const online = fields.online;
  if (online !== undefined && typeof online !== 'boolean')
    throw new SimInputError('camera.online must be true or false');
  return {
    name: text(fields, 'name'),
    channelNo: channel(fields),
    ...(online === undefined ? {} : { online }),
  };
}
