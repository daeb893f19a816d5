/**
 * The simulated doorbell's SIP user agent (issue 13): it registers to the proxy its SIP settings
 * name, calls the button's phone number on a press (INVITE shaped like the captured one in
 * ../shared/notes/sip-doorbell.md), gives up with CANCEL after the max ring time, and ends calls
 * with BYE either way. The intercom's call status follows the SIP call, and an ISAPI callSignal
 * that ends the intercom's call ends the SIP call too. Independent of src/ (it is what the
 * gateway's SIP side is tested against). See sim/README.md, "SIP agent".
 */
import { networkInterfaces } from 'node:os';
import type { Intercom } from './intercom.ts';
import {
  deviceNumber,
  formatHost,
  header,
  headerValues,
  parseParams,
  parseSipMessage,
  REASONS,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  serialize,
  splitList,
  tagOf,
  topBranch,
} from './sip/message.ts';
import { type RegistrationTarget, SipRegistration } from './sip/registration.ts';
import { openRtpPorts, type RtpPorts } from './sip/rtp.ts';
import { doorbellOffer, type RemoteRtp, remoteAudioOf } from './sip/sdp.ts';
import {
  openTransport,
  peerText,
  type SipPeer,
  type SipTransport,
  type SipTransportKind,
} from './sip/transport.ts';
import { remoteTargetOf, type SentRequest, SipUac, USER_AGENT } from './sip/uac.ts';
import type { SimSipSettings } from './sip-settings.ts';
import type {
  CallStatus,
  SimPressRecord,
  SimPressResult,
  SimSipCallEnd,
  SimSipCallState,
  SimSipMessageRecord,
  SimSipState,
} from './types.ts';

export interface SipAgentOptions {
  settings: SimSipSettings;
  intercom: Intercom;
  /** The address to bind (the simulator's host). */
  host: string;
  transport: SipTransportKind;
  /** Port to bind; undefined: the settings' localPort (a free port when taken). */
  port: number | undefined;
  t1Ms: number;
  /** How long a call rings before the doorbell gives up (ms). */
  ringTimeMs: () => number;
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

const MAX_MESSAGES = 1000;
const MAX_PRESSES = 100;
const MAX_ANSWERED = 64;
const INVITE_CSEQ = 20; // as in the captured INVITE
const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS';

export class SimSipAgent {
  readonly messages: SimSipMessageRecord[] = [];
  readonly presses: SimPressRecord[] = [];
  private transport!: SipTransport;
  private readonly uac: SipUac;
  private registration: SipRegistration | undefined;
  private registrationKey = '';
  private registeredTo: string | null = null;
  private call: Call | undefined;
  private lastCall: SimSipCallEnd | null = null;
  /** Answers to requests, by transaction, so a repeated request gets the same answer. */
  private readonly answered = new Map<string, { data: Buffer; at: number }>();
  /** ACK resends of recent answered calls, for repeats of their 200 (our ACK was lost). */
  private readonly acks = new Map<string, () => void>();
  private boundPort: number | undefined;
  private settingIntercom = false;
  private syncing: Promise<void> = Promise.resolve();
  private queuedSyncs = 0;
  private closed = false;
  private readonly unsubscribe: Array<() => void> = [];
  private responsePeer: SipPeer = { host: '', port: 0 };

  private constructor(private readonly options: SipAgentOptions) {
    this.uac = new SipUac({
      kind: options.transport,
      host: () => this.localHost(),
      port: () => this.transport.port,
      t1Ms: options.t1Ms,
      send: (peer, data, onFailure) => this.send(peer, data, onFailure),
    });
  }

  static async start(options: SipAgentOptions): Promise<SimSipAgent> {
    const agent = new SimSipAgent(options);
    await agent.bind();
    agent.unsubscribe.push(
      options.settings.onChange(() => agent.scheduleSync()),
      options.intercom.onStatus((status) => agent.onIntercomStatus(status)),
    );
    agent.syncRegistration();
    return agent;
  }

  get port(): number {
    return this.transport.port;
  }

  get state(): SimSipState {
    const call = this.call;
    return {
      registerStatus: this.options.settings.registerStatus,
      registeredTo: this.registeredTo,
      call: call
        ? {
            state: call.state,
            callId: call.callId,
            button: call.button,
            number: call.number,
            rtpPort: call.rtp?.audioPort ?? null,
            remoteRtp: call.remoteRtp ?? null,
            rtpPacketsReceived: call.rtp?.received.packets ?? 0,
          }
        : null,
      lastCall: this.lastCall,
      port: this.transport.port,
      transport: this.options.transport,
    };
  }

