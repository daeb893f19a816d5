/**
 * Users through a real gateway: `GET/POST /api/v1/users` and `DELETE /api/v1/users/{id}`. Bad
 * names and short passwords are refused in words with nothing added; names are unique ignoring
 * case (also when two requests race); a new user signs in with a password stored only as a
 * scrypt hash; removing a user ends its sessions and API tokens at once; nobody removes
 * themselves or the last user. No password or hash shows in any answer, and the harness's
 * secret scan checks every answer and log line when the gateway stops. On SQLite and PostgreSQL
 * (the case-insensitive lookup and the removal are SQL of their own).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { stopPostgresServer, withPostgresDatabase } from '../support/postgres.ts';

const BOB_PASSWORD = 'Bob-Secret-Pass-71';
const CAROL_PASSWORD = 'Carol-Secret-Pass-28';

let gw: TestGateway;

interface UserView {
  id: string;
  username: string;
  createdAt: string;
  you: boolean;
}

async function users(token?: string): Promise<UserView[]> {
  const answer = await gw.api('GET', '/api/v1/users', token ? { token } : {});
  expect(answer.status, answer.text).toBe(200);
  return answer.json;
}

function addUser(username: unknown, password: unknown, token?: string) {
  return gw.api('POST', '/api/v1/users', { body: { username, password }, ...(token ? { token } : {}) });
}

async function login(username: string, password: string): Promise<{ status: number; token?: string }> {
  const answer = await gw.api('POST', '/api/v1/auth/login', { body: { username, password }, token: null });
  return { status: answer.status, token: answer.json?.token };
}

function noSecretsIn(text: string): void {
  for (const secret of [ADMIN_PASSWORD, BOB_PASSWORD, CAROL_PASSWORD, 'scrypt$', 'passwordHash']) {
    expect(text).not.toContain(secret);
  }
}

afterAll(async () => {
  await stopPostgresServer();
});

describe.each(['sqlite', 'postgres'] as const)('users on %s', (database) => {
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (database === 'postgres') {
      const postgres = await withPostgresDatabase();
      dropDatabase = postgres.drop;
      gw = await startTestGateway({ databaseUrl: postgres.url });
    } else gw = await startTestGateway();
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await dropDatabase?.();
  });

  it('lists the admin as "you", without any hash', async () => {
    const answer = await gw.api('GET', '/api/v1/users');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual([
      { id: expect.any(String), username: 'admin', createdAt: expect.any(String), you: true },
    ]);
    noSecretsIn(answer.text);
  });

  it('refuses bad names and short passwords in words, and adds nobody', async () => {
    const cases: Array<[unknown, unknown, RegExp]> = [
      ['', BOB_PASSWORD, /^The username is empty; no user was added\.$/],
      ['bob smith', BOB_PASSWORD, /only letters \(a-z, A-Z\), digits, dots, underscores and hyphens/],
      ['bøb', BOB_PASSWORD, /only letters \(a-z, A-Z\), digits/],
      ['b'.repeat(65), BOB_PASSWORD, /65 characters long; at most 64/],
      ['bob', 'short12', /password must be at least 8 characters long; no user was added/],
      ['bob', '', /body\.password/],
      [7, BOB_PASSWORD, /body\.username: must be string/],
      [undefined, BOB_PASSWORD, /"username" is required/],
    ];
    for (const [username, password, message] of cases) {
      const answer = await addUser(username, password);
      expect(answer.status, `${String(username)}: ${answer.text}`).toBe(400);
      expect(answer.json.error.message).toMatch(message);
    }
    const extra = await gw.api('POST', '/api/v1/users', {
      body: { username: 'bob', password: BOB_PASSWORD, admin: true },
    });
    expect(extra.status).toBe(400);
    expect((await users()).map((user) => user.username)).toEqual(['admin']);
    expect((await login('bob', BOB_PASSWORD)).status).toBe(401);
  });

  it('adds a user who signs in; the password is kept only as a scrypt hash', async () => {
    const added = await addUser('bob.smith_2-x', BOB_PASSWORD);
    expect(added.status, added.text).toBe(201);
    expect(added.json).toEqual({
      id: expect.any(String),
      username: 'bob.smith_2-x',
      createdAt: expect.any(String),
      you: false,
    });
    noSecretsIn(added.text);
    const stored = await gw.gateway.store.users.get(added.json.id);
    expect(stored!.passwordHash).toMatch(/^scrypt\$/);
    expect(stored!.passwordHash).not.toContain(BOB_PASSWORD);

    const session = await login('bob.smith_2-x', BOB_PASSWORD);
    expect(session.status).toBe(200);
    const me = await gw.api('GET', '/api/v1/auth/me', { token: session.token! });
    expect(me.json.username).toBe('bob.smith_2-x');
    // Every user is an administrator: bob sees the list, with himself as "you".
    const seenByBob = await users(session.token);
    expect(seenByBob.map((user) => [user.username, user.you])).toEqual([
      ['admin', false],
      ['bob.smith_2-x', true],
    ]);
    expect(gw.logs()).toContain('user added');
    await gw.api('DELETE', `/api/v1/users/${added.json.id}`);
  });

  it('refuses a name taken ignoring case with 409 in words, also when two requests race', async () => {
    const taken = await addUser('ADMIN', CAROL_PASSWORD);
    expect(taken.status).toBe(409);
    expect(taken.json.error.message).toBe(
      'There is already a user named "admin" (names are compared ignoring case); choose another name.',
    );
    const [first, second] = await Promise.all([
      addUser('Carol', CAROL_PASSWORD),
      addUser('carol', CAROL_PASSWORD),
    ]);
    expect([first.status, second.status].sort()).toEqual([201, 409]);
    const names = (await users()).map((user) => user.username.toLowerCase());
    expect(names.filter((name) => name === 'carol')).toHaveLength(1);
    const carol = (await users()).find((user) => user.username.toLowerCase() === 'carol')!;
    expect((await gw.api('DELETE', `/api/v1/users/${carol.id}`)).status).toBe(204);
  });

  it("removing a user ends its sessions and API tokens at once; others' stay", async () => {
    const bob = (await addUser('bob', BOB_PASSWORD)).json as UserView;
    const session = (await login('bob', BOB_PASSWORD)).token!;
    const second = (await login('bob', BOB_PASSWORD)).token!;
    const bobsToken = await gw.api('POST', '/api/v1/tokens', {
      body: { name: 'bob script' },
      token: session,
    });
    expect(bobsToken.status).toBe(201);
    const adminsToken = (await gw.api('POST', '/api/v1/tokens', { body: { name: 'admin script' } })).json;
    for (const token of [session, second, bobsToken.json.token]) {
      expect((await gw.api('GET', '/api/v1/devices', { token })).status).toBe(200);
    }

    const removed = await gw.api('DELETE', `/api/v1/users/${bob.id}`);
    expect(removed.status, removed.text).toBe(204);
    for (const token of [session, second, bobsToken.json.token]) {
      const refused = await gw.api('GET', '/api/v1/devices', { token });
      expect(refused.status).toBe(401);
      expect(refused.json.error.code).toBe('unauthorized');
    }
    expect((await gw.gateway.store.tokens.list()).filter((token) => token.userId === bob.id)).toEqual([]);
    expect((await gw.api('GET', '/api/v1/tokens')).json.map((token: { name: string }) => token.name)).toEqual(
      ['admin script'],
    );
    expect((await gw.api('GET', '/api/v1/auth/me', { token: adminsToken.token })).status).toBe(200);
    expect((await gw.api('GET', '/api/v1/auth/me')).status).toBe(200);
    expect((await login('bob', BOB_PASSWORD)).status).toBe(401);
    expect(gw.logs()).toMatch(/"username":"bob".*"endedSessions":2.*"revokedTokens":1.*user removed/);

    const again = await gw.api('DELETE', `/api/v1/users/${bob.id}`);
    expect(again.status).toBe(404);
    expect(again.json.error.message).toBe(`No user with id "${bob.id}".`);
    await gw.api('DELETE', `/api/v1/tokens/${adminsToken.id}`);
  });

  it('nobody removes themselves, and the last user stays', async () => {
    const admin = (await users())[0]!;
    const self = await gw.api('DELETE', `/api/v1/users/${admin.id}`);
    expect(self.status).toBe(409);
    expect(self.json.error.message).toMatch(/^You are signed in as "admin" and cannot remove yourself/);

    // A token that belongs to no user is nobody: only the last-user rule holds it back.
    const orphan = await gw.gateway.auth.createApiToken('orphan', null);
    const last = await gw.api('DELETE', `/api/v1/users/${admin.id}`, { token: orphan.token });
    expect(last.status).toBe(409);
    expect(last.json.error.message).toBe(
      '"admin" is the last user; add another user before removing this one, or nobody could sign in.',
    );
    expect((await gw.api('GET', '/api/v1/auth/me')).status).toBe(200);

    // With a second user, one may remove the other (every user is an administrator).
    const carol = (await addUser('carol', CAROL_PASSWORD)).json as UserView;
    const carolSession = (await login('carol', CAROL_PASSWORD)).token!;
    const byCarol = await gw.api('DELETE', `/api/v1/users/${carol.id}`, { token: carolSession });
    expect(byCarol.status).toBe(409);
    expect((await gw.api('DELETE', `/api/v1/users/${carol.id}`, { token: orphan.token })).status).toBe(204);
    await gw.api('DELETE', `/api/v1/tokens/${orphan.record.id}`);
    expect((await users()).map((user) => user.username)).toEqual(['admin']);
  });

  it('no password or hash in any answer or log line so far', async () => {
    noSecretsIn(gw.logs());
    expect(gw.scan.secretCount).toBeGreaterThanOrEqual(3);
    expect(await gw.scan.findLeaks()).toEqual([]);
  });
});
