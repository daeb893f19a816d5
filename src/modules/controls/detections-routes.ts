/**
 * Detection switches of a channel: which detections it has, on or off, and whether each notifies
 * the surveillance center (without it the device sends that event to nobody); switch them and fix
 * the linkage. Every change is read back from the device.
 *
 * The linkage routes (`.../detections/{kind}/linkage`) also say and switch whether the detection
 * sounds the camera's siren and flashes its strobe (their settings: deterrence-routes.ts).
 */
import { Type } from 'typebox';
import { AppError, InputError } from '../../core/errors.ts';
import { ErrorBody, Nullable, type RoutePlugin } from '../../core/http.ts';
import {
  DETECTION_KINDS,
  type DetectionChannel,
  DetectionInputError,
  type DetectionKind,
  type DetectionState,
  isDetectionKind,
  type LinkageChange,
  listDetections,
  readDetection,
  readDetectionLinkage,
  setDetectionEnabled,
  setDetectionLinkage,
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

const Linkage = Type.Object(
  {
    kind: Type.String({ description: DETECTION_KINDS.join(', ') }),
    notifyCenter: Nullable(
      Type.Boolean({
        description: 'Notifies the surveillance center; null when the device has no trigger for it',
      }),
    ),
    siren: Nullable(
      Type.Boolean({
        description:
          'Sounds the siren (`beep`); null when the device has no audible alarm or no trigger for it',
      }),
    ),
    strobe: Nullable(
      Type.Boolean({
        description:
          'Flashes the strobe (`whiteLight`); null when the channel has no flashing light or no trigger for it',
      }),
    ),
  },
  { $id: 'DetectionLinkage' },
);

const LinkageBody = Type.Object(
  {
    notifyCenter: Type.Optional(Type.Boolean()),
    siren: Type.Optional(Type.Boolean()),
    strobe: Type.Optional(Type.Boolean()),
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

    app.get(
      '/api/v1/channels/:id/detections/:kind/linkage',
      {
        schema: {
          tags: ['controls'],
          summary:
            'What a detection does when it fires: notify the surveillance center, sound the siren, flash the strobe',
          params: Params,
          response: { 200: Linkage, ...errors },
        },
      },
      async (request) => {
        const kind = knownKind(request.params.kind);
        const { channel, device, client } = await channelAccess(controls, request.params.id, 'detections');
        try {
          return await onDevice(() => readDetectionLinkage(client, kind, target(channel)));
        } catch (error) {
          throw missingAsNotFound(error, `"${device.name}" (channel "${channel.name}")`);
        }
      },
    );

    app.put(
      '/api/v1/channels/:id/detections/:kind/linkage',
      {
        schema: {
          tags: ['controls'],
          summary: "Switch a detection's linkages: notifyCenter, siren and/or strobe (true or false)",
          description:
            "One write to the detection's event trigger, keeping its other actions (recording, e-mail...), then " +
            'read back. A siren or strobe the device lacks: 404 and nothing written.',
          params: Params,
          body: LinkageBody,
          response: { 200: Linkage, ...errors },
        },
      },
      async (request) => {
        const kind = knownKind(request.params.kind);
        const change = request.body as LinkageChange;
        if (change.notifyCenter === undefined && change.siren === undefined && change.strobe === undefined) {
          throw new InputError(
            'Say what to change: "notifyCenter", "siren" and/or "strobe" (true or false).',
          );
        }
        const { channel, device, client } = await channelAccess(controls, request.params.id, 'detections');
        try {
          const after = await onDevice(() => setDetectionLinkage(client, kind, target(channel), change));
          controls.deps.logger.info(
            { channelId: channel.id, deviceId: channel.deviceId, kind, ...change },
            'detection linkage changed',
          );
          return after;
        } catch (error) {
          if (error instanceof DetectionInputError) throw new InputError(error.message, error.field);
          throw missingAsNotFound(error, `"${device.name}" (channel "${channel.name}")`);
        }
      },
    );
  };
}

function knownKind(kind: string): DetectionKind {
  if (!isDetectionKind(kind)) {
    throw new AppError(
      'not_found',
      404,
      `There is no detection called "${kind}"; detections are ${DETECTION_KINDS.join(', ')}.`,
    );
  }
  return kind;
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
