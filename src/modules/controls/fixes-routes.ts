/**
 * Stream fix-up routes: `GET /api/v1/devices/{id}/fixes` (preview: current vs proposed per
 * setting), `POST .../fixes` `{ids}` (apply only those, read back), `POST .../fixes/undo`
 * (restore the previous XML of what was applied).
 */
import { Type } from 'typebox';
import { ErrorBody, Nullable, type RoutePlugin } from '../../core/http.ts';
import { MAX_FIX_IDS, StreamFixes } from './fixes.ts';
import type { ControlsContext } from './types.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody };

const FixView = Type.Object(
  {
    id: Type.String({ description: 'Stable for the resource and setting, e.g. `stream-101-codec`' }),
    finding: Type.String({
      description:
        'The doctor check it answers (`stream-codec`, `two-way-audio-codec`, `motion-detection`) or ' +
        '`stream-keyframe` / `stream-bitrate`',
    }),
    channel: Nullable(Type.Integer()),
    setting: Type.String({
      description:
        '`videoCodec`, `streamEnabled`, `keyFrameInterval`, `maxBitrate`, `twoWayAudioCodec`, `motionDetection`, ' +
        '`motionSensitivity`',
    }),
    resource: Type.String({ description: 'The ISAPI resource written' }),
    element: Type.String({ description: 'The element changed in it' }),
    current: Nullable(Type.String()),
    proposed: Type.String(),
    why: Type.String(),
  },
  { $id: 'StreamFix' },
);

const UndoView = Type.Object(
  {
    available: Type.Boolean(),
    appliedAt: Nullable(Type.String()),
    fixes: Type.Array(Type.String(), { description: 'Fix ids an undo takes back' }),
  },
  { $id: 'StreamFixUndo' },
);

const params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export function fixRoutes(controls: ControlsContext): RoutePlugin {
  const fixes = new StreamFixes(controls);
  return (app) => {
    app.get(
      '/api/v1/devices/:id/fixes',
      {
        schema: {
          tags: ['controls'],
          summary: 'Stream, audio and motion fixes this device needs: current and proposed value per setting',
          description:
            'Read from the device now; nothing is changed. Apply the ones you want with POST, by id.',
          params,
          response: {
            200: Type.Object({ deviceId: Type.String(), fixes: Type.Array(FixView), undo: UndoView }),
            ...errors,
          },
        },
      },
      async (request) => fixes.preview(request.params.id),
    );

    app.post(
      '/api/v1/devices/:id/fixes',
      {
        schema: {
          tags: ['controls'],
          summary: 'Apply the chosen fixes (only those), each read back from the device',
          description:
            'Ids the device does not need now give 400 and nothing is changed. The previous settings are kept ' +
            'for POST .../fixes/undo, also across restarts.',
          params,
          body: Type.Object(
            {
              ids: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
                minItems: 1,
                maxItems: MAX_FIX_IDS,
              }),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ deviceId: Type.String(), applied: Type.Array(FixView), undo: UndoView }),
            ...errors,
          },
        },
      },
      async (request) => fixes.apply(request.params.id, request.body.ids),
    );

    app.post(
      '/api/v1/devices/:id/fixes/undo',
      {
        schema: {
          tags: ['controls'],
          summary: 'Restore the settings the applied fixes changed, exactly as they were',
          description: '409 when there is nothing to undo.',
          params,
          response: {
            200: Type.Object({ deviceId: Type.String(), restored: Type.Array(Type.String()) }),
            ...errors,
          },
        },
      },
      async (request) => fixes.undo(request.params.id),
    );
  };
}
