/** A device's alarm outputs: list them with their state, switch one on or off (read back). */
import { Type } from 'typebox';
import { AppError } from '../../core/errors.ts';
import { ErrorBody, Nullable, type RoutePlugin } from '../../core/http.ts';
import { listOutputs, setOutput } from '../../protocols/isapi/io.ts';
import { deviceAccess, onDevice } from './access.ts';
import type { ControlsContext } from './types.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody };

const AlarmOutput = Type.Object(
  {
    id: Type.Integer({ description: 'Output number on the device, from 1' }),
    name: Nullable(Type.String()),
    state: Type.Union([Type.Literal('on'), Type.Literal('off')]),
  },
  { $id: 'AlarmOutput' },
);

export function outputRoutes(controls: ControlsContext): RoutePlugin {
  return (app) => {
    app.get(
      '/api/v1/devices/:id/outputs',
      {
        schema: {
          tags: ['controls'],
          summary: "A device's alarm outputs and their state, asked of the device now",
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: { 200: Type.Array(AlarmOutput), ...errors },
        },
      },
      async (request) => {
        const { client } = await deviceAccess(controls, request.params.id);
        return onDevice(() => listOutputs(client));
      },
    );

    app.post(
      '/api/v1/devices/:id/outputs/:output',
      {
        schema: {
          tags: ['controls'],
          summary: 'Switch an alarm output on or off; the answer is its state read back',
          params: Type.Object({
            id: Type.String({ minLength: 1, maxLength: 64 }),
            output: Type.Integer({ minimum: 1, maximum: 4096 }),
          }),
          body: Type.Object(
            { state: Type.Union([Type.Literal('on'), Type.Literal('off')]) },
            { additionalProperties: false },
          ),
          response: { 200: AlarmOutput, ...errors },
        },
      },
      async (request) => {
        const { device, client } = await deviceAccess(controls, request.params.id);
        const { output } = request.params;
        const { state } = request.body;
        try {
          const after = await onDevice(() => setOutput(client, output, state));
          controls.deps.logger.info({ deviceId: device.id, output, state }, 'alarm output switched');
          return after;
        } catch (error) {
          if (error instanceof AppError && error.code === 'device_not_supported') {
            throw new AppError('not_found', 404, `"${device.name}": ${error.message}`);
          }
          throw error;
        }
      },
    );
  };
}
