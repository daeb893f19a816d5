/**
 * The stack's bounds against a peer that floods it: one source address gets at most its share of
 * server transactions (503 beyond it) while another address is still served, and a CANCEL is
 * served even when the tables are full, so a ringing call can always be ended.
 */
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { type IncomingRequest, SipStack } from '../../src/protocols/sip/stack.ts';
import { LOOPBACK, RawUdpPeer, rawRequest, responses, waitFor } from './helpers.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A stack whose app never answers OPTIONS (each one holds a transaction) and rings INVITEs. */
async function stack(limits: { maxTransactions: number; maxTransactionsPerPeer?: number }) {
  const seen: IncomingRequest[] = [];
  const sip = await SipStack.start({
    host: '0.0.0.0',
    ...limits,
    onRequest: (incoming) => {
      seen.push(incoming);
      if (incoming.method === 'INVITE') incoming.reply(180);
    },
  });
  cleanups.push(() => sip.close());
  return { sip, seen };
}

async function peer(): Promise<RawUdpPeer> {
  const opened = await RawUdpPeer.open();
  cleanups.push(() => opened.close());
  return opened;
}

const options = (from: number, n: number) =>
  rawRequest({ method: 'OPTIONS', branch: `z9hG4bK-flood-${n}`, viaPort: from, callId: `flood-${n}` });

describe('SipStack limits', () => {
  it('gives one address at most its share, and still serves another address', async () => {
    const { sip, seen } = await stack({ maxTransactions: 64, maxTransactionsPerPeer: 3 });
    const noisy = await peer();
    for (let n = 0; n < 5; n++) await noisy.send(options(noisy.port, n), sip.port);
    await waitFor('two 503s', () => responses(noisy.received, 503).length === 2);
    expect(seen).toHaveLength(3);
    expect(responses(noisy.received, 503)[0]!.headers).toContainEqual({ name: 'Retry-After', value: '5' });

    // Another address (127.0.0.2 is loopback too) is served.
    const other = createSocket('udp4');
    await new Promise<void>((resolve) => other.bind(0, '127.0.0.2', () => resolve()));
    cleanups.push(() => new Promise((resolve) => other.close(() => resolve())));
    const text = rawRequest({
      method: 'OPTIONS',
      branch: 'z9hG4bK-other-1',
      viaHost: '127.0.0.2',
      viaPort: other.address().port,
      callId: 'other-1',
    });
    other.send(Buffer.from(text), sip.port, LOOPBACK);
    await waitFor('the other address served', () => seen.length === 4);
    expect(seen[3]!.peer.address).toBe('127.0.0.2');
  });

  it('serves a CANCEL when the tables are full, so a ringing call can still end', async () => {
    const { sip, seen } = await stack({ maxTransactions: 2, maxTransactionsPerPeer: 2 });
    const caller = await peer();
    const invite = rawRequest({
      method: 'INVITE',
      branch: 'z9hG4bK-ring-1',
      viaPort: caller.port,
      callId: 'ring-1',
    });
    await caller.send(invite, sip.port);
    await waitFor('180', () => responses(caller.received, 180).length === 1);
    await caller.send(options(caller.port, 1), sip.port);
    await caller.send(options(caller.port, 2), sip.port);
    await waitFor('the tables full', () => responses(caller.received, 503).length === 1);
    expect(seen.map((incoming) => incoming.method)).toEqual(['INVITE', 'OPTIONS']);
    await caller.send(
      rawRequest({ method: 'CANCEL', branch: 'z9hG4bK-ring-1', viaPort: caller.port, callId: 'ring-1' }),
      sip.port,
    );
    await waitFor('200 to the CANCEL and 487', () => responses(caller.received, 487).length === 1);
    expect(responses(caller.received, 200)).toHaveLength(1);
  });
});
