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
import { DoorbellCalls } from './sip/calls.ts';
import { formatHost, parseSipMessage, type SipMessage, type SipRequest } from './sip/message.ts';
import { type RegistrationTarget, SipRegistration } from './sip/registration.ts';
import {
  openTransport,
  peerText,
  type SipPeer,
  type SipTransport,
  type SipTransportKind,
} from './sip/transport.ts';
import { SipUac } from './sip/uac.ts';
import { AnsweredRequests, answerTo, statusFor } from './sip/uas.ts';
import type { SimSipSettings } from './sip-settings.ts';
import type { SimPressRecord, SimPressResult, SimSipMessageRecord, SimSipState } from './types.ts';

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

const MAX_MESSAGES = 1000;

export class SimSipAgent {
  readonly messages: SimSipMessageRecord[] = [];
  private transport!: SipTransport;
  private readonly uac: SipUac;
  private readonly calls: DoorbellCalls;
  private readonly answered: AnsweredRequests;
  private registration: SipRegistration | undefined;
  private registrationKey = '';
  private registeredTo: string | null = null;
  private boundPort: number | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private queuedSyncs = 0;
  private closed = false;
  private readonly unsubscribe: Array<() => void> = [];

  private constructor(private readonly options: SipAgentOptions) {
    this.uac = new SipUac({
      kind: options.transport,
      host: () => this.localHost(),
      port: () => this.transport.port,
      t1Ms: options.t1Ms,
      send: (peer, data, onFailure) => this.send(peer, data, onFailure),
    });
    this.calls = new DoorbellCalls({
      uac: this.uac,
      settings: options.settings,
      intercom: options.intercom,
      bindHost: options.host,
      localHost: () => this.localHost(),
      contactUri: (user) => this.contactUri(user),
      t1Ms: options.t1Ms,
      ringTimeMs: options.ringTimeMs,
      // A local port change waited for the call to end.
      onEnded: () => {
        if (this.wantedPort() !== this.boundPort) this.scheduleSync();
      },
    });
    this.answered = new AnsweredRequests(64 * options.t1Ms);
  }

  static async start(options: SipAgentOptions): Promise<SimSipAgent> {
    const agent = new SimSipAgent(options);
    await agent.bind();
    agent.unsubscribe.push(
      options.settings.onChange(() => {
        try {
          agent.scheduleSync();
        } catch {
          // Settings the agent cannot use leave it as it was; the route that changed them still answers.
        }
      }),
      options.intercom.onStatus((status) => agent.calls.onIntercomStatus(status)),
    );
    agent.syncRegistration();
    return agent;
  }

  get port(): number {
    return this.transport.port;
  }

  get state(): SimSipState {
    return {
      registerStatus: this.options.settings.registerStatus,
      registeredTo: this.registeredTo,
      call: this.calls.current,
      lastCall: this.calls.lastCall,
      port: this.transport.port,
      transport: this.options.transport,
    };
  }

  get presses(): readonly SimPressRecord[] {
    return this.calls.presses;
  }

  /** A press of `button`: a SIP call to its number, or (no SIP) a ring for callStatus pollers. */
  press(button = 1): SimPressResult {
    return this.calls.press(button);
  }

  /** Ends the SIP call: BYE when connected, CANCEL while it rings; false when there is none. */
  hangUp(): boolean {
    return this.calls.hangUp();
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
    const rebind = this.wantedPort() !== this.boundPort && !this.calls.busy;
    if (!rebind && this.queuedSyncs === 0) {
      this.syncRegistration();
      return;
    }
    this.queuedSyncs += 1;
    this.syncing = this.syncing.then(async () => {
      try {
        if (this.closed) return;
        if (this.wantedPort() !== this.boundPort && !this.calls.busy) {
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
      if (message.kind === 'response') {
        if (!this.uac.dispatch(message, peer)) this.calls.repeatAck(message);
      } else this.onRequest(message, peer, reply);
    } catch {
      // A message we could not handle is dropped like a broken one; the agent goes on.
    }
  }

  private onRequest(request: SipRequest, peer: SipPeer, reply: (data: Buffer) => void): void {
    if (request.method === 'ACK') return;
    const earlier = this.answered.get(request);
    if (earlier) {
      this.replyWith(reply, peer, earlier);
      return;
    }
    const inCall = request.method === 'BYE' && this.calls.isInCall(request);
    const data = answerTo(request, peer, statusFor(request, inCall));
    this.answered.set(request, data);
    this.replyWith(reply, peer, data);
    if (inCall) this.calls.endedByPeer();
  }

  private replyWith(reply: (data: Buffer) => void, peer: SipPeer, data: Buffer): void {
    this.record('out', peer, data);
    reply(data);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.unsubscribe.splice(0)) off();
    // A doorbell switched off does not unregister: its registration runs out at the registrar.
    this.registration?.stop(false);
    this.calls.close();
    this.uac.closeAll();
    await this.syncing;
    await this.transport.close();
  }
}
