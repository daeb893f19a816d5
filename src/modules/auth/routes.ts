/** The API's own accounts: login and logout (session cookie), who am I, users, and API tokens. */
import { Type } from 'typebox';
import { AppError, NotFoundError } from '../../core/errors.ts';
import { ErrorBody, IdParams, Nullable, type RoutePlugin } from '../../core/http.ts';
import type { Store, TokenRecord, UserRecord } from '../../core/store/types.ts';
import { csrfTokenFor, requestToken, SESSION_COOKIE } from './cookie.ts';
import type { AuthService } from './service.ts';

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
const LoginResult = Type.Object({
  token: Type.String(),
  expiresAt: Type.String(),
  csrfToken: Type.String({
    description: 'Send it as `x-csrf-token` with every change made with the session cookie',
  }),
});

const PasswordChangeBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 256 }),
    newPassword: Type.String({ minLength: 1, maxLength: 256, description: 'At least 8 characters' }),
  },
  { additionalProperties: false },
);
const PasswordChanged = Type.Object({
  changed: Type.Literal(true),
  endedSessions: Type.Integer({ description: "The user's other sessions, now signed out" }),
});

const TokenCreateBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
const TokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  createdAt: Type.String(),
  lastUsedAt: Nullable(Type.String()),
  expiresAt: Nullable(Type.String()),
});
const TokenCreated = Type.Object({ id: Type.String(), name: Type.String(), token: Type.String() });

const EVERY_USER_IS_ADMIN =
  'Every user is an administrator: there are no roles yet, so a user may do everything, including adding and removing users.';

const UserView = Type.Object({
  id: Type.String(),
  username: Type.String(),
  createdAt: Type.String(),
  you: Type.Boolean({ description: 'Whether this is the user the request comes from' }),
});
const UserCreateBody = Type.Object(
  {
    // Bounds only: the service says in words what a good name is.
    username: Type.String({
      maxLength: 256,
      description: '1-64 letters (a-z, A-Z), digits, dots, underscores and hyphens; unique ignoring case',
    }),
    password: Type.String({ minLength: 1, maxLength: 256, description: 'At least 8 characters' }),
  },
  { additionalProperties: false },
);

function userView(user: UserRecord, askingUserId: string | null) {
  return { id: user.id, username: user.username, createdAt: user.createdAt, you: user.id === askingUserId };
}

function tokenView(token: TokenRecord) {
  return {
    id: token.id,
    name: token.name,
    kind: token.kind,
    createdAt: token.createdAt,
    lastUsedAt: token.lastUsedAt,
    expiresAt: token.expiresAt,
  };
}

