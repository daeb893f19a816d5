import { PassThrough } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, normalizeFingerprint } from '../../src/protocols/http/client.ts';
import { TlsFingerprintMismatchError, TlsUntrustedError } from '../../src/protocols/http/errors.ts';
import type { HttpClientOptions } from '../../src/protocols/http/types.ts';
import { DEFAULT_PASSWORD, DEFAULT_USER, startDevice, type TestDevice } from './digest-server.ts';
import { expectDeviceError, makeCertificate, type TestCertificate } from './helpers.ts';

let certificate: TestCertificate;
let other: TestCertificate;
let device: TestDevice;
const clients: HttpClient[] = [];

beforeAll(async () => {
  [certificate, other] = await Promise.all([makeCertificate(), makeCertificate('someone-else')]);
  device = await startDevice({ tls: { key: certificate.key, cert: certificate.cert } });
  return () => device.close();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function client(options: Partial<HttpClientOptions>): HttpClient {
  const http = new HttpClient({
    baseUrl: device.url,
    username: DEFAULT_USER,
    password: DEFAULT_PASSWORD,
    ...options,
  });
  clients.push(http);
  return http;
}

describe('HTTPS', () => {
  it('accepts exactly the pinned certificate and reports it', async () => {
    const seen: string[] = [];
    const pin = certificate.fingerprint.replace(/:/g, '').toLowerCase();
    const http = client({ tls: { pinnedFingerprint: pin }, onCertificate: (fp) => seen.push(fp) });
    const response = await http.request({ path: '/ISAPI/System/deviceInfo' });
    expect(response.status).toBe(200);
    expect(http.certificateFingerprint).toBe(certificate.fingerprint);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(new Set(seen)).toEqual(new Set([certificate.fingerprint]));
  });

  it('refuses a certificate that does not match the pin, before sending anything', async () => {
    const before = device.stats.requests;
    const http = client({ tls: { pinnedFingerprint: other.fingerprint } });
    const error = await expectDeviceError(
      http.request({ path: '/' }),
      TlsFingerprintMismatchError,
      'tls_fingerprint_mismatch',
    );
    expect(error.expected).toBe(other.fingerprint);
    expect(error.actual).toBe(certificate.fingerprint);
    expect(http.certificateFingerprint).toBe(certificate.fingerprint);
    expect(device.stats.requests).toBe(before);
  });

  it('reports an untrusted self-signed certificate with the fingerprint to pin', async () => {
    const before = device.stats.requests;
    const http = client({});
    const error = await expectDeviceError(http.request({ path: '/' }), TlsUntrustedError, 'tls_untrusted');
    expect(error.fingerprint).toBe(certificate.fingerprint);
    expect(error.message).toContain('self-signed');
    expect(error.message).toContain(certificate.fingerprint);
    expect(device.stats.requests).toBe(before);
  });

  it('accepts anything in insecure mode', async () => {
    const http = client({ tls: { insecure: true } });
    expect((await http.request({ path: '/' })).status).toBe(200);
    expect(http.certificateFingerprint).toBe(certificate.fingerprint);
  });

  it('checks the pin on streams too', async () => {
    const http = client({ tls: { pinnedFingerprint: other.fingerprint } });
    await expectDeviceError(
      http.stream({ path: '/events' }),
      TlsFingerprintMismatchError,
      'tls_fingerprint_mismatch',
    );
  });

  it('pins the separate connection of a fixed-length streamed upload as well', async () => {
    const upload = (pinnedFingerprint: string) =>
      client({ auth: 'none', tls: { pinnedFingerprint } }).stream({
        method: 'PUT',
        path: '/audio',
        headers: { 'content-length': '0' },
        body: new PassThrough(),
      });
    await expectDeviceError(
      upload(other.fingerprint),
      TlsFingerprintMismatchError,
      'tls_fingerprint_mismatch',
    );
    const accepted = await upload(certificate.fingerprint);
    // The device wants a login and the client was told not to: its 401 proves the pinned connection worked.
    expect(accepted.status).toBe(401);
    expect(device.seen.at(-1)).toMatchObject({ method: 'PUT', url: '/audio' });
    accepted.close();
  });

  it('rejects a pin that is not a SHA-256 fingerprint', () => {
    expect(() => client({ tls: { pinnedFingerprint: 'AB:CD' } })).toThrow(/SHA-256/);
  });
});

describe('normalizeFingerprint', () => {
  it('accepts any case and separator and the openssl prefix', () => {
    const canonical = `AB:${'0F:'.repeat(30)}12:34`;
    expect(normalizeFingerprint(canonical.toLowerCase())).toBe(canonical);
    expect(normalizeFingerprint(canonical.replace(/:/g, ''))).toBe(canonical);
    expect(normalizeFingerprint(canonical.replace(/:/g, ' '))).toBe(canonical);
    expect(normalizeFingerprint(`sha256 Fingerprint=${canonical}`)).toBe(canonical);
    expect(normalizeFingerprint('not-hex')).not.toBe(normalizeFingerprint('also not hex'));
  });
});
