/**
 * Doorbell call state and door locks. Ring is not pushed on the alertStream (current firmware
 * does not): clients see it by polling callStatus. Door opens push access-control events.
 */
import type { CallSignalRecord, CallStatus, DoorCommand, SimEvent } from './types.ts';

export const CALL_COMMANDS = ['answer', 'hangUp', 'cancel', 'reject', 'bellTimeout'] as const;
export type CallCommand = (typeof CALL_COMMANDS)[number];

/** ISAPI AcsWorkStatus doorStatus values per remote command (4 = normal, 2 = always open...). */
const DOOR_MODE: Record<string, number> = { alwaysOpen: 2, alwaysClose: 3, resume: 4 };

export interface IntercomOptions {
  /** Read at each ring (a function: the doorbell's operationTime setting can change). */
  maxRingTimeMs: number | (() => number);
  doorOpenDurationMs: number;
  doorCount: number;
  emit: (event: SimEvent) => void;
}

interface DoorState {
  lockOpen: boolean;
  mode: number;
  closeTimer?: NodeJS.Timeout;
}

export class Intercom {
  status: CallStatus = 'idle';
  readonly doorCommands: DoorCommand[] = [];
  /** Addition: every CallSignal received, in order (bounded to the last 1000). */
  readonly callSignals: CallSignalRecord[] = [];
  private ringTimer: NodeJS.Timeout | undefined;
  private readonly doors: DoorState[];
  private readonly statusListeners = new Set<(status: CallStatus) => void>();

  constructor(private readonly options: IntercomOptions) {
    this.doors = Array.from({ length: options.doorCount }, () => ({ lockOpen: false, mode: 4 }));
  }

  setStatus(status: CallStatus): void {
    clearTimeout(this.ringTimer);
    this.ringTimer = undefined;
    const changed = status !== this.status;
    this.status = status;
    if (status === 'ring') {
      // Unanswered rings end by themselves after maxRingTime, like the station's bellTimeout.
      const { maxRingTimeMs } = this.options;
      const ms = typeof maxRingTimeMs === 'function' ? maxRingTimeMs() : maxRingTimeMs;
      this.ringTimer = setTimeout(() => this.setStatus('idle'), ms);
    }
    if (changed) this.notify(status);
  }

  /** Calls `listener` after each status change (the SIP agent ends its call when ISAPI ends this one). */
  onStatus(listener: (status: CallStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private notify(status: CallStatus): void {
    for (const listener of [...this.statusListeners]) {
      try {
        listener(status);
      } catch {
        // A listener's trouble must not change what the intercom answers.
      }
    }
  }

  /** Applies a CallSignal command; false when no call is pending for it (statusCode 4 noRequest). */
  signal(command: CallCommand): boolean {
    const during = this.status;
    const accepted = this.applySignal(command);
    this.callSignals.push({ cmdType: command, accepted, during, at: Date.now() });
    if (this.callSignals.length > 1000) this.callSignals.shift();
    return accepted;
  }

  private applySignal(command: CallCommand): boolean {
    if (command === 'answer') {
      if (this.status !== 'ring') return false;
      this.setStatus('onCall');
      return true;
    }
    if (command === 'hangUp') {
      if (this.status === 'idle') return false;
      this.setStatus('idle');
      return true;
    }
    // cancel, reject (busy tone on the station) and bellTimeout only apply to a ringing call.
    if (this.status !== 'ring') return false;
    this.setStatus('idle');
    return true;
  }

  hasDoor(door: number): boolean {
    return Number.isInteger(door) && door >= 1 && door <= this.doors.length;
  }

  /** Records a remote door command and plays the events a station logs for it. */
  command(door: number, cmd: string): void {
    this.doorCommands.push({ door, cmd, at: Date.now() });
    const state = this.doors[door - 1]!;
    if (cmd in DOOR_MODE) {
      state.mode = DOOR_MODE[cmd]!;
      return;
    }
    if (cmd === 'close') {
      this.closeLock(door);
      return;
    }
    if (cmd !== 'open') return;
    // Remote open (operation log 3/1024), lock opened (5/21), lock closed (5/22) after openDuration.
    this.options.emit({ type: 'AccessControllerEvent', major: 3, minor: 1024, door });
    state.lockOpen = true;
    this.options.emit({ type: 'AccessControllerEvent', major: 5, minor: 21, door });
    clearTimeout(state.closeTimer);
    state.closeTimer = setTimeout(() => this.closeLock(door), this.options.doorOpenDurationMs);
  }

  /** AcsWorkStatus?format=json: one array entry per door. */
  workStatus(): Record<string, unknown> {
    return {
      AcsWorkStatus: {
        doorLockStatus: this.doors.map((d) => (d.lockOpen ? 1 : 0)),
        doorStatus: this.doors.map((d) => d.mode),
        magneticStatus: this.doors.map(() => 0),
        antiSneakStatus: 'close',
        hostAntiDismantleStatus: 'close',
        cardReaderOnlineStatus: [1],
        cardReaderAntiDismantleStatus: [0],
        cardNum: 0,
      },
    };
  }

  close(): void {
    this.statusListeners.clear();
    clearTimeout(this.ringTimer);
    for (const door of this.doors) clearTimeout(door.closeTimer);
  }

  private closeLock(door: number): void {
    const state = this.doors[door - 1]!;
    clearTimeout(state.closeTimer);
    if (!state.lockOpen) return;
    state.lockOpen = false;
    this.options.emit({ type: 'AccessControllerEvent', major: 5, minor: 22, door });
  }
}