  // ----------------------------------------------------------------------------------------------
  // Socket and settings

  private wantedPort(): number {
    return this.options.port ?? this.options.settings.server.localPort;
  }

  private async bind(): Promise<void> {
    const port = this.wantedPort();
    const old = this.transport as SipTransport | undefined;
    await old?.close();
    this.transport = await openTransport(
      this.options.transport,
      this.options.host,
      port,
      (data, peer, reply) => this.receive(data, peer, reply),
    );
    this.boundPort = port;
  }

  /**
   * Settings changed: the registration follows at once; a new local port is bound first (once no
   * call is up), and changes arriving meanwhile wait for it.
   */
  private scheduleSync(): void {
    if (this.closed) return;
    const rebind = this.wantedPort() !== this.boundPort && !this.call;
    if (!rebind && this.queuedSyncs === 0) {
      this.syncRegistration();
      return;
    }
    this.queuedSyncs += 1;
    this.syncing = this.syncing.then(async () => {
      try {
        if (this.closed) return;
        if (this.wantedPort() !== this.boundPort && !this.call) {
          this.registration?.stop(false);
          this.registration = undefined;
          this.registrationKey = '';
          await this.bind().catch(() => undefined);
        }
        if (!this.closed) this.syncRegistration();
      } finally {
        this.queuedSyncs -= 1;
      }
    });
  }

  private syncRegistration(): void {
    const server = this.options.settings.server;
    const target: RegistrationTarget | undefined =
      server.enabled && server.proxy
        ? {
            proxy: server.proxy,
            proxyPort: server.proxyPort,
            userName: server.userName,
            displayName: server.displayName,
            authId: server.authId,
            password: server.password,
            expires: server.expires,
          }
        : undefined;
    const key = target ? JSON.stringify({ ...target, port: this.transport.port }) : '';
    if (key === this.registrationKey) return;
    this.registrationKey = key;
    this.registration?.stop(true);
    this.registration = undefined;
    this.setRegisterStatus('unregistered', null);
    if (!target) return;
    const registration = new SipRegistration(
      {
        uac: this.uac,
        contactUri: (user) => this.contactUri(user),
        t1Ms: this.options.t1Ms,
        onStatus: (status, to) => {
          if (this.registration === registration) this.setRegisterStatus(status, to);
        },
      },
      target,
    );
    this.registration = registration;
    registration.start();
  }

  private setRegisterStatus(status: SimSipSettings['registerStatus'], to: string | null): void {
    this.options.settings.registerStatus = status;
    this.registeredTo = to;
  }

  /** The address written in Via, Contact and SDP: the bound one, or on a wildcard a reachable one. */
  private localHost(): string {
    const host = this.options.host;
    if (host !== '0.0.0.0' && host !== '::') return host;
    if (/^(127\.|localhost$|::1$)/.test(this.options.settings.server.proxy)) return '127.0.0.1';
    for (const list of Object.values(networkInterfaces())) {
      const found = list?.find((a) => a.family === 'IPv4' && !a.internal);
      if (found) return found.address;
    }
    return '127.0.0.1';
  }

  private contactUri(user: string): string {
    return `sip:${user}@${formatHost(this.localHost())}:${this.transport.port}`;
  }

  // ----------------------------------------------------------------------------------------------
  // Wire

  private send(peer: SipPeer, data: Buffer, onFailure?: (error: Error) => void): void {
    if (this.closed) return;
    this.record('out', peer, data);
    this.transport.send(peer, data, onFailure);
  }

  private record(direction: 'in' | 'out', peer: SipPeer, data: Buffer | SipMessage): void {
    const message = Buffer.isBuffer(data) ? parseSipMessage(data) : data;
    if (!message) return;
    const startLine =
      message.kind === 'request'
        ? `${message.method} ${message.uri} SIP/2.0`
        : `SIP/2.0 ${message.status} ${message.reason}`.trimEnd();
    this.messages.push({
      at: Date.now(),
      direction,
      transport: this.options.transport,
      peer: peerText(peer),
      startLine,
      callId: message.callId,
      cseq: `${message.cseq.seq} ${message.cseq.method}`,
    });
    if (this.messages.length > MAX_MESSAGES) this.messages.shift();
  }

