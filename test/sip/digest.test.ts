/**
 * SIP digest: the RFC 2617 and RFC 7616 worked examples, two REGISTER answers computed by sipp
 * 3.6.1 (an independent implementation; the same values check out with md5sum), reading 401/407
 * challenges, and the server side of the emulated proxy. No secret in any result or error.
 */
import { describe, expect, it } from 'vitest';
import {
  authorize,
  challenge,
  challengeOf,
  credentialsOf,
  newNonce,
  parseChallenges,
  parseMessage,
  type SipDigestChallenge,
  type SipResponse,
  type VerifyInput,
  verifyAuthorization,
} from '../../src/protocols/sip/index.ts';
import { REGISTER_401, sipText } from './codec-fixtures.ts';

function digestChallenge(
  fields: Partial<SipDigestChallenge> & { realm: string; nonce: string },
): SipDigestChallenge {
  return { opaque: null, algorithm: null, qop: [], stale: false, proxy: false, ...fields };
}

/** The parameters of a Digest value, unquoted (a test-side reader, deliberately simple). */
function paramsOf(value: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const match of value.replace(/^Digest /, '').matchAll(/([a-z]+)=("([^"]*)"|[^,\s]*)/g)) {
    params[match[1]!] = match[3] ?? match[2]!;
  }
  return params;
}

describe('worked examples', () => {
  it('RFC 2617 §3.5 (MD5, qop=auth)', () => {
    const value = authorize({
      challenge: digestChallenge({
        realm: 'testrealm@host.com',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        opaque: '5ccc069c403ebaf9f0171e9517f40e41',
        qop: ['auth', 'auth-int'],
      }),
      username: 'Mufasa',
      password: 'Circle Of Life',
      method: 'GET',
      uri: '/dir/index.html',
      nonceCount: 1,
      cnonce: '0a4f113b',
    }).value;
    expect(paramsOf(value)).toEqual({
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      uri: '/dir/index.html',
      response: '6629fae49393a05397450978507c4ef1',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
    });
  });

  it('RFC 7616 §3.9.1 (MD5 and SHA-256)', () => {
    const input = {
      username: 'Mufasa',
      password: 'Circle of Life',
      method: 'GET',
      uri: '/dir/index.html',
      nonceCount: 1,
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    };
    const base = {
      realm: 'http-auth@example.org',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
      qop: ['auth', 'auth-int'],
    };
    const md5 = authorize({ ...input, challenge: digestChallenge({ ...base, algorithm: 'MD5' }) });
    expect(paramsOf(md5.value).response).toBe('8ca523f5e9506fed4657c9700eebdbec');
    const sha = authorize({ ...input, challenge: digestChallenge({ ...base, algorithm: 'SHA-256' }) });
    expect(paramsOf(sha.value)).toMatchObject({
      algorithm: 'SHA-256',
      response: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    });
  });
});

describe('SIP REGISTER answers computed by sipp', () => {
  // sipp 3.6.1 (`[authentication username=10101 password=doorbell-secret]`) answering our
  // challenges for `REGISTER sip:127.0.0.1:5098`, as it sent them.
  const password = 'doorbell-secret';
  const withQop =
    'Digest username="10101",realm="hikbridge",cnonce="6b8b4567",nc=00000001,qop=auth,uri="sip:127.0.0.1:5098",' +
    'nonce="5f1b8e3c9a2d4e7f",response="c78a94b4a612ca367c50322ead514320",algorithm=MD5,opaque="op4que"';
  const withoutQop =
    'Digest username="10101",realm="hikbridge",uri="sip:127.0.0.1:5098",nonce="c0ffee0123456789",' +
    'response="ae0df911a1368ba0a0516c59abfbe66b",algorithm=MD5';

  it('our client computes the same responses', () => {
    const [qopChallenge] = parseChallenges(
      'Digest realm="hikbridge", nonce="5f1b8e3c9a2d4e7f", opaque="op4que", algorithm=MD5, qop="auth"',
    );
    const ours = authorize({
      challenge: qopChallenge!,
      username: '10101',
      password,
      method: 'REGISTER',
      uri: 'sip:127.0.0.1:5098',
      cnonce: '6b8b4567',
    });
    expect(paramsOf(ours.value).response).toBe('c78a94b4a612ca367c50322ead514320');
    const [plain] = parseChallenges('Digest realm="hikbridge", nonce="c0ffee0123456789"');
    const legacy = authorize({
      challenge: plain!,
      username: '10101',
      password,
      method: 'REGISTER',
      uri: 'sip:127.0.0.1:5098',
    });
    expect(paramsOf(legacy.value)).toEqual({
      username: '10101',
      realm: 'hikbridge',
      nonce: 'c0ffee0123456789',
      uri: 'sip:127.0.0.1:5098',
      response: 'ae0df911a1368ba0a0516c59abfbe66b',
    });
  });

  it('our server accepts them', () => {
    expect(
      verifyAuthorization(withQop, {
        method: 'REGISTER',
        realm: 'hikbridge',
        password,
        nonce: '5f1b8e3c9a2d4e7f',
      }),
    ).toEqual({
      ok: true,
      username: '10101',
      nonceCount: 1,
    });
    expect(
      verifyAuthorization(withoutQop, {
        method: 'REGISTER',
        realm: 'hikbridge',
        password,
        nonce: 'c0ffee0123456789',
      }),
    ).toEqual({ ok: true, username: '10101', nonceCount: null });
    // The same answer for another method (a replay onto INVITE) does not pass.
    expect(
      verifyAuthorization(withQop, {
        method: 'INVITE',
        realm: 'hikbridge',
        password,
        nonce: '5f1b8e3c9a2d4e7f',
      }),
    ).toMatchObject({ ok: false, reason: 'response' });
  });
});

