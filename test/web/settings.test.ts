/**
 * The Settings screen in a real browser against a real gateway: an API token is made (its value
 * shown once, copied, working) and revoked; the password is changed through the form (a wrong
 * current one refused in words), then used to sign in again; a configured webhook shows its
 * delivery state from a real failing receiver; MQTT shows its broker's state; the retention
 * settings name their keys and variables. A user is added through the form (bad names and taken
 * ones refused in the API's words), signs in in another browser, and is removed with an inline
 * confirmation, which ends their session at once. At laptop and phone widths, without console
 * errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { freePort } from '../support/postgres.ts';
import { gatewayEvent, Receiver } from '../webhooks/helpers.ts';
import { closeUiBrowser, LAPTOP, openUi, PHONE, signIn, uiBrowser } from './harness.ts';

const NEW_PASSWORD = 'Settings-New-Pass-61';
const HOOK_SECRET = 'Settings-Hook-Secret-3';
const HOOK_TOKEN = 'HookQueryToken-5c0e';
const DANA_PASSWORD = 'Dana-Own-Pass-47';

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
  gw.scan.addSecret(DANA_PASSWORD, 'dana');
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

  it('adds a user who signs in elsewhere; removing them ends that session at once', async () => {
    // Refused input answers 400 and 409, which the browser logs as failed loads.
    const ui = await openUi(gw.url, { viewport: LAPTOP, ignore: [/400 \(Bad Request\)|409 \(Conflict\)/] });
    const { page } = ui;
    await signIn(ui, password);
    await page.goto('/#/settings');
    const card = page.getByRole('region', { name: 'Users' });
    await card.getByRole('listitem', { name: 'admin' }).getByText('you', { exact: true }).waitFor();
    const form = card.getByRole('form', { name: 'Add a user' });
    const add = async (username: string, first: string, second = first) => {
      await form.getByLabel('Username').fill(username);
      await form.getByLabel('Password', { exact: true }).fill(first);
      await form.getByLabel('Password again').fill(second);
      await form.getByRole('button', { name: 'Add user' }).click();
    };

    // Refusals in the API's words (and a typo in the repetition caught before sending).
    await add('dana smith', DANA_PASSWORD);
    await expect
      .poll(() => form.getByRole('alert').textContent())
      .toBe(
        'A username may hold only letters (a-z, A-Z), digits, dots, underscores and hyphens; no user was added.',
      );
    await add('dana', DANA_PASSWORD, `${DANA_PASSWORD}x`);
    await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/differ/);
    await add('dana', 'short12');
    await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/at least 8 characters/);

    await add('dana', DANA_PASSWORD);
    await expect.poll(() => form.getByRole('status').textContent()).toBe('Added dana; they can sign in now.');
    await card.getByRole('listitem', { name: 'dana' }).waitFor();
    expect(await form.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await add('DANA', DANA_PASSWORD);
    await expect
      .poll(() => form.getByRole('alert').textContent())
      .toBe('There is already a user named "dana" (names are compared ignoring case); choose another name.');

    // Dana signs in in a browser of her own (a phone), and sees herself as "you".
    const danas = await openUi(gw.url, { viewport: PHONE, ignore: [/401 \(Unauthorized\)/] });
    await danas.page.goto('/');
    await danas.page.getByLabel('Username').fill('dana');
    await danas.page.getByLabel('Password').fill(DANA_PASSWORD);
    await danas.page.getByRole('button', { name: 'Sign in' }).click();
    await danas.page.getByRole('navigation', { name: 'Main' }).waitFor();
    await danas.page.goto('/#/settings');
    const danasCard = danas.page.getByRole('region', { name: 'Users' });
    await danasCard.getByRole('listitem', { name: 'dana' }).getByText('you', { exact: true }).waitFor();
    await danasCard.getByRole('button', { name: 'Remove admin…' }).waitFor();
    expect(
      await danas.page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth'),
    ).toBeLessThanOrEqual(0);
    expect((await danas.page.request.get('/api/v1/auth/me')).status()).toBe(200);

    // The admin removes her, by keyboard: the confirmation names her and takes the focus.
    const ask = card.getByRole('button', { name: 'Remove dana…' });
    await ask.focus();
    await page.keyboard.press('Enter');
    const keep = card.getByRole('button', { name: 'Keep dana' });
    await card.getByText('Remove dana? Their sessions and API tokens stop working at once.').waitFor();
    await expect
      .poll(() => keep.evaluate((button) => button === button.ownerDocument.activeElement))
      .toBe(true);
    await ui.assertAccessible();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => ask.evaluate((button) => button === button.ownerDocument.activeElement))
      .toBe(true);
    expect((await danas.page.request.get('/api/v1/auth/me')).status()).toBe(200);
    await page.keyboard.press('Enter');
    await card.getByRole('button', { name: 'Remove dana', exact: true }).click();
    await expect
      .poll(() => card.getByRole('status').first().textContent())
      .toBe('Removed dana; their sessions and API tokens stopped working.');
    await card.getByRole('listitem', { name: 'dana' }).waitFor({ state: 'detached' });

    // Her session is refused at once: by the API, and her browser is back at the sign-in form.
    expect((await danas.page.request.get('/api/v1/auth/me')).status()).toBe(401);
    await danas.page.reload();
    await danas.page.getByRole('button', { name: 'Sign in' }).waitFor();
    const relogin = await gw.api('POST', '/api/v1/auth/login', {
      body: { username: 'dana', password: DANA_PASSWORD },
      token: null,
    });
    expect(relogin.status).toBe(401);
    expect(await page.content()).not.toContain(DANA_PASSWORD);
    danas.assertQuiet();
    ui.assertQuiet();
    await danas.close();
    await ui.close();
  }, 60_000);

  it('fits a phone', async () => {
    const ui = await openUi(gw.url, { viewport: PHONE });
    const { page } = ui;
    await signIn(ui, password);
    await page.goto('/#/settings');
    await page.getByRole('article', { name: 'Webhook crm' }).waitFor();
    await page.getByRole('row', { name: /events\.retentionDays/ }).waitFor();
    await page.getByRole('form', { name: 'Add a user' }).waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await ui.screenshot('settings');
    ui.assertQuiet();
    await ui.close();
  }, 60_000);
});
