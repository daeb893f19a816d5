/** Request and response schemas of the events routes. */
import { type Static, type TSchema, Type } from 'typebox';
import { ErrorBody } from '../../../core/http.ts';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const errorResponses = { 400: ErrorBody, 401: ErrorBody, 503: ErrorBody };

const EventView = Type.Object({
  id: Type.String(),
  deviceId: Type.String(),
  channelId: Nullable(Type.String()),
  channelNo: Nullable(Type.Integer()),
  kind: Type.String(),
  state: Type.String(),
  at: Type.String({ description: 'Device time, with its UTC offset' }),
  receivedAt: Type.String(),
  targets: Type.Array(Type.String()),
  region: Nullable(Type.Integer()),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  snapshotRef: Nullable(Type.String()),
});

export const EventPage = Type.Object({
  events: Type.Array(EventView),
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: Nullable(Type.String()),
});

export const HistoryQuery = Type.Object(
  {
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    channelId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    kind: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    from: Type.Optional(
      Type.String({ format: 'date-time', description: 'Received at or after (inclusive)' }),
    ),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Received before (exclusive)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    before: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'nextBefore of the last page' }),
    ),
  },
  { additionalProperties: false },
);

const filterFields = {
  deviceId: Type.Optional(Type.String({ maxLength: 4000, description: 'Comma-separated device ids' })),
  channelId: Type.Optional(Type.String({ maxLength: 4000, description: 'Comma-separated channel ids' })),
  kind: Type.Optional(Type.String({ maxLength: 4000, description: 'Comma-separated event kinds' })),
};

export const StreamQuery = Type.Object(
  {
    ...filterFields,
    lastEventId: Type.Optional(
      Type.String({
        maxLength: 64,
        description: 'Resume after this event (SSE: instead of the Last-Event-ID header)',
      }),
    ),
  },
  { additionalProperties: false },
);

export type FilterQuery = Static<typeof StreamQuery>;
