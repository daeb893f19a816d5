/**
 * A device's storage as it reports it in `ContentMgmt/Storage`: the disks of its `hddList`
 * (an NVR's hard disks; a camera's memory card, which cameras list there too, as `hdde`
 * with hddType SATA) and the network shares of its `nasList`. Sizes are in MB as the device
 * gives them; the status is the device's own word (`ok`, `unformatted`, `error`, `idle`,
 * `offline`...). A device without the endpoint has no storage: an empty list, not an error.
 */
import type { IsapiClient } from './client.ts';
import { bool, child, children, int, text, type XmlNode } from './xml.ts';

export type StorageType = 'hdd' | 'sd' | 'nas';

export interface StorageDevice {
  /** The device's id of the disk or share (NAS ids follow the disks', e.g. 9). */
  id: number;
  /** `hddName` for disks (`hdd1`, `hdde`), address and path for a NAS. */
  name: string;
  type: StorageType;
  /** The device's word, as given (`ok`, `unformatted`, `error`, `idle`, `offline`, `smartFailed`...). */
  status: string;
  capacityMb: number | null;
  freeMb: number | null;
  /**
   * Whether the device overwrites the oldest recordings when full; null when it does not say.
   * None of the captured devices says it in `ContentMgmt/Storage`; an `overWrite` element is
   * read when present (the name is from a public script, unverified on a device).
   */
  overwrite: boolean | null;
}

export interface StorageOptions {
  /**
   * What the device's own `hddList` entries are: memory cards on cameras and doorbells
   * (`sd`), hard disks on recorders (`hdd`, the default).
   */
  localMedia?: 'hdd' | 'sd';
}

const STORAGE_PATH = '/ISAPI/ContentMgmt/Storage';

/** The device's disks and shares; empty when it has no storage endpoint or the user may not read it. */
export async function readStorage(
  client: IsapiClient,
  options: StorageOptions = {},
): Promise<StorageDevice[]> {
  const doc = await client.optional(() => client.getXml(STORAGE_PATH));
  return doc ? parseStorage(doc.node, options) : [];
}

/** Parses a `storage` document (its root element's content). Entries without an id are left out. */
export function parseStorage(storage: XmlNode, options: StorageOptions = {}): StorageDevice[] {
  const local = options.localMedia ?? 'hdd';
  const disks = children(child(storage, 'hddList'), 'hdd').flatMap((node) =>
    entry(node, local, text(node, 'hddName')),
  );
  const shares = children(child(storage, 'nasList'), 'nas').flatMap((node) =>
    entry(node, 'nas', nasName(node)),
  );
  return [...disks, ...shares].sort((a, b) => a.id - b.id);
}

function entry(node: XmlNode, type: StorageType, name: string | undefined): StorageDevice[] {
  const id = int(node, 'id');
  if (id === undefined) return [];
  return [
    {
      id,
      name: name ?? `${type} ${id}`,
      type,
      status: text(node, 'status') ?? 'unknown',
      capacityMb: int(node, 'capacity') ?? null,
      freeMb: int(node, 'freeSpace') ?? null,
      overwrite: bool(node, 'overWrite') ?? bool(node, 'overwrite') ?? null,
    },
  ];
}

/** `192.168.1.5:/volume1/cameras` (NFS) or `192.168.1.5:\share` (SMB), as the user typed them in. */
function nasName(node: XmlNode): string | undefined {
  const address = text(node, 'ipAddress') ?? text(node, 'hostName') ?? text(node, 'ipv6Address');
  const path = text(node, 'path');
  if (!address && !path) return undefined;
  return [address, path].filter(Boolean).join(':');
}
