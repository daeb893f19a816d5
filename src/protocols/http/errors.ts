/**
 * Errors raised while talking to a device over HTTP(S).
 *
 * Every error carries a stable machine `code` and a `message` written for the person who
 * owns the device: what went wrong and what to do about it. Higher layers (ISAPI) add their
 * own subclasses of DeviceError; callers switch on `code`, never on message text.
 */
export type DeviceErrorCode =
  | 'unreachable'
  | 'timeout'
  | 'tls_fingerprint_mismatch'
  | 'tls_untrusted'
  | 'bad_credentials'
  | 'auth_unsupported'
  | 'locked_out'
  | 'permission_denied'
  | 'not_activated'
  | 'not_supported'
  | 'device_busy'
  | 'device_error'
  | 'invalid_response'
  | 'body_too_large'
  | 'queue_full'
  | 'aborted';

export class DeviceError extends Error {
  readonly code: DeviceErrorCode;

  constructor(code: DeviceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The host did not answer: refused, no route, DNS failure, connection reset before a response. */
export class UnreachableError extends DeviceError {
  constructor(host: string, detail: string, options?: { cause?: unknown }) {
    super('unreachable', `Cannot reach ${host}: ${detail}. Check the address, port and network.`, options);
  }
}

export type TimeoutPhase = 'connect' | 'response' | 'body' | 'idle';

export class TimeoutError extends DeviceError {
  readonly phase: TimeoutPhase;

  constructor(host: string, phase: TimeoutPhase, ms: number) {
    const what: Record<TimeoutPhase, string> = {
      connect: 'did not accept a connection',
      response: 'did not answer',
      body: 'stopped sending data',
      idle: 'went silent',
    };
    super(
      'timeout',
      `${host} ${what[phase]} within ${formatMs(ms)}. The device may be overloaded or offline.`,
    );
    this.phase = phase;
  }
}

export class TlsFingerprintMismatchError extends DeviceError {
  readonly expected: string;
  readonly actual: string;

  constructor(host: string, expected: string, actual: string) {
    super(
      'tls_fingerprint_mismatch',
      `The HTTPS certificate of ${host} changed (pinned ${expected}, now ${actual}). ` +
        'If you replaced the certificate or the device, pin the new fingerprint; otherwise something may be intercepting the connection.',
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/** The certificate failed normal verification and nothing was pinned. Offer pinning. */
export class TlsUntrustedError extends DeviceError {
  readonly fingerprint: string | undefined;

  constructor(host: string, reason: string, fingerprint: string | undefined) {
    super(
      'tls_untrusted',
      `The HTTPS certificate of ${host} is not trusted (${reason}). Most Hikvision devices use a self-signed ` +
        `certificate: pin its fingerprint${fingerprint ? ` ${fingerprint}` : ''} to trust exactly this device.`,
    );
    this.fingerprint = fingerprint;
  }
}

/** The device refused the credentials after a fresh challenge. No automatic retry follows. */
export class BadCredentialsError extends DeviceError {
  /** Login attempts the device says are left before it locks the user, when it says so. */
  readonly attemptsLeft: number | undefined;

  constructor(host: string, username: string, attemptsLeft?: number) {
    const left =
      attemptsLeft !== undefined
        ? ` The device allows ${attemptsLeft} more attempt${attemptsLeft === 1 ? '' : 's'} before it locks the user.`
        : '';
    super(
      'bad_credentials',
      `${host} rejected the username "${username}" or its password.${left} Check them in the device's web page; ` +
        'hikbridge will not retry until you change them.',
    );
    this.attemptsLeft = attemptsLeft;
  }
}

/** A 401 that names no usable scheme (seen on doorbells): nothing we could answer. */
export class AuthUnsupportedError extends DeviceError {
  constructor(host: string, detail: string) {
    super('auth_unsupported', `${host} asked for authentication but ${detail}.`);
  }
}

export class LockedOutError extends DeviceError {
  /** Seconds until the device unlocks the user, when it says. */
  readonly unlockInSeconds: number | undefined;

  constructor(host: string, username: string, unlockInSeconds?: number) {
    const when =
      unlockInSeconds !== undefined && unlockInSeconds > 0
        ? `for about ${formatMs(unlockInSeconds * 1000)}`
        : 'for a while (often 30 minutes)';
    super(
      'locked_out',
      `${host} has locked the user "${username}" after too many failed logins, ${when}. ` +
        'hikbridge stops trying until then so the lock does not get longer; fix the password meanwhile.',
    );
    this.unlockInSeconds = unlockInSeconds;
  }
}

export class BodyTooLargeError extends DeviceError {
  constructor(host: string, limit: number) {
    super('body_too_large', `${host} sent a response larger than the ${limit}-byte limit; it was cut off.`);
  }
}

export class QueueFullError extends DeviceError {
  constructor(host: string, limit: number) {
    super(
      'queue_full',
      `Too many requests are waiting for ${host} (limit ${limit}); this one was dropped to protect the device.`,
    );
  }
}

export class AbortedError extends DeviceError {
  constructor(host: string) {
    super('aborted', `The request to ${host} was cancelled.`);
  }
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  return `${Math.round(s / 60)} min`;
}
