/**
 * A device's disks, memory card and NAS shares (`GET /api/v1/devices/{id}/storage`): status in
 * the device's word with what it means, and how full each is as a bar with the numbers in words.
 */
import type { Device } from '../../api.ts';
import { enc, Part, usePart } from './part.tsx';
import type { StorageDisk } from './types.ts';

/** Statuses of a disk that records (as the doctor's storage check counts them). */
const WORKING = new Set(['ok', 'normal', 'idle', 'sleeping', 'sleep']);
const TYPE_WORDS: Record<StorageDisk['type'], string> = { hdd: 'Disk', sd: 'Memory card', nas: 'NAS' };

export function StorageControls({ device }: { device: Device }) {
  const { state } = usePart<StorageDisk[]>(`/api/v1/devices/${enc(device.id)}/storage`);
  // No disk, card or share: nothing to show.
  if (state.kind === 'ready' && state.value.length === 0) return null;
  return (
    <Part title="Storage" id={`storage-${device.id}`} state={state}>
      {(disks) => (
        <ul class="control-list storage">
          {disks.map((disk) => (
            <DiskRow key={disk.id} disk={disk} />
          ))}
        </ul>
      )}
    </Part>
  );
}

/** MB as the device gives them, in GB or TB. */
export function sizeWords(mb: number): string {
  const gb = mb / 1024;
  if (gb >= 1024) return `${(gb / 1024).toFixed(1)} TB`;
  return gb >= 10 ? `${Math.round(gb)} GB` : `${gb.toFixed(1)} GB`;
}

function DiskRow({ disk }: { disk: StorageDisk }) {
  const working = WORKING.has(disk.status.toLowerCase());
  const known = disk.capacityMb !== null && disk.capacityMb > 0 && disk.freeMb !== null;
  const usedShare = known ? Math.min(1, Math.max(0, 1 - disk.freeMb! / disk.capacityMb!)) : 0;
  const percent = Math.round(usedShare * 100);
  return (
    <li data-disk={disk.id}>
      <div class="row">
        <span class="control-name">
          {TYPE_WORDS[disk.type]} {disk.id} <span class="hint">({disk.name})</span>
        </span>
        <span class={`badge ${working ? 'online' : 'error'}`}>
          {working ? `Working (${disk.status})` : `Not recording: ${disk.status}`}
        </span>
      </div>
      {known ? (
        <>
          <div class={`storage-bar${percent >= 95 ? ' full' : ''}`} aria-hidden="true">
            <span style={{ width: `${percent}%` }} />
          </div>
          <p class="storage-words">
            {sizeWords(disk.freeMb!)} free of {sizeWords(disk.capacityMb!)} ({percent} % used)
          </p>
        </>
      ) : (
        <p class="hint">The device does not say how big it is or how full.</p>
      )}
    </li>
  );
}
