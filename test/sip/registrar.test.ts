/**
 * SipRegistrar (RFC 3261 §10.3) behind a real SipStack on loopback UDP, with a SipStack UAC
 * as the phone: admission by source address (127.0.0.1 admitted, 127.0.0.2 refused 403), the
 * digest challenge with stateless nonces (success, wrong password, stale nonce, a nonce from
 * another registrar), bindings with their expiry on an injected clock, removal by Expires: 0 and
 * `Contact: *`, 423 under the minimum, the `maxBindings` bound (503) and a query without Contact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { authorize, challengeOf } from '../../src/protocols/sip/digest.ts';
import { header, parseNameAddr } from '../../src/protocols/sip/headers.ts';
import { buildRequest } from '../../src/protocols/sip/message.ts';
import {
  type RegistrarAccount,
  type RegistrarOptions,
  type RegistrarOutcome,
  SipRegistrar,
} from '../../src/protocols/sip/registrar.ts';
import { SipStack } from '../../src/protocols/sip/stack.ts';
import type { SipPeer, SipResponse } from '../../src/protocols/sip/types.ts';
import { LOOPBACK } from './helpers.ts';

const PASSWORD = 'Reg-Secret-19';
const EPOCH = Date.UTC(2025, 0, 1);
const SHORT_TIMERS = { t1Ms: 40, t2Ms: 160, t4Ms: 200, timerDMs: 400 };

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Setup {
  registrar: SipRegistrar;
  outcomes: RegistrarOutcome[];
  server: SipStack;
  clock: { ms: number };
}

/** A registrar on its own stack; every REGISTER goes through `handle` and its outcome is kept. */
async function startRegistrar(
  options: Partial<RegistrarOptions> & { accounts?: Record<string, RegistrarAccount> } = {},
): Promise<Setup> {
  const clock = { ms: EPOCH };
  const accounts = options.accounts ?? { '10101': { id: 'bell-1' } };
  const registrar = new SipRegistrar({
    realm: 'hikbridge.test',
    // The doorbell is known by where it sends from: only 127.0.0.1 is admitted.
    admit: (peer, user) => (peer.address === LOOPBACK ? accounts[user] : undefined),
    now: () => clock.ms,
    ...options,
  });
  const outcomes: RegistrarOutcome[] = [];
  const server = await SipStack.start({
    host: LOOPBACK,
    timers: SHORT_TIMERS,
    allowedMethods: ['REGISTER'],
    onRequest: (incoming) => outcomes.push(registrar.handle(incoming)),
  });
  cleanups.push(() => server.close());
  return { registrar, outcomes, server, clock };
}

interface Phone {
  stack: SipStack;
  user: string;
  /** Sends a REGISTER (Call-ID and CSeq of one registration) and resolves with the final answer. */
  register(options?: {
    expires?: number | null;
    contact?: string | null;
    contactExpires?: number;
    authorization?: { name: string; value: string };
  }): Promise<SipResponse>;
  /** REGISTER, and on a 401 once more with credentials for `password`. */
  registerWithPassword(password: string, expires?: number): Promise<SipResponse>;
  contactUri: string;
}

let phones = 0;

async function startPhone(registrarPort: number, user = '10101', host = LOOPBACK): Promise<Phone> {
  const stack = await SipStack.start({
    host,
    timers: SHORT_TIMERS,
    onRequest: (incoming) => incoming.reply(501),
  });
  cleanups.push(() => stack.close());
  const peer: SipPeer = { transport: 'udp', address: LOOPBACK, port: registrarPort };
  const callId = `reg-${++phones}@${host}`;
  const uri = `sip:${LOOPBACK}:${registrarPort}`;
  const contactUri = `sip:${user}@${host}:${stack.port}`;
  let cseq = 0;
  const phone: Phone = {
    stack,
    user,
    contactUri,
    register(options = {}) {
      const contact = options.contact === undefined ? `<${contactUri}>` : options.contact;
      const headers = [
        { name: 'From', value: `<sip:${user}@${LOOPBACK}>;tag=phone${phones}` },
        { name: 'To', value: `<sip:${user}@${LOOPBACK}>` },
        { name: 'Call-ID', value: callId },
        { name: 'CSeq', value: `${++cseq} REGISTER` },
      ];
      if (contact !== null) {
        headers.push({
          name: 'Contact',
          value:
            options.contactExpires === undefined ? contact : `${contact};expires=${options.contactExpires}`,
        });
      }
      const expires = options.expires === undefined ? 60 : options.expires;
      if (expires !== null) headers.push({ name: 'Expires', value: String(expires) });
      if (options.authorization) headers.push(options.authorization);
      return stack.request(buildRequest({ method: 'REGISTER', uri, headers }), peer);
    },
    async registerWithPassword(password, expires = 60) {
      const first = await phone.register({ expires });
      const challenge = challengeOf(first);
      if (!challenge) return first;
      return phone.register({
        expires,
        authorization: authorize({ challenge, username: user, password, method: 'REGISTER', uri }),
      });
    },
  };
  return phone;
}

