/**
 * A device's storage, read-only: its disks, memory card and NAS shares with their status, size
 * and free space, asked of the device now (the web UI's storage bars). Judging them is the
 * doctor's storage check; changing them (formatting) is the device's own web page's business.
 */
import { Type } from 'typebox';
import { ErrorBody, Nullable, type RoutePlugin } from '../../core/http.ts';
import { readStorage } from '../../protocols/isapi/storage.ts';
import { deviceAccess, onDevice } from './access.ts';
import type { ControlsContext } from './types.ts';

const errors = { 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody };

const Disk = Type.Object(
  {
    id: Type.Integer({ description: "The device's id of the disk or share" }),
    name: Type.String({ description: '`hdd1`, `hdde` (a memory card), or a NAS address and path' }),
    type: Type.Union([Type.Literal('hdd'), Type.Literal('sd'), Type.Literal('nas')]),
    status: Type.String({ description: "The device's word: ok, idle, unformatted, error, offline…" }),
    capacityMb: Nullable(Type.Integer()),
    freeMb: Nullable(Type.Integer()),
  },
  { $id: 'StorageDisk' },
);

export function storageRoutes(controls: ControlsContext): RoutePlugin {
  return (app) => {
    app.get(
      '/api/v1/devices/:id/storage',
      {
        schema: {
          tags: ['controls'],
          summary: "A device's disks, memory card and NAS shares: status, capacity and free space (MB)",
          description: 'Asked of the device now. An empty list: the device reports no storage.',
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: { 200: Type.Array(Disk), ...errors },
        },
      },
      async (request) => {
        const { device, client } = await deviceAccess(controls, request.params.id);
        // A recorder's own disks are hard disks; a camera's are its memory card.
        const recorder = device.kind === 'nvr' || device.kind === 'dvr';
        const disks = await onDevice(() => readStorage(client, { localMedia: recorder ? 'hdd' : 'sd' }));
        return disks.map(({ id, name, type, status, capacityMb, freeMb }) => ({
          id,
          name,
          type,
          status,
          capacityMb,
          freeMb,
        }));
      },
    );
  };
}
