/**
 * Doorbell call control: the call state, answering, hanging up and "stop ringing" (answer, then
 * hang up: `reject` would make the door station play a busy tone). After a door is opened during
 * a call, the call is ended a moment later, as a person at an indoor station would.
 */
import { AppError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import { type CallState, readCallState, sendCallSignal } from '../../protocols/isapi/intercom.ts';

export type CallAction = 'answer' | 'hang-up' | 'stop-ringing';

/** The call state in the words the API, MQTT and the UI use. */
export type CallView = 'ringing' | 'in call' | 'idle' | 'unknown';

const VIEW: Record<CallState, CallView> = {
  ring: 'ringing',
  onCall: 'in call',
  idle: 'idle',
  unknown: 'unknown',
};

export interface DoorbellCallsDeps {
  logger: Logger;
  /** 0: a door opened during a call leaves the call alone. */
  endCallAfterDoorOpenMs: number;
  /** Ends the doorbell's SIP call, when it has one with us (undefined: none, use ISAPI). */
  endSipCall?: (deviceId: string) => Promise<unknown> | undefined;
}

export class DoorbellCalls {
  private readonly endTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: DoorbellCallsDeps) {}

  async state(client: IsapiClient): Promise<CallView> {
    return VIEW[await readCallState(client)];
  }

  /** Runs `action`; 409 in words when the doorbell has no call it applies to. */
  async act(deviceId: string, name: string, client: IsapiClient, action: CallAction): Promise<CallView> {
    const done = await this.send(client, action);
    if (!done) {
      const what = action === 'hang-up' ? 'no call to hang up' : 'nothing ringing';
      throw new AppError('no_call', 409, `"${name}" has ${what}.`);
    }
    this.deps.logger.info({ deviceId, action }, 'doorbell call control sent');
    return this.state(client);
  }

  /** Answers the call if the doorbell rings now; true when it did. */
  async answerIfRinging(deviceId: string, client: IsapiClient): Promise<boolean> {
    if ((await readCallState(client)) !== 'ring') return false;
    const answered = await sendCallSignal(client, 'answer');
    if (answered) this.deps.logger.info({ deviceId }, 'ringing call picked up to talk');
    return answered;
  }

  /** A door was opened: end the call (if any) after the configured moment. */
  endAfterDoorOpen(deviceId: string, client: IsapiClient): void {
    const delay = this.deps.endCallAfterDoorOpenMs;
    if (delay <= 0) return;
    clearTimeout(this.endTimers.get(deviceId));
    const timer = setTimeout(() => {
      this.endTimers.delete(deviceId);
      this.endCall(deviceId, client).catch((error) =>
        this.deps.logger.warn({ err: error, deviceId }, 'could not end the call after the door was opened'),
      );
    }, delay);
    timer.unref();
    this.endTimers.set(deviceId, timer);
  }

  stop(): void {
    for (const timer of this.endTimers.values()) clearTimeout(timer);
    this.endTimers.clear();
  }

  private async endCall(deviceId: string, client: IsapiClient): Promise<void> {
    const overSip = this.deps.endSipCall?.(deviceId);
    if (overSip) {
      await overSip;
      this.deps.logger.info({ deviceId }, 'call ended after the door was opened (SIP)');
      return;
    }
    const state = await readCallState(client);
    if (state !== 'ring' && state !== 'onCall') return;
    await this.send(client, state === 'ring' ? 'stop-ringing' : 'hang-up');
    this.deps.logger.info({ deviceId }, 'call ended after the door was opened');
  }

  private async send(client: IsapiClient, action: CallAction): Promise<boolean> {
    if (action === 'answer') return sendCallSignal(client, 'answer');
    if (action === 'hang-up') return sendCallSignal(client, 'hangUp');
    // Picked up, then put down: the ringing stops without the busy tone `reject` plays.
    if (!(await sendCallSignal(client, 'answer'))) return false;
    await sendCallSignal(client, 'hangUp');
    return true;
  }
}
