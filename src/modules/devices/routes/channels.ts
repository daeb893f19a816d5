import { Type } from 'typebox';
import { InputError, NotFoundError } from '../../../core/errors.ts';
import { ErrorBody, type HttpApp, IdParams } from '../../../core/http.ts';
import { checkSnapshotUrl, keepStoredPassword } from '../input.ts';
import type { DeviceRoutesDeps } from './deps.ts';
import {
  ChannelPatchBody,
  type ChannelPatchBodyType,
  ChannelView,
  type ChannelViewType,
  SnapshotQuery,
} from './schemas.ts';
import { channelView } from './views.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody };

type External = NonNullable<Awaited<ReturnType<DeviceRoutesDeps['devices']['externalChannel']>>>;

/** A cloud camera can be switched on and off here; its other settings are its module's. */
async function patchExternal(external: External, body: ChannelPatchBodyType): Promise<ChannelViewType> {
  const { enabled, ...rest } = body;
  const other = Object.keys(rest)[0];
  if (other) {
    throw new InputError(`${other}: not a setting of a ${external.view.source} camera`, other);
  }
  if (enabled === undefined || enabled === external.view.enabled) return external.view;
  return external.source.setEnabled(external.view.id, enabled);
}

export function registerChannelRoutes(app: HttpApp, deps: DeviceRoutesDeps): void {
  const { store, devices } = deps;

  async function load(id: string) {
    const channel = await store.channels.get(id);
    if (!channel) throw new NotFoundError('channel', id);
    return { channel, device: await devices.registry.get(channel.deviceId) };
  }

  app.get(
    '/api/v1/channels',
    {
      schema: {
        tags: ['channels'],
        summary: 'Every camera channel of every device',
        response: { 200: Type.Array(ChannelView) },
      },
    },
    async () => {
      const byId = new Map((await devices.registry.list()).map((device) => [device.id, device]));
      const own = (await store.channels.list()).map((channel) =>
        channelView(channel, byId.get(channel.deviceId)),
      );
      return [...own, ...(await devices.listExternalChannels())];
    },
  );

  app.get(
    '/api/v1/channels/:id',
    { schema: { tags: ['channels'], params: IdParams, response: { 200: ChannelView, ...errors } } },
    async (request) => {
      const external = await devices.externalChannel(request.params.id);
      if (external) return external.view;
      const { channel, device } = await load(request.params.id);
      return channelView(channel, device);
    },
  );

  app.patch(
    '/api/v1/channels/:id',
    {
      schema: {
        tags: ['channels'],
        summary: 'Pick the channel as a camera, set its stream or snapshot override',
        params: IdParams,
        body: ChannelPatchBody,
        response: { 200: ChannelView, ...errors },
      },
    },
    async (request) => {
      const body = request.body;
      const external = await devices.externalChannel(request.params.id);
      if (external) return patchExternal(external, body);
      const { channel, device } = await load(request.params.id);
      if (body.snapshotUrlOverride) checkSnapshotUrl(body.snapshotUrlOverride);
      if (body.enabled !== undefined && body.enabled !== channel.enabled) {
        await devices.registry.setChannelEnabled(channel.id, body.enabled);
      }
      const { enabled: _enabled, ...rest } = body;
      if (rest.snapshotUrlOverride) {
        rest.snapshotUrlOverride = keepStoredPassword(rest.snapshotUrlOverride, channel.snapshotUrlOverride);
      }
      const updated =
        Object.keys(rest).length > 0
          ? await store.channels.update(channel.id, rest)
          : await store.channels.get(channel.id);
      if (!updated) throw new NotFoundError('channel', channel.id);
      // The media module follows stream choices (default stream) from here.
      deps.bus.emit('channels.changed', { deviceId: channel.deviceId });
      return channelView(updated, device);
    },
  );

  app.get(
    '/api/v1/channels/:id/snapshot.jpg',
    {
      schema: {
        tags: ['channels'],
        summary: 'A JPEG picture; concurrent requests share one device request',
        params: IdParams,
        querystring: SnapshotQuery,
        response: { 200: Type.Unsafe({ type: 'string', format: 'binary' }), ...errors },
      },
    },
    async (request, reply) => {
      const snapshot = await devices.snapshot(request.params.id, request.query);
      reply
        .header('content-type', 'image/jpeg')
        .header('cache-control', 'no-store')
        .header('last-modified', new Date(snapshot.takenAt).toUTCString())
        // `stream` when the device's picture endpoints failed and a live frame stood in.
        .header('x-hikbridge-snapshot-source', snapshot.source);
      return snapshot.jpeg;
    },
  );
}