function expiresParam(response: SipResponse): string | null | undefined {
  const contact = header(response, 'Contact');
  return contact === undefined ? undefined : parseNameAddr(contact).params.expires;
}

describe('admission by address', () => {
  it('binds a REGISTER from the admitted address and refuses the same user from another (403)', async () => {
    const { registrar, outcomes, server, clock } = await startRegistrar();
    const stranger = await startPhone(server.port, '10101', '127.0.0.2');
    const refused = await stranger.register();
    expect(refused.status).toBe(403);
    expect(outcomes).toEqual([{ kind: 'refused', status: 403, reason: 'Forbidden', accountId: null }]);
    expect(registrar.all()).toEqual([]);

    const phone = await startPhone(server.port);
    const ok = await phone.register({ expires: 60 });
    expect(ok.status).toBe(200);
    expect(header(ok, 'Expires')).toBe('60');
    expect(parseNameAddr(header(ok, 'Contact')!).uri.port).toBe(phone.stack.port);
    expect(expiresParam(ok)).toBe('60');
    expect(outcomes[1]).toMatchObject({ kind: 'registered', refreshed: false });
    const binding = registrar.binding('bell-1');
    expect(binding).toEqual({
      accountId: 'bell-1',
      user: '10101',
      contact: `<${phone.contactUri}>`,
      peer: { transport: 'udp', address: LOOPBACK, port: phone.stack.port },
      expiresAt: clock.ms + 60_000,
      registeredAt: clock.ms,
    });
  });

  it('refuses a user the address is not admitted for (403) and an unreadable To user (400)', async () => {
    const { server, outcomes } = await startRegistrar();
    const other = await startPhone(server.port, '55555');
    expect((await other.register()).status).toBe(403);
    const long = await startPhone(server.port, '1'.repeat(65));
    expect((await long.register()).status).toBe(400);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['refused', 'refused']);
  });
});

