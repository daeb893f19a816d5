/** Committed binary assets (see sim/assets/generate.sh): test-pattern JPEGs and the TLS pair. */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

const ASSETS = new URL('./assets/', import.meta.url);

function read(name: string): Buffer {
  return readFileSync(new URL(name, ASSETS));
}

let jpegs: { small: Buffer; large: Buffer } | undefined;

/** 704x576 and 1280x720 JPEGs, read once per process. */
export function snapshotJpegs(): { small: Buffer; large: Buffer } {
  jpegs ??= { small: read('snapshot-704x576.jpg'), large: read('snapshot-1280x720.jpg') };
  return jpegs;
}

/** The JPEG closest to a requested or native width: the 720p one from 1280 up. */
export function jpegForWidth(width: number): Buffer {
  const { small, large } = snapshotJpegs();
  return width >= 1280 ? large : small;
}

export interface TlsAssets {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 fingerprint, 'AB:CD:..' upper case. */
  fingerprint: string;
}

let tls: TlsAssets | undefined;

export function tlsAssets(): TlsAssets {
  if (!tls) {
    const cert = read('sim-cert.pem');
    tls = {
      cert,
      key: read('sim-key.pem'),
      fingerprint: new X509Certificate(cert).fingerprint256.toUpperCase(),
    };
  }
  return tls;
}
