/**
 * The doorbells' SIP calls, one at a time per doorbell: an INVITE rings (a `doorbell.call`
 * event the events module turns into `doorbell-ring`), and answer / hang up / stop ringing are
 * carried out over SIP when a call is there. A second INVITE while one call is up is answered
 * 486 Busy Here, as the indoor station a doorbell expects would.
 */
import type { Bus, DoorbellCallAction, DoorbellCallAudio, DoorbellCallState } from '../../core/bus.ts';
import { AppError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import {
  answerAudio,
  type CallEndReason,
  IncomingCall,
  type IncomingRequest,
  type RemoteRtp,
  type RtpAudioSender,
  SdpError,
  type SipStack,
} from '../../protocols/sip/index.ts';
import { CallAudioLink } from './call-audio.ts';

export interface SipCallsDeps {
  bus: Bus;
  logger: Logger;
  /** Stop ringing = answer, then hang up this much later. */
  stopRingingHangUpMs: number;
  /** Opens our RTP port for an answer (its port goes into the SDP). */
  openMedia: () => Promise<RtpAudioSender>;
}

/** Where a call arrived: the stack to answer on, and our address as the doorbell sees it. */
export interface CallOrigin {
  stack: SipStack;
  /** Our Contact URI for this doorbell. */
  contact: string;
  /** Our address for the SDP answer. */
  localAddress: string;
}

interface ActiveCall {
  call: IncomingCall;
  origin: CallOrigin;
  /** Our RTP port, and where and how the doorbell wants our audio (from the answer). */
  media: RtpAudioSender | undefined;
  audio: { remote: RemoteRtp; codec: 'mulaw' | 'alaw' } | undefined;
  /** Ends the wait between picking up and hanging up (the call may end meanwhile). */
  endWait: (() => void) | undefined;
}

const END_WORDS: Record<CallEndReason, string> = {
  cancelled: 'the doorbell stopped calling',
  'remote-hang-up': 'the doorbell hung up',
  'hung-up': 'hung up',
  declined: 'declined',
  unacknowledged: 'the doorbell never confirmed the answer',
  failed: 'the call failed',
};

export class SipCalls {
  private readonly active = new Map<string, ActiveCall>();

  constructor(private readonly deps: SipCallsDeps) {}

  /** The SIP call state of a doorbell, or undefined when it has no SIP call now. */
  state(deviceId: string): DoorbellCallState | undefined {
    const entry = this.active.get(deviceId);
    if (!entry) return undefined;
    return entry.call.phase === 'ringing' ? 'ringing' : 'in call';
  }

  /** A new INVITE from a doorbell: ring, or 486 when it already has a call with us. */
  offer(deviceId: string, invite: IncomingRequest, origin: CallOrigin): void {
    if (this.active.has(deviceId)) {
      invite.reply(486, 'Busy Here');
      this.deps.logger.info({ deviceId }, 'doorbell called again during a call: answered busy');
      return;
    }
    const call: IncomingCall = new IncomingCall({
      stack: origin.stack,
      invite,
      contact: origin.contact,
      onConnected: () => this.publish(deviceId, 'in call', call.callId, null),
      onEnded: (reason) => this.ended(deviceId, call, reason),
    });
    this.active.set(deviceId, { call, origin, media: undefined, audio: undefined, endWait: undefined });
    call.ring();
    this.deps.logger.info({ deviceId, callId: call.callId, caller: call.caller }, 'doorbell rings (SIP)');
    this.publish(deviceId, 'ringing', call.callId, null);
  }

  /** The audio link into a doorbell's picked-up SIP call; undefined when there is none. */
  audio(deviceId: string): DoorbellCallAudio | undefined {
    const entry = this.active.get(deviceId);
    if (!entry?.media || !entry.audio || entry.call.phase === 'ringing') return undefined;
    const { call } = entry;
    return new CallAudioLink(
      entry.media,
      entry.audio.remote,
      entry.audio.codec,
      () => call.phase === 'ended',
    );
  }

  /** An in-dialog request (BYE, re-INVITE, INFO); false when it belongs to no call of ours. */
  receiveInDialog(incoming: IncomingRequest): boolean {
    for (const entry of this.active.values()) {
      if (entry.call.matches(incoming.request)) {
        entry.call.receive(incoming);
        return true;
      }
    }
    return false;
  }

  /**
   * Carries out a call command over SIP; undefined when the doorbell has no SIP call (the
   * command then goes over ISAPI).
   */
  command(deviceId: string, action: DoorbellCallAction): Promise<DoorbellCallState> | undefined {
    const entry = this.active.get(deviceId);
    if (!entry) return undefined;
    if (action === 'answer') return this.answer(deviceId, entry);
    return this.stopOrHangUp(deviceId, entry);
  }

  /** A doorbell went away (removed, switched off, mode changed): its call ends quietly. */
  async drop(deviceId: string): Promise<void> {
    const entry = this.active.get(deviceId);
    if (!entry) return;
    await entry.call.hangUp().catch(() => {});
    await this.release(deviceId, entry);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.active.keys()].map((deviceId) => this.drop(deviceId)));
  }

  private async answer(deviceId: string, entry: ActiveCall): Promise<DoorbellCallState> {
    if (entry.call.phase !== 'ringing') return 'in call';
    await this.pickUp(deviceId, entry);
    return 'in call';
  }

  /**
   * Hang up and stop ringing are the same over SIP: a ringing call is picked up first and
   * ended a moment later, because turning it down would make the doorbell play a busy tone.
   */
  private async stopOrHangUp(deviceId: string, entry: ActiveCall): Promise<DoorbellCallState> {
    if (entry.call.phase === 'ringing') {
      await this.pickUp(deviceId, entry);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.deps.stopRingingHangUpMs);
        entry.endWait = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await entry.call.hangUp().catch((error: Error) => {
      this.deps.logger.warn({ deviceId, err: error }, 'the doorbell did not answer our BYE');
    });
    return 'idle';
  }

  private async pickUp(deviceId: string, entry: ActiveCall): Promise<void> {
    const media = await this.deps.openMedia();
    entry.media = media;
    let sdp: string;
    try {
      const answer = answerAudio(entry.call.offer, {
        address: entry.origin.localAddress,
        port: media.port,
        codec: ['PCMU', 'PCMA'],
      });
      sdp = answer.sdp;
      entry.audio = { remote: answer.remoteRtp, codec: answer.codec === 'PCMA' ? 'alaw' : 'mulaw' };
    } catch (error) {
      if (!(error instanceof SdpError)) throw error;
      entry.call.decline(488, 'Not Acceptable Here');
      throw new AppError(
        'call_not_answerable',
        502,
        `The doorbell's call offers no G.711 audio: ${error.message}`,
      );
    }
    if (!entry.call.answer(sdp)) {
      throw new AppError('no_call', 409, 'The doorbell stopped ringing before the answer.');
    }
    this.deps.logger.info({ deviceId, callId: entry.call.callId }, 'doorbell call picked up (SIP)');
  }

  private ended(deviceId: string, call: IncomingCall, reason: CallEndReason): void {
    const entry = this.active.get(deviceId);
    if (!entry || entry.call !== call) return;
    this.deps.logger.info({ deviceId, callId: call.callId, reason }, 'doorbell call ended (SIP)');
    void this.release(deviceId, entry);
    this.publish(deviceId, 'idle', call.callId, END_WORDS[reason]);
  }

  private async release(deviceId: string, entry: ActiveCall): Promise<void> {
    if (this.active.get(deviceId) === entry) this.active.delete(deviceId);
    entry.endWait?.();
    await entry.media?.close();
  }

  private publish(deviceId: string, state: DoorbellCallState, callId: string, reason: string | null): void {
    this.deps.bus.emit('doorbell.call', { deviceId, state, source: 'sip', callId, reason });
  }
}
