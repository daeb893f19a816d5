/**
 * Doors, doorbell calls and the tamper latch: open a door; answer, hang up or stop the ringing of
 * a call; see and reset the latch.
 */
import { Type } from 'typebox';
import { ErrorBody, type HttpApp } from '../../../core/http.ts';
import type { DeviceRoutesDeps } from './deps.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody };
const DoorCommandName = Type.Union(
  ['open', 'close', 'alwaysOpen', 'alwaysClose', 'resume'].map((name) => Type.Literal(name)),
);
const TamperView = Type.Object(
  {
    latched: Type.Boolean({ description: 'On from a tamper alarm until restored by the device or reset' }),
    since: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'TamperState' },
);
const CallState = Type.Object(
  { state: Type.String({ description: '`ringing`, `in call`, `idle` (or `unknown`)' }) },
  { $id: 'CallState' },
);

export function registerDoorbellRoutes(app: HttpApp, deps: DeviceRoutesDeps): void {
  const { devices } = deps;

  app.post(
    '/api/v1/devices/:id/doors/:door',
    {
      schema: {
        tags: ['doorbells'],
        summary: "Send a door command (default: open, i.e. unlock for the door's open time)",
        description:
          'Doors are numbered from 1. On a doorbell, opening a door while it rings or a call is up ends the ' +
          'call `devices.endCallAfterDoorOpenSeconds` later.',
        params: Type.Object({ id: Type.String(), door: Type.Integer({ minimum: 1, maximum: 64 }) }),
        querystring: Type.Object(
          { command: Type.Optional(DoorCommandName) },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const command = (request.query.command ?? 'open') as Parameters<typeof devices.doorCommand>[2];
      await devices.doorCommand(request.params.id, request.params.door, command);
      reply.code(204);
      return null;
    },
  );

  app.get(
    '/api/v1/devices/:id/call',
    {
      schema: {
        tags: ['doorbells'],
        summary: "A doorbell's call state, asked of the doorbell now",
        params: Type.Object({ id: Type.String() }),
        response: { 200: CallState, ...errors },
      },
    },
    async (request) => ({ state: await devices.callState(request.params.id) }),
  );

  app.post(
    '/api/v1/devices/:id/call/:action',
    {
      schema: {
        tags: ['doorbells'],
        summary: 'Answer, hang up, or stop the ringing (answer then hang up, without the busy tone)',
        params: Type.Object({
          id: Type.String(),
          action: Type.Union([Type.Literal('answer'), Type.Literal('hang-up'), Type.Literal('stop-ringing')]),
        }),
        response: { 200: CallState, ...errors },
      },
    },
    async (request) => ({ state: await devices.callAction(request.params.id, request.params.action) }),
  );

  app.get(
    '/api/v1/devices/:id/tamper',
    {
      schema: {
        tags: ['doorbells'],
        summary: 'The tamper latch: on from a tamper alarm until the device restores it or it is reset',
        params: Type.Object({ id: Type.String() }),
        response: { 200: TamperView, ...errors },
      },
    },
    async (request) => devices.tamperState(request.params.id),
  );

  app.post(
    '/api/v1/devices/:id/tamper/reset',
    {
      schema: {
        tags: ['doorbells'],
        summary: 'Reset the tamper latch (after checking the device)',
        params: Type.Object({ id: Type.String() }),
        response: { 200: TamperView, ...errors },
      },
    },
    async (request) => devices.resetTamper(request.params.id),
  );
}
