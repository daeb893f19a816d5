/**
 * Who may use the API: users of the UI (the first, an administrator, created on first start;
 * the others added by a user — every user is an administrator, there are no roles yet) and API
 * tokens for programs. Passwords are scrypt-hashed and tokens SHA-256-hashed at rest; failed logins
 * are rate limited per client address.
 */
import type { Config } from '../../core/config/index.ts';
import { AppError, ConflictError, NotFoundError } from '../../core/errors.ts';
import type { Principal } from '../../core/http.ts';
import type { Logger } from '../../core/logger.ts';
import type { Store, TokenRecord, UserRecord } from '../../core/store/types.ts';
import { generatePassword, hashPassword, hashToken, newToken, verifyPassword } from './passwords.ts';

type AuthSettings = Config['auth'];

/** Remembers failed logins per client address in a bounded map. */
class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  private static readonly MAX_CLIENTS = 10_000;

  constructor(private readonly settings: AuthSettings['login']) {}

  /** Seconds until the client may try again, or 0. */
  retryAfter(client: string): number {
    const recent = this.recent(client);
    if (recent.length < this.settings.maxAttempts) return 0;
    const oldest = recent[0]!;
    return Math.max(1, Math.ceil((oldest + this.settings.windowSeconds * 1000 - Date.now()) / 1000));
  }

  fail(client: string): void {
    if (this.failures.size >= LoginLimiter.MAX_CLIENTS && !this.failures.has(client)) {
      this.failures.delete(this.failures.keys().next().value as string);
    }
    this.failures.set(client, [...this.recent(client), Date.now()]);
  }

  succeed(client: string): void {
    this.failures.delete(client);
  }

  private recent(client: string): number[] {
    const since = Date.now() - this.settings.windowSeconds * 1000;
    return (this.failures.get(client) ?? []).filter((at) => at > since);
  }
}

