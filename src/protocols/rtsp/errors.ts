/**
 * RTSP failures, as DeviceErrors so callers handle them like the HTTP/ISAPI ones: switch on
 * `code`, show `message` (written for the person who owns the device).
 */
import { DeviceError, type DeviceErrorCode, formatMs } from '../http/errors.ts';

export class RtspError extends DeviceError {
  constructor(
    code: DeviceErrorCode,
    message: string,
    /** The RTSP status the device answered with, when it answered. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** A non-2xx answer that has no more specific class. */
export class RtspStatusError extends RtspError {
  constructor(
    host: string,
    readonly method: string,
    status: number,
    reason: string,
  ) {
    const [code, message] = describeStatus(host, method, status, reason);
    super(code, message, status);
  }
}

function describeStatus(
  host: string,
  method: string,
  status: number,
  reason: string,
): [DeviceErrorCode, string] {
  const answer = `${status} ${reason}`.trim();
  switch (status) {
    case 403:
      return [
        'permission_denied',
        `${host} refused RTSP ${method} (${answer}): the user is not allowed to use live view or two-way audio. ` +
          'Give the user those rights on the device.',
      ];
    case 404:
      return ['not_supported', `${host} has no RTSP stream at that address (${method}: ${answer}).`];
    case 453:
    case 503:
      return [
        'device_busy',
        `${host} has no room for another RTSP session (${answer}): too many streams are open on it. Close some viewers and try again.`,
      ];
    case 454:
      return [
        'device_error',
        `${host} no longer knows our RTSP session (${answer}): the device timed it out or closed it.`,
      ];
    case 459:
      return ['device_error', `${host} refused RTSP ${method} on the whole stream (${answer}).`];
    case 461:
      return [
        'not_supported',
        `${host} refused to carry the audio backchannel over the RTSP connection (${answer}). ` +
          'The device may only take it over UDP, which hikbridge does not use.',
      ];
    default:
      return ['device_error', `${host} answered RTSP ${method} with ${answer}.`];
  }
}

/** DESCRIBE did not offer a send-only audio track: the device has no ONVIF audio backchannel there. */
export class RtspNoBackchannelError extends RtspError {
  constructor(
    host: string,
    /** What the device answered instead, for messages of callers that name the device their own way. */
    readonly detail: string,
    status?: number,
  ) {
    super('not_supported', `${host} offers no ONVIF audio backchannel on RTSP (${detail}).`, status);
  }
}

/** A backchannel exists but not in G.711, the only codec we send. */
export class RtspBackchannelCodecError extends RtspError {
  constructor(
    host: string,
    /** What the device offers, as in its SDP (`G726-32/8000`...). */
    readonly codecs: string[],
  ) {
    super(
      'not_supported',
      `${host} offers its audio backchannel only in ${codecs.join(', ') || 'an unknown codec'}; hikbridge sends G.711 (PCMU or PCMA).`,
    );
  }
}

/** 401 to credentials computed from a challenge the device had just given: they are wrong. */
export class RtspBadCredentialsError extends RtspError {
  constructor(host: string, username: string) {
    super(
      'bad_credentials',
      `${host} rejected the username "${username}" or its password on RTSP. Check them in the device's web page ` +
        '(wrong passwords count towards the device locking the user).',
      401,
    );
  }
}

/** 401 and no usable way to log in (no credentials given, or a scheme we do not speak). */
export class RtspAuthError extends RtspError {
  constructor(host: string, detail: string) {
    super('auth_unsupported', `${host} asked for RTSP authentication but ${detail}.`, 401);
  }
}

export class RtspTimeoutError extends RtspError {
  constructor(
    host: string,
    /** `connect`, `write` (the device stopped reading our audio), or the RTSP method left unanswered. */
    readonly step: string,
    ms: number,
  ) {
    const what =
      step === 'connect'
        ? 'did not accept an RTSP connection'
        : step === 'write'
          ? 'stopped taking the audio we send'
          : `did not answer RTSP ${step}`;
    super('timeout', `${host} ${what} within ${formatMs(ms)}. The device may be overloaded or offline.`);
  }
}

/** The connection ended (or never came up) before the answer. */
export class RtspConnectionError extends RtspError {
  constructor(host: string, detail: string, options?: { cause?: unknown }) {
    super(
      'unreachable',
      `Cannot talk RTSP to ${host}: ${detail}. Check the address, the RTSP port and the network.`,
      undefined,
      options,
    );
  }
}

/** Bytes that are not RTSP, or an answer over the size limits. */
export class RtspProtocolError extends RtspError {
  constructor(host: string, detail: string) {
    super('invalid_response', `${host} sent something that is not valid RTSP: ${detail}.`);
  }
}
