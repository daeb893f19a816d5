import { describe, expect, it } from 'vitest';
import {
  buildBasicAuthorization,
  buildDigestAuthorization,
  computeDigestResponse,
  DigestSession,
  formatNonceCount,
  parseWwwAuthenticate,
  pickDigestChallenge,
  toDigestChallenge,
} from '../../src/protocols/http/digest.ts';
import { parseAuthParams } from './digest-server.ts';

const MUFASA = { username: 'Mufasa', password: 'Circle Of Life' };

describe('parseWwwAuthenticate', () => {
  it('reads a Digest challenge with quoted commas and escapes', () => {
    const [challenge] = parseWwwAuthenticate(
      'Digest realm="IP Camera, front \\"door\\"", qop="auth,auth-int", nonce="abc", stale=TRUE, opaque="x"',
    );
    expect(challenge).toEqual({
      scheme: 'digest',
      params: {
        realm: 'IP Camera, front "door"',
        qop: 'auth,auth-int',
        nonce: 'abc',
        stale: 'TRUE',
        opaque: 'x',
      },
    });
  });

  it('splits several challenges in one header and across headers', () => {
    const challenges = parseWwwAuthenticate([
      'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
      'Digest realm="r", nonce="n"',
    ]);
    expect(challenges.map((c) => c.scheme)).toEqual(['newauth', 'basic', 'digest']);
    expect(challenges[0]!.params).toEqual({ realm: 'apps', type: '1', title: 'Login to "apps"' });
    expect(challenges[1]!.params).toEqual({ realm: 'simple' });
  });

  it('keeps token68 credentials and tolerates odd spacing and case', () => {
    const challenges = parseWwwAuthenticate(
      'Negotiate abc123==,  BASIC   Realm = "x" ,, DIGEST realm="y",nonce=z',
    );
    expect(challenges).toEqual([
      { scheme: 'negotiate', params: {}, token68: 'abc123==' },
      { scheme: 'basic', params: { realm: 'x' } },
      { scheme: 'digest', params: { realm: 'y', nonce: 'z' } },
    ]);
  });

  it('returns nothing for a missing or empty header', () => {
    expect(parseWwwAuthenticate(undefined)).toEqual([]);
    expect(parseWwwAuthenticate('')).toEqual([]);
  });
});

describe('Digest challenge selection', () => {
  it('prefers SHA-256 over MD5 and skips what it cannot answer', () => {
    const picked = pickDigestChallenge(
      parseWwwAuthenticate([
        'Digest realm="r", nonce="1", algorithm=MD5, qop="auth"',
        'Digest realm="r", nonce="2", algorithm=SHA-256, qop="auth"',
        'Digest realm="r", nonce="3", algorithm=SHA-512-256, qop="auth"',
      ]),
    );
    expect(picked?.nonce).toBe('2');
  });

  it('refuses auth-int only challenges and accepts the RFC 2069 form', () => {
    const [authInt, legacy] = parseWwwAuthenticate([
      'Digest realm="r", nonce="n", qop="auth-int"',
      'Digest realm="r", nonce="n"',
    ]);
    expect(toDigestChallenge(authInt!)).toBeUndefined();
    expect(toDigestChallenge(legacy!)).toMatchObject({ qop: [], stale: false });
  });
});

describe('Digest responses', () => {
  it('matches the RFC 2617 example', () => {
    const response = computeDigestResponse({
      ...MUFASA,
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      method: 'GET',
      uri: '/dir/index.html',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
    });
    expect(response).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('matches the RFC 7616 MD5 and SHA-256 examples', () => {
    const input = {
      username: 'Mufasa',
      password: 'Circle of Life', // RFC 7616 spells it with a lower-case "of", unlike RFC 2617
      realm: 'http-auth@example.org',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      method: 'GET',
      uri: '/dir/index.html',
      qop: 'auth' as const,
      nc: '00000001',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    };
    expect(computeDigestResponse({ ...input, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(computeDigestResponse({ ...input, algorithm: 'SHA-256' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('builds the Authorization header with opaque and algorithm echoed', () => {
    const header = buildDigestAuthorization({
      ...MUFASA,
      challenge: {
        realm: 'testrealm@host.com',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        opaque: '5ccc069c403ebaf9f0171e9517f40e41',
        algorithm: 'MD5',
        qop: ['auth', 'auth-int'],
        stale: false,
      },
      method: 'GET',
      uri: '/dir/index.html',
      nonceCount: 1,
      cnonce: '0a4f113b',
    });
    expect(header.startsWith('Digest ')).toBe(true);
    expect(parseAuthParams(header.slice(7))).toEqual({
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      uri: '/dir/index.html',
      algorithm: 'MD5',
      response: '6629fae49393a05397450978507c4ef1',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
    });
  });

  it('computes MD5-sess from the cnonce', () => {
    const base = {
      ...MUFASA,
      realm: 'r',
      nonce: 'n',
      method: 'GET',
      uri: '/',
      qop: 'auth' as const,
      nc: '00000001',
    };
    const a = computeDigestResponse({ ...base, algorithm: 'MD5-sess', cnonce: 'a' });
    const b = computeDigestResponse({ ...base, algorithm: 'MD5-sess', cnonce: 'b' });
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
    expect(a).not.toBe(computeDigestResponse({ ...base, algorithm: 'MD5', cnonce: 'a' }));
  });

  it('counts nc per nonce in 8 hex digits with a fresh cnonce each time', () => {
    const session = new DigestSession({ realm: 'r', nonce: 'n', qop: ['auth'], stale: false });
    const headers = Array.from({ length: 17 }, () =>
      parseAuthParams(session.authorize(MUFASA, 'GET', '/x?a=1')),
    );
    expect(headers[0]!.nc).toBe('00000001');
    expect(headers[16]!.nc).toBe('00000011');
    expect(headers[0]!.uri).toBe('/x?a=1');
    expect(new Set(headers.map((h) => h.cnonce)).size).toBe(17);
    expect(formatNonceCount(255)).toBe('000000ff');
  });

  it('encodes Basic credentials as UTF-8', () => {
    expect(buildBasicAuthorization('Aladdin', 'open sesame')).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    expect(buildBasicAuthorization('ü', 'p')).toBe(`Basic ${Buffer.from('ü:p').toString('base64')}`);
  });
});
