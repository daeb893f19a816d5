import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { DigestClient, sim, tag } from './helpers.ts';

const certPem = readFileSync(new URL('../../sim/assets/sim-cert.pem', import.meta.url));

function peerCertificate(url: string): Promise<{ fingerprint256: string; subject: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect(
      { host: hostname, port: Number(port), rejectUnauthorized: false },
      () => {
        const cert = socket.getPeerCertificate();
        socket.destroy();
        resolve({ fingerprint256: cert.fingerprint256, subject: cert.subject.CN as string });
      },
    );
    socket.once('error', reject);
  });
}

describe('https', () => {
  it('serves the committed self-signed certificate and reports its SHA-256 fingerprint', async () => {
    const device = await sim({ profile: 'camera', https: true });
    expect(device.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const expected = new X509Certificate(certPem).fingerprint256;
    expect(device.certificateFingerprint).toBe(expected);
    expect(device.certificateFingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const peer = await peerCertificate(device.url);
    expect(peer.fingerprint256).toBe(expected);
    expect(peer.subject).toBe('hikbridge-sim');
  });

  it('the certificate is valid for 20 years and for 127.0.0.1', () => {
    const cert = new X509Certificate(certPem);
    const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365.25 * 24 * 3600 * 1000);
    expect(years).toBeGreaterThan(19.9);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('answers digest-authenticated ISAPI over TLS (client trusting the pinned certificate)', async () => {
    const device = await sim({ profile: 'doorbell', https: true });
    const c = new DigestClient(device.url, 'admin', undefined, { connect: { ca: certPem } });
    const { status, body } = await c.text('/ISAPI/System/deviceInfo');
    expect(status).toBe(200);
    expect(tag(body, 'model')).toBe('DS-KV6124-E1');
  });

  it('has no fingerprint on plain http', async () => {
    const device = await sim({ profile: 'camera' });
    expect(device.certificateFingerprint).toBeUndefined();
  });
});
