/** `GET /api/v1/events` (stored events, paged) and `GET /api/v1/events/{id}/snapshot.jpg`. */
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { Type } from 'typebox';
import { AppError, NotFoundError } from '../../../core/errors.ts';
import type { GatewayEvent } from '../../../core/events.ts';
import { ErrorBody, type HttpApp, IdParams } from '../../../core/http.ts';
import type { Store } from '../../../core/store/types.ts';
import { assertKnownKind } from './filters.ts';
import type { EventHub } from './hub.ts';
import { eventOfRecord } from './records.ts';
import { EventPage, errorResponses, HistoryQuery } from './schemas.ts';

const MAX_PICTURE_BYTES = 20 * 1024 * 1024;

export function registerHistoryRoutes(app: HttpApp, store: Store, hub: EventHub, snapshotsDir: string): void {
  registerListRoute(app, store, snapshotsDir);
  registerPictureRoute(app, store, hub, snapshotsDir);
}

function registerListRoute(app: HttpApp, store: Store, snapshotsDir: string): void {
  app.get(
    '/api/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Stored events, newest first; pass nextBefore as before for the next page',
        querystring: HistoryQuery,
        response: { 200: EventPage, ...errorResponses },
      },
    },
    async (request) => {
      const { limit = 100, ...query } = request.query;
      // One value per filter here (the store's history query), unlike the live stream.
      if (query.kind) assertKnownKind(query.kind);
      const records = await store.events.query({ ...query, limit });
      const last = records.at(-1);
      return {
        events: await withStoredPictures(records.map(eventOfRecord), snapshotsDir),
        nextBefore: records.length === limit && last ? last.id : null,
      };
    },
  );
}

/** Events still waiting to be stored are found in the hub's recent window. */
function registerPictureRoute(app: HttpApp, store: Store, hub: EventHub, snapshotsDir: string): void {
  app.get(
    '/api/v1/events/:id/snapshot.jpg',
    {
      schema: {
        tags: ['events'],
        summary: 'The picture stored for an event',
        params: IdParams,
        response: { 200: Type.Unsafe({ type: 'string', format: 'binary' }), 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const stored = await store.events.get(id);
      const event = stored ? eventOfRecord(stored) : hub.recentEvent(id);
      if (!event) throw new NotFoundError('event', id);
      const jpeg = event.snapshotRef ? await readPicture(snapshotsDir, event.snapshotRef) : undefined;
      if (!jpeg) throw new AppError('not_found', 404, `Event "${id}" has no stored picture.`);
      reply.header('content-type', 'image/jpeg').header('cache-control', 'private, max-age=86400');
      return jpeg;
    },
  );
}

/**
 * An event's `snapshotRef` is given when its picture is asked for, before it is saved; a picture
 * that never came (the camera did not answer) or is still on its way is listed as none, so a
 * page never asks for a picture that is not there. Live clients learn of a later one from the
 * `snapshot` notice.
 */
function withStoredPictures(events: GatewayEvent[], dir: string): Promise<GatewayEvent[]> {
  return Promise.all(
    events.map(async (event) =>
      event.snapshotRef && !(await picturePath(dir, event.snapshotRef))
        ? { ...event, snapshotRef: null }
        : event,
    ),
  );
}

/** Reads `<snapshotsDir>/<ref>` when ref is a plain file name that resolves inside the directory. */
async function readPicture(dir: string, ref: string): Promise<Buffer | undefined> {
  const path = await picturePath(dir, ref);
  return path ? readFile(path).catch(() => undefined) : undefined;
}

/** The picture's file when ref names a picture file inside the directory, of a sane size. */
async function picturePath(dir: string, ref: string): Promise<string | undefined> {
  if (!/^[\w.-]+\.jpe?g$/i.test(ref) || ref.startsWith('.')) return undefined;
  try {
    const root = await realpath(dir);
    // realpath also resolves symbolic links, which could point anywhere.
    const path = await realpath(join(root, ref));
    if (!path.startsWith(root + sep)) return undefined;
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_PICTURE_BYTES) return undefined;
    return path;
  } catch {
    return undefined;
  }
}
