/** Live video: MediaMTX status and each channel's stream URLs. */
import { Type } from 'typebox';
import { NotFoundError } from '../../core/errors.ts';
import { ErrorBody, IdParams, Nullable, type RoutePlugin } from '../../core/http.ts';
import type { Store } from '../../core/store/types.ts';

import type { MediaStatus, StreamView } from './types.ts';

/** What the routes need of the media module. */
export interface MediaOperations {
  status(): MediaStatus;
  streams(channelId: string, requestHost: string): StreamView[];
  sync(): Promise<void>;
  hasExternalChannel(channelId: string): Promise<boolean>;
}

const MediaStatusView = Type.Object(
  {
    enabled: Type.Boolean(),
    mode: Type.String(),
    state: Type.String(),
    version: Type.String(),
    binary: Nullable(Type.String()),
    restarts: Type.Integer(),
    lastError: Nullable(Type.String()),
    paths: Type.Integer(),
  },
  { $id: 'MediaStatus' },
);

const LiveStreamView = Type.Object(
  {
    id: Type.String(),
    streamNo: Type.Integer(),
    name: Type.String({ description: '`main`, `sub`, `third`...' }),
    path: Type.String({ description: 'MediaMTX path, e.g. `front-door/main`' }),
    codec: Nullable(Type.String()),
    width: Nullable(Type.Integer()),
    height: Nullable(Type.Integer()),
    fps: Nullable(Type.Number()),
    browserPlayable: Type.Boolean(),
    default: Type.Boolean(),
    note: Nullable(Type.String()),
    urls: Type.Object({
      webrtc: Type.String({ description: 'Player page (WebRTC)' }),
      whep: Type.String(),
      hls: Type.String(),
      rtsp: Type.String(),
    }),
  },
  { $id: 'LiveStream' },
);

const errors = { 401: ErrorBody, 404: ErrorBody };

export function mediaRoutes(media: MediaOperations, store: Store): RoutePlugin {
  return (app) => {
    app.get(
      '/api/v1/media',
      {
        schema: {
          tags: ['media'],
          summary: 'State of the MediaMTX engine',
          response: { 200: MediaStatusView, 401: ErrorBody },
        },
      },
      async () => media.status(),
    );

    app.get(
      '/api/v1/channels/:id/streams',
      {
        schema: {
          tags: ['media'],
          summary: 'Live stream URLs of a channel (WebRTC page, WHEP, HLS, RTSP) with a viewer token',
          description:
            'The URLs carry a viewer token valid for `media.viewerTokenMinutes`; ask again for fresh ones. ' +
            'H.265 streams are flagged `browserPlayable: false`; `default` marks the stream to show.',
          params: IdParams,
          response: { 200: Type.Array(LiveStreamView), ...errors },
        },
      },
      async (request) => {
        const { id } = request.params;
        // A cloud camera is a channel too; its module says where its stream comes from.
        if (await media.hasExternalChannel(id)) return media.streams(id, request.host);
        const channel = await store.channels.get(id);
        if (!channel) throw new NotFoundError('channel', id);
        const streams = media.streams(channel.id, request.host);
        if (streams.length > 0 || !channel.enabled || !media.status().enabled) return streams;
        // A device added a moment ago: the media module applies changes after a short debounce.
        await media.sync();
        return media.streams(channel.id, request.host);
      },
    );
  };
}