describe('reading challenges', () => {
  it('from a 401 (WWW-Authenticate -> Authorization)', () => {
    const response = parseMessage(Buffer.from(REGISTER_401)) as SipResponse;
    const found = challengeOf(response)!;
    expect(found).toEqual({
      realm: 'asterisk',
      nonce: '2c5e1f0a',
      opaque: null,
      algorithm: 'MD5',
      qop: ['auth'],
      stale: false,
      proxy: false,
    });
    const answer = authorize({
      challenge: found,
      username: '10101',
      password: 'x',
      method: 'REGISTER',
      uri: 'sip:192.168.0.114:5060',
      nonceCount: 2,
    });
    expect(answer.name).toBe('Authorization');
    expect(paramsOf(answer.value)).toMatchObject({ nc: '00000002', qop: 'auth', algorithm: 'MD5' });
    expect(paramsOf(answer.value).cnonce).toMatch(/^[0-9a-f]{24}$/);
  });

  it('from a 407 (Proxy-Authenticate -> Proxy-Authorization)', () => {
    const text = REGISTER_401.replace('401 Unauthorized', '407 Proxy Authentication Required').replace(
      'WWW-Authenticate',
      'Proxy-Authenticate',
    );
    const found = challengeOf(parseMessage(Buffer.from(text)) as SipResponse)!;
    expect(found.proxy).toBe(true);
    expect(
      authorize({ challenge: found, username: 'u', password: 'p', method: 'INVITE', uri: 'sip:x@h' }).name,
    ).toBe('Proxy-Authorization');
    // A 401 carrying only Proxy-Authenticate has nothing to answer.
    const wrong = text.replace('407 Proxy Authentication Required', '401 Unauthorized');
    expect(challengeOf(parseMessage(Buffer.from(wrong)) as SipResponse)).toBeUndefined();
    expect(
      challengeOf(
        parseMessage(Buffer.from(REGISTER_401.replace('401 Unauthorized', '403 Forbidden'))) as SipResponse,
      ),
    ).toBeUndefined();
  });

  it('prefers SHA-256, skips what cannot be answered, reads stale', () => {
    const challenges = parseChallenges([
      'Digest realm="r", nonce="a", algorithm=SHA-512-256',
      'Digest realm="r", nonce="b", qop="auth-int"',
      'Digest realm="r", nonce="c", algorithm=MD5, stale=TRUE',
      'Digest realm="r", nonce="d", algorithm=SHA-256, qop="auth,auth-int"',
      'Basic realm="r"',
      'Digest nonce="no realm"',
    ]);
    expect(challenges.map((c) => c.nonce)).toEqual(['d', 'c']);
    expect(challenges[1]!.stale).toBe(true);
    expect(challenges[0]!.qop).toEqual(['auth', 'auth-int']);
  });

  it('MD5-sess and SHA-256-sess round trip through our server', () => {
    for (const algorithm of ['MD5-sess', 'SHA-256-sess']) {
      const [found] = parseChallenges(`Digest realm="r", nonce="n1", algorithm=${algorithm}, qop="auth"`);
      const { value } = authorize({
        challenge: found!,
        username: 'u',
        password: 'p',
        method: 'REGISTER',
        uri: 'sip:h',
      });
      expect(
        verifyAuthorization(value, { method: 'REGISTER', realm: 'r', password: 'p', nonce: 'n1' }).ok,
      ).toBe(true);
    }
  });
});

