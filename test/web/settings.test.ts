/**
 * The Settings screen in a real browser against a real gateway: an API token is made (its value
 * shown once, copied, working) and revoked; the password is changed through the form (a wrong
 * current one refused in words), then used to sign in again; a configured webhook shows its
 * delivery state from a real failing receiver; MQTT shows its broker's state; the retention
 * settings name their keys and variables. At laptop and phone widths, without console errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { freePort } from '../support/postgres.ts';
import { gatewayEvent, Receiver } from '../webhooks/helpers.ts';
import { closeUiBrowser, LAPTOP, openUi, PHONE, signIn, uiBrowser } from './harness.ts';

const NEW_PASSWORD = 'Settings-New-Pass-61';
const HOOK_SECRET = 'Settings-Hook-Secret-3';
const HOOK_TOKEN = 'HookQueryToken-5c0e';

let gw: TestGateway;
const receiver = new Receiver();
let password = ADMIN_PASSWORD;

beforeAll(async () => {
  await receiver.start();
  receiver.answer = () => 503;
  const mqttPort = await freePort();
  gw = await startTestGateway({
    overrides: {
      mqtt: { url: `mqtt://127.0.0.1:${mqttPort}` },
      webhooks: {
        minBackoffMs: 500,
        maxBackoffMs: 1000,
        subscriptions: {
          crm: {
            url: `${receiver.url('/hook')}?token=${HOOK_TOKEN}`,
            secret: HOOK_SECRET,
            events: { kinds: ['doorbell-ring'] },
          },
        },
      },
    },
  });
  for (const secret of [NEW_PASSWORD, HOOK_SECRET, HOOK_TOKEN]) gw.scan.addSecret(secret);
  // The harness's session ends when the password changes: API calls use a token of their own.
  gw.token = (await gw.api('POST', '/api/v1/tokens', { body: { name: 'test harness' } })).json.token;
  gw.gateway.bus.emit('event', gatewayEvent(1, { kind: 'doorbell-ring', state: 'pulse' }));
  await uiBrowser();
}, 300_000);

afterAll(async () => {
  await closeUiBrowser();
  await gw?.stop();
  await receiver.stop();
});

describe('the Settings screen', () => {
  it('makes and revokes a token, shows webhooks, MQTT and retention, and changes the password', async () => {
    // The wrong current password is refused with 401, which the browser logs as a failed load.
    const ui = await openUi(gw.url, { viewport: LAPTOP, ignore: [/401 \(Unauthorized\)/] });
    const { page, context } = ui;
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await signIn(ui);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();

    // The webhook: its URL without the token, what it takes, and the receiver's refusal in words.
    const hook = page.getByRole('article', { name: 'Webhook crm' });
    await hook.getByText(`http://127.0.0.1:${receiver.port}/hook?token=***`).waitFor();
    await hook.getByText('Only kinds doorbell-ring.').waitFor();
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh delivery state' }).click();
          return hook.textContent();
        },
        { timeout: 20_000, interval: 500 },
      )
      .toMatch(/Waiting to be sent1 event.*The receiver answered HTTP 503.*Retrying/);
    expect(await page.content()).not.toContain(HOOK_TOKEN);

    // MQTT: nothing listens on the broker's port, and the page says so.
    await expect
      .poll(() => page.getByRole('status', { name: 'Broker state' }).textContent(), { timeout: 20_000 })
      .toMatch(/broker unreachable|connecting/);
    const retention = page.getByRole('row', { name: /events\.retentionDays/ });
    await expect(retention.textContent()).resolves.toMatch(/30.*HIKBRIDGE_EVENTS_RETENTION_DAYS/);
    await expect(
      page.getByRole('row', { name: /webhooks\.subscriptions\.crm\.maxAgeHours/ }).textContent(),
    ).resolves.toMatch(/24.*config file only/);

    // A token: shown once, copied, working; then revoked.
    await page.getByLabel('New token’s name').fill('Home Assistant');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByRole('region', { name: 'New token' });
    const value = (await shown.locator('code').textContent())!;
    expect(value).toMatch(/^hb_api_/);
    await shown.getByRole('button', { name: 'Copy token' }).click();
    await shown.getByText('Copied.').waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(value);
    expect((await gw.api('GET', '/api/v1/auth/me', { token: value })).json.name).toBe('Home Assistant');
    await page.getByRole('listitem', { name: 'Home Assistant' }).waitFor();
    await shown.getByRole('button', { name: 'Done' }).click();
    await page.reload();
    await page.getByRole('listitem', { name: 'Home Assistant' }).waitFor();
    expect(await page.content()).not.toContain(value);
    await page.getByRole('article', { name: 'Webhook crm' }).scrollIntoViewIfNeeded();
    await ui.screenshot('settings');
    await page.getByRole('button', { name: 'Revoke Home Assistant…' }).click();
    await page.getByRole('button', { name: 'Revoke Home Assistant', exact: true }).click();
    await page.getByRole('listitem', { name: 'Home Assistant' }).waitFor({ state: 'detached' });
    expect((await gw.api('GET', '/api/v1/auth/me', { token: value })).status).toBe(401);

    // The password: a wrong current one is refused in words (and the session stays) ...
    await page.getByLabel('Current password').fill('Not-The-Password-9');
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('New password again').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('The current password is wrong; the password was not changed.');
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    // ... two different new ones are caught before sending ...
    await page.getByLabel('Current password').fill(ADMIN_PASSWORD);
    await page.getByLabel('New password again').fill(`${NEW_PASSWORD}x`);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/differ/);
    // ... and the right one changes it; this session stays signed in.
    await page.getByLabel('New password again').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect
      .poll(() => page.locator('.settings-form [role=status]').textContent())
      .toMatch(/^Password changed\. 1 other session was signed out\.$/);
    password = NEW_PASSWORD;
    await page.reload();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(ui, NEW_PASSWORD);
    ui.assertQuiet();
    await ui.close();
  }, 90_000);

  it('fits a phone', async () => {
    const ui = await openUi(gw.url, { viewport: PHONE });
    const { page } = ui;
    await signIn(ui, password);
    await page.goto('/#/settings');
    await page.getByRole('article', { name: 'Webhook crm' }).waitFor();
    await page.getByRole('row', { name: /events\.retentionDays/ }).waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await ui.screenshot('settings');
    ui.assertQuiet();
    await ui.close();
  }, 60_000);
});
