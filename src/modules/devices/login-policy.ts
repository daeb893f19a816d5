/**
 * Whether hikbridge may log in to a device: the one place that decides it.
 *
 * Hikvision devices lock a user after a few failed logins (often 5, for 30 minutes), and every
 * refused login counts, whoever sends it: the health check, the event stream, the doorbell
 * poller, snapshots, talk, the doctor. So:
 * - the device says our credentials are wrong: no login at all until the user changes them or
 *   asks for a retry;
 * - the device says the user is locked: nothing before the lock ends (its unlock time, or
 *   `DEFAULT_LOCK_SECONDS` when it does not say), then one try by the health check, since the
 *   lock may have come from someone else's failed logins. Locked again after that try means our
 *   password is the wrong one: as above.
 *
 * It is enforced in the device's shared client, which every module borrows: the client keeps its
 * block after a refusal until the supervisor lifts it (`clientOptions`), and a second lock in a
 * row becomes a refusal there (`judgeAuthFailure`). Operations that open clients of their own
 * (doctor, refresh, snapshot overrides) are refused first (`loginBlockedError`).
 */
import { AppError } from '../../core/errors.ts';
import { BadCredentialsError, DeviceError, LockedOutError } from '../../protocols/http/errors.ts';
import type { AuthFailureInfo } from '../../protocols/http/types.ts';
import type { IsapiClientOptions } from '../../protocols/isapi/client.ts';

/**
 * Answers to our credentials that only the user can fix: a wrong password, or a 401 that names
 * no way to log in (the doorbell case; the device may count it as a failed login all the same).
 */
const REFUSALS: ReadonlySet<string> = new Set(['bad_credentials', 'auth_unsupported']);

/** Hikvision's usual lock length, assumed when a lock answer does not say how long. */
export const DEFAULT_LOCK_SECONDS = 1800;

export interface LoginBlock {
  code: 'bad_credentials' | 'auth_unsupported' | 'locked_out';
  /** The device's answer in the user's words. */
  message: string;
  /** When the device's lock ends (epoch ms), while it is locked. */
  lockedUntil: number | undefined;
  /** One try is allowed once the lock has ended; otherwise only the user lifts the block. */
  retryAfterLock: boolean;
}

export class LoginPolicy {
  private current: LoginBlock | undefined;
  /** End of the last lock the device reported since our last accepted login (epoch ms). */
  private lockEnds: number | undefined;
  /** The client may hold a block from a refusal: lift it right before the next try this policy allows. */
  private clientBlocked = false;

  constructor(
    private readonly host: string,
    private readonly username: string,
  ) {}

  /** What a device client needs to follow this policy. */
  clientOptions(): Pick<IsapiClientOptions, 'authRetryDelayMs' | 'judgeAuthFailure'> {
    return {
      // A refused login blocks the client until the supervisor lifts it, never by itself.
      authRetryDelayMs: Number.POSITIVE_INFINITY,
      judgeAuthFailure: (info) => this.judgeAuthFailure(info),
    };
  }

  get block(): LoginBlock | undefined {
    return this.current;
  }

  /** No block, or the device's lock has ended and its one try is due. */
  mayTryNow(now = Date.now()): boolean {
    const block = this.current;
    if (!block) return true;
    return block.retryAfterLock && (block.lockedUntil ?? 0) <= now;
  }

  /**
   * Called with the error of a failed request; returns the block when it was a login refusal.
   * Errors the client raises while blocked say the same as the refusal that started the block.
   */
  observe(error: unknown): LoginBlock | undefined {
    if (!(error instanceof DeviceError)) return undefined;
    if (error.code === 'not_activated') {
      // The client blocked itself, but a device with no users has no lockout: try on the back-off.
      this.clientBlocked = true;
      return undefined;
    }
    if (REFUSALS.has(error.code)) {
      this.current = {
        code: error.code as LoginBlock['code'],
        message: error.message,
        lockedUntil: this.lockedUntil(),
        retryAfterLock: false,
      };
    } else if (error instanceof LockedOutError) {
      const stated = error.unlockInSeconds ?? DEFAULT_LOCK_SECONDS;
      this.lockEnds = this.lockedUntil() ?? Date.now() + stated * 1000;
      this.current = {
        code: 'locked_out',
        message: error.message,
        lockedUntil: this.lockEnds,
        retryAfterLock: true,
      };
    } else {
      return undefined;
    }
    this.clientBlocked = true;
    return this.current;
  }

  /** A login worked: whatever blocked it is over. */
  accepted(): void {
    this.current = undefined;
    this.lockEnds = undefined;
    this.clientBlocked = false;
  }

  /**
   * The user fixed the credentials on the device and asks for a try. A lock the device still
   * holds is waited out first: a try into it would be refused anyway.
   */
  reset(): void {
    const lockedUntil = this.lockedUntil();
    this.current = lockedUntil
      ? { code: 'locked_out', message: this.lockMessage(lockedUntil), lockedUntil, retryAfterLock: true }
      : undefined;
    this.clientBlocked = true;
  }

  /** True once: the client's own block must be lifted before the try that is due now. */
  takeClientReset(): boolean {
    const due = this.clientBlocked && this.mayTryNow();
    if (due) this.clientBlocked = false;
    return due;
  }

  /**
   * Runs inside the client on every refused login, before it decides what to do. Besides locks:
   * a refusal that counts down the attempts left was a failed login, even when it answered a
   * cached nonce (the password changed on the device). Without this the client would try once
   * more with a fresh challenge, a second failed login. An expired nonce is not at stake: it gets
   * `stale=true` (the client then re-challenges without asking here).
   */
  private judgeAuthFailure(info: AuthFailureInfo): AuthFailureInfo {
    if (info.error) return info;
    if (info.lockedForSeconds === undefined) {
      if (info.attemptsLeft === undefined) return info;
      return { error: new BadCredentialsError(this.host, this.username, info.attemptsLeft) };
    }
    const now = Date.now();
    const lockedAgain = this.lockEnds !== undefined && this.lockEnds <= now;
    const seconds = info.lockedForSeconds > 0 ? info.lockedForSeconds : DEFAULT_LOCK_SECONDS;
    this.lockEnds = now + seconds * 1000;
    // Our one try after a lock was answered with a new lock: it was our password that failed.
    if (lockedAgain) return { error: new BadCredentialsError(this.host, this.username) };
    return { ...info, lockedForSeconds: seconds };
  }

  private lockedUntil(): number | undefined {
    return this.lockEnds !== undefined && this.lockEnds > Date.now() ? this.lockEnds : undefined;
  }

  private lockMessage(until: number): string {
    return new LockedOutError(this.host, this.username, Math.ceil((until - Date.now()) / 1000)).message;
  }
}

/** The API's answer to an operation that would log in while logins are on hold. */
export function loginBlockedError(deviceName: string, block: LoginBlock): AppError {
  return new AppError(
    'device_login_blocked',
    409,
    `hikbridge does not log in to "${deviceName}" for now: ${block.message} ${retryHint(block)}`,
  );
}

/** What the user can do about a block, for health and API messages. */
export function retryHint(block: LoginBlock): string {
  if (block.retryAfterLock) return 'hikbridge tries once more when the lock ends.';
  return 'Change the credentials in hikbridge, or fix them on the device and press "Retry login".';
}
