/**
 * The doorbell's calls: a button press calls the button's phone number (INVITE shaped like the
 * captured one, see ../../shared/notes/sip-doorbell.md), rings for the max ring time, then gives
 * up with CANCEL; an answer (200) is ACKed and puts the intercom on call; BYE ends it from either
 * side. The intercom's call status follows the SIP call, and an ISAPI change that ends the
 * intercom's call (callSignal hangUp/cancel/reject, its own ring timeout) ends the SIP call.
 * One call at a time: a press while one is up does nothing new.
 */
import type { Intercom } from '../intercom.ts';
import type { SimSipSettings } from '../sip-settings.ts';
import type {
  CallStatus,
  SimPressRecord,
  SimPressResult,
  SimSipCall,
  SimSipCallEnd,
  SimSipCallState,
} from '../types.ts';
import { deviceNumber, formatHost, header, type SipRequest, type SipResponse, tagOf } from './message.ts';
import { openRtpPorts, type RtpPorts } from './rtp.ts';
import { doorbellOffer, type RemoteRtp, remoteAudioOf } from './sdp.ts';
import type { SipPeer } from './transport.ts';
import { remoteTargetOf, type SentRequest, type SipUac, USER_AGENT } from './uac.ts';

export interface CallsLink {
  uac: SipUac;
  settings: SimSipSettings;
  intercom: Intercom;
  /** Where RTP ports are bound (the simulator's host). */
  bindHost: string;
  /** The doorbell's address as written in From, Contact and SDP. */
  localHost: () => string;
  contactUri: (user: string) => string;
  t1Ms: number;
  /** How long a call rings before the doorbell gives up (ms). */
  ringTimeMs: () => number;
  /** A call ended (a local port change may have waited for it). */
  onEnded: () => void;
}

interface Call {
  callId: string;
  button: number;
  number: string;
  state: SimSipCallState;
  from: string;
  /** To, with the peer's tag once answered. */
  to: string;
  cseq: number;
  invite?: SentRequest;
  /** Cancel as soon as a provisional answer allows it (RFC 3261 §9.1). */
  cancelWanted: boolean;
  /** A provisional answer came: CANCEL may be sent. */
  provisional: boolean;
  remoteTarget?: { uri: string; peer: SipPeer };
  remoteTag?: string;
  remoteRtp?: RemoteRtp;
  rtp?: RtpPorts;
  /** The intercom status this call put there: only that one is taken back. */
  intercomStatus: CallStatus;
  timers: NodeJS.Timeout[];
}

const MAX_PRESSES = 100;
const INVITE_CSEQ = 20; // as in the captured INVITE

export class DoorbellCalls {
  readonly presses: SimPressRecord[] = [];
  lastCall: SimSipCallEnd | null = null;
  private call: Call | undefined;
  /** ACK resends of recent answered calls, for repeats of their 200 (our ACK was lost). */
  private readonly acks = new Map<string, () => void>();
  private settingIntercom = false;
  private closed = false;

  constructor(private readonly link: CallsLink) {}

  get busy(): boolean {
    return this.call !== undefined;
  }

  get current(): SimSipCall | null {
    const call = this.call;
    if (!call) return null;
    return {
      state: call.state,
      callId: call.callId,
      button: call.button,
      number: call.number,
      rtpPort: call.rtp?.audioPort ?? null,
      remoteRtp: call.remoteRtp ?? null,
      rtpPacketsReceived: call.rtp?.received.packets ?? 0,
    };
  }

  /** A BYE in our connected call (the caller answers it 200, then calls `endedByPeer`). */
  isInCall(request: SipRequest): boolean {
    const call = this.call;
    return (
      call?.state === 'connected' &&
      call.callId === request.callId &&
      tagOf(header(request, 'from')) === call.remoteTag
    );
  }

  endedByPeer(): void {
    if (this.call) this.endCall(this.call, 'hungUpByPeer', null);
  }

  /** A 200 to an INVITE no transaction waits for: a repeat, our ACK was lost: ACK again. */
  repeatAck(response: SipResponse): void {
    if (response.cseq.method === 'INVITE' && response.status >= 200 && response.status < 300) {
      this.acks.get(response.callId)?.();
    }
  }

