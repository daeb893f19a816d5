/** Translates transport errors (Node, undici) into the DeviceError the user gets to read. */
import { AbortedError, DeviceError, TimeoutError, UnreachableError } from './errors.ts';

export interface FailureContext {
  /** host:port for messages. */
  label: string;
  connectTimeoutMs: number;
  /** Timeout in force for headers / body, as reported in TimeoutError. */
  timeoutMs: number;
  /** The caller's signal: once it fired, whatever broke is reported as a cancellation. */
  signal?: AbortSignal;
}

const UNREACHABLE_DETAILS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  ECONNABORTED: 'connection aborted',
  UND_ERR_SOCKET: 'the connection closed before the device answered',
};

export function toDeviceError(error: unknown, context: FailureContext): DeviceError {
  if (error instanceof DeviceError) return error;
  if (context.signal?.aborted) return new AbortedError(context.label);
  const code = errorCode(error);
  const { label } = context;
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return new TimeoutError(label, 'connect', context.connectTimeoutMs);
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new TimeoutError(label, 'response', context.timeoutMs);
    case 'UND_ERR_BODY_TIMEOUT':
      return new TimeoutError(label, 'body', context.timeoutMs);
    case 'UND_ERR_ABORTED':
    case 'ABORT_ERR':
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return new AbortedError(label);
  }
  if (code && code in UNREACHABLE_DETAILS) {
    return new UnreachableError(label, UNREACHABLE_DETAILS[code]!, { cause: error });
  }
  if (code?.startsWith('ERR_SSL') || code?.startsWith('ERR_TLS')) {
    return new UnreachableError(label, `the TLS handshake failed (${code}; is this really an HTTPS port?)`, {
      cause: error,
    });
  }
  if (code?.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return new DeviceError('invalid_response', `${label} sent a malformed HTTP response (${code}).`, {
      cause: error,
    });
  }
  return new UnreachableError(label, describeUnknown(error), { cause: error });
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string') return code;
  return name === 'AbortError' ? 'ABORT_ERR' : undefined;
}

function describeUnknown(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message ? `connection failed (${message})` : 'connection failed';
}
