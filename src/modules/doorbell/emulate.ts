/**
 * "Emulate SIP proxy": hikbridge is the SIP server the doorbells register to and call, for
 * homes with no indoor station. One server per port (UDP and TCP), shared by every doorbell
 * that uses that port; a doorbell is recognised by its source address (and by its phone number
 * when several share one address), so nobody else can register or ring.
 */
import type { Logger } from '../../core/logger.ts';
import type { DoorbellEmulateSettings } from '../../core/store/types.ts';
import { type Binding, type IncomingRequest, SipRegistrar, SipStack } from '../../protocols/sip/index.ts';
import type { SipCalls } from './calls.ts';
import { contactUri, fromUser, hasToTag, normalise, sipLog } from './sip-util.ts';

export interface EmulatedDoorbell {
  deviceId: string;
  /** The doorbell's IP address (its host, resolved). */
  address: string;
  /** Our address as the doorbell sees it (Contact, SDP, and what it is told to register to). */
  localAddress: string;
  settings: DoorbellEmulateSettings;
  /** Digest password the doorbell must register with (with settings.digestUsername); null = none. */
  password: string | null;
}

export interface ProxyEvents {
  registered(deviceId: string, binding: Binding, refreshed: boolean): void;
  unregistered(deviceId: string): void;
  /** A REGISTER or INVITE we turned away (unknown address, wrong password...). */
  refused(address: string, what: string): void;
}

export interface EmulatedProxyOptions {
  host: string;
  port: number;
  t1Ms: number;
  registerExpiresSeconds: number;
  logger: Logger;
  calls: SipCalls;
  events: ProxyEvents;
}

const METHODS = ['REGISTER', 'INVITE', 'BYE', 'OPTIONS', 'INFO', 'NOTIFY', 'MESSAGE'];
const MAX_TRANSACTIONS = 4096;

export class EmulatedProxy {
  private readonly doorbells = new Map<string, EmulatedDoorbell>();
  private readonly registrar: SipRegistrar;

  private constructor(
    private readonly options: EmulatedProxyOptions,
    readonly stack: SipStack,
  ) {
    this.registrar = new SipRegistrar({
      realm: 'hikbridge',
      admit: (peer, user) => {
        const doorbell = this.doorbellAt(peer.address, user);
        if (!doorbell) return undefined;
        const { digestUsername } = doorbell.settings;
        return {
          id: doorbell.deviceId,
          ...(digestUsername && doorbell.password
            ? { digest: { username: digestUsername, password: doorbell.password } }
            : {}),
        };
      },
      // Doorbells ask for 30-60 s; anything sane is granted, so they re-register when they said.
      minExpiresSeconds: 10,
      maxExpiresSeconds: 3600,
      defaultExpiresSeconds: options.registerExpiresSeconds,
    });
  }

  static async start(options: EmulatedProxyOptions): Promise<EmulatedProxy> {
    const holder: { proxy?: EmulatedProxy } = {};
    const stack = await SipStack.start({
      host: options.host,
      port: options.port,
      timers: { t1Ms: options.t1Ms },
      allowedMethods: METHODS,
      // Each ring leaves a CANCEL transaction for 64*T1 (32 s) over UDP: room for ~100 rings a second.
      maxTransactions: MAX_TRANSACTIONS,
      log: sipLog(options.logger),
      onRequest: (incoming) => {
        if (holder.proxy) holder.proxy.receive(incoming);
        else incoming.reply(503);
      },
    });
    const proxy = new EmulatedProxy(options, stack);
    holder.proxy = proxy;
    return proxy;
  }

  get port(): number {
    return this.stack.port;
  }

  get size(): number {
    return this.doorbells.size;
  }

  add(doorbell: EmulatedDoorbell): void {
    this.doorbells.set(doorbell.deviceId, doorbell);
  }

  remove(deviceId: string): void {
    this.doorbells.delete(deviceId);
    this.registrar.forget(deviceId);
  }

  binding(deviceId: string): Binding | undefined {
    return this.registrar.binding(deviceId);
  }

  async close(): Promise<void> {
    await this.stack.close();
  }

  private receive(incoming: IncomingRequest): void {
    const { method } = incoming;
    if (method === 'REGISTER') this.register(incoming);
    else if (method === 'INVITE' && !hasToTag(incoming)) this.invite(incoming);
    else if (this.options.calls.receiveInDialog(incoming)) return;
    else if (method === 'OPTIONS') incoming.reply(200);
    else incoming.reply(481, 'Call/Transaction Does Not Exist');
  }

  private register(incoming: IncomingRequest): void {
    const outcome = this.registrar.handle(incoming);
    const { events } = this.options;
    switch (outcome.kind) {
      case 'registered':
        events.registered(outcome.binding.accountId, outcome.binding, outcome.refreshed);
        return;
      case 'unregistered':
        events.unregistered(outcome.accountId);
        return;
      case 'refused':
        events.refused(incoming.peer.address, `REGISTER refused (${outcome.status} ${outcome.reason})`);
        return;
      default:
        return;
    }
  }

  private invite(incoming: IncomingRequest): void {
    const doorbell = this.doorbellAt(incoming.peer.address, fromUser(incoming));
    if (!doorbell) {
      incoming.reply(403, 'Forbidden');
      this.options.events.refused(
        incoming.peer.address,
        'INVITE from an address that is no configured doorbell',
      );
      return;
    }
    const { localAddress } = doorbell;
    this.options.calls.offer(doorbell.deviceId, incoming, {
      stack: this.stack,
      contact: contactUri(doorbell.settings.proxyNumber, localAddress, this.port, incoming.peer.transport),
      localAddress,
    });
  }

  /**
   * The doorbell behind a source address: the only one there, or the one with this phone
   * number when several doorbells share the address (one host, a NAT).
   */
  private doorbellAt(address: string, user: string | undefined): EmulatedDoorbell | undefined {
    const here = [...this.doorbells.values()].filter((each) => each.address === normalise(address));
    if (here.length <= 1) return here[0];
    return here.find((each) => each.settings.doorbellNumber === user);
  }
}
