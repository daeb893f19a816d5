/**
 * Two-way audio: talk through a camera or doorbell from a browser (WHIP), from a URL, or by
 * uploading an audio file ("play a message at the door").
 */
import type { Readable } from 'node:stream';
import { Type } from 'typebox';
import { InputError, NotFoundError } from '../../core/errors.ts';
import { ErrorBody, IdParams, type RoutePlugin } from '../../core/http.ts';
import type { DeviceRecord, Store } from '../../core/store/types.ts';
import type { BrowserTalkSessions } from './browser.ts';
import type { TalkRequest, TalkSessionInfo, TalkStarted } from './types.ts';

/** What the routes need: the store, device records, the talk sessions and the browser sessions. */
export interface TalkRouteDeps {
  store: Store;
  devices: { registry: { get(deviceId: string): Promise<DeviceRecord> } };
  talk: {
    startSession(request: TalkRequest): Promise<TalkStarted>;
    stopSession(sessionId: string): Promise<unknown>;
    listSessions(): TalkSessionInfo[];
  };
  browserTalk: BrowserTalkSessions;
}

const TalkBody = Type.Object(
  {
    source: Type.Optional(
      Type.Union([Type.Literal('browser'), Type.Literal('url')], {
        description:
          '`browser` (default): you get a WHIP URL to publish the microphone to. `url`: give `url`.',
      }),
    ),
    url: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2048, description: 'Audio to play (http, rtsp...)' }),
    ),
    maxDurationSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    method: Type.Optional(
      Type.Union([Type.Literal('auto'), Type.Literal('isapi'), Type.Literal('onvif')], {
        description:
          '`isapi` two-way audio, the `onvif` RTSP backchannel, or `auto` (the configured default)',
      }),
    ),
  },
  { additionalProperties: false },
);

const TalkView = Type.Object(
  {
    id: Type.String(),
    deviceId: Type.String(),
    channelId: Type.Union([Type.String(), Type.Null()]),
    source: Type.String(),
    state: Type.String(),
    codec: Type.Union([Type.String(), Type.Null()]),
    method: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    whipUrl: Type.Optional(Type.String()),
    error: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { $id: 'TalkSession' },
);

const TalkEndedView = Type.Object(
  {
    id: Type.String(),
    reason: Type.String(),
    error: Type.Union([Type.String(), Type.Null()]),
    durationMs: Type.Number(),
    bytesSent: Type.Integer(),
  },
  { $id: 'TalkEnded' },
);

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
  502: ErrorBody,
  503: ErrorBody,
};

/** Abort when the client goes away before the answer is sent. */
function clientGone(reply: { raw: { once: (e: 'close', f: () => void) => void; writableEnded: boolean } }) {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) controller.abort();
  });
  return controller.signal;
}

export function talkRoutes(deps: TalkRouteDeps): RoutePlugin {
  return (app) => {
    const { store, talk, browserTalk } = deps;

    async function target(channelId: string) {
      const channel = await store.channels.get(channelId);
      if (!channel) throw new NotFoundError('channel', channelId);
      return { channel, device: await deps.devices.registry.get(channel.deviceId) };
    }

    app.post(
      '/api/v1/channels/:id/talk',
      {
        schema: {
          tags: ['talk'],
          summary: 'Start talking through the channel’s device (browser microphone or an audio URL)',
          description:
            'With `source: browser` the answer holds `whipUrl`: publish the microphone there (WebRTC WHIP); the ' +
            'device session starts when audio arrives. With `source: url` hikbridge plays the URL (any ffmpeg ' +
            'input) and answers once the device is talking. The audio is sent as 8 kHz G.711 in the device’s codec.',
          params: IdParams,
          body: TalkBody,
          response: { 201: TalkView, ...errors },
        },
      },
      async (request, reply) => {
        const { channel, device } = await target(request.params.id);
        const body = request.body ?? {};
        if (body.source === 'url' || body.url) {
          if (!body.url) throw new InputError('give `url` with `source: url`', 'url');
          const started = await talk.startSession({
            deviceId: device.id,
            channelId: channel.id,
            source: { url: body.url },
            ...(body.maxDurationSeconds ? { maxDurationSeconds: body.maxDurationSeconds } : {}),
            ...(body.method ? { method: body.method } : {}),
          });
          reply.code(201);
          return {
            id: started.sessionId,
            deviceId: device.id,
            channelId: channel.id,
            source: 'url',
            state: started.state,
            codec: started.codec,
            method: started.method,
          };
        }
        const session = await browserTalk.open(device, channel, request.host, body.method);
        reply.code(201);
        return { ...session, source: 'browser' };
      },
    );

    app.register(async (scoped) => {
      // The upload goes to ffmpeg as it arrives: no buffering, no body size limit (time is limited).
      scoped.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
      scoped.post(
        '/api/v1/channels/:id/talk/audio',
        {
          schema: {
            tags: ['talk'],
            summary:
              'Play an uploaded audio file (WAV, MP3, any ffmpeg input) through the device; answers when done',
            params: IdParams,
            querystring: Type.Object(
              {
                method: Type.Optional(
                  Type.Union([Type.Literal('auto'), Type.Literal('isapi'), Type.Literal('onvif')]),
                ),
              },
              { additionalProperties: false },
            ),
            response: { 200: TalkEndedView, ...errors },
          },
        },
        async (request, reply) => {
          const { channel, device } = await target((request.params as { id: string }).id);
          const stream = request.body as Readable | undefined;
          if (!stream || typeof (stream as Readable).pipe !== 'function') {
            throw new InputError('send the audio file as the request body');
          }
          const { method } = request.query as { method?: 'auto' | 'isapi' | 'onvif' };
          const started = await talk.startSession({
            deviceId: device.id,
            channelId: channel.id,
            source: { stream },
            signal: clientGone(reply),
            ...(method ? { method } : {}),
          });
          const ended = await started.ended;
          return {
            id: ended.sessionId,
            reason: ended.reason,
            error: ended.error,
            durationMs: ended.durationMs,
            bytesSent: ended.bytesSent,
          };
        },
      );
    });

    app.get(
      '/api/v1/talk',
      {
        schema: {
          tags: ['talk'],
          summary: 'Talk sessions in progress',
          response: { 200: Type.Array(TalkView) },
        },
      },
      async () => {
        const direct = talk
          .listSessions()
          .filter((session) => !browserTalk.ownsSession(session.sessionId))
          .map((session) => ({
            id: session.sessionId,
            deviceId: session.deviceId,
            channelId: session.channelId,
            source: session.source,
            state: session.state,
            codec: session.codec,
            method: session.method,
          }));
        return [...browserTalk.list().map((each) => ({ ...each, source: 'browser' })), ...direct];
      },
    );

    app.delete(
      '/api/v1/talk/:id',
      {
        schema: {
          tags: ['talk'],
          summary: 'Stop a talk session',
          params: IdParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        const id = request.params.id;
        if (browserTalk.list().some((each) => each.id === id)) await browserTalk.close(id);
        else await talk.stopSession(id);
        reply.code(204);
        return null;
      },
    );
  };
}
