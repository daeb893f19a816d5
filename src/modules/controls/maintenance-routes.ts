/**
 * Reboot a device. It must be confirmed (`{"confirm": true}`): a reboot interrupts recording,
 * live view and events for minutes. The device is expected back within
 * `controls.rebootExpectedSeconds`.
 */
import { Type } from 'typebox';
import { InputError } from '../../core/errors.ts';
import { ErrorBody, type RoutePlugin } from '../../core/http.ts';
import { reboot } from '../../protocols/isapi/maintenance.ts';
import { deviceAccess, onDevice } from './access.ts';
import type { ControlsContext } from './types.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody };

const RebootAnswer = Type.Object(
  {
    rebooting: Type.Literal(true),
    expectedBackWithinSeconds: Type.Integer({ description: '`controls.rebootExpectedSeconds`' }),
  },
  { $id: 'RebootAnswer' },
);

export function maintenanceRoutes(controls: ControlsContext): RoutePlugin {
  return (app) => {
    app.post(
      '/api/v1/devices/:id/reboot',
      {
        schema: {
          tags: ['controls'],
          summary: 'Reboot a device (body `{"confirm": true}`)',
          description:
            'The device stops recording, streaming and sending events until it is back, usually 1-5 minutes. ' +
            'Without `{"confirm": true}` nothing is sent.',
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: { 202: RebootAnswer, ...errors },
        },
      },
      async (request, reply) => {
        const body = request.body as { confirm?: unknown } | undefined;
        if (body?.confirm !== true) {
          throw new InputError(
            'A reboot stops recording, live view and events for minutes; send {"confirm": true} to reboot.',
            'confirm',
          );
        }
        const seconds = await rebootDevice(controls, request.params.id, request.principal?.name);
        reply.code(202);
        return { rebooting: true as const, expectedBackWithinSeconds: seconds };
      },
    );
  };
}

/** Reboots the device (the route and bus commands); returns the seconds it is expected away. */
export async function rebootDevice(
  controls: ControlsContext,
  deviceId: string,
  by: string | undefined,
): Promise<number> {
  const { device, client } = await deviceAccess(controls, deviceId);
  await onDevice(() => reboot(client));
  const seconds = controls.deps.settings.rebootExpectedSeconds;
  // The supervisor reports it as rebooting (not failing) while it is away.
  const expectedBackBy = new Date(Date.now() + seconds * 1000).toISOString();
  controls.deps.bus.emit('device.rebooting', { deviceId: device.id, expectedBackBy });
  controls.deps.logger.info(
    { deviceId: device.id, by, expectedBackWithinSeconds: seconds },
    `reboot of "${device.name}" asked; expected back within ${seconds} s`,
  );
  return seconds;
}
