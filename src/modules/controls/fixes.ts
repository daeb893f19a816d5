/**
 * Stream fix-up for a stored device: preview, apply the chosen fixes, undo (src/diagnostics/fixes.ts
 * does the device work). The previous XML of every resource changed is kept in the store under
 * `controls.fixUndo.<deviceId>`, so an undo works after a restart. Applying again before an undo
 * adds to that record and keeps the older text of a resource already in it: undo returns the
 * device to how it was before the first apply since the last undo. Work on one device runs one
 * request at a time.
 */
import { AppError, ConflictError, DeviceOperationError, InputError } from '../../core/errors.ts';
import type { DeviceRecord } from '../../core/store/types.ts';
import {
  applyFixes,
  type Fix,
  FixApplyError,
  FixSelectionError,
  previewFixes,
  type UndoEntry,
  UndoMismatchError,
  undoFixes,
} from '../../diagnostics/fixes.ts';
import { DeviceError } from '../../protocols/http/errors.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import { deviceAccess } from './access.ts';
import type { ControlsContext } from './types.ts';

export type { Fix } from '../../diagnostics/fixes.ts';

/** What the store keeps for an undo. */
export interface FixUndoRecord {
  /** When the fixes were applied (ISO time of the first apply since the last undo). */
  appliedAt: string;
  /** Fix ids applied, in order. */
  fixes: string[];
  undo: UndoEntry[];
}

export interface UndoState {
  available: boolean;
  appliedAt: string | null;
  fixes: string[];
}

export interface FixPreview {
  deviceId: string;
  fixes: Fix[];
  undo: UndoState;
}

export interface FixApplied {
  deviceId: string;
  applied: Fix[];
  undo: UndoState;
}

export const undoKey = (deviceId: string): string => `controls.fixUndo.${deviceId}`;

/** At most this many ids in one apply (a device has a few dozen fixes at most). */
export const MAX_FIX_IDS = 256;

export class StreamFixes {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly controls: ControlsContext) {}

  async preview(deviceId: string): Promise<FixPreview> {
    return this.serial(deviceId, async () => {
      const { device, client } = await this.access(deviceId);
      const fixes = await onDevice(() => previewFixes(client));
      return { deviceId: device.id, fixes, undo: undoState(await this.record(device.id)) };
    });
  }

  /** Applies the chosen fixes; InputError (400, nothing changed) for ids the device does not need. */
  async apply(deviceId: string, ids: string[]): Promise<FixApplied> {
    return this.serial(deviceId, async () => {
      const { device, client } = await this.access(deviceId);
      try {
        const result = await applyFixes(client, ids);
        const record = await this.remember(device.id, result.applied, result.undo);
        this.controls.deps.logger.info(
          { deviceId: device.id, fixes: result.applied.map((fix) => fix.id) },
          'stream fixes applied',
        );
        return { deviceId: device.id, applied: result.applied, undo: undoState(record) };
      } catch (error) {
        if (error instanceof FixSelectionError) throw new InputError(error.message, 'ids');
        if (error instanceof FixApplyError) {
          // What was changed before the failure can still be undone.
          if (error.undo.length > 0) await this.remember(device.id, error.applied, error.undo);
          const undo = error.undo.length > 0 ? ' What was changed can be undone (POST .../fixes/undo).' : '';
          throw new AppError('fix_failed', 502, `${device.name}: ${error.message}.${undo}`, {
            applied: error.applied.map((fix) => fix.id),
          });
        }
        throw deviceFailure(error);
      }
    });
  }

  /** Restores the previous XML of the last apply; 409 when there is nothing to undo. */
  async undo(deviceId: string): Promise<{ deviceId: string; restored: string[] }> {
    return this.serial(deviceId, async () => {
      const { device, client } = await this.access(deviceId);
      const record = await this.record(device.id);
      if (!record)
        throw new ConflictError(
          `Nothing to undo on "${device.name}": no fix was applied since the last undo.`,
        );
      try {
        const { restored } = await undoFixes(client, record.undo);
        await this.controls.deps.store.settings.set(undoKey(device.id), null);
        this.controls.deps.logger.info({ deviceId: device.id, restored }, 'stream fixes undone');
        return { deviceId: device.id, restored };
      } catch (error) {
        if (error instanceof UndoMismatchError) {
          // Everything was put back; the device words some of it differently. Keep nothing to retry.
          await this.controls.deps.store.settings.set(undoKey(device.id), null);
          throw new AppError('undo_inexact', 502, `${device.name}: ${error.message}.`, {
            mismatched: error.mismatched,
          });
        }
        throw deviceFailure(error);
      }
    });
  }

  private async record(deviceId: string): Promise<FixUndoRecord | undefined> {
    const record = await this.controls.deps.store.settings.get<FixUndoRecord | null>(undoKey(deviceId));
    return record && record.undo.length > 0 ? record : undefined;
  }

  /** Adds to the undo record; a resource already in it keeps its older text. */
  private async remember(deviceId: string, applied: Fix[], undo: UndoEntry[]): Promise<FixUndoRecord> {
    const before = await this.record(deviceId);
    const entries = [...(before?.undo ?? [])];
    for (const entry of undo) if (!entries.some((kept) => kept.path === entry.path)) entries.push(entry);
    const record: FixUndoRecord = {
      appliedAt: before?.appliedAt ?? new Date().toISOString(),
      fixes: [...(before?.fixes ?? []), ...applied.map((fix) => fix.id)],
      undo: entries,
    };
    await this.controls.deps.store.settings.set(undoKey(deviceId), record);
    return record;
  }

  private access(deviceId: string): Promise<{ device: DeviceRecord; client: IsapiClient }> {
    return deviceAccess(this.controls, deviceId);
  }

  /** One request per device at a time: an apply never interleaves with another apply or undo. */
  private serial<T>(deviceId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(deviceId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.queues.set(deviceId, settled);
    void settled.then(() => {
      if (this.queues.get(deviceId) === settled) this.queues.delete(deviceId);
    });
    return next;
  }
}

function undoState(record: FixUndoRecord | undefined): UndoState {
  return record
    ? { available: true, appliedAt: record.appliedAt, fixes: record.fixes }
    : { available: false, appliedAt: null, fixes: [] };
}

async function onDevice<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw deviceFailure(error);
  }
}

function deviceFailure(error: unknown): unknown {
  return error instanceof DeviceError ? new DeviceOperationError(error.code, error.message) : error;
}