  /** A press of `button`: a SIP call to its number, or (no SIP) a ring for callStatus pollers. */
  press(button = 1): SimPressResult {
    const result = this.pressResult(button);
    this.presses.push({ ...result, at: Date.now(), button });
    if (this.presses.length > MAX_PRESSES) this.presses.shift();
    return result;
  }

  private pressResult(button: number): SimPressResult {
    const { settings, intercom } = this.link;
    if (this.call) return { calling: false, callId: this.call.callId, reason: 'busy' };
    if (intercom.status !== 'idle') return { calling: false, callId: null, reason: 'busy' };
    const server = settings.server;
    const number = settings.numberForButton(button);
    if (!server.enabled || !server.proxy || number === undefined) {
      this.setIntercom('ring');
      return {
        calling: false,
        callId: null,
        reason: !server.enabled || !server.proxy ? 'sipDisabled' : 'noNumber',
      };
    }
    const call: Call = {
      callId: deviceNumber(),
      button,
      number,
      state: 'calling',
      from: `<sip:${server.userName}@${formatHost(this.link.localHost())}>;tag=${deviceNumber()}`,
      to: `<sip:${number}@${formatHost(server.proxy)}:${server.proxyPort}>`,
      cseq: INVITE_CSEQ,
      cancelWanted: false,
      provisional: false,
      intercomStatus: 'ring',
      timers: [],
    };
    this.call = call;
    this.setIntercom('ring');
    call.timers.push(setTimeout(() => this.cancel(call), this.link.ringTimeMs()));
    openRtpPorts(this.link.bindHost)
      .then((rtp) => {
        if (this.call !== call || call.cancelWanted || this.closed) {
          rtp.close();
          if (this.call === call) this.endCall(call, 'cancelled', null);
          return;
        }
        call.rtp = rtp;
        this.invite(call, rtp);
      })
      .catch(() => this.endCall(call, 'error', null));
    return { calling: true, callId: call.callId };
  }

  private invite(call: Call, rtp: RtpPorts): void {
    const server = this.link.settings.server;
    const host = this.link.localHost();
    const body = doorbellOffer({
      user: server.userName,
      host,
      audioPort: rtp.audioPort,
      videoPort: rtp.videoPort,
    });
    call.invite = this.link.uac.send(
      {
        method: 'INVITE',
        uri: `sip:${call.number}@${formatHost(server.proxy)}:${server.proxyPort}`,
        peer: { host: server.proxy, port: server.proxyPort },
        from: call.from,
        to: call.to,
        callId: call.callId,
        cseq: call.cseq,
        headers: [
          ['Contact', `<${this.link.contactUri(server.userName)}>`],
          ['Content-Type', 'application/sdp'],
          ['Max-Forwards', '70'],
          ['User-Agent', USER_AGENT],
          ['Subject', 'This is a call to app.'],
        ],
        body,
        credentials: { username: server.authId || server.userName, password: server.password },
      },
      {
        onResend: (request) => {
          call.invite = request;
          call.cseq = request.cseq;
        },
        onProvisional: () => {
          call.provisional = true;
          if (call.state === 'calling') call.state = 'ringing';
          if (call.cancelWanted && call.invite) this.sendCancel(call, call.invite);
        },
        onFinal: (response, request) => this.onInviteFinal(call, request, response),
        onTimeout: (cause) => this.endCall(call, cause === 'timeout' ? 'noAnswer' : 'error', null),
      },
    );
  }

