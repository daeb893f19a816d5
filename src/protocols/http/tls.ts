/**
 * TLS connection set-up with certificate pinning.
 *
 * Node only runs `checkServerIdentity` after the chain verified, so with the self-signed
 * certificates most Hikvision devices ship it is never called. Instead the handshake is allowed to
 * finish without verification and the decision is taken here, before undici writes a byte.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { buildConnector } from 'undici';
import { type DeviceError, TlsFingerprintMismatchError, TlsUntrustedError } from './errors.ts';
import type { TlsOptions } from './types.ts';

export type Connector = buildConnector.connector;
export type ConnectTarget = buildConnector.Options;

export interface ConnectorOptions {
  /** host:port, for error messages. */
  label: string;
  tls?: TlsOptions;
  connectTimeoutMs: number;
  /** Every certificate seen, accepted or not. */
  onCertificate: (fingerprint256: string) => void;
}

const SHA256_HEX_LENGTH = 64;

/**
 * Canonical `AB:CD:...` form of a SHA-256 fingerprint. Accepts any case, `:`/space/`-` separators
 * and the `sha256 Fingerprint=` prefix openssl prints. Anything that is not hex comes back
 * unchanged apart from case, so it can never equal a real fingerprint.
 */
export function normalizeFingerprint(fingerprint: string): string {
  const hex = fingerprint
    .trim()
    .replace(/^sha-?256\s*(fingerprint)?\s*[=:]?\s*/i, '')
    .replace(/[\s:-]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]+$/.test(hex) || hex.length % 2 !== 0) return hex;
  return hex.match(/../g)!.join(':');
}

export function isSha256Fingerprint(fingerprint: string): boolean {
  const hex = normalizeFingerprint(fingerprint).replace(/:/g, '');
  return hex.length === SHA256_HEX_LENGTH && /^[0-9A-F]+$/.test(hex);
}

export function createConnector(options: ConnectorOptions): Connector {
  const pinned = options.tls?.pinnedFingerprint;
  if (pinned !== undefined && !isSha256Fingerprint(pinned)) {
    throw new TypeError(
      'tls.pinnedFingerprint must be a SHA-256 fingerprint (64 hex digits, e.g. AB:CD:...)',
    );
  }
  const base = buildConnector({
    timeout: options.connectTimeoutMs,
    rejectUnauthorized: false,
    // A resumed session may skip the certificate exchange; every connection must show its certificate.
    maxCachedSessions: 0,
  });
  return (target, callback) => {
    base(target, (error, socket) => {
      if (error) return callback(error, null);
      const problem = socket instanceof TLSSocket ? judgeCertificate(socket, options) : undefined;
      if (problem) return rejectSocket(socket, problem, callback);
      callback(null, socket);
    });
  };
}

function rejectSocket(socket: Socket, problem: DeviceError, callback: Parameters<Connector>[1]): void {
  socket.destroy();
  callback(problem, null);
}

function judgeCertificate(socket: TLSSocket, options: ConnectorOptions): DeviceError | undefined {
  const fingerprint = socket.getPeerCertificate()?.fingerprint256 || undefined;
  if (fingerprint) options.onCertificate(fingerprint);
  const pinned = options.tls?.pinnedFingerprint;
  if (pinned !== undefined) {
    const expected = normalizeFingerprint(pinned);
    if (fingerprint && normalizeFingerprint(fingerprint) === expected) return undefined;
    return new TlsFingerprintMismatchError(options.label, expected, fingerprint ?? 'no certificate');
  }
  if (options.tls?.insecure || socket.authorized) return undefined;
  return new TlsUntrustedError(options.label, describeVerifyError(socket.authorizationError), fingerprint);
}

const VERIFY_ERRORS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'issuer not known',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issuer not known',
  CERT_HAS_EXPIRED: 'certificate expired',
  CERT_NOT_YET_VALID: 'certificate not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate issued for another name',
};

function describeVerifyError(error: Error | string | undefined): string {
  // Node documents an Error but hands over the OpenSSL code as a string.
  const code =
    typeof error === 'string' ? error : ((error as { code?: string } | undefined)?.code ?? error?.message);
  if (!code) return 'verification failed';
  return VERIFY_ERRORS[code] ?? code;
}
