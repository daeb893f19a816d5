/**
 * A small registrar (RFC 3261 §10.3) for phones we know by address: each REGISTER is first
 * matched to an account by the caller's `admit` (here: a doorbell by its source address), then,
 * when that account has a password, checked with a digest challenge. Bindings are kept in memory
 * with their expiry, one table bounded by `maxBindings`.
 *
 * Nonces are stateless (a time and an HMAC of it), so a challenge costs no memory and a nonce
 * from before a restart is answered `stale` instead of "wrong password".
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { challenge, credentialsOf, verifyAuthorization } from './digest.ts';
import { contactsOf, expiresOf, formatNameAddr, header, parseNameAddr } from './headers.ts';
import type { IncomingRequest } from './stack.ts';
import type { NameAddr, SipPeer } from './types.ts';

/** Who may register from where: the answer of `admit`. */
export interface RegistrarAccount {
  /** The caller's own id for this account (a device id): bindings and events carry it. */
  id: string;
  /** When set, REGISTER must carry digest credentials for this user and password. */
  digest?: { username: string; password: string };
}

export interface Binding {
  accountId: string;
  /** The address-of-record's user (the doorbell's phone number). */
  user: string;
  contact: string;
  /** Where the REGISTER came from: INVITEs to this phone go there. */
  peer: SipPeer;
  expiresAt: number;
  registeredAt: number;
}

export type RegistrarOutcome =
  | { kind: 'registered'; binding: Binding; refreshed: boolean }
  | { kind: 'unregistered'; accountId: string }
  | { kind: 'refused'; status: number; reason: string; accountId: string | null }
  | { kind: 'challenged'; accountId: string }
  | { kind: 'queried'; accountId: string };

export interface RegistrarOptions {
  realm: string;
  /** The account a REGISTER from `peer` for `user` belongs to, or undefined to refuse it (403). */
  admit: (peer: SipPeer, user: string) => RegistrarAccount | undefined;
  /** Shortest and longest registration granted, in seconds (defaults 20 and 3600). */
  minExpiresSeconds?: number;
  maxExpiresSeconds?: number;
  /** Expires when the REGISTER names none (default 3600, capped by the maximum). */
  defaultExpiresSeconds?: number;
  /** Most bindings kept at once (default 4096); beyond it new ones get 503. */
  maxBindings?: number;
  /** Seconds a nonce stays valid (default 300). */
  nonceLifetimeSeconds?: number;
  now?: () => number;
}

export class SipRegistrar {
  private readonly bindings = new Map<string, Binding>();
  private readonly nonceKey = randomBytes(32);

  constructor(private readonly options: RegistrarOptions) {}

  /** The live binding of an account, if any (expired ones are dropped on the way). */
  binding(accountId: string): Binding | undefined {
    const binding = this.bindings.get(accountId);
    if (binding && binding.expiresAt <= this.now()) {
      this.bindings.delete(accountId);
      return undefined;
    }
    return binding;
  }

  /** Every live binding. */
  all(): Binding[] {
    return [...this.bindings.keys()].flatMap((id) => this.binding(id) ?? []);
  }

  forget(accountId: string): void {
    this.bindings.delete(accountId);
  }

  /** Answers a REGISTER and says what it did. */
  handle(incoming: IncomingRequest): RegistrarOutcome {
    const request = incoming.request;
    const user = userOf(header(request, 'To'));
    if (user === undefined) return this.refuse(incoming, 400, 'Bad To', null);
    const account = this.options.admit(incoming.peer, user);
    if (!account) return this.refuse(incoming, 403, 'Forbidden', null);
    if (account.digest && !this.authenticated(incoming, account)) {
      return { kind: 'challenged', accountId: account.id };
    }
    let contacts: NameAddr[] | '*';
    try {
      contacts = contactsOf(request);
    } catch {
      return this.refuse(incoming, 400, 'Bad Contact', account.id);
    }
    if (contacts === '*') {
      if (expiresOf(request) !== 0) return this.refuse(incoming, 400, 'Wildcard Needs Expires 0', account.id);
      this.bindings.delete(account.id);
      incoming.reply(200);
      return { kind: 'unregistered', accountId: account.id };
    }
    const contact = contacts[0];
    if (!contact) return this.answerQuery(incoming, account.id);
    return this.bind(incoming, account.id, user, contact);
  }

