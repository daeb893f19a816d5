/**
 * The policy for user-given URLs on its own (pure functions): schemes, user info taken out and
 * bound to its origin, origins compared the way a connection sees them, redirects, limits.
 */
import { describe, expect, it } from 'vitest';
import {
  checkUserUrl,
  credentialsFor,
  isOriginFormPath,
  originOf,
  redirectVerdict,
  sameOrigin,
  URL_RULES,
  UrlPolicyError,
  type UrlRules,
  urlForLog,
} from '../../src/protocols/http/url-policy.ts';

const device = { username: 'admin', password: 'Device-Pass1' };
const other = { username: 'viewer', password: 'Other-Pass2' };

function refusal(input: string, rules: UrlRules): UrlPolicyError {
  try {
    checkUserUrl(input, rules);
  } catch (error) {
    expect(error).toBeInstanceOf(UrlPolicyError);
    return error as UrlPolicyError;
  }
  throw new Error(`${input} was accepted`);
}

describe('checkUserUrl', () => {
  it('accepts an http(s) snapshot URL and takes its user info out, bound to its origin', () => {
    const checked = checkUserUrl(
      'http://viewer:Other%40Pass@192.0.2.7:8080/pic.jpg?ch=1#x',
      URL_RULES.snapshot,
    );
    expect(checked.url.href).toBe('http://192.0.2.7:8080/pic.jpg?ch=1');
    expect(checked.origin).toBe('http://192.0.2.7:8080');
    expect(checked.credentials).toEqual({ username: 'viewer', password: 'Other@Pass' });
  });

  it('gives no credentials to a URL without user info', () => {
    expect(checkUserUrl('https://cam.example/snap', URL_RULES.snapshot).credentials).toBeUndefined();
  });

  it('refuses schemes the rules do not list, naming the setting and what is allowed', () => {
    for (const input of ['file:///etc/passwd', 'ftp://cam/x', 'rtsp://cam/live', 'javascript:alert(1)']) {
      const error = refusal(input, URL_RULES.snapshot);
      expect(error.message).toMatch(
        /^snapshotUrlOverride: .* is not allowed here \(allowed: http:\/\/, https:\/\/\)$/,
      );
    }
    expect(checkUserUrl('rtsp://cam:8554/live', URL_RULES.talkSource).origin).toBe('rtsp://cam:8554');
    expect(() => checkUserUrl('file:///tmp/a.wav', URL_RULES.talkSource)).toThrow(UrlPolicyError);
  });

  it('refuses user info where credentials have settings of their own, without echoing them', () => {
    const error = refusal('https://key:Cloud-Secret9@cloud.example', URL_RULES.cloud);
    expect(error.message).toContain('cloud base URL');
    expect(error.message).not.toContain('Cloud-Secret9');
  });

  it('refuses what is not a URL, has no host, is too long, or hides spaces and control characters', () => {
    expect(refusal('not a url', URL_RULES.webhook).message).toContain('spaces');
    expect(refusal('//cam/x', URL_RULES.webhook).message).toContain('not a URL');
    expect(refusal('http://', URL_RULES.webhook).message).toContain('not a URL');
    expect(refusal(`http://cam/${'a'.repeat(2048)}`, URL_RULES.webhook).message).toContain(
      'longer than 2048',
    );
    expect(refusal('http://cam/a\r\nX-Injected: 1', URL_RULES.webhook).message).toContain('control');
    expect(refusal('http://cam/a\tb', URL_RULES.webhook).message).toContain('spaces');
  });

  it('refuses badly %-encoded user info instead of guessing', () => {
    expect(refusal('http://user:%E0%A4%A@cam/x', URL_RULES.snapshot).message).toContain('%-encoded');
  });

  it('never puts the password into a refusal', () => {
    const inputs = ['ftp://admin:Device-Pass1@cam/x', `http://admin:Device-Pass1@cam/${'a'.repeat(3000)}`];
    for (const input of inputs)
      expect(refusal(input, URL_RULES.snapshot).message).not.toContain('Device-Pass1');
  });
});

