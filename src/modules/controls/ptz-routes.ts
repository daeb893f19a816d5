/**
 * PTZ routes per channel (`/api/v1/channels/{id}/ptz/...`): continuous moves with an automatic
 * stop, stop, presets, home position and patrols. Bad input is refused with 400 before anything
 * is sent; a channel without PTZ (or a cloud camera) gets 409 in words.
 */
import { Type } from 'typebox';
import { ErrorBody, type RoutePlugin } from '../../core/http.ts';
import { MAX_PRESET_NAME, PTZ_SPEED } from '../../protocols/isapi/index.ts';
import { ptzControlOf } from './ptz.ts';
import type { ControlsContext } from './types.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody };
const tags = ['ptz'];
const ChannelParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const PresetParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  preset: Type.Integer({
    minimum: 1,
    maximum: 1024,
    description: "Preset number (1..the channel's maximum)",
  }),
});
const PatrolParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  patrol: Type.Integer({ minimum: 1, maximum: 64 }),
  command: Type.Union([Type.Literal('start'), Type.Literal('stop')]),
});

const Speed = (axis: string) =>
  Type.Optional(
    Type.Integer({
      minimum: PTZ_SPEED.min,
      maximum: PTZ_SPEED.max,
      description: `${axis} speed ${PTZ_SPEED.min}..${PTZ_SPEED.max} (0 or left out: still)`,
    }),
  );

const MoveBody = Type.Object(
  {
    pan: Speed('Pan (negative: left)'),
    tilt: Speed('Tilt (negative: down)'),
    zoom: Speed('Zoom (negative: out)'),
    seconds: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 300,
        description:
          'Stop by itself after this many seconds (at most `controls.ptzMaxMoveSeconds`, the default)',
      }),
    ),
  },
  { additionalProperties: false },
);

const MoveState = Type.Object(
  {
    moving: Type.Boolean(),
    stopsAt: Type.Union([Type.String(), Type.Null()], { description: 'When the automatic stop comes' }),
  },
  { $id: 'PtzMoveState' },
);

const Preset = Type.Object({ id: Type.Integer(), name: Type.String() }, { $id: 'PtzPreset' });
const Patrol = Type.Object(
  { id: Type.Integer(), name: Type.String(), enabled: Type.Boolean() },
  { $id: 'PtzPatrol' },
);
const Capabilities = Type.Object(
  {
    panTilt: Type.Boolean(),
    zoom: Type.Boolean(),
    maxPresets: Type.Integer({ description: 'Highest preset number (0: no presets)' }),
    reservedPresets: Type.Array(Type.Integer(), {
      description: 'Numbers the device keeps for its functions: they cannot be saved or deleted here',
    }),
    maxPatrols: Type.Integer({ description: '0: no patrols' }),
    moving: Type.Boolean(),
    stopsAt: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'PtzCapabilities' },
);
const PresetBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: MAX_PRESET_NAME }) },
  { additionalProperties: false },
);

export function ptzRoutes(controls: ControlsContext): RoutePlugin {
  const ptz = ptzControlOf(controls);
  return (app) => {
    app.get(
      '/api/v1/channels/:id/ptz',
      {
        schema: {
          tags,
          summary: 'What PTZ the channel has (409 when none), and whether it is moving',
          params: ChannelParams,
          response: { 200: Capabilities, ...errors },
        },
      },
      async (request) => {
        const channel = await ptz.channel(request.params.id);
        const caps = await ptz.capabilitiesOf(channel);
        return {
          panTilt: caps.panTilt,
          zoom: caps.zoom,
          maxPresets: caps.maxPresets,
          reservedPresets: caps.specialPresets,
          maxPatrols: caps.maxPatrols,
          ...ptz.state(request.params.id),
        };
      },
    );

    app.post(
      '/api/v1/channels/:id/ptz/move',
      {
        schema: {
          tags,
          summary:
            'Start a continuous pan/tilt/zoom move; it stops by itself after `seconds` unless stopped first',
          description:
            'Speeds are -100..100 per axis. The move ends at `ptz/stop`, at the next move or preset, or by ' +
            'itself after `seconds` or `controls.ptzMaxMoveSeconds`, whichever is smaller. All speeds 0 stops.',
          params: ChannelParams,
          body: MoveBody,
          response: { 200: MoveState, ...errors },
        },
      },
      async (request) => ptz.move(request.params.id, request.body),
    );

    app.post(
      '/api/v1/channels/:id/ptz/stop',
      {
        schema: {
          tags,
          summary: 'Stop a continuous move',
          params: ChannelParams,
          response: { 200: MoveState, ...errors },
        },
      },
      async (request) => ptz.stopMove(request.params.id),
    );

    app.get(
      '/api/v1/channels/:id/ptz/presets',
      {
        schema: {
          tags,
          summary: 'The presets that are set, by number',
          params: ChannelParams,
          response: { 200: Type.Array(Preset), ...errors },
        },
      },
      async (request) => ptz.presets(request.params.id),
    );

    app.post(
      '/api/v1/channels/:id/ptz/presets/:preset/goto',
      {
        schema: {
          tags,
          summary: 'Go to a preset',
          params: PresetParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await ptz.gotoPreset(request.params.id, request.params.preset);
        reply.code(204);
        return null;
      },
    );

    app.put(
      '/api/v1/channels/:id/ptz/presets/:preset',
      {
        schema: {
          tags,
          summary: 'Save the current position as this preset, with a name (also renames)',
          description:
            'The device stores the current position with every save: renaming a preset also moves it to ' +
            `where the camera points now. Names: 1-${MAX_PRESET_NAME} characters.`,
          params: PresetParams,
          body: PresetBody,
          response: { 200: Preset, ...errors },
        },
      },
      async (request) => ptz.savePreset(request.params.id, request.params.preset, request.body.name),
    );

    app.delete(
      '/api/v1/channels/:id/ptz/presets/:preset',
      {
        schema: {
          tags,
          summary: 'Delete a preset',
          params: PresetParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await ptz.deletePreset(request.params.id, request.params.preset);
        reply.code(204);
        return null;
      },
    );

    app.post(
      '/api/v1/channels/:id/ptz/home',
      {
        schema: {
          tags,
          summary: 'Go to the home position',
          params: ChannelParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await ptz.home(request.params.id, 'goto');
        reply.code(204);
        return null;
      },
    );

    app.put(
      '/api/v1/channels/:id/ptz/home',
      {
        schema: {
          tags,
          summary: 'Make the current position the home position (where the device has one)',
          params: ChannelParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await ptz.home(request.params.id, 'set');
        reply.code(204);
        return null;
      },
    );

    app.get(
      '/api/v1/channels/:id/ptz/patrols',
      {
        schema: {
          tags,
          summary: 'The patrols of the channel (409 when it has none)',
          params: ChannelParams,
          response: { 200: Type.Array(Patrol), ...errors },
        },
      },
      async (request) => ptz.patrols(request.params.id),
    );

    app.post(
      '/api/v1/channels/:id/ptz/patrols/:patrol/:command',
      {
        schema: {
          tags,
          summary: 'Start or stop a patrol',
          params: PatrolParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await ptz.patrol(request.params.id, request.params.patrol, request.params.command);
        reply.code(204);
        return null;
      },
    );
  };
}
