/** The password from a command's URL is masked in everything the command prints. */
import { describe, expect, it } from 'vitest';
import { PASSWORD_MASK, passwordOf, withoutPassword, withoutUrlPassword } from '../../src/cli/credentials.ts';

const PASSWORD = 'S3cret:pa@ss#1"\\';
const URL_WITH_PASSWORD = `http://admin:${encodeURIComponent(PASSWORD)}@192.0.2.10:8080`;

describe('passwordOf', () => {
  it('reads the decoded password, or nothing from a URL without one or no URL at all', () => {
    expect(passwordOf(URL_WITH_PASSWORD)).toBe(PASSWORD);
    expect(passwordOf('http://192.0.2.10')).toBe('');
    expect(passwordOf('camera-at-home')).toBe('');
    expect(passwordOf('ftp://admin:secret@host')).toBe('');
  });
});

describe('withoutPassword', () => {
  it('masks the password as typed, percent-encoded and escaped inside JSON', () => {
    const text = [
      `plain ${PASSWORD}`,
      `encoded ${encodeURIComponent(PASSWORD)}`,
      `json ${JSON.stringify({ password: PASSWORD })}`,
    ].join('\n');
    const clean = withoutPassword(text, PASSWORD);
    expect(clean).not.toContain('S3cret');
    expect(clean.split(PASSWORD_MASK)).toHaveLength(4);
  });

  it('masks the form the URL carries, which may differ from encodeURIComponent', () => {
    // "!" and "*" are left alone by encodeURIComponent; a user may still write them encoded.
    const url = 'http://admin:Bang%21Star%2A9@192.0.2.10';
    expect(passwordOf(url)).toBe('Bang!Star*9');
    const clean = withoutUrlPassword(`request to ${url} failed`, url);
    expect(clean).toBe(`request to http://admin:${PASSWORD_MASK}@192.0.2.10 failed`);
  });

  it('masks even a short password, and leaves text alone when there is none', () => {
    expect(withoutPassword('login 12 failed at 12:00', '12')).toBe(
      `login ${PASSWORD_MASK} failed at ${PASSWORD_MASK}:00`,
    );
    expect(withoutPassword('nothing to hide', '')).toBe('nothing to hide');
  });
});