describe('digest', () => {
  const digestAccounts = {
    '10101': { id: 'bell-1', digest: { username: '10101', password: PASSWORD } },
  };

  it('challenges a REGISTER without credentials and binds the one that answers the challenge', async () => {
    const { registrar, outcomes, server } = await startRegistrar({ accounts: digestAccounts });
    const phone = await startPhone(server.port);
    const first = await phone.register();
    expect(first.status).toBe(401);
    const challenge = challengeOf(first)!;
    expect(challenge).toMatchObject({
      realm: 'hikbridge.test',
      qop: ['auth'],
      stale: false,
      algorithm: 'MD5',
    });
    expect(registrar.binding('bell-1')).toBeUndefined();

    const second = await phone.registerWithPassword(PASSWORD);
    expect(second.status).toBe(200);
    expect(registrar.binding('bell-1')?.user).toBe('10101');
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['challenged', 'challenged', 'registered']);
  });

  it('answers a wrong password with a fresh 401 (not stale), never a binding', async () => {
    const { registrar, server } = await startRegistrar({ accounts: digestAccounts });
    const phone = await startPhone(server.port);
    const answer = await phone.registerWithPassword('not-the-password');
    expect(answer.status).toBe(401);
    expect(challengeOf(answer)!.stale).toBe(false);
    expect(registrar.all()).toEqual([]);
    // Right user name, but another user's credentials are refused too.
    const first = await phone.register();
    const wrongUser = await phone.register({
      authorization: authorize({
        challenge: challengeOf(first)!,
        username: '10102',
        password: PASSWORD,
        method: 'REGISTER',
        uri: `sip:${LOOPBACK}:${server.port}`,
      }),
    });
    expect(wrongUser.status).toBe(401);
    expect(registrar.all()).toEqual([]);
  });

  it('says stale=true for a nonce past its lifetime or from another registrar, and accepts the new one', async () => {
    const { registrar, server, clock } = await startRegistrar({
      accounts: digestAccounts,
      nonceLifetimeSeconds: 30,
    });
    const phone = await startPhone(server.port);
    const uri = `sip:${LOOPBACK}:${server.port}`;
    const challenge = challengeOf(await phone.register())!;
    const credentials = () =>
      authorize({ challenge, username: '10101', password: PASSWORD, method: 'REGISTER', uri });

    clock.ms += 30_000;
    expect((await phone.register({ authorization: credentials() })).status).toBe(200);
    clock.ms += 1;
    const stale = await phone.register({ authorization: credentials() });
    expect(stale.status).toBe(401);
    const fresh = challengeOf(stale)!;
    expect(fresh.stale).toBe(true);
    expect(fresh.nonce).not.toBe(challenge.nonce);
    const retried = await phone.register({
      authorization: authorize({
        challenge: fresh,
        username: '10101',
        password: PASSWORD,
        method: 'REGISTER',
        uri,
      }),
    });
    expect(retried.status).toBe(200);
    expect(registrar.binding('bell-1')).toBeDefined();

    // Another registrar (a restart: a new key) does not know the nonce: stale, not "wrong password".
    const restarted = await startRegistrar({ accounts: digestAccounts });
    const again = await startPhone(restarted.server.port);
    const foreign = await again.register({
      authorization: authorize({
        challenge: fresh,
        username: '10101',
        password: PASSWORD,
        method: 'REGISTER',
        uri: `sip:${LOOPBACK}:${restarted.server.port}`,
      }),
    });
    expect(foreign.status).toBe(401);
    expect(challengeOf(foreign)!.stale).toBe(true);
    // A nonce whose time was changed (its HMAC no longer fits) is refused the same way.
    const [stamp, signature] = fresh.nonce.split('.');
    const forged = await phone.register({
      authorization: authorize({
        challenge: { ...fresh, nonce: `${(Number.parseInt(stamp!, 16) + 1).toString(16)}.${signature}` },
        username: '10101',
        password: PASSWORD,
        method: 'REGISTER',
        uri,
      }),
    });
    expect(forged.status).toBe(401);
    expect(challengeOf(forged)!.stale).toBe(true);
  });
});