describe('server side (emulated proxy)', () => {
  const nonce = newNonce();
  const register = (authorization: string) =>
    parseMessage(
      Buffer.from(
        sipText([
          'REGISTER sip:192.168.0.114:5060 SIP/2.0',
          'Via: SIP/2.0/UDP 192.168.0.140:5060;branch=z9hG4bKr2',
          'From: <sip:10101@192.168.0.114>;tag=1',
          'To: <sip:10101@192.168.0.114>',
          'Call-ID: reg-1',
          'CSeq: 2 REGISTER',
          `Authorization: ${authorization}`,
          'Content-Length: 0',
        ]),
      ),
    );

  it('challenges, and accepts the right answer', () => {
    expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    const value = challenge({ realm: 'hikbridge', nonce, opaque: 'o' });
    expect(value).toBe(`Digest realm="hikbridge", nonce="${nonce}", opaque="o", algorithm=MD5, qop="auth"`);
    const [parsed] = parseChallenges(value);
    const answer = authorize({
      challenge: parsed!,
      username: '10101',
      password: 'pw',
      method: 'REGISTER',
      uri: 'sip:192.168.0.114:5060',
    });
    const request = register(answer.value);
    const result = verifyAuthorization(credentialsOf(request), {
      method: 'REGISTER',
      realm: 'hikbridge',
      password: (user) => (user === '10101' ? 'pw' : undefined),
      nonce: (n) => n === nonce,
      username: '10101',
      uri: 'sip:192.168.0.114:5060',
    });
    expect(result).toEqual({ ok: true, username: '10101', nonceCount: 1 });
  });

  it('SHA-256 and stale challenges', () => {
    expect(challenge({ realm: 'r', nonce: 'n', algorithm: 'SHA-256', stale: true })).toBe(
      'Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth", stale=true',
    );
    const [parsed] = parseChallenges(challenge({ realm: 'r', nonce: 'n', algorithm: 'SHA-256' }));
    const { value } = authorize({
      challenge: parsed!,
      username: 'u',
      password: 'p',
      method: 'INVITE',
      uri: 'sip:a@h',
    });
    expect(verifyAuthorization(value, { method: 'INVITE', realm: 'r', password: 'p', nonce: 'n' }).ok).toBe(
      true,
    );
  });

  it('refuses, saying why, never with a secret', () => {
    const [parsed] = parseChallenges(challenge({ realm: 'hikbridge', nonce }));
    const good = authorize({
      challenge: parsed!,
      username: '10101',
      password: 'right-password',
      method: 'REGISTER',
      uri: 'sip:h',
    }).value;
    const base = { method: 'REGISTER', realm: 'hikbridge', password: 'right-password', nonce };
    const cases: Array<[string | string[] | undefined, Partial<VerifyInput>, string]> = [
      [good, { password: 'wrong-password' }, 'response'],
      [good, { nonce: 'another' }, 'nonce'],
      [good, { realm: 'elsewhere' }, 'realm'],
      [good, { username: 'someone' }, 'username'],
      [good, { uri: 'sip:other' }, 'uri'],
      [good, { password: () => undefined }, 'username'],
      [good.replace('nc=00000001', 'nc=1'), {}, 'qop'],
      [good.replace('qop=auth', 'qop=auth-int'), {}, 'qop'],
      [good.replace('algorithm=MD5', 'algorithm=SHA-512-256'), {}, 'algorithm'],
      [good.replace(/response="[0-9a-f]+"/, 'response=""'), {}, 'malformed'],
      ['Basic MTAxMDE6cGFzcw==', {}, 'malformed'],
      [undefined, {}, 'missing'],
      [[], {}, 'missing'],
    ];
    for (const [value, change, reason] of cases) {
      const result = verifyAuthorization(value, { ...base, ...change });
      expect(result, reason).toMatchObject({ ok: false, reason });
      const text = JSON.stringify(result);
      expect(text).not.toContain('password');
      expect(text).not.toContain(paramsOf(good).response!);
    }
  });

  it('picks the credentials of its realm among several', () => {
    const [ours] = parseChallenges(challenge({ realm: 'hikbridge', nonce }));
    const [theirs] = parseChallenges(challenge({ realm: 'pbx', nonce: 'x' }));
    const values = [
      authorize({ challenge: theirs!, username: 'a', password: 'other', method: 'REGISTER', uri: 'sip:h' })
        .value,
      authorize({ challenge: ours!, username: 'b', password: 'pw', method: 'REGISTER', uri: 'sip:h' }).value,
    ];
    expect(
      verifyAuthorization(values, { method: 'REGISTER', realm: 'hikbridge', password: 'pw', nonce }),
    ).toMatchObject({
      ok: true,
      username: 'b',
    });
  });

  it('bad input to the builders fails without echoing the password', () => {
    const [parsed] = parseChallenges('Digest realm="r", nonce="n"');
    let message = '';
    try {
      authorize({
        challenge: parsed!,
        username: 'u\r\nX: y',
        password: 'hunter2',
        method: 'REGISTER',
        uri: 'sip:h',
      });
    } catch (error) {
      message = String(error);
    }
    expect(message).toContain('username');
    expect(message).not.toContain('hunter2');
    expect(() => challenge({ realm: 'r\n', nonce: 'n' })).toThrow(TypeError);
    const input = { challenge: parsed!, username: 'u', password: 'p', method: 'REGISTER', uri: 'sip:h' };
    expect(() => authorize({ ...input, nonceCount: 0 })).toThrow(TypeError);
    expect(() => authorize({ ...input, nonceCount: 2 ** 32 })).toThrow(TypeError);
  });
});
