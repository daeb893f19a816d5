/**
 * HikCentral Connect failures as one error type with a stable code and a message in the user's
 * words. The API answers HTTP 200 with `errorCode` for almost everything; transport problems get
 * codes of our own. Messages never contain the AppKey, the secret or a token.
 */

/** How the client reacts to a code. */
export type HccErrorKind =
  /** The account's key or secret is wrong: retrying cannot help. */
  | 'credentials'
  /** The access token expired or was revoked early: get a new one and retry once. */
  | 'token'
  /** The cloud is overloaded or the network failed: retry with back-off. */
  | 'transient'
  /** The device or camera is offline, gone or needs its stream key. */
  | 'device'
  /** We sent something the API does not accept (a bug, or an API change). */
  | 'request'
  /** Anything else the API said. */
  | 'api';

interface Known {
  kind: HccErrorKind;
  message: string;
}

const KNOWN: Record<string, Known> = {
  OPEN000001: {
    kind: 'credentials',
    message:
      'HikCentral Connect does not know this AppKey. Check the key in the OpenAPI settings of the account.',
  },
  OPEN000002: {
    kind: 'credentials',
    message:
      'HikCentral Connect refused the SecretKey for this AppKey. Check the secret in the OpenAPI settings.',
  },
  OPEN300002: {
    kind: 'credentials',
    message:
      'HikCentral Connect refused the SecretKey for this AppKey. Check the secret in the OpenAPI settings.',
  },
  OPEN000006: { kind: 'token', message: 'The HikCentral Connect access token has expired.' },
  OPEN000007: { kind: 'token', message: 'HikCentral Connect did not accept the access token.' },
  TOKEN_NOT_FOUND: { kind: 'token', message: 'HikCentral Connect no longer knows the access token.' },
  OPEN000010: { kind: 'request', message: 'HikCentral Connect rejected a parameter of the request.' },
  OPEN000025: { kind: 'request', message: 'HikCentral Connect rejected the page size (1 to 500).' },
  OPEN000501: { kind: 'device', message: 'HikCentral Connect has no such device in this account.' },
  OPEN000503: { kind: 'device', message: 'HikCentral Connect has no such camera in this account.' },
  OPEN000554: { kind: 'device', message: 'The device is offline in HikCentral Connect.' },
  EVZ20002: { kind: 'device', message: 'The cloud does not know this device (serial number).' },
  EVZ20007: { kind: 'device', message: 'The device is offline: it is not connected to the cloud.' },
  EVZ20008: { kind: 'device', message: 'The device did not answer the cloud in time.' },
  EVZ60019: {
    kind: 'device',
    message:
      'Stream encryption is on for this device: give its verification code (printed on the device label), ' +
      'or turn encryption off in Hik-Connect.',
  },
  EVZ10001: { kind: 'device', message: 'The verification code (stream key) for this device is wrong.' },
  VMS000009: { kind: 'transient', message: 'HikCentral Connect is overloaded; try again shortly.' },
  VMS001001: { kind: 'transient', message: 'HikCentral Connect is overloaded; try again shortly.' },
};

export class HccError extends Error {
  override readonly name = 'HccError';

  constructor(
    /** The API's `errorCode`, or one of ours: timeout, unreachable, http_status, bad_response, queue_full. */
    readonly code: string,
    readonly kind: HccErrorKind,
    message: string,
  ) {
    super(message);
  }

  /** An `errorCode` answer; `apiMessage` is the API's own text, kept for codes we do not know. */
  static fromApi(code: string, apiMessage: string | undefined, what: string): HccError {
    const known = KNOWN[code];
    if (known) return new HccError(code, known.kind, `${what}: ${known.message} (${code})`);
    const said = apiMessage ? `: ${apiMessage.slice(0, 200)}` : '';
    return new HccError(code, 'api', `${what}: HikCentral Connect answered error ${code}${said}`);
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }
}
