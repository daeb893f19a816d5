/**
 * Who may use the gateway: the admin account (created on first start), sessions from the login
 * form and API tokens. The API server asks this module who a request comes from; the media
 * module asks it whether a video player's credentials are good.
 */

import type { Config } from '../../core/config/index.ts';
import { AppError } from '../../core/errors.ts';
import type { Principal } from '../../core/http.ts';
import { defineModule, type Module, type ModuleContext } from '../../core/module.ts';
import { CSRF_HEADER, csrfTokenMatches, requestToken } from './cookie.ts';
import { authRoutes } from './routes.ts';
import { AuthService } from './service.ts';

export { CSRF_HEADER, csrfTokenFor, SESSION_COOKIE } from './cookie.ts';
export type { AuthService } from './service.ts';

export class AuthModule implements Module {
  readonly name = 'auth';
  readonly service: AuthService;
  readonly routes;

  constructor(private readonly context: ModuleContext<Config['auth']>) {
    this.service = new AuthService(context.store, context.settings, context.logger, (tokenIds) =>
      context.bus.emit('auth.revoked', { tokenIds }),
    );
    this.routes = authRoutes(this.service, context.store);
  }

  /** Creates the admin account on the very first start and hands its password to the CLI once. */
  async start(): Promise<void> {
    const admin = await this.service.ensureAdmin();
    if (admin) this.context.gateway.onAdminCreated?.(admin.username, admin.generatedPassword);
  }

  async stop(): Promise<void> {}

  /**
   * The principal behind a request's bearer token or session cookie; 401 when there is none.
   * A write that relies on the cookie must also carry the session's anti-CSRF token (403).
   */
  async authenticateRequest(
    headers: {
      authorization?: string | undefined;
      cookie?: string | undefined;
      [CSRF_HEADER]?: string | string[] | undefined;
    },
    method = 'GET',
  ): Promise<Principal> {
    const presented = requestToken(headers);
    const principal = presented ? await this.service.authenticate(presented.token) : undefined;
    if (!presented || !principal) {
      throw new AppError(
        'unauthorized',
        401,
        'Log in or send an API token: "Authorization: Bearer <token>".',
      );
    }
    if (presented.via === 'cookie' && !SAFE_METHODS.has(method)) {
      if (!csrfTokenMatches(presented.token, headers[CSRF_HEADER])) {
        throw new AppError(
          'csrf_token_missing',
          403,
          `A change made with the session cookie needs the "${CSRF_HEADER}" header from the login answer; reload the page and try again.`,
        );
      }
    }
    return { ...principal, via: presented.via };
  }
}

/** Methods that change nothing, so need no anti-CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const authModule = defineModule({
  name: 'auth',
  settings: (config) => config.auth,
  create: (context) => new AuthModule(context),
});
