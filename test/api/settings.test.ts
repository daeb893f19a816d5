/** `GET /api/v1/settings`: the effective configuration, with every secret masked. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../gateway/harness.ts';

const WEBHOOK_SECRET = 'webhook-secret-0123456789';
const URL_TOKEN = 'query-token-abcdef';
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    overrides: {
      webhooks: {
        subscriptions: {
          crm: { url: `http://user:pw-in-url@127.0.0.1:9/hook?token=${URL_TOKEN}`, secret: WEBHOOK_SECRET },
        },
      },
    },
  });
});
afterAll(async () => {
  await gw?.stop();
});

it('masks webhook secrets, URL credentials and queries, and the admin password', async () => {
  const answer = await gw.api('GET', '/api/v1/settings');
  expect(answer.status).toBe(200);
  for (const secret of [WEBHOOK_SECRET, URL_TOKEN, 'pw-in-url', ADMIN_PASSWORD]) {
    expect(answer.text).not.toContain(secret);
  }
  const subscription = answer.json.webhooks.subscriptions.crm;
  expect(subscription.secret).toBe('***');
  expect(subscription.url).toMatch(/^http:\/\/.*127\.0\.0\.1:9\/hook\?\*\*\*$/);
  expect(answer.json.auth.adminPassword).toBe('***');
  // Not secret, so shown as set: proof the mask is selective.
  expect(answer.json.webhooks.subscriptions.crm.timeoutMs).toBe(5000);
});
