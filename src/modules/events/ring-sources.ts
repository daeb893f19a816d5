/**
 * One doorbell call can be seen twice: as a SIP INVITE (at once) and by polling callStatus (up
 * to a poll later). Both feed the same `doorbell-ring` episode; this keeps polling from starting
 * a second ring for a call SIP already reported, including one SIP saw end before the next poll.
 */
import type { CallState } from './call-status.ts';

export class RingSources {
  /** Per doorbell: the SIP call ringing now, or when the last SIP ring ended. */
  private readonly sip = new Map<string, { ringing: boolean; endedAt: number }>();

  /**
   * @param samePollWindowMs how long after a SIP ring ends a polled ring is taken for the same
   * call (the doorbell's status may still say `ring` for up to a poll interval and a request).
   */
  constructor(
    private readonly samePollWindowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  sipRinging(deviceId: string): void {
    this.sip.set(deviceId, { ringing: true, endedAt: 0 });
  }

  sipEnded(deviceId: string): void {
    if (this.sip.get(deviceId)?.ringing) this.sip.set(deviceId, { ringing: false, endedAt: this.now() });
  }

  /** False when a polled `ring` is a call SIP reported (ringing now, or ended just before). */
  polledRingIsNew(deviceId: string): boolean {
    const seen = this.sip.get(deviceId);
    if (!seen) return true;
    return !seen.ringing && this.now() - seen.endedAt > this.samePollWindowMs;
  }

  forget(deviceId: string): void {
    this.sip.delete(deviceId);
  }
}

/** The call state polling read, as the bus says it; undefined for `unknown`. */
export function callStateWords(state: CallState): 'ringing' | 'in call' | 'idle' | undefined {
  if (state === 'ring') return 'ringing';
  if (state === 'onCall') return 'in call';
  if (state === 'idle') return 'idle';
  return undefined;
}