describe('origins', () => {
  it('write the default port, so an explicit :80 is the same origin', () => {
    expect(originOf('http://Cam.Example/x')).toBe('http://cam.example:80');
    expect(sameOrigin('http://cam/x', 'http://cam:80/y?z')).toBe(true);
    expect(sameOrigin('https://cam/x', 'https://cam:443')).toBe(true);
    expect(originOf('rtsp://CAM/live')).toBe('rtsp://cam:554');
    expect(originOf('http://[::1]:8080/')).toBe('http://[::1]:8080');
  });

  it('differ in scheme, host or port', () => {
    expect(sameOrigin('http://cam', 'https://cam')).toBe(false);
    expect(sameOrigin('http://cam', 'http://cam:8080')).toBe(false);
    expect(sameOrigin('http://cam', 'http://cam.evil.example')).toBe(false);
    expect(sameOrigin('http://127.0.0.1', 'http://localhost')).toBe(false);
    expect(sameOrigin('http://cam@evil.example/', 'http://cam/')).toBe(false);
    expect(sameOrigin('not a url', 'not a url')).toBe(false);
  });
});

describe('credentialsFor', () => {
  const grants = [
    { origin: 'http://192.0.2.10', credentials: device },
    { origin: 'http://192.0.2.20:8080', credentials: other },
  ];

  it('gives each origin its own credentials', () => {
    expect(credentialsFor('http://192.0.2.10:80/ISAPI/x', grants)).toBe(device);
    expect(credentialsFor(new URL('http://192.0.2.20:8080/pic'), grants)).toBe(other);
  });

  it('gives another origin none, whatever the path or user info says', () => {
    for (const target of [
      'http://192.0.2.11/ISAPI/x',
      'https://192.0.2.10/ISAPI/x',
      'http://192.0.2.10:8080/',
      'http://192.0.2.20/pic',
      'http://192.0.2.10@203.0.113.5/',
    ]) {
      expect(credentialsFor(target, grants)).toBeUndefined();
    }
  });
});

describe('redirectVerdict', () => {
  const sameOriginRules: UrlRules = { ...URL_RULES.snapshot, redirects: 'same-origin', maxRedirects: 2 };
  const from = new URL('http://cam:8080/snap');

  it('follows none where the rules say so', () => {
    const verdict = redirectVerdict(from, '/other', URL_RULES.snapshot, 0);
    expect(verdict).toEqual({ follow: false, reason: expect.stringContaining('not followed') });
  });

  it('follows within the origin, relative or absolute, up to the limit', () => {
    expect(redirectVerdict(from, '/picture.jpg', sameOriginRules, 0)).toEqual({
      follow: true,
      url: new URL('http://cam:8080/picture.jpg'),
    });
    expect(redirectVerdict(from, 'http://CAM:8080/b#frag', sameOriginRules, 1)).toMatchObject({
      follow: true,
    });
    expect(redirectVerdict(from, '/c', sameOriginRules, 2)).toMatchObject({ follow: false });
  });

  it('never follows to another origin, nor to a URL that carries credentials', () => {
    for (const location of [
      'http://evil.example/steal',
      '//evil.example/steal',
      'https://cam:8080/snap',
      'http://cam:8081/snap',
      'http://admin:pw@cam:8080/snap',
      undefined,
      'http://[bad',
    ]) {
      expect(redirectVerdict(from, location, sameOriginRules, 0)).toMatchObject({ follow: false });
    }
  });
});

describe('limits', () => {
  it('every kind of URL has a scheme list, a size and a time limit', () => {
    for (const rules of Object.values(URL_RULES)) {
      expect(rules.schemes.length).toBeGreaterThan(0);
      expect(rules.schemes.every((scheme) => /^[a-z]+:$/.test(scheme))).toBe(true);
      expect(rules.maxLength).toBeGreaterThan(0);
      expect(rules.maxResponseBytes).toBeGreaterThanOrEqual(0);
      expect(rules.timeoutMs).toBeGreaterThan(0);
      // No user-given URL follows a redirect today: its target is nobody's choice.
      expect(rules.redirects).toBe('none');
    }
    expect(URL_RULES.snapshot.maxResponseBytes).toBe(8 * 1024 * 1024);
    expect(URL_RULES.webhook.maxResponseBytes).toBe(64 * 1024);
  });
});

describe('helpers', () => {
  it('isOriginFormPath accepts only a path on the connection it goes to', () => {
    expect(isOriginFormPath('/ISAPI/System/deviceInfo?format=json')).toBe(true);
    for (const path of ['http://evil/x', '//evil/x', 'ISAPI/x', '/a b', '/a\r\nHost: evil', '']) {
      expect(isOriginFormPath(path)).toBe(false);
    }
  });

  it('urlForLog keeps origin and path, drops user info and query', () => {
    expect(urlForLog('http://admin:pw@cam:8080/snap.jpg?token=abc')).toBe('http://cam:8080/snap.jpg');
    expect(urlForLog('garbage')).toBe('(not a URL)');
  });
});
