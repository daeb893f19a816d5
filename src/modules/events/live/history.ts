/** `GET /api/v1/events` (stored events, paged) and `GET /api/v1/events/{id}/snapshot.jpg`. */
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { Type } from 'typebox';
import { AppError, NotFoundError } from '../../../core/errors.ts';
import { ErrorBody, type HttpApp, IdParams } from '../../../core/http.ts';
import type { Store } from '../../../core/store/types.ts';
import { assertKnownKind } from './filters.ts';
import type { EventHub } from './hub.ts';
import { eventOfRecord } from './records.ts';
import { EventPage, errorResponses, HistoryQuery } from './schemas.ts';

const MAX_PICTURE_BYTES = 20 * 1024 * 1024;

export function registerHistoryRoutes(app: HttpApp, store: Store, hub: EventHub, snapshotsDir: string): void {
  registerListRoute(app, store);
  registerPictureRoute(app, store, hub, snapshotsDir);
}

function registerListRoute(app: HttpApp, store: Store): void {
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
        events: records.map(eventOfRecord),
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

/** Reads `<snapshotsDir>/<ref>` when ref is a plain file name that resolves inside the directory. */
async function readPicture(dir: string, ref: string): Promise<Buffer | undefined> {
  if (!/^[\w.-]+\.jpe?g$/i.test(ref) || ref.startsWith('.')) return undefined;
  try {
    const root = await realpath(dir);
    // realpath also resolves symbolic links, which could point anywhere.
    const path = await realpath(join(root, ref));
    if (!path.startsWith(root + sep)) return undefined;
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_PICTURE_BYTES) return undefined;
    return await readFile(path);
  } catch {
    return undefined;
  }
}