  /** Anything that is not a SIP message is dropped; a message never makes the agent throw. */
  private receive(data: Buffer, peer: SipPeer, reply: (data: Buffer) => void): void {
    if (this.closed) return;
    const message = parseSipMessage(data);
    if (!message) return;
    this.record('in', peer, message);
    try {
      if (message.kind === 'response') this.onResponse(message, peer);
      else this.onRequest(message, peer, reply);
    } catch {
      // A message we could not handle is dropped like a broken one; the agent goes on.
    }
  }

  private onResponse(response: SipResponse, peer: SipPeer): void {
    this.responsePeer = peer;
    if (this.uac.dispatch(response)) return;
    // A repeated 200 to an INVITE whose transaction is over: our ACK was lost, send it again.
    if (response.cseq.method === 'INVITE' && response.status >= 200 && response.status < 300) {
      this.acks.get(response.callId)?.();
    }
  }

  // ----------------------------------------------------------------------------------------------
  // Requests from the peer

  private onRequest(request: SipRequest, peer: SipPeer, reply: (data: Buffer) => void): void {
    if (request.method === 'ACK') return;
    const key = `${topBranch(request)} ${request.method} ${request.callId} ${request.cseq.seq}`;
    const earlier = this.answered.get(key);
    if (earlier) {
      this.replyWith(reply, peer, earlier.data);
      return;
    }
    const call = this.call;
    const inCall =
      call?.state === 'connected' &&
      call.callId === request.callId &&
      tagOf(header(request, 'from')) === call.remoteTag;
    let status: number;
    if (request.method === 'BYE') status = inCall ? 200 : 481;
    else if (request.method === 'OPTIONS') status = 200;
    else if (request.method === 'INVITE')
      status = 486; // the doorbell only places calls
    else if (request.method === 'CANCEL')
      status = 481; // INVITEs to us are answered at once
    else status = 501;
    const data = this.answer(request, peer, status);
    this.answered.set(key, { data, at: Date.now() });
    this.trimAnswered();
    this.replyWith(reply, peer, data);
    if (request.method === 'BYE' && inCall && call) this.endCall(call, 'hungUpByPeer', null);
  }

  private replyWith(reply: (data: Buffer) => void, peer: SipPeer, data: Buffer): void {
    this.record('out', peer, data);
    reply(data);
  }

  private trimAnswered(): void {
    const oldest = Date.now() - 64 * this.options.t1Ms;
    for (const [key, entry] of this.answered) {
      if (entry.at < oldest || this.answered.size > MAX_ANSWERED) this.answered.delete(key);
    }
  }

  /** An answer to a request (RFC 3261 §8.2.6): its Vias (rport filled in), From, To + tag, Call-ID, CSeq. */
  private answer(request: SipRequest, peer: SipPeer, status: number): Buffer {
    const vias = headerValues(request, 'via').flatMap(splitList);
    const top = vias[0];
    if (top !== undefined && 'rport' in parseParams(top.split(';').slice(1).join(';'))) {
      vias[0] = `${top.replace(/;rport(=[^;]*)?/i, '')};received=${peer.host};rport=${peer.port}`;
    }
    const to = header(request, 'to') ?? '';
    const headers: Array<[string, string]> = [
      ...vias.map((via): [string, string] => ['Via', via]),
      ['From', header(request, 'from') ?? ''],
      ['To', tagOf(to) === undefined ? `${to};tag=${deviceNumber()}` : to],
      ['Call-ID', request.callId],
      ['CSeq', `${request.cseq.seq} ${request.cseq.method}`],
      ['User-Agent', USER_AGENT],
    ];
    if (request.method === 'OPTIONS' || status === 501) headers.push(['Allow', ALLOW]);
    if (request.method === 'OPTIONS') headers.push(['Accept', 'application/sdp']);
    return serialize(`SIP/2.0 ${status} ${REASONS[status] ?? ''}`.trimEnd(), headers);
  }

  // ----------------------------------------------------------------------------------------------
  // Calls

  /** A press of `button`: a SIP call to its number, or (no SIP) a ring for callStatus pollers. */
  press(button = 1): SimPressResult {
    const result = this.pressResult(button);
    this.presses.push({ ...result, at: Date.now(), button });
    if (this.presses.length > MAX_PRESSES) this.presses.shift();
    return result;
  }

