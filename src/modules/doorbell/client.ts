/**
 * "Connect to SIP proxy": hikbridge is a phone on the user's PBX for one doorbell. It registers
 * (digest), refreshes the registration before it runs out, keeps retrying while the PBX is down
 * or restarting, and takes the doorbell's calls that the PBX routes to it.
 */
import type { Logger } from '../../core/logger.ts';
import type { DoorbellClientSettings } from '../../core/store/types.ts';
import {
  type IncomingRequest,
  type RegistrationStatus,
  SipRegistration,
  SipStack,
} from '../../protocols/sip/index.ts';
import type { SipCalls } from './calls.ts';
import { contactUri, fromUser, hasToTag, sipLog } from './sip-util.ts';

export interface ClientPhoneOptions {
  deviceId: string;
  host: string;
  t1Ms: number;
  settings: DoorbellClientSettings;
  /** The PBX address, resolved. */
  serverAddress: string;
  password: string | null;
  /** Our address as the PBX sees it (Via, Contact, SDP). */
  localAddress: string;
  logger: Logger;
  calls: SipCalls;
  onStatus: (status: RegistrationStatus) => void;
  /** Back-off of failed registrations (tests make it short). */
  retry?: { minMs: number; maxMs: number };
}

const METHODS = ['INVITE', 'BYE', 'OPTIONS', 'INFO', 'NOTIFY', 'MESSAGE'];

export class ClientPhone {
  private registration!: SipRegistration;

  private constructor(
    private readonly options: ClientPhoneOptions,
    readonly stack: SipStack,
  ) {}

  static async start(options: ClientPhoneOptions): Promise<ClientPhone> {
    const holder: { phone?: ClientPhone } = {};
    const stack = await SipStack.start({
      host: options.host,
      port: 0,
      advertisedHost: options.localAddress,
      timers: { t1Ms: options.t1Ms },
      allowedMethods: METHODS,
      log: sipLog(options.logger),
      onRequest: (incoming) => {
        if (holder.phone) holder.phone.receive(incoming);
        else incoming.reply(503);
      },
    });
    const phone = new ClientPhone(options, stack);
    holder.phone = phone;
    const { settings, password } = options;
    phone.registration = new SipRegistration({
      stack,
      registrar: { transport: settings.transport, address: options.serverAddress, port: settings.port },
      user: settings.username,
      ...(settings.domain ? { domain: settings.domain } : {}),
      ...(password !== null
        ? { credentials: { username: settings.authUsername ?? settings.username, password } }
        : {}),
      expiresSeconds: settings.expiresSeconds,
      ...(options.retry ? { retry: options.retry } : {}),
      onChange: options.onStatus,
    });
    phone.registration.start();
    return phone;
  }

  get status(): RegistrationStatus {
    return this.registration.status;
  }

  get port(): number {
    return this.stack.port;
  }

  async close(): Promise<void> {
    await this.registration.stop();
    await this.stack.close();
  }

  private receive(incoming: IncomingRequest): void {
    const { calls, deviceId } = this.options;
    if (incoming.method === 'INVITE' && !hasToTag(incoming)) {
      const { callerNumber, username } = this.options.settings;
      const caller = fromUser(incoming);
      if (callerNumber && caller !== callerNumber) {
        // Another phone on the PBX dialled our extension: not the doorbell, so no ring.
        incoming.reply(486, 'Busy Here');
        this.options.logger.info({ caller }, 'a call from another number than the doorbell was turned down');
        return;
      }
      const localAddress = this.stack.advertisedHost;
      calls.offer(deviceId, incoming, {
        stack: this.stack,
        contact: contactUri(username, localAddress, this.port, incoming.peer.transport),
        localAddress,
      });
      return;
    }
    if (calls.receiveInDialog(incoming)) return;
    if (incoming.method === 'OPTIONS') return void incoming.reply(200);
    incoming.reply(481, 'Call/Transaction Does Not Exist');
  }
}
