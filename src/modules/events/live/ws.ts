/** `GET /api/v1/events/ws`: the live stream's messages over a WebSocket. */
import type { IncomingMessage } from 'node:http';
import websocket from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../../core/errors.ts';
import type { HttpApp } from '../../../core/http.ts';
import { ErrorBody } from '../../../core/http.ts';
import type { Sink } from './client.ts';
import { parseFilter } from './filters.ts';
import type { EventHub } from './hub.ts';
import { errorResponses, type FilterQuery, StreamQuery } from './schemas.ts';

export const EVENTS_WS_PATH = '/api/v1/events/ws';

/** The part of a `ws` WebSocket used here (the package ships no types). */
interface WsSocket {
  readonly bufferedAmount: number;
  send(data: string, callback: (error?: Error) => void): void;
  ping(): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'close' | 'pong' | 'message', listener: () => void): void;
}

/** Hooks for WebSocket upgrades, installed on the whole server. */
export function guardUpgrades(app: HttpApp): void {
  // Browsers cannot set headers on a WebSocket: `?token=` stands in for them on that route only.
  app.server.prependListener('upgrade', liftQueryToken);
  app.addHook('onResponse', closeRefusedUpgrade);
}

/** The WebSocket plugin stays in its own scope, around this route only. */
export function registerWebSocketRoutes(app: HttpApp, hub: EventHub): void {
  app.register(async (scope) => {
    await scope.register(websocket, { options: { maxPayload: 4096 } });
    registerWebSocketRoute(scope, hub);
  });
}

const wsRouteSchema = {
  tags: ['events'],
  summary:
    'Live events over a WebSocket: `{type: "event"|"snapshot", data}` messages; `?token=` may replace the ' +
    'Authorization header here',
  querystring: StreamQuery,
  response: { 426: ErrorBody, ...errorResponses },
};

function registerWebSocketRoute(app: HttpApp, hub: EventHub): void {
  app.route({
    method: 'GET',
    url: EVENTS_WS_PATH,
    schema: wsRouteSchema,
    preHandler: async (request) => {
      parseFilter(request.query as FilterQuery);
      hub.assertRoom();
    },
    handler: async () => {
      throw new AppError(
        'upgrade_required',
        426,
        'This route speaks WebSocket only; open it with a WebSocket client.',
      );
    },
    wsHandler: (socket, request) => {
      const ws = socket as unknown as WsSocket;
      const filter = parseFilter(request.query as FilterQuery);
      const client = hub.newClient(filter, 'ws', wsSink(ws), request.ip, request.principal?.tokenId);
      ws.on('close', () => hub.detach(client));
      void hub.attach(client, (request.query as FilterQuery).lastEventId);
    },
  });
}

function wsSink(socket: WsSocket): Sink {
  let alive = true;
  socket.on('pong', () => {
    alive = true;
  });
  return {
    write: (text, done) => socket.send(text, () => done()),
    bufferedBytes: () => socket.bufferedAmount,
    destroy: () => socket.terminate(),
    end: () => socket.close(1001, 'server shutting down'),
    heartbeat: () => {
      // No pong since the last ping: the peer is gone without a goodbye.
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    },
  };
}

/**
 * An upgrade answered with plain HTTP (401, 400, 503...) leaves a socket the HTTP server no
 * longer tracks: nothing would ever close it, and closing the server would wait for it.
 * (@fastify/websocket closes it only when its own onRequest hook ran, i.e. not after the auth
 * hook refused the request.)
 */
async function closeRefusedUpgrade(request: FastifyRequest): Promise<void> {
  if (request.raw.headers.upgrade) request.raw.socket.destroy();
}

/** Moves `?token=` of a WebSocket upgrade to /events/ws into the Authorization header (and out of the URL). */
function liftQueryToken(request: IncomingMessage): void {
  if (!request.url?.startsWith(EVENTS_WS_PATH)) return;
  const url = new URL(request.url, 'http://upgrade.invalid');
  if (url.pathname !== EVENTS_WS_PATH) return;
  const token = url.searchParams.get('token');
  if (token === null) return;
  url.searchParams.delete('token');
  request.url = `${url.pathname}${url.search}`;
  if (!request.headers.authorization && token) request.headers.authorization = `Bearer ${token}`;
}