  private pressResult(button: number): SimPressResult {
    const { settings, intercom } = this.options;
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
      from: `<sip:${server.userName}@${formatHost(this.localHost())}>;tag=${deviceNumber()}`,
      to: `<sip:${number}@${formatHost(server.proxy)}:${server.proxyPort}>`,
      cseq: INVITE_CSEQ,
      cancelWanted: false,
      provisional: false,
      intercomStatus: 'ring',
      timers: [],
    };
    this.call = call;
    this.setIntercom('ring');
    call.timers.push(setTimeout(() => this.cancel(call), this.options.ringTimeMs()));
    openRtpPorts(this.options.host)
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
    const server = this.options.settings.server;
    const host = this.localHost();
    const body = doorbellOffer({
      user: server.userName,
      host,
      audioPort: rtp.audioPort,
      videoPort: rtp.videoPort,
    });
    call.invite = this.uac.send(
      {
        method: 'INVITE',
        uri: `sip:${call.number}@${formatHost(server.proxy)}:${server.proxyPort}`,
        peer: { host: server.proxy, port: server.proxyPort },
        from: call.from,
        to: call.to,
        callId: call.callId,
        cseq: call.cseq,
        headers: [
          ['Contact', `<${this.contactUri(server.userName)}>`],
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
        onTimeout: () => this.endCall(call, 'noAnswer', null),
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
    const resendAck = this.uac.successAck(invite, response, this.responsePeer);
    this.acks.set(call.callId, resendAck);
    setTimeout(() => this.acks.delete(call.callId), 64 * this.options.t1Ms).unref();
    call.to = header(response, 'to') ?? call.to;
    call.remoteTag = tagOf(call.to);
    call.remoteTarget = remoteTargetOf(response, this.responsePeer);
    call.remoteRtp = remoteAudioOf(response.body);
    if (this.call !== call || call.cancelWanted) {
      // The answer crossed our CANCEL (RFC 3261 §15): the call is up, so end it with BYE.
      this.sendBye(call);
      if (this.call === call) this.endCall(call, 'cancelled', null);
      return;
    }
    call.state = 'connected';
    for (const timer of call.timers.splice(0)) clearTimeout(timer);
    if (this.options.intercom.status === 'ring') this.setIntercom('onCall');
    call.intercomStatus = 'onCall';
    const talkSeconds = this.options.settings.operationTime.talkTime;
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
    call.timers.push(setTimeout(() => this.endCall(call, 'cancelled', null), 64 * this.options.t1Ms));
    if (call.invite && call.provisional) this.sendCancel(call, call.invite);
    return true;
  }

  private sendCancel(call: Call, invite: SentRequest): void {
    if (call.invite !== invite || invite.transaction.done) return;
    this.uac.cancel(invite, { onFinal: () => undefined, onTimeout: () => undefined });
  }

  private sendBye(call: Call): void {
    const server = this.options.settings.server;
    const target = call.remoteTarget;
    if (!target) return;
    call.cseq += 1;
    this.uac.send(
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
    // A local port change waited for the call to end.
    if (this.wantedPort() !== this.boundPort) this.scheduleSync();
  }

  /** The intercom goes idle if it still shows this call's status (an ISAPI change is left alone). */
  private takeBackIntercom(call: Call): void {
    if (this.options.intercom.status === call.intercomStatus) this.setIntercom('idle');
    call.intercomStatus = 'idle';
  }

  private setIntercom(status: CallStatus): void {
    if (this.options.intercom.status === status) return;
    this.settingIntercom = true;
    try {
      this.options.intercom.setStatus(status);
    } finally {
      this.settingIntercom = false;
    }
  }

  /** ISAPI hangUp/cancel/reject, or the ring timing out, end the SIP call the same way. */
  private onIntercomStatus(status: CallStatus): void {
    const call = this.call;
    if (this.settingIntercom || !call || status !== 'idle') return;
    call.intercomStatus = 'idle';
    if (call.state === 'connected') this.hangUp();
    else this.cancel(call);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.unsubscribe.splice(0)) off();
    // A doorbell switched off does not unregister: its registration runs out at the registrar.
    this.registration?.stop(false);
    const call = this.call;
    this.call = undefined;
    if (call) {
      for (const timer of call.timers.splice(0)) clearTimeout(timer);
      call.rtp?.close();
    }
    this.uac.closeAll();
    await this.syncing;
    await this.transport.close();
  }
}