describe('bindings', () => {
  it('expire at the granted time; a refresh keeps registeredAt and says refreshed', async () => {
    const { registrar, outcomes, server, clock } = await startRegistrar();
    const phone = await startPhone(server.port);
    const registeredAt = clock.ms;
    expect((await phone.register({ expires: 30 })).status).toBe(200);
    clock.ms += 20_000;
    const refresh = await phone.register({ expires: 30 });
    expect(refresh.status).toBe(200);
    expect(outcomes.at(-1)).toMatchObject({ kind: 'registered', refreshed: true });
    expect(registrar.binding('bell-1')).toMatchObject({ registeredAt, expiresAt: clock.ms + 30_000 });
    clock.ms += 29_999;
    expect(registrar.all()).toHaveLength(1);
    clock.ms += 1;
    expect(registrar.binding('bell-1')).toBeUndefined();
    expect(registrar.all()).toEqual([]);
    // After expiry the next REGISTER is a new registration again.
    expect((await phone.register({ expires: 30 })).status).toBe(200);
    expect(outcomes.at(-1)).toMatchObject({ kind: 'registered', refreshed: false });
    expect(registrar.binding('bell-1')?.registeredAt).toBe(clock.ms);
  });

  it("takes the Contact's expires over the Expires header, caps at the maximum, defaults when none is named", async () => {
    const { server } = await startRegistrar({ maxExpiresSeconds: 600, defaultExpiresSeconds: 120 });
    const phone = await startPhone(server.port);
    const byParam = await phone.register({ expires: 500, contactExpires: 45 });
    expect(expiresParam(byParam)).toBe('45');
    expect(header(byParam, 'Expires')).toBe('45');
    const capped = await phone.register({ expires: 7200 });
    expect(expiresParam(capped)).toBe('600');
    const byDefault = await phone.register({ expires: null });
    expect(expiresParam(byDefault)).toBe('120');
    expect(header(byDefault, 'Date')).toMatch(/GMT$/);
  });

  it('removes the binding on Expires: 0 and on Contact: * with Expires: 0; a wildcard without it is 400', async () => {
    const { registrar, outcomes, server } = await startRegistrar();
    const phone = await startPhone(server.port);
    await phone.register();
    expect((await phone.register({ expires: 0 })).status).toBe(200);
    expect(outcomes.at(-1)).toEqual({ kind: 'unregistered', accountId: 'bell-1' });
    expect(registrar.binding('bell-1')).toBeUndefined();

    await phone.register();
    expect(registrar.binding('bell-1')).toBeDefined();
    expect((await phone.register({ contact: '*', expires: 60 })).status).toBe(400);
    expect(registrar.binding('bell-1')).toBeDefined();
    expect((await phone.register({ contact: '*', expires: 0 })).status).toBe(200);
    expect(outcomes.at(-1)).toEqual({ kind: 'unregistered', accountId: 'bell-1' });
    expect(registrar.all()).toEqual([]);
  });

  it('answers 423 with Min-Expires under the minimum and binds nothing', async () => {
    const { registrar, outcomes, server } = await startRegistrar({ minExpiresSeconds: 20 });
    const phone = await startPhone(server.port);
    const brief = await phone.register({ expires: 19 });
    expect(brief.status).toBe(423);
    expect(brief.reason).toBe('Interval Too Brief');
    expect(header(brief, 'Min-Expires')).toBe('20');
    expect(outcomes.at(-1)).toMatchObject({ kind: 'refused', status: 423, accountId: 'bell-1' });
    expect(registrar.all()).toEqual([]);
    expect((await phone.register({ expires: 20 })).status).toBe(200);
  });

  it('keeps at most maxBindings: a new account gets 503, a refresh still works, an expired binding frees its place', async () => {
    const { registrar, server, clock } = await startRegistrar({
      maxBindings: 1,
      accounts: { '10101': { id: 'bell-1' }, '10103': { id: 'bell-2' } },
    });
    const first = await startPhone(server.port, '10101');
    const second = await startPhone(server.port, '10103');
    expect((await first.register({ expires: 30 })).status).toBe(200);
    const full = await second.register({ expires: 30 });
    expect(full.status).toBe(503);
    expect(registrar.binding('bell-2')).toBeUndefined();
    expect((await first.register({ expires: 30 })).status).toBe(200);
    clock.ms += 30_000;
    // The first binding ran out without anyone looking at it: its place is free.
    expect((await second.register({ expires: 30 })).status).toBe(200);
    expect(registrar.all().map((binding) => binding.accountId)).toEqual(['bell-2']);
    registrar.forget('bell-2');
    expect((await first.register({ expires: 30 })).status).toBe(200);
  });

  it('answers a REGISTER without Contact with the current binding and its remaining time', async () => {
    const { registrar, outcomes, server, clock } = await startRegistrar();
    const phone = await startPhone(server.port);
    const none = await phone.register({ contact: null, expires: null });
    expect(none.status).toBe(200);
    expect(header(none, 'Contact')).toBeUndefined();
    expect(outcomes.at(-1)).toEqual({ kind: 'queried', accountId: 'bell-1' });

    await phone.register({ expires: 60 });
    clock.ms += 15_000;
    const query = await phone.register({ contact: null, expires: null });
    expect(query.status).toBe(200);
    expect(header(query, 'Contact')).toBe(`<${phone.contactUri}>;expires=45`);
    // A query changes nothing.
    expect(registrar.binding('bell-1')?.expiresAt).toBe(EPOCH + 60_000);
  });
});
