/**
 * The ISAPI pass-through: `GET|PUT|POST|DELETE /api/v1/devices/{id}/isapi/ISAPI/...` sends the
 * request to the device with hikbridge's login and returns the device's status, content type and
 * body, for what hikbridge has no route for yet. Only paths under `/ISAPI/`, written plainly:
 * `.`/`..` segments, empty segments, backslashes and percent-encoding are refused before anything
 * is sent, so the path cannot leave `/ISAPI/` on the device or point elsewhere. Bodies up to
 * 1 MB. Every call is logged at info with who made it and what (method, path; never the body or
 * the query string, which may hold secrets). There are no roles yet: every signed-in user is
 * the admin and may use it; `controls.isapiPassthrough: false` switches it off.
 */
import { Type } from 'typebox';
import { AppError, InputError } from '../../core/errors.ts';
import type { RoutePlugin } from '../../core/http.ts';
import { deviceAccess, onDevice } from './access.ts';
import type { ControlsContext } from './types.ts';

/** Largest body passed to a device (ISAPI configuration documents are a few KB). */
export const PASSTHROUGH_MAX_BODY = 1024 * 1024;
const MAX_PATH = 1024;
const MAX_QUERY = 2048;

const RAW_URL = /^\/api\/v1\/devices\/[^/?#]+\/isapi\/([^?#]*)(\?[^#]*)?$/;
const SEGMENT = /^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$/;

/** The device path (`/ISAPI/...` plus query) from the raw request URL; InputError when refused. */
export function passthroughPath(rawUrl: string): { path: string; query: string } {
  const match = RAW_URL.exec(rawUrl);
  if (!match) throw new InputError('The URL must be /api/v1/devices/{id}/isapi/ISAPI/<path>.', 'path');
  const path = match[1]!;
  const query = match[2] ?? '';
  if (path.length > MAX_PATH) throw new InputError(`The path is longer than ${MAX_PATH} characters.`, 'path');
  if (query.length > MAX_QUERY)
    throw new InputError(`The query is longer than ${MAX_QUERY} characters.`, 'path');
  if (path.includes('%')) {
    throw new InputError(
      'Percent-encoded characters are not passed through; write the ISAPI path plainly.',
      'path',
    );
  }
  const segments = path.split('/');
  if (segments[0] !== 'ISAPI' || segments.length < 2) {
    throw new InputError(
      'Only paths under /ISAPI/ are passed through (e.g. .../isapi/ISAPI/System/deviceInfo).',
      'path',
    );
  }
  for (const segment of segments.slice(1)) {
    if (!SEGMENT.test(segment) || segment === '..' || segment === '.') {
      throw new InputError(
        `The path part "${segment.slice(0, 40)}" is refused: only letters, digits, "_", "-", "~" and "." inside a name; no empty, "." or ".." parts.`,
        'path',
      );
    }
  }
  return { path: `/${path}`, query };
}

export function passthroughRoutes(controls: ControlsContext): RoutePlugin {
  return async (app) => {
    // Its own scope: the body is passed on as bytes whatever its type, without changing how the
    // rest of the API parses bodies.
    await app.register(async (scoped) => {
      scoped.removeAllContentTypeParsers();
      scoped.addContentTypeParser(
        '*',
        { parseAs: 'buffer', bodyLimit: PASSTHROUGH_MAX_BODY },
        (_req, body, done) => done(null, body),
      );
      scoped.route({
        method: ['GET', 'PUT', 'POST', 'DELETE'],
        url: '/api/v1/devices/:id/isapi/*',
        bodyLimit: PASSTHROUGH_MAX_BODY,
        schema: {
          tags: ['controls'],
          summary: 'Send an ISAPI request to the device as is (paths under /ISAPI/ only; logged)',
          description:
            'For what hikbridge has no route for yet: `/api/v1/devices/{id}/isapi/ISAPI/System/deviceInfo`. The ' +
            "device's status, content type and body come back unchanged. Bodies up to 1 MB; every call is logged " +
            'with who made it. Off when `controls.isapiPassthrough` is false.',
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), '*': Type.String() }),
        },
        handler: async (request, reply) => {
          if (!controls.deps.settings.isapiPassthrough) {
            throw new AppError(
              'passthrough_off',
              403,
              'The ISAPI pass-through is switched off (controls.isapiPassthrough: false).',
            );
          }
          const { path, query } = passthroughPath(request.url);
          const { id } = request.params as { id: string };
          const { device, client } = await deviceAccess(controls, id);
          const method = request.method as 'GET' | 'PUT' | 'POST' | 'DELETE';
          const body = Buffer.isBuffer(request.body) ? request.body : undefined;
          controls.deps.logger.info(
            {
              deviceId: device.id,
              by: request.principal?.name ?? null,
              principal: request.principal?.kind ?? null,
              userId: request.principal?.userId ?? null,
              method,
              path,
            },
            'ISAPI pass-through',
          );
          const contentType = request.headers['content-type'];
          const answer = await onDevice(() =>
            client.http.request({
              method,
              path: `${path}${query}`,
              ...(body?.length ? { body } : {}),
              ...(body?.length && contentType ? { headers: { 'content-type': contentType } } : {}),
            }),
          );
          reply.code(answer.status);
          const answerType = answer.headers['content-type'];
          if (answerType) reply.header('content-type', answerType);
          return reply.send(answer.body);
        },
      });
    });
  };
}
