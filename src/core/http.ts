/**
 * The contract between the API module (server, auth, errors, OpenAPI) and the modules that
 * contribute routes: the app type they register on, and the schemas every route shares.
 * Modules import this, never the API module's server.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Type } from 'typebox';

/** The Fastify instance routes are registered on (TypeBox schemas type the handlers). */
export type HttpApp = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** A module's routes: called once while the API server is built, behind its auth and error handling. */
export type RoutePlugin = (app: HttpApp) => void | Promise<void>;

/** Who made a request (set by the API's auth hook on every route that is not public). */
export interface Principal {
  kind: 'session' | 'api';
  tokenId: string;
  userId: string | null;
  name: string;
  /** How the request presented it: a bearer header, or the session cookie a browser sends. */
  via?: 'bearer' | 'cookie';
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Routes reachable without a token (/health, login). */
    public?: boolean;
  }
}

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

/** Every error answer: `{"error":{"code","message","details"?}}`. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'Error' },
);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