export class AuthService {
  private readonly limiter: LoginLimiter;
  private userChanges: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly settings: AuthSettings,
    private readonly logger: Logger,
    /** Told of every revoked token, so what was opened with it closes too. */
    private readonly onRevoked: (tokenIds: string[]) => void = () => {},
  ) {
    this.limiter = new LoginLimiter(settings.login);
  }

  /**
   * Creates the admin account on first start. Returns the generated password when one was made
   * (the caller prints it once, to the console, never to the log).
   */
  async ensureAdmin(): Promise<{ username: string; generatedPassword?: string } | undefined> {
    if ((await this.store.users.count()) > 0) return undefined;
    const password = this.settings.adminPassword ?? generatePassword();
    await this.store.users.insert({
      username: this.settings.adminUsername,
      passwordHash: await hashPassword(password),
    });
    this.logger.info({ username: this.settings.adminUsername }, 'admin account created');
    return this.settings.adminPassword
      ? { username: this.settings.adminUsername }
      : { username: this.settings.adminUsername, generatedPassword: password };
  }

  async login(
    username: string,
    password: string,
    client: string,
  ): Promise<{ token: string; expiresAt: string }> {
    const wait = this.limiter.retryAfter(client);
    if (wait > 0) {
      throw new AppError('too_many_attempts', 429, `Too many failed logins; try again in ${wait} s.`, {
        retryAfter: wait,
      });
    }
    const user = await this.store.users.getByUsername(username);
    const ok = user
      ? await verifyPassword(password, user.passwordHash)
      : await verifyPassword(password, DUMMY_HASH);
    if (!user || !ok) {
      this.limiter.fail(client);
      this.logger.warn({ username, client }, 'failed login');
      throw new AppError('bad_login', 401, 'Wrong username or password.');
    }
    this.limiter.succeed(client);
    const token = newToken('hb_session');
    const expiresAt = new Date(Date.now() + this.settings.sessionTtlHours * 3600_000).toISOString();
    await this.store.tokens.insert({
      kind: 'session',
      name: `session for ${user.username}`,
      tokenHash: hashToken(token),
      userId: user.id,
      lastUsedAt: null,
      expiresAt,
    });
    return { token, expiresAt };
  }

  /**
   * Changes a user's password after checking the current one (a wrong one counts against the
   * same per-client limit as logins). The user's other sessions end, since whoever opened them
   * may be why the password changes; `keepTokenId` (the session asking) and API tokens stay.
   */
  async changePassword(
    userId: string,
    keepTokenId: string,
    passwords: { current: string; next: string },
    client: string,
  ): Promise<{ endedSessions: number }> {
    const wait = this.limiter.retryAfter(client);
    if (wait > 0) {
      throw new AppError('too_many_attempts', 429, `Too many wrong passwords; try again in ${wait} s.`, {
        retryAfter: wait,
      });
    }
    if (passwords.next.length < MIN_PASSWORD_LENGTH) {
      throw new AppError(
        'weak_password',
        400,
        `The new password must be at least ${MIN_PASSWORD_LENGTH} characters long; the password was not changed.`,
      );
    }
    if (passwords.next === passwords.current) {
      throw new AppError(
        'same_password',
        400,
        'The new password is the same as the current one; choose a different one.',
      );
    }
    const user = await this.store.users.get(userId);
    const ok = await verifyPassword(passwords.current, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      this.limiter.fail(client);
      this.logger.warn({ username: user?.username, client }, 'wrong current password on a password change');
      throw new AppError(
        'wrong_password',
        401,
        'The current password is wrong; the password was not changed.',
      );
    }
    this.limiter.succeed(client);
    await this.store.users.setPasswordHash(user.id, await hashPassword(passwords.next));
    const others = (await this.store.tokens.list('session')).filter(
      (token) => token.userId === user.id && token.id !== keepTokenId,
    );
    for (const token of others) await this.store.tokens.delete(token.id);
    if (others.length) this.onRevoked(others.map((token) => token.id));
    this.logger.info({ username: user.username, endedSessions: others.length }, 'password changed');
    return { endedSessions: others.length };
  }

  async createApiToken(name: string, userId: string | null): Promise<{ token: string; record: TokenRecord }> {
    const token = newToken('hb_api');
    const record = await this.store.tokens.insert({
      kind: 'api',
      name,
      tokenHash: hashToken(token),
      userId,
      lastUsedAt: null,
      expiresAt: null,
    });
    return { token, record };
  }

  /** The principal behind a bearer token, or undefined when it is unknown or expired. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const record = await this.store.tokens.findByHash(hashToken(token));
    if (!record) return undefined;
    const now = new Date().toISOString();
    if (record.expiresAt && record.expiresAt <= now) {
      await this.store.tokens.delete(record.id);
      this.onRevoked([record.id]);
      return undefined;
    }
    // Last-used times are for the token list; minute precision is plenty and saves writes.
    if (!record.lastUsedAt || Date.parse(now) - Date.parse(record.lastUsedAt) > 60_000) {
      await this.store.tokens.touch(record.id, now);
    }
    return { kind: record.kind, tokenId: record.id, userId: record.userId, name: record.name };
  }

  /**
   * Credentials a video player presented to MediaMTX: a bearer token, an API/session token as
   * the password (any user name), or a hikbridge user's password. Failures count against the
   * same login limit as the API's, per user name, so players cannot guess passwords either.
   */
  async verifyViewer(credentials: { user: string; password: string; token: string }): Promise<boolean> {
    const token =
      credentials.token || (/^hb_(api|session)_/.test(credentials.password) ? credentials.password : '');
    if (token) return (await this.authenticate(token)) !== undefined;
    const client = `viewer:${credentials.user}`;
    if (!credentials.user || !credentials.password || this.limiter.retryAfter(client) > 0) return false;
    const user = await this.store.users.getByUsername(credentials.user);
    const ok = await verifyPassword(credentials.password, user?.passwordHash ?? DUMMY_HASH);
    if (user && ok) {
      this.limiter.succeed(client);
      return true;
    }
    this.limiter.fail(client);
    return false;
  }

  /** Every user, oldest first (the records hold hashes: callers show only names and times). */
  async users(): Promise<UserRecord[]> {
    return this.store.users.list();
  }

  /**
   * Adds a user (an administrator like every user: there are no roles yet). The name is checked
   * here rather than by the schema so a refusal says what is wrong in words.
   */
  async addUser(username: string, password: string, addedBy: string | undefined): Promise<UserRecord> {
    const problem = usernameProblem(username);
    if (problem) throw new AppError('invalid_username', 400, `${problem}; no user was added.`);
    if (password.length < MIN_PASSWORD_LENGTH) {
      throw new AppError(
        'weak_password',
        400,
        `The password must be at least ${MIN_PASSWORD_LENGTH} characters long; no user was added.`,
      );
    }
    const passwordHash = await hashPassword(password);
    return this.oneUserChangeAtATime(async () => {
      const existing = await this.store.users.findByUsernameIgnoringCase(username);
      if (existing) {
        throw new ConflictError(
          `There is already a user named "${existing.username}" (names are compared ignoring case); choose another name.`,
        );
      }
      const user = await this.store.users.insert({ username, passwordHash });
      this.logger.info({ username, addedBy }, 'user added');
      return user;
    });
  }

  /**
   * Removes a user with its sessions and the API tokens it owns, so they stop working at once.
   * Nobody removes themselves (an admin locked out by a slip), and the last user stays.
   */
  async removeUser(
    id: string,
    askingUserId: string | null,
  ): Promise<{ endedSessions: number; revokedTokens: number }> {
    return this.oneUserChangeAtATime(async () => {
      const user = await this.store.users.get(id);
      if (!user) throw new NotFoundError('user', id);
      if (user.id === askingUserId) {
        throw new ConflictError(
          `You are signed in as "${user.username}" and cannot remove yourself; sign in as another user to remove this one.`,
        );
      }
      if ((await this.store.users.count()) <= 1) {
        throw new ConflictError(
          `"${user.username}" is the last user; add another user before removing this one, or nobody could sign in.`,
        );
      }
      const owned = (await this.store.tokens.list()).filter((token) => token.userId === user.id);
      const endedSessions = owned.filter((token) => token.kind === 'session').length;
      const revokedTokens = owned.length - endedSessions;
      await this.store.users.delete(user.id);
      if (owned.length) this.onRevoked(owned.map((token) => token.id));
      this.logger.info({ username: user.username, endedSessions, revokedTokens }, 'user removed');
      return { endedSessions, revokedTokens };
    });
  }

  /** Checks and writes of users run one after another, so two requests cannot both pass a check. */
  private oneUserChangeAtATime<T>(change: () => Promise<T>): Promise<T> {
    const result = this.userChanges.then(change);
    this.userChanges = result.catch(() => undefined);
    return result;
  }

  async revoke(tokenId: string): Promise<boolean> {
    const deleted = await this.store.tokens.delete(tokenId);
    if (deleted) this.onRevoked([tokenId]);
    return deleted;
  }

  async user(id: string): Promise<UserRecord | undefined> {
    return this.store.users.get(id);
  }
}

/** Letters, digits, dot, underscore and hyphen: safe in a URL's user part and a log line. */
const USERNAME_PATTERN = /^[A-Za-z0-9._-]+$/;
const MAX_USERNAME_LENGTH = 64;

/** What is wrong with a new username, in words, or undefined when it will do. */
function usernameProblem(username: string): string | undefined {
  if (username.length === 0) return 'The username is empty';
  if (username.length > MAX_USERNAME_LENGTH) {
    return `The username is ${username.length} characters long; at most ${MAX_USERNAME_LENGTH} are allowed`;
  }
  if (!USERNAME_PATTERN.test(username)) {
    return 'A username may hold only letters (a-z, A-Z), digits, dots, underscores and hyphens';
  }
  return undefined;
}

/** The same floor as the configured admin password's. */
const MIN_PASSWORD_LENGTH = 8;

/** Verifying against a fixed hash keeps unknown usernames as slow as wrong passwords. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
