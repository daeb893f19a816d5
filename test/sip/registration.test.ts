/**
 * SipRegistration (a phone registering with a PBX) against a registrar on a real SipStack on
 * loopback: SipRegistrar with digest (or a scripted one for what SipRegistrar never answers).
 * The registration runs on a hand-driven clock (ManualTimers and its `now`), so refreshes and
 * back-off are checked to the millisecond while the REGISTERs still cross real sockets. The
 * stacks use T1 = 20 ms, so a registrar that does not answer fails a REGISTER (timer F, 64*T1)
 * in 1.3 s.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { header } from '../../src/protocols/sip/headers.ts';
import { type RegistrarOutcome, SipRegistrar } from '../../src/protocols/sip/registrar.ts';
import {
  type RegistrationOptions,
  type RegistrationStatus,
  refreshDelayMs,
  SipRegistration,
} from '../../src/protocols/sip/registration.ts';
import { type IncomingRequest, SipStack } from '../../src/protocols/sip/stack.ts';
import { ManualTimers } from '../../src/protocols/sip/timers.ts';
import type { SipRequest } from '../../src/protocols/sip/types.ts';
import { LOOPBACK, waitFor } from './helpers.ts';

const PASSWORD = 'Pbx-Secret-31';
const EPOCH = Date.UTC(2025, 0, 1);
const T1 = 20;
const SHORT_TIMERS = { t1Ms: T1, t2Ms: 80, t4Ms: 100, timerDMs: 200 };
const RETRY = { minMs: 2_000, maxMs: 8_000 };

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Pbx {
  stack: SipStack;
  registrar: SipRegistrar;
  requests: SipRequest[];
  outcomes: RegistrarOutcome[];
  close(): Promise<void>;
}

/**
 * A PBX: SipRegistrar for user 2001 with a password, on its own stack (on `port` when given:
 * a restart). `script` may answer a REGISTER itself (return true) before the registrar sees it.
 */
