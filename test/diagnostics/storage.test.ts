/**
 * The doctor's `storage` check against the simulator: the captured devices as they are, and
 * each problem a disk can have, built here by changing a captured `ContentMgmt/Storage`
 * answer the way a device shows it (status word, free space, an `overWrite` flag).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resolveProfile, type SimDevice, type SimProfile, startSimDevice } from '../../sim/index.ts';
import { type DoctorCheck, runDoctor } from '../../src/diagnostics/doctor.ts';

const PASSWORD = 'Storage-Test-7';
const devices: SimDevice[] = [];

afterEach(async () => {
  await Promise.all(devices.splice(0).map((device) => device.close()));
});

async function storageOf(profile: SimProfile | string): Promise<DoctorCheck> {
  const device = await startSimDevice({ profile, password: PASSWORD, heartbeatMs: 0, snapshotDelayMs: 0 });
  devices.push(device);
  const report = await runDoctor({ baseUrl: device.url, username: 'admin', password: PASSWORD });
  const check = report.checks.find((c) => c.id === 'storage');
  if (!check) throw new Error('no storage check');
  return check;
}

type Dict = Record<string, unknown>;

/** A copy of a profile with its storage answer changed (or replaced by a status code). */
function withStorage(name: string, change: (storage: Dict) => void): SimProfile {
  const profile = structuredClone(resolveProfile(name));
  const entry = profile.isapi['ContentMgmt/Storage'] as { response: { storage: Dict } };
  change(entry.response.storage);
  return profile;
}

const nvrDisk = (storage: Dict) => (storage.hddList as { hdd: Dict }).hdd;

describe('storage check on captured devices', () => {
  it('built-in camera: memory card and NAS fine, with their free space', async () => {
    expect(await storageOf('camera')).toEqual({
      id: 'storage',
      status: 'pass',
      detail:
        'memory card 1 (hdde): ok, 26.8 GB of 29.7 GB free; NAS 9 (1.0.0.203:/pub/hik): ok, 116.5 GB of 119.5 GB free',
      fix: null,
    });
  });

  it('built-in NVR: a full disk passes, saying it is normal with overwrite on, which the device does not say', async () => {
    const check = await storageOf('nvr');
    expect(check.status).toBe('pass');
    expect(check.detail).toBe(
      'disk 1 (hdd1): ok, 0 MB of 1.8 TB free (full: normal when overwrite is on, which the device does not say)',
    );
  });

  it('DS-2CD2146G2-ISU as captured: its NAS is offline, a warning with what to check', async () => {
    const check = await storageOf('DS-2CD2146G2-ISU');
    expect(check.status).toBe('warn');
    expect(check.detail).toBe(
      'NAS 9 (1.0.0.127:/volume2/Cameras): status "offline": the device cannot reach this network share',
    );
    expect(check.fix).toMatch(/^Check that the NAS is on, reachable from the device/);
  });

  it('the doorbell has no storage endpoint: skipped with the reason', async () => {
    expect(await storageOf('doorbell')).toMatchObject({
      status: 'skip',
      detail: 'the device reports no storage (ContentMgmt/Storage is not supported)',
      fix: null,
    });
  });
});

describe('storage problems', () => {
  it('a disk in error fails, saying recordings may be lost', async () => {
    const check = await storageOf(
      withStorage('nvr', (storage) => {
        nvrDisk(storage).status = 'error';
      }),
    );
    expect(check.status).toBe('fail');
    expect(check.detail).toBe('disk 1 (hdd1): status "error": the device cannot record to it');
    expect(check.fix).toMatch(/^Replace the disk in error.*recordings on it may be lost\.$/);
  });

  it('an unformatted memory card warns with the format fix; the fine NAS is counted', async () => {
    const check = await storageOf(
      withStorage('camera', (storage) => {
        (storage.hddList as { hdd: Dict }).hdd.status = 'unformatted';
      }),
    );
    expect(check.status).toBe('warn');
    expect(check.detail).toBe(
      'memory card 1 (hdde): status "unformatted": nothing is recorded on it until it is formatted; 1 other fine',
    );
    expect(check.fix).toMatch(/^Format it in .*\(this erases it\)/);
  });

  it('a full disk with overwrite off fails: recording has stopped', async () => {
    const check = await storageOf(
      withStorage('nvr', (storage) => {
        nvrDisk(storage).overWrite = 'false';
      }),
    );
    expect(check.status).toBe('fail');
    expect(check.detail).toBe(
      'disk 1 (hdd1): ok, 0 MB of 1.8 TB free: full, and overwrite is off, so recording has stopped',
    );
    expect(check.fix).toMatch(/^Turn overwrite on/);
  });

  it('a full disk with overwrite on passes', async () => {
    const check = await storageOf(
      withStorage('nvr', (storage) => {
        nvrDisk(storage).overWrite = 'true';
      }),
    );
    expect(check).toMatchObject({
      status: 'pass',
      detail: 'disk 1 (hdd1): ok, 0 MB of 1.8 TB free (full: overwrite is on)',
    });
  });

  it('a disk and a card both failing: the worst decides, both are listed', async () => {
    const check = await storageOf(
      withStorage('camera', (storage) => {
        (storage.hddList as { hdd: Dict }).hdd.status = 'error';
        (storage.nasList as { nas: Dict }).nas.status = 'offline';
      }),
    );
    expect(check.status).toBe('fail');
    expect(check.detail).toBe(
      'memory card 1 (hdde): status "error": the device cannot record to it; ' +
        'NAS 9 (1.0.0.203:/pub/hik): status "offline": the device cannot reach this network share',
    );
    // Only the fix of the failing kind: the NAS warning's fix would bury it.
    expect(check.fix).toMatch(/^Replace the memory card in error/);
    expect(check.fix).not.toMatch(/NAS/);
  });

  it('a status word we do not know warns and repeats it', async () => {
    const check = await storageOf(
      withStorage('nvr', (storage) => {
        nvrDisk(storage).status = 'reparing';
      }),
    );
    expect(check).toMatchObject({
      status: 'warn',
      detail: 'disk 1 (hdd1): status "reparing" (the device\'s word)',
    });
  });

  it('no disk and no NAS: skipped, saying so', async () => {
    const check = await storageOf(
      withStorage('camera', (storage) => {
        storage.hddList = null;
        storage.nasList = null;
      }),
    );
    expect(check).toMatchObject({ status: 'skip', detail: 'no disk, memory card or NAS in this device' });
  });

  it('a user who may not read storage: skipped with the admin hint', async () => {
    const profile = structuredClone(resolveProfile('camera'));
    profile.isapi['ContentMgmt/Storage'] = { status_code: 403 };
    const check = await storageOf(profile);
    expect(check.status).toBe('skip');
    expect(check.detail).toMatch(/this user may not read it \(HTTP 403\)/);
    expect(check.fix).toMatch(/admin account/);
  });
});
