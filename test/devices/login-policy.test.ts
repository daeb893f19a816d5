/**
 * The login policy's rules on their own (devices/login-policy.ts); the gateway suites in
 * test/faults show them against simulated devices. The clock is faked (Date only): the policy
 * has no timers, it compares times.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_LOCK_SECONDS, LoginPolicy } from '../../src/modules/devices/login-policy.ts';
import { BadCredentialsError, DeviceError, LockedOutError } from '../../src/protocols/http/errors.ts';
import type { AuthFailureInfo } from '../../src/protocols/http/types.ts';
import { NotActivatedError } from '../../src/protocols/isapi/errors.ts';

const HOST = '192.0.2.10:80';

let policy: LoginPolicy;
let judge: (info: AuthFailureInfo) => AuthFailureInfo;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-01-01T00:00:00Z') });
  policy = new LoginPolicy(HOST, 'admin');
  const options = policy.clientOptions();
  judge = options.judgeAuthFailure!;
  expect(options.authRetryDelayMs).toBe(Number.POSITIVE_INFINITY);
});

afterEach(() => {
  vi.useRealTimers();
});

/** What the client throws for a lock answer the policy judged. */
function lockAnswer(seconds: number): LockedOutError {
  const judged = judge({ lockedForSeconds: seconds });
  if (judged.error) throw judged.error;
  return new LockedOutError(HOST, 'admin', judged.lockedForSeconds);
}

describe('a refused password', () => {
  it('holds every login until the user acts, then allows one try', () => {
    const block = policy.observe(new BadCredentialsError(HOST, 'admin', 4));
    expect(block).toMatchObject({ code: 'bad_credentials', retryAfterLock: false });
    vi.setSystemTime(Date.now() + 24 * 3600_000);
    expect(policy.mayTryNow()).toBe(false);
    expect(policy.takeClientReset()).toBe(false);

    policy.reset();
    expect(policy.block).toBeUndefined();
    expect(policy.mayTryNow()).toBe(true);
    expect(policy.takeClientReset()).toBe(true);
    expect(policy.takeClientReset()).toBe(false);
  });

  it('a refusal that counts down the attempts left is not tried again with a new challenge', () => {
    const judged = judge({ attemptsLeft: 4 });
    expect(judged.error).toBeInstanceOf(BadCredentialsError);
    expect((judged.error as BadCredentialsError).attemptsLeft).toBe(4);
    expect(judge({})).toEqual({});
    const explained = new NotActivatedError(HOST);
    expect(judge({ error: explained, attemptsLeft: 3 }).error).toBe(explained);
  });

  it('a 401 naming no way to log in holds logins too', () => {
    const error = new DeviceError('auth_unsupported', 'no challenge');
    expect(policy.observe(error)).toMatchObject({ code: 'auth_unsupported', retryAfterLock: false });
  });
});

describe('a device lock', () => {
  it('is waited out to its stated end, then one try is due', () => {
    const block = policy.observe(lockAnswer(120));
    expect(block).toMatchObject({ code: 'locked_out', retryAfterLock: true });
    expect(block!.lockedUntil).toBe(Date.now() + 120_000);
    vi.setSystemTime(Date.now() + 119_000);
    expect(policy.mayTryNow()).toBe(false);
    vi.setSystemTime(Date.now() + 1000);
    expect(policy.mayTryNow()).toBe(true);
    expect(policy.takeClientReset()).toBe(true);
  });

  it('without a stated length lasts the usual 30 minutes', () => {
    const block = policy.observe(lockAnswer(0));
    expect(block!.lockedUntil).toBe(Date.now() + DEFAULT_LOCK_SECONDS * 1000);
  });

  it('answered again to the try after it: our password is the wrong one', () => {
    policy.observe(lockAnswer(60));
    // A second request in flight when the lock began gets the same answer: still that lock.
    expect(judge({ lockedForSeconds: 59 })).toEqual({ lockedForSeconds: 59 });
    vi.setSystemTime(Date.now() + 60_000);
    const judged = judge({ lockedForSeconds: 60 });
    expect(judged.error).toBeInstanceOf(BadCredentialsError);
    expect(policy.observe(judged.error)).toMatchObject({ code: 'bad_credentials', retryAfterLock: false });
    expect(policy.mayTryNow()).toBe(false);
  });

  it('after a login that worked, a later lock is a new first lock', () => {
    policy.observe(lockAnswer(60));
    vi.setSystemTime(Date.now() + 60_000);
    policy.accepted();
    vi.setSystemTime(Date.now() + 3600_000);
    expect(judge({ lockedForSeconds: 60 })).toEqual({ lockedForSeconds: 60 });
  });

  it('"Retry login" while the device still holds the lock waits for its end', () => {
    policy.observe(lockAnswer(60));
    vi.setSystemTime(Date.now() + 60_000);
    policy.observe(judge({ lockedForSeconds: 60 }).error); // locked again: held for the user
    vi.setSystemTime(Date.now() + 10_000);
    policy.reset();
    expect(policy.block).toMatchObject({ code: 'locked_out', retryAfterLock: true });
    expect(policy.mayTryNow()).toBe(false);
    vi.setSystemTime(Date.now() + 50_000);
    expect(policy.mayTryNow()).toBe(true);
  });
});

it('a device that is not activated blocks no login, but its client block is lifted for the next try', () => {
  expect(policy.observe(new NotActivatedError(HOST))).toBeUndefined();
  expect(policy.mayTryNow()).toBe(true);
  expect(policy.takeClientReset()).toBe(true);
});

it('errors that are not about logging in change nothing', () => {
  expect(policy.observe(new DeviceError('unreachable', 'gone'))).toBeUndefined();
  expect(policy.observe(new Error('bug'))).toBeUndefined();
  expect(policy.takeClientReset()).toBe(false);
});
