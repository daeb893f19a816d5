/** `GET /api/v1/events/stream`: live events as Server-Sent Events. */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { HttpApp } from '../../../core/http.ts';
import type { Sink, StreamClient } from './client.ts';
import { parseFilter, type StreamFilter } from './filters.ts';
import type { EventHub } from './hub.ts';
import { errorResponses, StreamQuery } from './schemas.ts';

export const EVENTS_STREAM_PATH = '/api/v1/events/stream';

const sseRouteSchema = {
  tags: ['events'],
  summary:
    'Live events as Server-Sent Events (`event: event` / `event: snapshot`); resumes from Last-Event-ID',
  querystring: StreamQuery,
  headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 64 })) }),
  response: {
    200: {
      description: 'text/event-stream',
      content: { 'text/event-stream': { schema: Type.String() } },
    },
    ...errorResponses,
  },
};

export function registerSseRoute(app: HttpApp, hub: EventHub): void {
  app.get(EVENTS_STREAM_PATH, { schema: sseRouteSchema }, async (request, reply) => {
    const filter = parseFilter(request.query);
    hub.assertRoom();
    const lastEventId = request.headers['last-event-id'] || request.query.lastEventId;
    const client = openSse(request, reply, hub, filter);
    await hub.attach(client, lastEventId);
  });
}

function openSse(
  request: FastifyRequest,
  reply: FastifyReply,
  hub: EventHub,
  filter: StreamFilter,
): StreamClient {
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    // nginx buffers responses unless told not to; events must arrive as they happen.
    'x-accel-buffering': 'no',
  });
  request.raw.socket.setNoDelay(true);
  response.write(`retry: 2000\n: hikbridge events\n\n`);
  const client = hub.newClient(filter, 'sse', sseSink(response), request.ip, request.principal?.tokenId);
  response.on('close', () => hub.detach(client));
  return client;
}

function sseSink(response: ServerResponse): Sink {
  return {
    write: (text, done) => {
      response.write(text, () => done());
    },
    bufferedBytes: () => response.writableLength,
    destroy: () => response.destroy(),
    end: () => response.end(),
    heartbeat: () => {
      // A comment line: EventSource ignores it, proxies see traffic.
      if (response.writableLength === 0) response.write(': keep-alive\n\n');
    },
  };
}
