/**
 * Detection switches of a channel: which detections it has, on or off, and whether each notifies
 * the surveillance center (without it the device sends that event to nobody); switch them and fix
 * the linkage. Every change is read back from the device.
 */
import { Type } from 'typebox';
import { AppError, InputError } from '../../core/errors.ts';
import { ErrorBody, Nullable, type RoutePlugin } from '../../core/http.ts';
import {
  DETECTION_KINDS,
  type DetectionChannel,
  type DetectionState,
  isDetectionKind,
  listDetections,
  readDetection,
  setDetectionEnabled,
  setDetectionNotifiesCenter,
} from '../../protocols/isapi/detections.ts';
import { channelAccess, onDevice } from './access.ts';
import type { ControlsContext } from './types.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody };

const Detection = Type.Object(
  {
    kind: Type.String({ description: DETECTION_KINDS.join(', ') }),
    enabled: Type.Boolean(),
    notifiesCenter: Nullable(
      Type.Boolean({
        description:
          'Its trigger has "notify surveillance center" (needed for hikbridge to get the event); null when the device has no trigger for it',
      }),
    ),
  },
  { $id: 'Detection' },
);

const DetectionChange = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    notifyCenter: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const Params = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  kind: Type.String({ minLength: 1, maxLength: 64 }),
});

export function detectionRoutes(controls: ControlsContext): RoutePlugin {
  return (app) => {
    app.get(
      '/api/v1/channels/:id/detections',
      {
        schema: {
          tags: ['controls'],
          summary: "A channel's detections: on or off, and whether each notifies the surveillance center",
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: { 200: Type.Array(Detection), ...errors },
        },
      },
      async (request) => {
        const { channel, client } = await channelAccess(controls, request.params.id, 'detections');
        return onDevice(() => listDetections(client, target(channel)));
      },
    );

    app.put(
      '/api/v1/channels/:id/detections/:kind',
      {
        schema: {
          tags: ['controls'],
          summary: 'Switch a detection on or off and/or make it notify the surveillance center',
          description:
            `kind: ${DETECTION_KINDS.join(', ')}. Each change is written to the device, keeping its other ` +
            'settings, and read back; the answer is the state read back.',
          params: Params,
          body: DetectionChange,
          response: { 200: Detection, ...errors },
        },
      },
      async (request) => {
        const { kind } = request.params;
        const { enabled, notifyCenter } = request.body;
        if (!isDetectionKind(kind)) {
          throw new AppError(
            'not_found',
            404,
            `There is no detection called "${kind}"; detections are ${DETECTION_KINDS.join(', ')}.`,
          );
        }
        if (enabled === undefined && notifyCenter === undefined) {
          throw new InputError('Say what to change: "enabled" and/or "notifyCenter" (true or false).');
        }
        const { channel, device, client } = await channelAccess(controls, request.params.id, 'detections');
        const where = target(channel);
        let state: DetectionState | undefined;
        try {
          state = await onDevice(async () => {
            let after: DetectionState | undefined;
            // The linkage first: it fails on a missing detection or trigger before anything is written.
            if (notifyCenter !== undefined)
              after = await setDetectionNotifiesCenter(client, kind, where, notifyCenter);
            if (enabled !== undefined) after = await setDetectionEnabled(client, kind, where, enabled);
            return after ?? readDetection(client, kind, where);
          });
        } catch (error) {
          throw missingAsNotFound(error, `"${device.name}" (channel "${channel.name}")`);
        }
        controls.deps.logger.info(
          { channelId: channel.id, deviceId: channel.deviceId, kind, enabled, notifyCenter },
          'detection changed',
        );
        return state;
      },
    );
  };
}

function target(channel: { channelNo: number; source: 'local' | 'proxy' }): DetectionChannel {
  return { channel: channel.channelNo, source: channel.source };
}

/** A detection (or its trigger) the channel lacks is a 404 in words, not a device failure. */
function missingAsNotFound(error: unknown, where: string): unknown {
  if (error instanceof AppError && error.code === 'device_not_supported') {
    return new AppError('not_found', 404, `${where}: ${error.message}`);
  }
  return error;
}
