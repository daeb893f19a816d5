/**
 * The controls module's Prometheus metrics: each device's disks, memory cards and NAS shares
 * (capacity, free space, whether the status is a working one), from the controls inventory as
 * last read. Nothing is asked of a device for a scrape: the gauges show what the inventory holds
 * (read while something listens to it, see inventory.ts), and a removed device's series go with
 * its inventory.
 */
import { Gauge, type Registry } from 'prom-client';
import type { ControlsInventory } from '../../core/bus.ts';

/** Disks per device given series: a device answering with thousands must not flood the scrape. */
export const MAX_DISKS_PER_DEVICE = 64;

/** Status words of a disk that records (the device's own words, lower-cased; idle disks spin down). */
const WORKING = new Set(['ok', 'normal', 'idle', 'sleeping', 'sleep']);

/**
 * Words the `status` label takes as they are; any other becomes `other`, so a device inventing
 * words cannot grow the label's values without bound.
 */
const KNOWN_STATUS = new Set([
  ...WORKING,
  'unformatted',
  'uninitialized',
  'formatting',
  'error',
  'smartfailed',
  'abnormal',
  'offline',
  'mismatch',
  'unknown',
]);

type Disk = ControlsInventory['storage'][number];

export function registerControlsMetrics(
  registry: Registry,
  inventories: () => Iterable<[deviceId: string, inventory: ControlsInventory]>,
): void {
  const disks = function* () {
    for (const [deviceId, inventory] of inventories()) {
      for (const disk of inventory.storage.slice(0, MAX_DISKS_PER_DEVICE)) {
        yield { labels: { device_id: deviceId, disk: String(disk.id), type: disk.type }, disk };
      }
    }
  };
  new Gauge({
    name: 'hikbridge_storage_capacity_bytes',
    help: 'Capacity of a disk, memory card or NAS share of a device, as the device reports it',
    labelNames: ['device_id', 'disk', 'type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, disk } of disks())
        if (disk.capacityMb !== null) this.set(labels, megabytes(disk.capacityMb));
    },
  });
  new Gauge({
    name: 'hikbridge_storage_free_bytes',
    help: 'Free space of a disk, memory card or NAS share of a device, as the device reports it',
    labelNames: ['device_id', 'disk', 'type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, disk } of disks())
        if (disk.freeMb !== null) this.set(labels, megabytes(disk.freeMb));
    },
  });
  new Gauge({
    name: 'hikbridge_storage_ok',
    help: 'Whether a disk, memory card or NAS share can record (1: ok, normal, idle or sleeping; else 0); status: the device word',
    labelNames: ['device_id', 'disk', 'type', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, disk } of disks())
        this.set({ ...labels, status: statusLabel(disk) }, diskOk(disk));
    },
  });
}

/** The device's word, lower-cased, or `other` for one not in the known set. */
export function statusLabel(disk: Pick<Disk, 'status'>): string {
  const word = disk.status.toLowerCase();
  return KNOWN_STATUS.has(word) ? word : 'other';
}

export function diskOk(disk: Pick<Disk, 'status'>): 0 | 1 {
  return WORKING.has(disk.status.toLowerCase()) ? 1 : 0;
}

/**
 * The device's MB in bytes. ISAPI's `capacity`/`freeSpace` are MiB: the captured 128 GB memory
 * card reports 121942, which is its usable size in MiB (as MB it would be 6 GB short).
 */
function megabytes(mb: number): number {
  return mb * 1024 * 1024;
}
