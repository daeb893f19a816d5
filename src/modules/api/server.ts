/**
 * The HTTP API: Fastify with strict validation, JSON errors with a code and a human message,
 * authentication on every route but /health, security headers and an OpenAPI document.
 */
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { Config } from '../../core/config/index.ts';
import { AppError } from '../../core/errors.ts';
import type { HttpApp } from '../../core/http.ts';
import type { Logger } from '../../core/logger.ts';
import { defineModule, type Module } from '../../core/module.ts';
import { type AuthModule, authModule, SESSION_COOKIE } from '../auth/index.ts';
import { parseJsonBody } from './json-body.ts';
import { registerSystemRoutes } from './system.ts';
import { describeValidationErrors, validatorCompiler } from './validation.ts';

export type ApiSettings = Config['server'];

export interface ApiDeps {
  logger: Logger;
  settings: ApiSettings;
  metrics: Registry;
  version: string;
  /** Who a request comes from (bearer token or session cookie). */
  auth: Pick<AuthModule, 'authenticateRequest'>;
  /** The effective configuration with secrets masked (`/api/v1/settings`). */
  publicConfig(): unknown;
  /** Every module: their routes are registered, their health reports go into `/health`. */
  modules(): readonly Module[];
}

export async function buildApi(deps: ApiDeps): Promise<HttpApp> {
  const app = Fastify({
    logger: false,
    bodyLimit: deps.settings.bodyLimitBytes,
    trustProxy: deps.settings.trustProxy,
    // Request ids only tie log lines together; they carry no meaning.
    genReqId: () => Math.random().toString(36).slice(2, 10),
    // Errors the router raises before any route runs; they get the usual shape too.
    frameworkErrors: (error, _request, reply) => sendRouterError(error, reply),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler((error, request, reply) => sendError(deps.logger, error as Error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      error: { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.` },
    });
  });

  await app.register(helmet, {
    // The API serves JSON and images; the UI (later) sets its own policy.
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'hikbridge API', version: deps.version },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });

  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public) return;
    request.principal = await deps.auth.authenticateRequest(request.headers, request.method);
  });
  const requests = new Counter({
    name: 'hikbridge_http_requests_total',
    help: 'HTTP API requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [deps.metrics],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    deps.logger.debug(
      { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'http',
    );
  });

  registerSystemRoutes(app, deps);
  for (const module of deps.modules()) await module.routes?.(app);
  return app;
}

/** A path part longer than the router accepts (414) or a URL it cannot decode (400); never echoed. */
function sendRouterError(error: FastifyError, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    reply.code(414).send({ error: { code: 'uri_too_long', message: 'A part of the path is too long.' } });
    return;
  }
  reply.code(400).send({ error: { code: 'bad_request', message: 'The URL cannot be decoded.' } });
}

function sendError(
  logger: Logger,
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const fastifyError = error as FastifyError;
  if (error instanceof AppError) {
    if (error.code === 'too_many_attempts' && error.details?.retryAfter) {
      reply.header('retry-after', String(error.details.retryAfter));
    }
    reply
      .code(error.status)
      .send({ error: { code: error.code, message: error.message, details: error.details } });
    return;
  }
  if (fastifyError.validation) {
    const message = describeValidationErrors(
      fastifyError.validation,
      fastifyError.validationContext ?? 'request',
    );
    reply.code(400).send({ error: { code: 'invalid_input', message } });
    return;
  }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    reply.code(413).send({ error: { code: 'body_too_large', message: 'The request body is too large.' } });
    return;
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    // Fastify's own client errors (bad JSON, wrong content type): their messages are safe to show.
    reply
      .code(fastifyError.statusCode)
      .send({ error: { code: 'bad_request', message: fastifyError.message } });
    return;
  }
  logger.error({ err: error, method: request.method, url: request.routeOptions.url }, 'request failed');
  reply
    .code(500)
    .send({ error: { code: 'internal', message: 'Something went wrong inside hikbridge; see its log.' } });
}

/** The API as a module: builds the server from every module's routes on start, listens; closes on stop. */
export class ApiModule implements Module {
  readonly name = 'api';
  private app: HttpApp | undefined;
  address: { host: string; port: number } | undefined;

  constructor(private readonly deps: ApiDeps) {}

  async start(): Promise<void> {
    this.app = await buildApi(this.deps);
    await this.app.listen({ host: this.deps.settings.host, port: this.deps.settings.port });
    const bound = this.app.server.address();
    if (bound && typeof bound === 'object') this.address = { host: bound.address, port: bound.port };
    this.deps.logger.info({ ...this.address }, 'HTTP API listening');
  }

  async stop(): Promise<void> {
    await this.app?.close();
  }
}

/** Last in the list: it serves the routes of every module built before it. */
export const apiModule = defineModule({
  name: 'api',
  settings: (config) => config.server,
  create: ({ modules, gateway, logger, settings, metrics }) =>
    new ApiModule({
      logger,
      settings,
      metrics,
      version: gateway.version,
      auth: modules.get(authModule),
      publicConfig: gateway.publicConfig,
      modules: () => modules.all(),
    }),
});
