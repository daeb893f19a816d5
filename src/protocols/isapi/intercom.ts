/**
 * Doorbell calls over ISAPI (notes/isapi.md, "Doorbells"): the call status the firmware does not
 * push, and the call signals that answer, hang up or end a ring. `reject` makes the door station
 * play a busy tone; answer then hangUp stops the ringing quietly.
 */
import type { IsapiClient } from './client.ts';
import { IsapiStatusError } from './errors.ts';

export type CallState = 'idle' | 'ring' | 'onCall' | 'unknown';

export const CALL_SIGNALS = ['answer', 'hangUp', 'cancel', 'reject', 'bellTimeout'] as const;
export type CallSignal = (typeof CALL_SIGNALS)[number];

const STATUS_PATH = '/ISAPI/VideoIntercom/callStatus';
const SIGNAL_PATH = '/ISAPI/VideoIntercom/callSignal';

/** The doorbell's call state now (`unknown` for a word the firmware invented). */
export async function readCallState(client: IsapiClient): Promise<CallState> {
  const answer = await client.getJson<{ CallStatus?: { status?: string } }>(STATUS_PATH);
  const status = answer.CallStatus?.status;
  return status === 'ring' || status === 'onCall' || status === 'idle' ? status : 'unknown';
}

/**
 * Sends one call signal (case matters: `hangUp`). Resolves false when the doorbell had no call
 * the signal applies to (statusCode 4, `noRequest`): nothing to answer or hang up.
 */
export async function sendCallSignal(client: IsapiClient, signal: CallSignal): Promise<boolean> {
  try {
    await client.sendJson('PUT', SIGNAL_PATH, { CallSignal: { cmdType: signal } });
    return true;
  } catch (error) {
    if (error instanceof IsapiStatusError && error.status?.subStatusCode === 'noRequest') return false;
    throw error;
  }
}