async function startPbx(
  options: {
    port?: number;
    now: () => number;
    minExpiresSeconds?: number;
    maxExpiresSeconds?: number;
    transport?: 'udp' | 'tcp';
    script?: (incoming: IncomingRequest) => boolean;
  } = { now: Date.now },
): Promise<Pbx> {
  const registrar = new SipRegistrar({
    realm: 'pbx.test',
    admit: (_peer, user) =>
      user === '2001' ? { id: 'ext-2001', digest: { username: '2001', password: PASSWORD } } : undefined,
    minExpiresSeconds: options.minExpiresSeconds ?? 10,
    maxExpiresSeconds: options.maxExpiresSeconds ?? 60,
    now: options.now,
  });
  const requests: SipRequest[] = [];
  const outcomes: RegistrarOutcome[] = [];
  const stack = await SipStack.start({
    host: LOOPBACK,
    port: options.port ?? 0,
    timers: SHORT_TIMERS,
    allowedMethods: ['REGISTER'],
    onRequest: (incoming) => {
      requests.push(incoming.request);
      if (options.script?.(incoming)) return;
      outcomes.push(registrar.handle(incoming));
    },
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await stack.close();
  };
  cleanups.push(close);
  return { stack, registrar, requests, outcomes, close };
}

interface Phone {
  registration: SipRegistration;
  stack: SipStack;
  clock: ManualTimers;
  changes: RegistrationStatus[];
  /** The states onChange reported, in order. */
  states(): string[];
}

async function startPhone(
  pbx: Pbx,
  clock: ManualTimers,
  options: Partial<RegistrationOptions> & { transport?: 'udp' | 'tcp' } = {},
): Promise<Phone> {
  const stack = await SipStack.start({
    host: LOOPBACK,
    timers: SHORT_TIMERS,
    onRequest: (incoming) => incoming.reply(501),
  });
  cleanups.push(() => stack.close());
  const changes: RegistrationStatus[] = [];
  const registration = new SipRegistration({
    stack,
    registrar: { transport: options.transport ?? 'udp', address: LOOPBACK, port: pbx.stack.port },
    user: '2001',
    credentials: { password: PASSWORD },
    expiresSeconds: 3600,
    retry: RETRY,
    clock,
    now: () => EPOCH + clock.now(),
    onChange: (status) => changes.push(status),
    ...options,
  });
  cleanups.push(() => registration.stop());
  return {
    registration,
    stack,
    clock,
    changes,
    states: () => changes.map((change) => change.state),
  };
}

/** Waits until the phone's client transactions are gone (timer K), so "nothing sent" can be read off activeCount. */
async function drained(phone: Phone): Promise<void> {
  await waitFor('the client transactions to end', () => phone.stack.activeCount === 0);
}

/** Moves the phone's clock by `ms` and says whether a REGISTER went out at that moment. */
function advanceAndSent(phone: Phone, ms: number): boolean {
  phone.clock.advance(ms);
  return phone.stack.activeCount > 0;
}

const expiresOfRequest = (request: SipRequest) => header(request, 'Expires');
const cseqOf = (request: SipRequest) => Number(header(request, 'CSeq')!.split(' ')[0]);

describe('registering', () => {
  it('answers the 401 with digest, is registered for what was granted, and refreshes at the fraction', async () => {
    const clock = new ManualTimers();
    const pbx = await startPbx({ now: () => EPOCH + clock.now() });
    const phone = await startPhone(pbx, clock);
    expect(phone.registration.status.state).toBe('stopped');
    phone.registration.start();
    clock.advance(0);
    await waitFor('registered', () => phone.registration.status.state === 'registered');
    expect(phone.registration.status).toEqual({
      state: 'registered',
      grantedSeconds: 60,
      registeredAt: EPOCH,
      expiresAt: EPOCH + 60_000,
      lastError: null,
      registrations: 1,
    });
    expect(phone.states()).toEqual(['registering', 'registered']);
    expect(pbx.outcomes.map((outcome) => outcome.kind)).toEqual(['challenged', 'registered']);
    const [plain, authorized] = pbx.requests;
    expect(header(plain!, 'Authorization')).toBeUndefined();
    expect(header(authorized!, 'Authorization')).toMatch(/^Digest username="2001", realm="pbx.test"/);
    expect(plain!.uri).toBe(`sip:${LOOPBACK}:${pbx.stack.port}`);
    expect(header(plain!, 'To')).toBe(`<sip:2001@${LOOPBACK}>`);
    expect(header(plain!, 'Contact')).toBe(`<sip:2001@${LOOPBACK}:${phone.stack.port}>`);
    expect(expiresOfRequest(plain!)).toBe('3600');
    expect(pbx.registrar.binding('ext-2001')?.peer.port).toBe(phone.stack.port);

    // Granted 60 s, refreshed at half of it: not a millisecond earlier.
    await drained(phone);
    expect(advanceAndSent(phone, 29_999)).toBe(false);
    expect(advanceAndSent(phone, 1)).toBe(true);
    await waitFor('the refresh', () => phone.registration.status.registrations === 2);
    expect(phone.registration.status).toMatchObject({
      state: 'registered',
      registeredAt: EPOCH + 30_000,
      expiresAt: EPOCH + 90_000,
    });
    // A refresh does not pass through "registering": a listener sees one success after another.
    expect(phone.states()).toEqual(['registering', 'registered', 'registered']);
    // One Call-ID, one From tag, a CSeq that only grows (RFC 3261 §10.2.4).
    expect(pbx.requests).toHaveLength(4);
    expect(new Set(pbx.requests.map((request) => header(request, 'Call-ID'))).size).toBe(1);
    expect(new Set(pbx.requests.map((request) => header(request, 'From'))).size).toBe(1);
    const sequence = pbx.requests.map(cseqOf);
    expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    expect(new Set(sequence).size).toBe(sequence.length);
    expect(pbx.outcomes.at(-1)).toMatchObject({ kind: 'registered', refreshed: true });
  });

  it('refreshes at the configured fraction, but at least 5 s before the end', async () => {
    expect(refreshDelayMs(60, 0.5)).toBe(30_000);
    expect(refreshDelayMs(60, 0.8)).toBe(48_000);
    expect(refreshDelayMs(60, 0.95)).toBe(55_000);
    expect(refreshDelayMs(3600, 0.9)).toBe(3_240_000);
    expect(refreshDelayMs(4, 0.9)).toBe(2_000);

    const clock = new ManualTimers();
    const pbx = await startPbx({ now: () => EPOCH + clock.now() });
    const phone = await startPhone(pbx, clock, { refreshFraction: 0.8 });
    phone.registration.start();
    clock.advance(0);
    await waitFor('registered', () => phone.registration.status.registrations === 1);
    await drained(phone);
    expect(advanceAndSent(phone, 47_999)).toBe(false);
    expect(advanceAndSent(phone, 1)).toBe(true);
    await waitFor('the refresh', () => phone.registration.status.registrations === 2);
  });

  it('asks again for the Min-Expires of a 423 and keeps asking for it on refreshes', async () => {
    const clock = new ManualTimers();
    const pbx = await startPbx({
      now: () => EPOCH + clock.now(),
      minExpiresSeconds: 120,
      maxExpiresSeconds: 3600,
    });
    const phone = await startPhone(pbx, clock, { expiresSeconds: 60 });
    phone.registration.start();
    clock.advance(0);
    await waitFor('registered', () => phone.registration.status.state === 'registered');
    expect(pbx.outcomes.map((outcome) => outcome.kind)).toEqual([
      'challenged',
      'refused',
      'challenged',
      'registered',
    ]);
    expect(pbx.requests.map(expiresOfRequest)).toEqual(['60', '60', '120', '120']);
    expect(phone.registration.status.grantedSeconds).toBe(120);
    await drained(phone);
    clock.advance(60_000);
    await waitFor('the refresh', () => phone.registration.status.registrations === 2);
    expect(pbx.requests.slice(4).map(expiresOfRequest)).toEqual(['120', '120']);
  });

  it('gives up on a 423 that asks for less than it refused', async () => {
    const clock = new ManualTimers();
    const pbx = await startPbx({
      now: () => EPOCH + clock.now(),
      script: (incoming) => {
        incoming.reply(423, 'Interval Too Brief', { headers: [{ name: 'Min-Expires', value: '30' }] });
        return true;
      },
    });
    const phone = await startPhone(pbx, clock, { expiresSeconds: 60 });
    phone.registration.start();
    clock.advance(0);
    await waitFor('retrying', () => phone.registration.status.state === 'retrying');
    expect(phone.registration.status.lastError).toBe(
      'the registrar wants a longer registration than it says (423)',
    );
    expect(pbx.requests).toHaveLength(1);
  });

  it('over TCP: the Contact says transport=tcp', async () => {
    const clock = new ManualTimers();
    const pbx = await startPbx({ now: () => EPOCH + clock.now() });
    const phone = await startPhone(pbx, clock, { transport: 'tcp' });
    phone.registration.start();
    clock.advance(0);
    await waitFor('registered', () => phone.registration.status.state === 'registered');
    expect(header(pbx.requests[0]!, 'Contact')).toBe(
      `<sip:2001@${LOOPBACK}:${phone.stack.port};transport=tcp>`,
    );
    expect(header(pbx.requests[0]!, 'Via')).toMatch(/^SIP\/2\.0\/TCP /);
    expect(pbx.registrar.binding('ext-2001')?.peer.transport).toBe('tcp');
  });
});

describe('failures and back-off', () => {
  it('a wrong password: retrying, the reason in words without the secret, back-off doubling to the maximum', async () => {
    const clock = new ManualTimers();
    const pbx = await startPbx({ now: () => EPOCH + clock.now() });
    const phone = await startPhone(pbx, clock, { credentials: { password: 'Wrong-Guess-88' } });
    phone.registration.start();
    clock.advance(0);
    await waitFor('retrying', () => phone.registration.status.state === 'retrying');
    const status = phone.registration.status;
    expect(status).toMatchObject({
      state: 'retrying',
      registeredAt: null,
      expiresAt: null,
      registrations: 0,
    });
    expect(status.lastError).toBe('the registrar refused the user name or password (401 Unauthorized)');
    expect(JSON.stringify(phone.changes)).not.toContain('Wrong-Guess-88');
    expect(JSON.stringify(phone.changes)).not.toContain(PASSWORD);
    expect(pbx.requests).toHaveLength(2);

    // Back-off: 2 s, 4 s, 8 s, 8 s (RETRY = 2 s doubling to 8 s).
    for (const [attempt, delay] of [2_000, 4_000, 8_000, 8_000].entries()) {
      await drained(phone);
      expect(advanceAndSent(phone, delay - 1), `attempt ${attempt + 2} too early`).toBe(false);
      expect(advanceAndSent(phone, 1), `attempt ${attempt + 2} on time`).toBe(true);
      await waitFor('the attempt answered', () => pbx.requests.length === 4 + attempt * 2);
      await waitFor('retrying again', () => phone.changes.at(-1)?.state === 'retrying');
    }
    // While retrying the state stays "retrying": no flicker to "registering" on every attempt.
    expect(phone.states()).toEqual([
      'registering',
      'retrying',
      'retrying',
      'retrying',
      'retrying',
      'retrying',
    ]);
  });

  it('a registrar that asks for a password when none is set', async () => {
    const clock = new ManualTimers();
    const pbx = await startPbx({ now: () => EPOCH + clock.now() });
    const phone = await startPhone(pbx, clock, { credentials: undefined });
    phone.registration.start();
    clock.advance(0);
    await waitFor('retrying', () => phone.registration.status.state === 'retrying');
    expect(phone.registration.status.lastError).toBe('the registrar asks for a password and none is set');
    expect(pbx.requests).toHaveLength(1);
  });

  it('survives the PBX restarting: registered while the binding lasts, then retrying, then registered again', async () => {
    const clock = new ManualTimers();
    const now = () => EPOCH + clock.now();
    const pbx = await startPbx({ now });
    const port = pbx.stack.port;
    const phone = await startPhone(pbx, clock);
    phone.registration.start();
    clock.advance(0);
    await waitFor('registered', () => phone.registration.status.state === 'registered');
    await drained(phone);

    await pbx.close();
    // The refresh at 30 s gets no answer (timer F): still bound until 60 s, so still "registered".
    clock.advance(30_000);
    await waitFor('the refresh failed', () => phone.registration.status.lastError !== null, 10_000);
    expect(phone.registration.status).toMatchObject({ state: 'registered', expiresAt: EPOCH + 60_000 });
    expect(phone.registration.status.lastError).toBe(
      `SIP REGISTER to ${LOOPBACK}:${port} got no final response`,
    );
    // The next try comes after the back-off (2 s), and fails after the binding ran out: retrying.
    await drained(phone);
    expect(advanceAndSent(phone, 1_999)).toBe(false);
    expect(advanceAndSent(phone, 1)).toBe(true);
    clock.advance(40_000);
    await waitFor('retrying', () => phone.registration.status.state === 'retrying', 10_000);

    // The PBX is back on the same port (a new nonce key, no bindings): the next try registers.
    const restarted = await startPbx({ now, port });
    await drained(phone);
    clock.advance(RETRY.maxMs);
    await waitFor('registered again', () => phone.registration.status.state === 'registered', 10_000);
    expect(phone.registration.status).toMatchObject({ lastError: null, registrations: 2 });
    expect(restarted.registrar.binding('ext-2001')).toBeDefined();
    expect(phone.states()).toEqual(['registering', 'registered', 'registered', 'retrying', 'registered']);
  }, 30_000);

  it('stop() removes the binding with Expires: 0 (digest again) and leaves no timer behind', async () => {
    const clock = new ManualTimers();
    const pbx = await startPbx({ now: () => EPOCH + clock.now() });
    const phone = await startPhone(pbx, clock);
    phone.registration.start();
    clock.advance(0);
    await waitFor('registered', () => phone.registration.status.state === 'registered');
    await phone.registration.stop();
    expect(pbx.requests.slice(2).map(expiresOfRequest)).toEqual(['0', '0']);
    expect(header(pbx.requests[3]!, 'Authorization')).toMatch(/^Digest /);
    expect(header(pbx.requests[3]!, 'Call-ID')).toBe(header(pbx.requests[0]!, 'Call-ID'));
    expect(pbx.outcomes.at(-1)).toEqual({ kind: 'unregistered', accountId: 'ext-2001' });
    expect(pbx.registrar.all()).toEqual([]);
    expect(phone.registration.status).toMatchObject({ state: 'stopped', expiresAt: null });
    expect(phone.states().at(-1)).toBe('stopped');
    expect(clock.pendingCount).toBe(0);
    // Stopped means stopped: the refresh time passes and nothing is sent.
    await drained(phone);
    expect(advanceAndSent(phone, 120_000)).toBe(false);
  });

  it('stop() after a refresh went unanswered does not wait out an un-REGISTER', async () => {
    const clock = new ManualTimers();
    let mute = false;
    // A PBX that stops answering but still shows what reaches it.
    const pbx = await startPbx({ now: () => EPOCH + clock.now(), script: () => mute });
    const phone = await startPhone(pbx, clock);
    phone.registration.start();
    clock.advance(0);
    await waitFor('registered', () => phone.registration.status.state === 'registered');
    await drained(phone);
    mute = true;
    clock.advance(30_000);
    await waitFor('the refresh failed', () => phone.registration.status.lastError !== null, 10_000);
    expect(phone.registration.status.state).toBe('registered');
    const seen = pbx.requests.length;
    await phone.registration.stop();
    expect(phone.stack.activeCount).toBe(0);
    expect(pbx.requests).toHaveLength(seen);
    expect(phone.registration.status.state).toBe('stopped');
  });

  it('stop() while never registered sends nothing and leaves no timer', async () => {
    const clock = new ManualTimers();
    const pbx = await startPbx({ now: () => EPOCH + clock.now() });
    const phone = await startPhone(pbx, clock, { credentials: { password: 'Wrong-Guess-88' } });
    phone.registration.start();
    clock.advance(0);
    await waitFor('retrying', () => phone.registration.status.state === 'retrying');
    await phone.registration.stop();
    expect(pbx.requests).toHaveLength(2);
    expect(phone.registration.status.state).toBe('stopped');
    expect(clock.pendingCount).toBe(0);
  });
});
