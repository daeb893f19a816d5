/**
 * The HTTP API: Fastify with strict validation, JSON errors with a code and a human message,
 * authentication on every route but /health, security headers and an OpenAPI document.
 */
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Bus, Module } from '../../core/bus.ts';
import { AppError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Store } from '../../core/store/types.ts';
import type { DevicesModule } from '../devices/index.ts';
import type { MediaModule } from '../media/index.ts';
import type { TalkModule } from '../talk/index.ts';
import type { AuthService, Principal } from './auth.ts';
import type { Metrics } from './metrics.ts';
import { registerAuthRoutes } from './routes/auth.ts';
import { registerChannelRoutes } from './routes/channels.ts';
import { registerDeviceRoutes } from './routes/devices.ts';
import { registerEventRoutes } from './routes/events/index.ts';
import { registerMediaRoutes } from './routes/media.ts';
import { registerSystemRoutes } from './routes/system.ts';
import { registerTalkRoutes } from './routes/talk.ts';
import type { BrowserTalkSessions } from './talk-sessions.ts';
import { describeValidationErrors, validatorCompiler } from './validation.ts';

export interface DoctorReportLike {
  device: { model: string | null; kind: string | null; host: string };
  checks: Array<{ id: string; status: string; detail: string; fix: string | null }>;
}

export interface ApiDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  devices: DevicesModule;
  media: MediaModule;
  talk: TalkModule;
  browserTalk: BrowserTalkSessions;
  auth: AuthService;
  metrics: Metrics;
  version: string;
  settings: { host: string; port: number; bodyLimitBytes: number; trustProxy: boolean };
  /** Runs the doctor against a stored device. */
  doctor(deviceId: string): Promise<DoctorReportLike>;
  /** The effective configuration with secrets masked. */
  publicConfig(): unknown;
}

export type Api = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  import('fastify').FastifyBaseLogger,
  TypeBoxTypeProvider
>;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Routes reachable without a token (/health, login). */
    public?: boolean;
  }
}

const SESSION_COOKIE = 'hikbridge_session';

export async function buildApi(deps: ApiDeps): Promise<Api> {
  const app = Fastify({
    logger: false,
    bodyLimit: deps.settings.bodyLimitBytes,
    trustProxy: deps.settings.trustProxy,
    // Request ids only tie log lines together; they carry no meaning.
    genReqId: () => Math.random().toString(36).slice(2, 10),
  }).withTypeProvider<TypeBoxTypeProvider>();

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
    const token = bearerToken(request) ?? cookieToken(request);
    const principal = token ? await deps.auth.authenticate(token) : undefined;
    if (!principal) {
      throw new AppError(
        'unauthorized',
        401,
        'Log in or send an API token: "Authorization: Bearer <token>".',
      );
    }
    request.principal = principal;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    deps.logger.debug(
      { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'http',
    );
  });

  registerSystemRoutes(app, deps);
  registerAuthRoutes(app, deps, SESSION_COOKIE);
  registerDeviceRoutes(app, deps);
  registerChannelRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerMediaRoutes(app, deps);
  registerTalkRoutes(app, deps);
  return app;
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

function cookieToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
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

/** The API as a module: listens on start, closes (finishing requests) on stop. */
export class ApiModule implements Module {
  readonly name = 'api';
  private app: Api | undefined;
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
