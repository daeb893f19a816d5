/**
 * Active deterrence: a camera's audible alarm (siren: sound, volume, times) and its flashing light
 * per channel (strobe: duration, frequency). These set what the camera does when a detection's
 * trigger is linked to them (see the linkage routes in detections-routes.ts); no ISAPI resource is
 * documented to sound them on demand, so none is offered. Values are checked against the device's
 * own capabilities before anything is written; every change is read back.
 */
import { Type } from 'typebox';
import { AppError, InputError } from '../../core/errors.ts';
import { ErrorBody, Nullable, type RoutePlugin } from '../../core/http.ts';
import {
  DeterrenceInputError,
  readSiren,
  readStrobe,
  type SirenChange,
  type StrobeChange,
  setSiren,
  setStrobe,
} from '../../protocols/isapi/deterrence.ts';
import { channelAccess, deviceAccess, onDevice } from './access.ts';
import type { ControlsContext } from './types.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody };

const Range = Nullable(
  Type.Object({ min: Type.Number(), max: Type.Number() }, { description: 'As the device states it' }),
);

const Siren = Type.Object(
  {
    soundId: Type.Integer({ description: 'The sound played, an id from `sounds`' }),
    sounds: Type.Array(Type.Object({ id: Type.Integer(), name: Nullable(Type.String()) }), {
      description: 'The sounds the device offers',
    }),
    volume: Nullable(Type.Number()),
    volumeRange: Range,
    times: Nullable(Type.Number({ description: 'How many times the sound plays per alarm' })),
    timesRange: Range,
  },
  { $id: 'Siren' },
);

const SirenBody = Type.Object(
  {
    soundId: Type.Optional(Type.Integer()),
    volume: Type.Optional(Type.Integer()),
    times: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

const Strobe = Type.Object(
  {
    channel: Type.Integer(),
    scope: Type.Union([Type.Literal('channel'), Type.Literal('device')], {
      description:
        "`channel`: the channel's own setting; `device`: older firmware's one setting for the device",
    }),
    duration: Nullable(Type.Number({ description: 'Seconds the light flashes per alarm' })),
    durationRange: Range,
    frequency: Nullable(
      Type.String({ description: 'high, medium, low, normallyOn, as the device words it' }),
    ),
    frequencies: Nullable(
      Type.Array(Type.String(), {
        description: 'The frequencies the device offers; null when it does not say',
      }),
    ),
  },
  { $id: 'Strobe' },
);

const StrobeBody = Type.Object(
  {
    duration: Type.Optional(Type.Integer()),
    frequency: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export function deterrenceRoutes(controls: ControlsContext): RoutePlugin {
  return (app) => {
    app.get(
      '/api/v1/devices/:id/siren',
      {
        schema: {
          tags: ['controls'],
          summary: "A camera's audible alarm (siren): sound, volume and times, with what the device allows",
          params: IdParams,
          response: { 200: Siren, ...errors },
        },
      },
      async (request) => {
        const { device, client } = await deviceAccess(controls, request.params.id);
        return notFoundWhenMissing(`"${device.name}"`, () => readSiren(client));
      },
    );

    app.put(
      '/api/v1/devices/:id/siren',
      {
        schema: {
          tags: ['controls'],
          summary:
            'Change the siren: soundId (from its list), volume and/or times (within its ranges); read back',
          description:
            'What the camera plays when a detection linked to the siren fires (PUT .../detections/{kind}/linkage `{siren: true}`).',
          params: IdParams,
          body: SirenBody,
          response: { 200: Siren, ...errors },
        },
      },
      async (request) => {
        const change = request.body as SirenChange;
        if (change.soundId === undefined && change.volume === undefined && change.times === undefined) {
          throw new InputError('Say what to change: "soundId", "volume" and/or "times".');
        }
        const { device, client } = await deviceAccess(controls, request.params.id);
        const after = await refusedAsInput(() =>
          notFoundWhenMissing(`"${device.name}"`, () => setSiren(client, change)),
        );
        controls.deps.logger.info({ deviceId: device.id, ...change }, 'siren changed');
        return after;
      },
    );

    app.get(
      '/api/v1/channels/:id/strobe',
      {
        schema: {
          tags: ['controls'],
          summary: "A camera channel's flashing light (strobe): duration and frequency",
          params: IdParams,
          response: { 200: Strobe, ...errors },
        },
      },
      async (request) => {
        const { channel, device, client } = await channelAccess(controls, request.params.id, 'the strobe');
        return notFoundWhenMissing(`"${device.name}"`, () => readStrobe(client, channel.channelNo));
      },
    );

    app.put(
      '/api/v1/channels/:id/strobe',
      {
        schema: {
          tags: ['controls'],
          summary:
            'Change the strobe: duration (within its range) and/or frequency (from its list); read back',
          description:
            'What the camera does when a detection linked to the strobe fires (PUT .../detections/{kind}/linkage `{strobe: true}`).',
          params: IdParams,
          body: StrobeBody,
          response: { 200: Strobe, ...errors },
        },
      },
      async (request) => {
        const change = request.body as StrobeChange;
        if (change.duration === undefined && change.frequency === undefined) {
          throw new InputError('Say what to change: "duration" and/or "frequency".');
        }
        const { channel, device, client } = await channelAccess(controls, request.params.id, 'the strobe');
        const after = await refusedAsInput(() =>
          notFoundWhenMissing(`"${device.name}"`, () => setStrobe(client, channel.channelNo, change)),
        );
        controls.deps.logger.info({ channelId: channel.id, ...change }, 'strobe changed');
        return after;
      },
    );
  };
}

/** A value the device's capabilities rule out is the caller's mistake: 400, nothing written. */
async function refusedAsInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DeterrenceInputError) throw new InputError(error.message, error.field);
    throw error;
  }
}

/** A device without a siren / strobe: 404 in words, not a device failure. */
async function notFoundWhenMissing<T>(where: string, work: () => Promise<T>): Promise<T> {
  try {
    return await onDevice(work);
  } catch (error) {
    if (error instanceof AppError && error.code === 'device_not_supported') {
      throw new AppError('not_found', 404, `${where}: ${error.message}`);
    }
    throw error;
  }
}