/** Login, logout, who am I, users, and API tokens. */
export function authRoutes(auth: AuthService, store: Store): RoutePlugin {
  return (app) => {
    const cookieName = SESSION_COOKIE;

    app.post(
      '/api/v1/auth/login',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Log in; returns a session token and sets the session cookie',
          security: [],
          body: LoginBody,
          response: { 200: LoginResult, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody },
        },
      },
      async (request, reply) => {
        const session = await auth.login(request.body.username, request.body.password, request.ip);
        const secure = request.protocol === 'https' ? '; Secure' : '';
        reply.header(
          'set-cookie',
          `${cookieName}=${encodeURIComponent(session.token)}; Path=/; HttpOnly; SameSite=Strict; Expires=${new Date(session.expiresAt).toUTCString()}${secure}`,
        );
        return { ...session, csrfToken: csrfTokenFor(session.token) };
      },
    );

    app.post(
      '/api/v1/auth/logout',
      { schema: { tags: ['auth'], summary: 'End this session' } },
      async (request, reply) => {
        if (request.principal?.kind === 'session') await auth.revoke(request.principal.tokenId);
        reply
          .header('set-cookie', `${cookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`)
          .code(204)
          .send();
      },
    );

    app.get(
      '/api/v1/auth/me',
      {
        schema: {
          tags: ['auth'],
          response: {
            200: Type.Object({
              kind: Type.String(),
              name: Type.String(),
              username: Type.Union([Type.String(), Type.Null()]),
              csrfToken: Type.Optional(
                Type.String({ description: 'For a session cookie: the `x-csrf-token` its changes need' }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const principal = request.principal!;
        const user = principal.userId ? await auth.user(principal.userId) : undefined;
        const csrfToken = principal.via === 'cookie' ? sessionCsrfToken(request.headers.cookie) : undefined;
        return { kind: principal.kind, name: principal.name, username: user?.username ?? null, csrfToken };
      },
    );

    app.post(
      '/api/v1/auth/password',
      {
        schema: {
          tags: ['auth'],
          summary: "Change the signed-in user's password",
          description:
            'Checks the current password (wrong ones count against the login limit), then sets the new one ' +
            "(at least 8 characters, not the current one) and ends the user's other sessions; this one stays.",
          body: PasswordChangeBody,
          response: { 200: PasswordChanged, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody },
        },
      },
      async (request) => {
        const principal = request.principal!;
        if (!principal.userId) {
          throw new AppError(
            'no_user',
            400,
            'This API token belongs to no user, so it has no password to change; sign in as the user instead.',
          );
        }
        const { endedSessions } = await auth.changePassword(
          principal.userId,
          principal.tokenId,
          { current: request.body.currentPassword, next: request.body.newPassword },
          request.ip,
        );
        return { changed: true as const, endedSessions };
      },
    );

    app.get(
      '/api/v1/auth/session',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Whether this browser is signed in (no 401 when not: the web UI asks on every load)',
          security: [],
          response: {
            200: Type.Object({
              signedIn: Type.Boolean(),
              username: Nullable(Type.String()),
              csrfToken: Nullable(Type.String()),
            }),
          },
        },
      },
      async (request) => {
        const presented = requestToken({ cookie: request.headers.cookie });
        const principal = presented ? await auth.authenticate(presented.token) : undefined;
        if (!presented || !principal) return { signedIn: false, username: null, csrfToken: null };
        const user = principal.userId ? await auth.user(principal.userId) : undefined;
        return { signedIn: true, username: user?.username ?? null, csrfToken: csrfTokenFor(presented.token) };
      },
    );

    app.get(
      '/api/v1/users',
      {
        schema: {
          tags: ['auth'],
          summary: 'Users who can sign in (never their passwords or hashes)',
          description: EVERY_USER_IS_ADMIN,
          response: { 200: Type.Array(UserView) },
        },
      },
      async (request) =>
        (await auth.users()).map((user) => userView(user, request.principal?.userId ?? null)),
    );

    app.post(
      '/api/v1/users',
      {
        schema: {
          tags: ['auth'],
          summary: 'Add a user who can sign in',
          description: `${EVERY_USER_IS_ADMIN} The password is stored only as a scrypt hash.`,
          body: UserCreateBody,
          response: { 201: UserView, 400: ErrorBody, 409: ErrorBody },
        },
      },
      async (request, reply) => {
        const asking = request.principal?.userId ?? null;
        const addedBy = asking ? (await auth.user(asking))?.username : request.principal?.name;
        const user = await auth.addUser(request.body.username, request.body.password, addedBy);
        reply.code(201);
        return userView(user, asking);
      },
    );

    app.delete(
      '/api/v1/users/:id',
      {
        schema: {
          tags: ['auth'],
          summary: 'Remove a user; its sessions and the API tokens it owns stop working at once',
          description: `${EVERY_USER_IS_ADMIN} Refused (409) for the user the request comes from and for the last user.`,
          params: IdParams,
          response: { 204: Type.Null(), 404: ErrorBody, 409: ErrorBody },
        },
      },
      async (request, reply) => {
        await auth.removeUser(request.params.id, request.principal?.userId ?? null);
        reply.code(204).send(null);
      },
    );

    app.get(
      '/api/v1/tokens',
      {
        schema: {
          tags: ['auth'],
          summary: 'API tokens (never their values)',
          response: { 200: Type.Array(TokenView) },
        },
      },
      async () => (await store.tokens.list('api')).map(tokenView),
    );

    app.post(
      '/api/v1/tokens',
      {
        schema: {
          tags: ['auth'],
          summary: 'Create an API token; its value is shown only in this answer',
          body: TokenCreateBody,
          response: { 201: TokenCreated, 400: ErrorBody, 401: ErrorBody },
        },
      },
      async (request, reply) => {
        const { token, record } = await auth.createApiToken(
          request.body.name.trim(),
          request.principal?.userId ?? null,
        );
        reply.code(201);
        return { id: record.id, name: record.name, token };
      },
    );

    app.delete(
      '/api/v1/tokens/:id',
      {
        schema: {
          tags: ['auth'],
          params: IdParams,
          response: { 204: Type.Null(), 404: ErrorBody, 409: ErrorBody },
        },
      },
      async (request, reply) => {
        const tokens = await store.tokens.list('api');
        if (!tokens.some((t) => t.id === request.params.id))
          throw new NotFoundError('API token', request.params.id);
        if (request.principal?.tokenId === request.params.id) {
          throw new AppError(
            'conflict',
            409,
            'This request uses that token; revoke it with another token or a session.',
          );
        }
        await auth.revoke(request.params.id);
        reply.code(204).send(null);
      },
    );
  };
}

/** The anti-CSRF token of the session cookie a request carries (a reloaded page asks for it). */
function sessionCsrfToken(cookie: string | undefined): string | undefined {
  const presented = requestToken({ cookie });
  return presented ? csrfTokenFor(presented.token) : undefined;
}
