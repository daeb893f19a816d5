/**
 * ISAPI-level errors: what a device's answer means, in the user's words.
 * Transport errors (unreachable, timeout, TLS, credentials, lockout) come from ../http/errors.ts.
 */
import { DeviceError } from '../http/errors.ts';
import { describeStatus, type ResponseStatus, STATUS_BUSY } from './status.ts';

/** Which user-visible feature an endpoint belongs to, for messages about missing rights. */
export function featureOfPath(path: string): string {
  const p = path.split('?')[0]!.toLowerCase();
  if (p.includes('/picture')) return 'snapshots (remote live view)';
  if (p.endsWith('/alertstream')) return 'events (remote notify / alarm)';
  if (p.startsWith('/isapi/event')) return 'event configuration';
  if (p.startsWith('/isapi/system/twowayaudio')) return 'two-way audio';
  if (p.startsWith('/isapi/accesscontrol/remotecontrol')) return 'door control';
  if (p.startsWith('/isapi/contentmgmt/search') || p.includes('/playback')) return 'playback';
  if (p.startsWith('/isapi/streaming')) return 'live view';
  if (p.startsWith('/isapi/videointercom')) return 'intercom control';
  return 'this setting (remote parameters)';
}

export class PermissionDeniedError extends DeviceError {
  readonly path: string;

  constructor(host: string, username: string, path: string) {
    super(
      'permission_denied',
      `The user "${username}" is not allowed to use ${featureOfPath(path)} on ${host} (HTTP 403 for ${stripQuery(path)}). ` +
        "Give this user that permission in the device's user management, or use an operator/admin account.",
    );
    this.path = path;
  }
}

export class NotActivatedError extends DeviceError {
  constructor(host: string) {
    super(
      'not_activated',
      `${host} has never been activated. Open its web page (or SADP / Hik-Connect) once to set an admin password, then add it again.`,
    );
  }
}

export class NotSupportedError extends DeviceError {
  readonly path: string;

  constructor(host: string, path: string) {
    super(
      'not_supported',
      `${host} does not support ${stripQuery(path)} (model or firmware lacks this feature).`,
    );
    this.path = path;
  }
}

export class DeviceBusyError extends DeviceError {
  constructor(host: string) {
    super(
      'device_busy',
      `${host} says it is busy (too many connections or a task in progress). hikbridge backs off and tries again later.`,
    );
  }
}

/** A ResponseStatus error that has no more specific meaning. */
export class IsapiStatusError extends DeviceError {
  readonly status: ResponseStatus | undefined;
  readonly httpStatus: number;

  constructor(host: string, path: string, httpStatus: number, status: ResponseStatus | undefined) {
    const what = status ? describeStatus(status) : `HTTP ${httpStatus}`;
    super('device_error', `${host} refused ${stripQuery(path)}: ${what}.`);
    this.status = status;
    this.httpStatus = httpStatus;
  }
}

export class InvalidResponseError extends DeviceError {
  constructor(host: string, path: string, detail: string) {
    super(
      'invalid_response',
      `${host} sent an unreadable answer to ${stripQuery(path)} (${detail}). The firmware may be faulty or the port may not be a Hikvision device.`,
    );
  }
}

function stripQuery(path: string): string {
  return path.split('?')[0]!;
}

export interface ErrorContext {
  host: string;
  username: string;
  path: string;
}

/** Mentions of a never-activated device, in any body shape. */
export function mentionsNotActivated(body: string): boolean {
  return /notActivated|not\s*activated/i.test(body);
}

/**
 * Turns a non-OK answer into the matching error; returns undefined when the answer is a success.
 * `status` is the parsed ResponseStatus of the body, if it had one.
 */
export function errorForAnswer(
  ctx: ErrorContext,
  httpStatus: number,
  body: string,
  status: ResponseStatus | undefined,
): DeviceError | undefined {
  const ok = httpStatus >= 200 && httpStatus < 300;
  const statusFailed = status !== undefined && status.statusCode !== 1 && status.statusCode !== 0;
  if (ok && !statusFailed) return undefined;
  if (mentionsNotActivated(body)) return new NotActivatedError(ctx.host);
  // "Nothing pending for that" (e.g. a call signal with no call) comes as 403 too: not a permission.
  if (status?.subStatusCode === 'noRequest')
    return new IsapiStatusError(ctx.host, ctx.path, httpStatus, status);
  if (httpStatus === 403) return new PermissionDeniedError(ctx.host, ctx.username, ctx.path);
  if (httpStatus === 404 || status?.subStatusCode === 'notSupport')
    return new NotSupportedError(ctx.host, ctx.path);
  if (httpStatus === 503 || status?.statusCode === STATUS_BUSY || status?.subStatusCode === 'deviceBusy') {
    return new DeviceBusyError(ctx.host);
  }
  return new IsapiStatusError(ctx.host, ctx.path, httpStatus, status);
}

/**
 * The device has no such endpoint or method (404 notSupport, 405, methodNotAllowed), as opposed
 * to refusing what was sent: the caller says the feature is missing, in its own words.
 */
export function isAbsentEndpoint(error: unknown): boolean {
  if (error instanceof NotSupportedError) return true;
  return (
    error instanceof IsapiStatusError &&
    (error.httpStatus === 405 || error.status?.subStatusCode === 'methodNotAllowed')
  );
}
