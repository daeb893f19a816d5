/**
 * A camera's supplement light (white / IR): read its mode and brightness, change them (read
 * back). Only a camera's own channels: an NVR does not pass these settings on to its cameras.
 */
import { Type } from 'typebox';
import { AppError, InputError } from '../../core/errors.ts';
import { ErrorBody, Nullable, type RoutePlugin } from '../../core/http.ts';
import {
  OutputInputError,
  readSupplementLight,
  type SupplementLightChange,
  setSupplementLight,
} from '../../protocols/isapi/io.ts';
import { channelAccess, onDevice } from './access.ts';
import type { ControlsContext } from './types.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody };

const Light = Type.Object(
  {
    mode: Type.String({
      description:
        '`colorVuWhiteLight` (white), `irLight` (infrared), `eventIntelligence` (IR, white on smart events), `close` (off); as the camera words it',
    }),
    modes: Nullable(
      Type.Array(Type.String(), { description: 'The modes the camera offers; null when it does not say' }),
    ),
    whiteBrightness: Nullable(Type.Integer({ minimum: 0, maximum: 100 })),
    irBrightness: Nullable(Type.Integer({ minimum: 0, maximum: 100 })),
  },
  { $id: 'SupplementLight' },
);

const LightChange = Type.Object(
  {
    mode: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    whiteBrightness: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    irBrightness: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  },
  { additionalProperties: false },
);

export function lightRoutes(controls: ControlsContext): RoutePlugin {
  /** The camera channel whose light to use; 409 for an NVR's IP channel. */
  async function camera(channelId: string) {
    const access = await channelAccess(controls, channelId, 'the supplement light');
    if (access.channel.source === 'proxy') {
      throw new AppError(
        'control_unsupported',
        409,
        `"${access.channel.name}" is an IP camera behind "${access.device.name}": add the camera itself to change its light.`,
      );
    }
    return access;
  }

  return (app) => {
    app.get(
      '/api/v1/channels/:id/light',
      {
        schema: {
          tags: ['controls'],
          summary: "A camera's supplement light (white / IR): mode and brightness",
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: { 200: Light, ...errors },
        },
      },
      async (request) => {
        const { channel, client } = await camera(request.params.id);
        return notFoundWhenMissing(() => readSupplementLight(client, channel.channelNo));
      },
    );

    app.put(
      '/api/v1/channels/:id/light',
      {
        schema: {
          tags: ['controls'],
          summary: 'Change the supplement light: mode and/or brightness; the answer is read back',
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          body: LightChange,
          response: { 200: Light, ...errors },
        },
      },
      async (request) => {
        const change = request.body as SupplementLightChange;
        if (
          change.mode === undefined &&
          change.whiteBrightness === undefined &&
          change.irBrightness === undefined
        ) {
          throw new InputError('Say what to change: "mode", "whiteBrightness" and/or "irBrightness".');
        }
        const { channel, client } = await camera(request.params.id);
        try {
          const after = await notFoundWhenMissing(() =>
            setSupplementLight(client, channel.channelNo, change),
          );
          controls.deps.logger.info({ channelId: channel.id, ...change }, 'supplement light changed');
          return after;
        } catch (error) {
          if (error instanceof OutputInputError) throw new InputError(error.message, error.field);
          throw error;
        }
      },
    );
  };
}

async function notFoundWhenMissing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await onDevice(work);
  } catch (error) {
    if (error instanceof AppError && error.code === 'device_not_supported') {
      throw new AppError('not_found', 404, error.message);
    }
    throw error;
  }
}