  private onInviteFinal(call: Call, invite: SentRequest, response: SipResponse): void {
    if (response.status >= 300) {
      // The transaction ACKed it; a 487 is the end of our CANCEL.
      const cancelled = call.cancelWanted && response.status === 487;
      this.endCall(call, cancelled ? 'cancelled' : 'rejected', cancelled ? null : response.status);
      return;
    }
    const resendAck = this.link.uac.successAck(invite, response, this.link.uac.responsePeer);
    this.acks.set(call.callId, resendAck);
    setTimeout(() => this.acks.delete(call.callId), 64 * this.link.t1Ms).unref();
    call.to = header(response, 'to') ?? call.to;
    call.remoteTag = tagOf(call.to);
    call.remoteTarget = remoteTargetOf(response, this.link.uac.responsePeer);
    call.remoteRtp = remoteAudioOf(response.body);
    if (this.call !== call || call.cancelWanted) {
      // The answer crossed our CANCEL (RFC 3261 §15): the call is up, so end it with BYE.
      this.sendBye(call);
      if (this.call === call) this.endCall(call, 'cancelled', null);
      return;
    }
    call.state = 'connected';
    for (const timer of call.timers.splice(0)) clearTimeout(timer);
    if (this.link.intercom.status === 'ring') this.setIntercom('onCall');
    call.intercomStatus = 'onCall';
    const talkSeconds = this.link.settings.operationTime.talkTime;
    if (Number.isFinite(talkSeconds) && talkSeconds > 0) {
      call.timers.push(setTimeout(() => this.hangUp(), talkSeconds * 1000));
    }
  }

  /** Ends the call: BYE when connected, CANCEL while it rings; false when there is none. */
  hangUp(): boolean {
    const call = this.call;
    if (!call) return false;
    if (call.state !== 'connected') return this.cancel(call);
    this.sendBye(call);
    this.endCall(call, 'hungUp', null);
    return true;
  }

  /** Gives up a ringing call: CANCEL once a provisional answer came (RFC 3261 §9.1). */
  private cancel(call: Call): boolean {
    if (this.call !== call || call.state === 'connected') return false;
    if (call.cancelWanted) return true;
    call.cancelWanted = true;
    call.state = 'cancelling';
    for (const timer of call.timers.splice(0)) clearTimeout(timer);
    // The doorbell stops ringing now; the call ends with the 487 (or after 64·T1 without one).
    this.takeBackIntercom(call);
    call.timers.push(setTimeout(() => this.endCall(call, 'cancelled', null), 64 * this.link.t1Ms));
    if (call.invite && call.provisional) this.sendCancel(call, call.invite);
    return true;
  }

  private sendCancel(call: Call, invite: SentRequest): void {
    if (call.invite !== invite || invite.transaction.done) return;
    this.link.uac.cancel(invite, { onFinal: () => undefined, onTimeout: () => undefined });
  }

  private sendBye(call: Call): void {
    const server = this.link.settings.server;
    const target = call.remoteTarget;
    if (!target) return;
    call.cseq += 1;
    this.link.uac.send(
      {
        method: 'BYE',
        uri: target.uri,
        peer: target.peer,
        from: call.from,
        to: call.to,
        callId: call.callId,
        cseq: call.cseq,
        headers: [
          ['Max-Forwards', '70'],
          ['User-Agent', USER_AGENT],
        ],
        credentials: { username: server.authId || server.userName, password: server.password },
      },
      { onFinal: () => undefined, onTimeout: () => undefined },
    );
  }

  private endCall(call: Call, reason: SimSipCallEnd['reason'], status: number | null): void {
    if (this.call !== call) return;
    this.call = undefined;
    for (const timer of call.timers.splice(0)) clearTimeout(timer);
    call.rtp?.close();
    this.lastCall = { callId: call.callId, reason, status, at: Date.now() };
    this.takeBackIntercom(call);
    this.link.onEnded();
  }

  /** The intercom goes idle if it still shows this call's status (an ISAPI change is left alone). */
  private takeBackIntercom(call: Call): void {
    if (this.link.intercom.status === call.intercomStatus) this.setIntercom('idle');
    call.intercomStatus = 'idle';
  }

  private setIntercom(status: CallStatus): void {
    if (this.link.intercom.status === status) return;
    this.settingIntercom = true;
    try {
      this.link.intercom.setStatus(status);
    } finally {
      this.settingIntercom = false;
    }
  }

  /** ISAPI hangUp/cancel/reject, or the ring timing out, end the SIP call the same way. */
  onIntercomStatus(status: CallStatus): void {
    const call = this.call;
    if (this.settingIntercom || !call || status !== 'idle') return;
    call.intercomStatus = 'idle';
    if (call.state === 'connected') this.hangUp();
    else this.cancel(call);
  }

  close(): void {
    this.closed = true;
    const call = this.call;
    this.call = undefined;
    if (!call) return;
    for (const timer of call.timers.splice(0)) clearTimeout(timer);
    call.rtp?.close();
  }
}
