import { Type } from 'typebox';
import { AppError } from '../../../core/errors.ts';
import { ErrorBody, type HttpApp, IdParams } from '../../../core/http.ts';
import type { DeviceInput } from '../input.ts';
import type { DeviceRoutesDeps } from './deps.ts';
import {
  ChannelView,
  DeviceCreate,
  DevicePatchBody,
  DeviceView,
  DoctorReportView,
  EntityParams,
  EntityPatchBody,
  EntityView,
  Health,
} from './schemas.ts';
import { channelView, deviceView, entityView } from './views.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody };

export function registerDeviceRoutes(app: HttpApp, deps: DeviceRoutesDeps): void {
  const { devices, store } = deps;
  const view = (device: Parameters<typeof deviceView>[0]) => deviceView(device, devices.health(device.id));

  app.get(
    '/api/v1/devices',
    { schema: { tags: ['devices'], summary: 'All devices', response: { 200: Type.Array(DeviceView) } } },
    async () => (await devices.registry.list()).map(view),
  );

  app.post(
    '/api/v1/devices',
    {
      schema: {
        tags: ['devices'],
        summary: 'Add a device: it is probed first and saved only if that works',
        body: DeviceCreate,
        response: { 201: DeviceView, ...errors },
      },
    },
    async (request, reply) => {
      const device = await devices.registry.add(request.body as DeviceInput);
      reply.code(201);
      return view(device);
    },
  );

  app.get(
    '/api/v1/devices/:id',
    { schema: { tags: ['devices'], params: IdParams, response: { 200: DeviceView, ...errors } } },
    async (request) => view(await devices.registry.get(request.params.id)),
  );

  app.patch(
    '/api/v1/devices/:id',
    {
      schema: {
        tags: ['devices'],
        summary: 'Change settings; connection changes are verified with the device and apply at once',
        params: IdParams,
        body: DevicePatchBody,
        response: { 200: DeviceView, ...errors },
      },
    },
    async (request) => view(await devices.registry.update(request.params.id, request.body)),
  );

  app.delete(
    '/api/v1/devices/:id',
    {
      schema: {
        tags: ['devices'],
        summary: 'Remove a device with its channels and entities',
        params: IdParams,
      },
    },
    async (request, reply) => {
      await devices.registry.remove(request.params.id);
      reply.code(204).send();
    },
  );

  app.post(
    '/api/v1/devices/:id/refresh',
    {
      schema: {
        tags: ['devices'],
        summary: 'Probe again: new NVR channels, names, streams',
        params: IdParams,
        response: { 200: DeviceView, ...errors },
      },
    },
    async (request) => view(await devices.refresh(request.params.id)),
  );

  app.post(
    '/api/v1/devices/:id/retry-login',
    {
      schema: {
        tags: ['devices'],
        summary:
          'After fixing the credentials on the device: log in once more (hikbridge stops logging in to a device that refused them)',
        params: IdParams,
        response: { 200: Health, ...errors },
      },
    },
    async (request) => devices.retryLogin(request.params.id),
  );

  app.get(
    '/api/v1/devices/:id/health',
    { schema: { tags: ['devices'], params: IdParams, response: { 200: Health, ...errors } } },
    async (request) => {
      const device = await devices.registry.get(request.params.id);
      return (
        devices.health(device.id) ?? {
          deviceId: device.id,
          state: 'connecting',
          lastError: null,
          lastErrorCode: null,
          lastSeen: null,
          since: device.updatedAt,
          nextAttemptAt: null,
        }
      );
    },
  );

  app.get(
    '/api/v1/devices/:id/channels',
    {
      schema: { tags: ['devices'], params: IdParams, response: { 200: Type.Array(ChannelView), ...errors } },
    },
    async (request) => {
      const device = await devices.registry.get(request.params.id);
      return (await store.channels.listByDevice(device.id)).map((channel) => channelView(channel, device));
    },
  );

  app.get(
    '/api/v1/devices/:id/entities',
    {
      schema: {
        tags: ['devices'],
        summary: 'Door locks, door contacts, tamper, alarm I/O',
        params: IdParams,
        response: { 200: Type.Array(EntityView), ...errors },
      },
    },
    async (request) => {
      const device = await devices.registry.get(request.params.id);
      return (await store.entities.listByDevice(device.id)).map(entityView);
    },
  );

  app.patch(
    '/api/v1/devices/:id/entities/:key',
    {
      schema: {
        tags: ['devices'],
        summary:
          'Switch an entity on or off: one that is off leaves Home Assistant; a tamper sensor that is off reports its alarms as motion',
        params: EntityParams,
        body: EntityPatchBody,
        response: { 200: EntityView, ...errors },
      },
    },
    async (request) => {
      const device = await devices.registry.get(request.params.id);
      const { key } = request.params;
      const current = (await store.entities.listByDevice(device.id)).find((entity) => entity.key === key);
      if (!current) throw noSuchEntity(device.name, key);
      if (current.enabled === request.body.enabled) return entityView(current);
      const updated = await store.entities.setEnabled(device.id, key, request.body.enabled);
      if (!updated) throw noSuchEntity(device.name, key);
      // MQTT publishes or removes the entity; the events module re-reads the tamper switch.
      deps.bus.emit('entities.changed', { deviceId: device.id });
      return entityView(updated);
    },
  );

  app.post(
    '/api/v1/devices/:id/doctor',
    {
      schema: {
        tags: ['devices'],
        summary: 'Run the troubleshooting checks against the device',
        params: IdParams,
        response: { 200: DoctorReportView, ...errors },
      },
    },
    async (request) => {
      return devices.doctor(request.params.id);
    },
  );
}

function noSuchEntity(deviceName: string, key: string): AppError {
  return new AppError('not_found', 404, `"${deviceName}" has no entity "${key}".`);
}