  private bind(
    incoming: IncomingRequest,
    accountId: string,
    user: string,
    contact: NameAddr,
  ): RegistrarOutcome {
    const asked = expiresOf(incoming.request, contact) ?? this.defaultExpires;
    if (asked === 0) {
      this.bindings.delete(accountId);
      incoming.reply(200);
      return { kind: 'unregistered', accountId };
    }
    const min = this.options.minExpiresSeconds ?? 20;
    if (asked < min) {
      incoming.reply(423, 'Interval Too Brief', { headers: [{ name: 'Min-Expires', value: String(min) }] });
      return { kind: 'refused', status: 423, reason: `asked for ${asked} s, less than ${min} s`, accountId };
    }
    const previous = this.binding(accountId);
    if (!previous && !this.roomForOneMore()) {
      return this.refuse(incoming, 503, 'Service Unavailable', accountId);
    }
    const granted = Math.min(asked, this.options.maxExpiresSeconds ?? 3600);
    const now = this.now();
    const binding: Binding = {
      accountId,
      user,
      contact: formatNameAddr({ ...contact, params: {} }),
      peer: incoming.peer,
      expiresAt: now + granted * 1000,
      registeredAt: previous?.registeredAt ?? now,
    };
    this.bindings.set(accountId, binding);
    incoming.reply(200, 'OK', {
      headers: [
        { name: 'Contact', value: `${binding.contact};expires=${granted}` },
        { name: 'Expires', value: String(granted) },
        { name: 'Date', value: new Date(now).toUTCString() },
      ],
    });
    return { kind: 'registered', binding, refreshed: previous !== undefined };
  }

  /**
   * Expired bindings are only dropped when looked at, so a full table is swept before a new
   * phone is turned away: a doorbell that went away must not keep its place forever.
   */
  private roomForOneMore(): boolean {
    const max = this.options.maxBindings ?? 4096;
    if (this.bindings.size < max) return true;
    this.all();
    return this.bindings.size < max;
  }

  /** A REGISTER without Contact asks for the current bindings (§10.2.3). */
  private answerQuery(incoming: IncomingRequest, accountId: string): RegistrarOutcome {
    const binding = this.binding(accountId);
    const seconds = binding ? Math.max(0, Math.round((binding.expiresAt - this.now()) / 1000)) : 0;
    incoming.reply(200, 'OK', {
      headers: binding ? [{ name: 'Contact', value: `${binding.contact};expires=${seconds}` }] : [],
    });
    return { kind: 'queried', accountId };
  }

  /** True when the REGISTER carries good credentials; otherwise it has been answered 401. */
  private authenticated(incoming: IncomingRequest, account: RegistrarAccount): boolean {
    const digest = account.digest!;
    const result = verifyAuthorization(credentialsOf(incoming.request), {
      method: 'REGISTER',
      realm: this.options.realm,
      username: digest.username,
      password: digest.password,
      nonce: (nonce) => this.nonceIsFresh(nonce),
    });
    if (result.ok) return true;
    incoming.reply(401, 'Unauthorized', {
      headers: [
        {
          name: 'WWW-Authenticate',
          value: challenge({
            realm: this.options.realm,
            nonce: this.newNonce(),
            stale: result.reason === 'nonce',
          }),
        },
      ],
    });
    return false;
  }

  private refuse(
    incoming: IncomingRequest,
    status: number,
    reason: string,
    accountId: string | null,
  ): RegistrarOutcome {
    incoming.reply(status, reason);
    return { kind: 'refused', status, reason, accountId };
  }

  private get defaultExpires(): number {
    return this.options.defaultExpiresSeconds ?? 3600;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private newNonce(): string {
    const stamp = this.now().toString(16);
    return `${stamp}.${this.sign(stamp)}`;
  }

  private nonceIsFresh(nonce: string): boolean {
    const [stamp, signature] = nonce.split('.');
    if (!stamp || !signature || !/^[0-9a-f]{1,16}$/.test(stamp)) return false;
    const expected = Buffer.from(this.sign(stamp));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
    const age = this.now() - Number.parseInt(stamp, 16);
    return age >= 0 && age <= (this.options.nonceLifetimeSeconds ?? 300) * 1000;
  }

  private sign(stamp: string): string {
    return createHmac('sha256', this.nonceKey).update(stamp).digest('hex').slice(0, 32);
  }
}

/** The user part of a To address (the phone number registering); undefined when unreadable. */
function userOf(to: string | undefined): string | undefined {
  if (to === undefined) return undefined;
  try {
    const user = parseNameAddr(to).uri.user;
    return user && user.length <= 64 ? user : undefined;
  } catch {
    return undefined;
  }
}
