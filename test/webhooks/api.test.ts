/**
 * `GET /api/v1/webhooks` through a real gateway with a real receiver on loopback: each configured
 * subscription with its URL's credentials masked, its event filter, and its delivery state as it
 * changes (a failing receiver: queued events and the reason in words; then delivered). The
 * harness's secret scan checks at stop that neither the secret nor the URL's credentials showed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { gatewayEvent, Receiver } from './helpers.ts';

const SECRET = 'Api-Hook-Secret-4411';
const URL_PASSWORD = 'Hook-Url-Pass-208';
const QUERY_TOKEN = 'QueryToken-77aa1';

let gw: TestGateway;
const receiver = new Receiver();
let healthy = false;

beforeAll(async () => {
  await receiver.start();
  receiver.answer = () => (healthy ? 204 : 503);
  const port = receiver.port;
  gw = await startTestGateway({
    overrides: {
      webhooks: {
        minBackoffMs: 50,
        maxBackoffMs: 200,
        subscriptions: {
          crm: {
            url: `http://crm:${URL_PASSWORD}@127.0.0.1:${port}/hook?token=${QUERY_TOKEN}&v=2`,
            secret: SECRET,
            events: { kinds: ['doorbell-ring', 'motion'], deviceIds: ['dev-1'] },
          },
          quiet: { url: `http://127.0.0.1:${port}/quiet`, secret: SECRET },
        },
      },
    },
  });
  for (const secret of [SECRET, URL_PASSWORD, QUERY_TOKEN]) gw.scan.addSecret(secret);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await receiver.stop();
});

interface WebhookAnswer {
  id: string;
  url: string;
  events: Record<string, string[] | null>;
  delivery: {
    queued: number;
    lastSuccessAt: string | null;
    lastFailureAt: string | null;
    lastFailure: string | null;
    retrying: { attempts: number; error: string | null } | null;
    delivered: number;
  };
}

async function webhooks(): Promise<WebhookAnswer[]> {
  const answer = await gw.api('GET', '/api/v1/webhooks');
  expect(answer.status).toBe(200);
  return answer.json;
}

describe('GET /api/v1/webhooks', () => {
  it('lists each subscription with its URL masked and its event filter, nothing delivered yet', async () => {
    const list = await webhooks();
    expect(list.map((each) => each.id)).toEqual(['crm', 'quiet']);
    const [crm, quiet] = list;
    expect(crm!.url).toBe(`http://***@127.0.0.1:${receiver.port}/hook?token=***&v=***`);
    expect(crm!.events).toEqual({
      kinds: ['doorbell-ring', 'motion'],
      deviceIds: ['dev-1'],
      channelIds: null,
      states: null,
    });
    expect(crm!.delivery).toMatchObject({
      queued: 0,
      lastSuccessAt: null,
      lastFailure: null,
      retrying: null,
    });
    expect(quiet!.url).toBe(`http://127.0.0.1:${receiver.port}/quiet`);
    expect(JSON.stringify(list)).not.toMatch(/Hook-Secret|Hook-Url-Pass|QueryToken/);
  });

  it('shows a failing receiver: events queued, the reason in words; then the success', async () => {
    gw.gateway.bus.emit('event', gatewayEvent(1, { kind: 'doorbell-ring', state: 'pulse' }));
    gw.gateway.bus.emit('event', gatewayEvent(2));
    const failing = await eventually(async () => {
      const crm = (await webhooks())[0]!;
      return crm.delivery.retrying && crm.delivery.retrying.attempts >= 2 ? crm : undefined;
    });
    expect(failing.delivery.queued).toBe(2);
    expect(failing.delivery.lastFailure).toBe(
      'The receiver answered HTTP 503 (only 2xx counts as delivered).',
    );
    expect(failing.delivery.retrying!.error).toBe(failing.delivery.lastFailure);
    expect(failing.delivery.lastFailureAt).not.toBeNull();
    expect(failing.delivery.lastSuccessAt).toBeNull();

    healthy = true;
    const recovered = await eventually(async () => {
      const crm = (await webhooks())[0]!;
      return crm.delivery.queued === 0 && crm.delivery.delivered === 2 ? crm : undefined;
    });
    expect(recovered.delivery.retrying).toBeNull();
    expect(Date.parse(recovered.delivery.lastSuccessAt!)).toBeGreaterThanOrEqual(
      Date.parse(recovered.delivery.lastFailureAt!),
    );
    // The last failure stays on show, with its time, after the receiver recovered.
    expect(recovered.delivery.lastFailure).toMatch(/HTTP 503/);
    // `quiet` takes every event: its own queue, delivered too.
    await eventually(async () => {
      const quiet = (await webhooks())[1]!;
      return quiet.delivery.queued === 0 && quiet.delivery.delivered === 2 ? true : undefined;
    });
  });

  it('says a closed port in words', async () => {
    await receiver.stop();
    try {
      gw.gateway.bus.emit('event', gatewayEvent(3));
      const crm = await eventually(async () => {
        const each = (await webhooks())[0]!;
        return each.delivery.retrying ? each : undefined;
      });
      expect(crm.delivery.lastFailure).toMatch(/refused the connection/);
    } finally {
      await receiver.start();
    }
    await eventually(async () => ((await webhooks())[0]!.delivery.queued === 0 ? true : undefined));
  });

  it('needs a login like every other route', async () => {
    expect((await gw.api('GET', '/api/v1/webhooks', { token: null })).status).toBe(401);
  });
});
