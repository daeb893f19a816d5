/**
 * Storage health: a disk, memory card or NAS the device cannot record to. Recordings are the
 * device's own (hikbridge keeps none), so a broken disk loses what playback would show, and
 * nobody notices until the day it is needed.
 *
 * From `ContentMgmt/Storage` (disks and NAS shares with status and free space). A disk in
 * error fails; an unformatted disk, a NAS the device cannot reach or a status we do not know
 * warns; a full disk fails when the device says it does not overwrite, and passes (said so)
 * when it does not say, as devices that overwrite run full by design.
 */
import { parseStorage, type StorageDevice } from '../protocols/isapi/storage.ts';
import { type ChannelFinding, type CheckStatus, type DoctorCheck, pass, skip, worst } from './report.ts';
import { type DoctorSession, unreadable } from './session.ts';

const STORAGE_PATH = '/ISAPI/ContentMgmt/Storage';

/** Statuses of a disk that records (the device's words, compared without case). */
const WORKING = new Set(['ok', 'normal', 'idle', 'sleeping', 'sleep']);
/** Below this share of its capacity free, a disk counts as full. */
const FULL_FRACTION = 0.01;

const STORAGE_PAGE = "the device's web page, Configuration > Storage > Storage Management";

export async function storageCheck(session: DoctorSession): Promise<DoctorCheck> {
  const id = 'storage';
  const result = await session.read(STORAGE_PATH);
  if (!result.ok) {
    if (result.reason === 'absent')
      return skip(id, 'the device reports no storage (ContentMgmt/Storage is not supported)');
    return unreadable(id, 'storage (ContentMgmt/Storage)', result);
  }
  const localMedia = session.isRecorder ? 'hdd' : 'sd';
  const disks = parseStorage(result.doc.node, { localMedia });
  if (disks.length === 0) return skip(id, 'no disk, memory card or NAS in this device');
  return storageVerdict(disks);
}

/** The check's verdict on a list of disks (exported for tests of the wording). */
export function storageVerdict(disks: StorageDevice[]): DoctorCheck {
  const id = 'storage';
  const findings = disks.map(judgeDisk);
  const status = worst(findings.map((f) => f.status));
  if (status === 'pass') return pass(id, findings.map((f) => `${f.channel}: ${f.detail}`).join('; '));
  const problems = findings.filter((f) => f.status === 'warn' || f.status === 'fail');
  const fine = findings.length - problems.length;
  const detail = [
    ...problems.map((f) => `${f.channel}: ${f.detail}`),
    ...(fine > 0 ? [`${fine} other${fine === 1 ? '' : 's'} fine`] : []),
  ].join('; ');
  const fixes = [...new Set(problems.filter((f) => f.status === status).map((f) => f.fix!))];
  return { id, status, detail, fix: fixes.join(' ') };
}

function label(disk: StorageDevice): string {
  const what = { hdd: 'disk', sd: 'memory card', nas: 'NAS' }[disk.type];
  return `${what} ${disk.id} (${disk.name})`;
}

function judgeDisk(disk: StorageDevice): ChannelFinding {
  const channel = label(disk);
  const finding = (status: CheckStatus, detail: string, fix: string | null = null): ChannelFinding => ({
    channel,
    status,
    detail,
    fix,
  });
  const status = disk.status.toLowerCase();
  if (status === 'error' || status === 'smartfailed') {
    return finding(
      'fail',
      `status "${disk.status}": the device cannot record to it`,
      `Replace the ${disk.type === 'sd' ? 'memory card' : 'disk'} in error, or check it in ${STORAGE_PAGE}; ` +
        'recordings on it may be lost.',
    );
  }
  if (status === 'unformatted' || status === 'uninitialized') {
    return finding(
      'warn',
      `status "${disk.status}": nothing is recorded on it until it is formatted`,
      `Format it in ${STORAGE_PAGE} (this erases it), or remove it if it is not meant for recording.`,
    );
  }
  if (disk.type === 'nas' && status === 'offline') {
    return finding(
      'warn',
      `status "${disk.status}": the device cannot reach this network share`,
      `Check that the NAS is on, reachable from the device, and that its address, path and login are right in ${STORAGE_PAGE} (NAS); remove the share if it is no longer used.`,
    );
  }
  if (!WORKING.has(status)) {
    return finding('warn', `status "${disk.status}" (the device's word)`, `Check it in ${STORAGE_PAGE}.`);
  }
  return judgeSpace(disk, finding);
}

function judgeSpace(
  disk: StorageDevice,
  finding: (status: CheckStatus, detail: string, fix?: string | null) => ChannelFinding,
): ChannelFinding {
  const { capacityMb, freeMb } = disk;
  if (capacityMb === null || freeMb === null || capacityMb <= 0) return finding('pass', `${disk.status}`);
  const space = `${disk.status}, ${formatMb(freeMb)} of ${formatMb(capacityMb)} free`;
  if (freeMb > capacityMb * FULL_FRACTION) return finding('pass', space);
  if (disk.overwrite === false) {
    return finding(
      'fail',
      `${space}: full, and overwrite is off, so recording has stopped`,
      `Turn overwrite on in ${STORAGE_PAGE} (Advanced settings), or free space on it.`,
    );
  }
  const overwrite =
    disk.overwrite === true
      ? 'overwrite is on'
      : 'normal when overwrite is on, which the device does not say';
  return finding('pass', `${space} (full: ${overwrite})`);
}

function formatMb(mb: number): string {
  if (mb >= 1024 * 1024) return `${(mb / (1024 * 1024)).toFixed(1)} TB`;
  if (mb >= 1024) return `${(mb / 1024).toFixed(1)} GB`;
  return `${mb} MB`;
}
