/**
 * The devices screens in a real browser against a real gateway and simulated devices: adding a
 * camera through the form with the doctor's findings shown before saving, bad input answered
 * with the API's words and nothing saved, the stream fixes of an H.265 camera previewed, applied
 * and undone, the device page (health, channels, change, remove), an NVR's channel picker, and
 * the same at a phone's width. Screenshots: add-device, devices, device.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimDevice } from '../../sim/index.ts';
import { healthBecomes, PASSWORD, simDevice } from '../faults/support.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { closeUiBrowser, LAPTOP, openUi, PHONE, signIn, uiBrowser } from './harness.ts';

let gw: TestGateway;
let camera: SimDevice;
let phoneCamera: SimDevice;
let nvr: SimDevice;
let secure: SimDevice;

/** Refused requests show in Chromium's console as failed loads; the page must show them in words. */
const REFUSALS = [/the server responded with a status of (400|409|502)/];

beforeAll(async () => {
  gw = await startTestGateway();
  [camera, phoneCamera, nvr, secure] = await Promise.all([
    simDevice(),
    simDevice(),
    simDevice({ profile: 'nvr:3' }),
    simDevice({ https: true }),
  ]);
  // Launched here: on a fresh machine this installs Chromium from Debian first (minutes).
  await uiBrowser();
}, 300_000);

afterAll(async () => {
  await closeUiBrowser();
  await gw?.stop();
  await Promise.all([camera?.close(), phoneCamera?.close(), nvr?.close(), secure?.close()]);
});

const portOf = (sim: SimDevice) => new URL(sim.url).port;

interface SavedDevice {
  id: string;
  name: string;
  kind: string;
  port: number;
  https: boolean;
  tlsFingerprint: string | null;
}

async function savedDevices(): Promise<SavedDevice[]> {
  return (await gw.api('GET', '/api/v1/devices')).json;
}

/** The saved device at the simulator's address (another test's leftover cannot be mistaken for it). */
async function savedAt(sim: SimDevice): Promise<SavedDevice | undefined> {
  return (await savedDevices()).find((device) => device.port === Number(portOf(sim)));
}

async function fillAddress(page: Page, sim: SimDevice, password: string): Promise<void> {
  await page.getByLabel('Host (IP address or name)').fill('127.0.0.1');
  await page.getByLabel('Port', { exact: true }).fill(portOf(sim));
  await page.getByLabel('Password', { exact: true }).fill(password);
}

/** Horizontal scrolling at a phone's width means something does not fit. */
async function fitsWidth(page: Page): Promise<boolean> {
  const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  return width <= (page.viewportSize()?.width ?? 0);
}

describe('at laptop width', () => {
  let deviceId: string;

  it('adds a camera: bad input refused in words, the doctor shown before saving, then saved', async () => {
    const ui = await openUi(gw.url, { viewport: LAPTOP, ignore: REFUSALS });
    const { page } = ui;
    await signIn(ui);
    await page.goto('/#/devices');
    await page.getByText('No devices yet').waitFor();
    await page.getByRole('link', { name: 'Add a device' }).click();
    await page.getByRole('heading', { name: 'Add a device' }).waitFor();

    // Nothing filled in: the API's own words, and nothing saved.
    await page.getByRole('button', { name: 'Check the device' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/host/i);
    expect(await savedDevices()).toEqual([]);

    // A wrong password: the doctor says so; saving anyway is refused in words.
    await fillAddress(page, camera, 'Wrong-Pass-55');
    await page.getByRole('button', { name: 'Check the device' }).click();
    const credentials = page.locator('[data-check="credentials"]');
    await expect(credentials.textContent()).resolves.toContain('rejected the user "admin"');
    await expect(credentials.textContent()).resolves.toContain('Failed');
    await page.getByRole('button', { name: 'Save the device' }).click();
    const refusal = await page.getByRole('alert').textContent();
    expect(refusal).toMatch(/password|user name|credentials/i);
    expect(refusal).not.toContain('Wrong-Pass-55');
    expect(await savedDevices()).toEqual([]);

    // The right password: the findings change with it, and the H.265 main stream is one of them.
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Check the device' }).click();
    await page.getByText('main stream 101 is H.265').waitFor();
    await page.getByText(/No check failed; \d+ warnings?/).waitFor();
    await page.evaluate('window.scrollTo(0, 0)');
    await ui.screenshot('add-device');
    await ui.assertAccessible();
    expect(await savedDevices()).toEqual([]);

    await page.getByRole('button', { name: 'Save the device' }).click();
    await page.getByRole('heading', { name: /is added/ }).waitFor();
    const saved = await savedDevices();
    expect(saved).toHaveLength(1);
    deviceId = saved[0]!.id;

    // The fixes it needs, current against proposed; apply only the main stream's codec, then undo.
    const codecFix = page.getByRole('checkbox', { name: 'Video codec, channel 1 (main stream)' });
    await codecFix.waitFor();
    const fixItem = page.locator('.fix-list li').filter({ has: codecFix });
    await expect(fixItem.textContent()).resolves.toMatch(/Now H\.265 → proposed H\.264/);
    await ui.assertAccessible();
    for (const other of await page.locator('.fix-list input:not([data-fix="stream-101-codec"])').all()) {
      await other.uncheck();
    }
    expect(await codecFix.isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Apply 1 chosen fix' }).click();
    await page.getByText('Changed 1 setting on the device').waitFor();
    const after = await gw.api('GET', `/api/v1/devices/${deviceId}/fixes`);
    expect((after.json.fixes as Array<{ id: string }>).map((f) => f.id)).not.toContain('stream-101-codec');
    expect(after.json.undo.available).toBe(true);
    await page.getByRole('button', { name: 'Undo the applied fixes' }).click();
    await page.getByText('Put back 1 setting as they were').waitFor();
    await codecFix.waitFor();
    ui.assertQuiet();
    await ui.close();
  }, 60_000);

  it('lists the device with its health, shows its page, changes and removes it', async () => {
    const ui = await openUi(gw.url, { viewport: LAPTOP, ignore: REFUSALS });
    const { page } = ui;
    await signIn(ui);
    await page.goto('/#/devices');
    const row = page.locator(`[data-device="${deviceId}"]`);
    await row.getByText('Online', { exact: true }).waitFor({ timeout: 15_000 });
    await expect(row.textContent()).resolves.toContain('DS-2CD2386G2-IU');
    await ui.screenshot('devices');
    await ui.assertAccessible();

    await row.getByRole('link').click();
    const page_ = page.locator('.device-page');
    await page_.getByText('DS-2CD2386G2-IU').waitFor();
    await page_.locator('.facts').getByText('Online', { exact: true }).waitFor();
    const channel = (await gw.api('GET', `/api/v1/devices/${deviceId}/channels`)).json[0];
    const live = page.getByRole('link', { name: `Watch live: ${channel.name}` });
    expect(await live.getAttribute('href')).toBe(`#/live/${channel.id}`);
    await page.locator('section#controls').waitFor({ state: 'attached' });
    await ui.screenshot('device');
    await ui.assertAccessible();

    // Off the wall and back: the channel's switch.
    const onWall = page.getByRole('checkbox', { name: `Show ${channel.name} on the live wall` });
    await onWall.uncheck();
    await eventually(
      async () => (await gw.api('GET', `/api/v1/channels/${channel.id}`)).json.enabled === false,
    );
    await live.waitFor({ state: 'detached' });
    await onWall.check();
    await eventually(
      async () => (await gw.api('GET', `/api/v1/channels/${channel.id}`)).json.enabled === true,
    );

    // Changing: prefilled, the password left blank keeps the saved one; bad input changes nothing.
    await page.getByRole('button', { name: 'Change settings' }).click();
    expect(await page.getByLabel('Host (IP address or name)').inputValue()).toBe('127.0.0.1');
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await page.getByLabel('Host (IP address or name)').fill('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/host/i);
    expect((await gw.api('GET', `/api/v1/devices/${deviceId}`)).json.host).toBe('127.0.0.1');
    await page.getByLabel('Host (IP address or name)').fill('127.0.0.1');
    await page.getByLabel('Name', { exact: true }).fill('Front door camera');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Front door camera' }).waitFor();
    const changed = (await gw.api('GET', `/api/v1/devices/${deviceId}`)).json;
    expect(changed).toMatchObject({ name: 'Front door camera', host: '127.0.0.1', enabled: true });

    // The doctor on demand.
    await page.getByRole('button', { name: 'Run the doctor' }).click();
    await page
      .locator('.device-page [data-check="stream-codec"]')
      .getByText('main stream 101 is H.265')
      .waitFor();

    // Removing asks first.
    await page.getByRole('button', { name: 'Remove this device' }).click();
    await page.getByRole('button', { name: 'Keep it' }).click();
    expect(await savedDevices()).toHaveLength(1);
    await page.getByRole('button', { name: 'Remove this device' }).click();
    await page.getByRole('button', { name: 'Yes, remove Front door camera' }).click();
    await page.getByText('No devices yet').waitFor();
    expect(await savedDevices()).toEqual([]);
    ui.assertQuiet();
    await ui.close();
  }, 60_000);

  it("shows an NVR's channel picker and adds only the picked channels", async () => {
    const ui = await openUi(gw.url, { viewport: LAPTOP });
    const { page } = ui;
    await signIn(ui);
    await page.goto('/#/devices/add');
    await fillAddress(page, nvr, PASSWORD);
    await page.getByRole('button', { name: 'Check the device' }).click();
    const picker = page.getByRole('group', { name: 'Channels to add' });
    await picker.waitFor();
    expect(await picker.getByRole('checkbox').count()).toBe(3);
    await ui.assertAccessible();
    await picker.getByRole('checkbox', { name: '2. Camera 02' }).uncheck();
    await page.getByRole('button', { name: 'Save the device' }).click();
    await page.getByRole('heading', { name: /is added/ }).waitFor();
    const added = await savedAt(nvr);
    expect(added).toMatchObject({ kind: 'nvr' });
    const channels = (await gw.api('GET', `/api/v1/devices/${added!.id}/channels`)).json as Array<{
      channelNo: number;
    }>;
    expect(channels.map((c) => c.channelNo)).toEqual([1, 3]);
    expect((await gw.api('DELETE', `/api/v1/devices/${added!.id}`)).status).toBe(204);
    ui.assertQuiet();
    await ui.close();
  }, 60_000);

  it('shows the certificate an HTTPS device presents and saves the one the user trusted', async () => {
    const ui = await openUi(gw.url, { viewport: LAPTOP });
    const { page } = ui;
    await signIn(ui);
    await page.goto('/#/devices/add');
    await page.getByLabel('Use HTTPS').check();
    await fillAddress(page, secure, PASSWORD);
    await page.getByRole('button', { name: 'Check the device' }).click();
    const offer = page.getByRole('region', { name: 'The device’s certificate' });
    await offer.getByText(secure.certificateFingerprint!).waitFor();
    await offer.getByRole('button', { name: 'Trust this certificate' }).click();
    await offer.getByText('Trusted: it will be saved with the device.').waitFor();
    await ui.assertAccessible();
    const field = page.getByLabel('Certificate fingerprint (SHA-256)');
    expect(await field.inputValue()).toBe(secure.certificateFingerprint);
    // Trusting what was just checked keeps the findings: no second check needed.
    await page.getByRole('button', { name: 'Save the device' }).click();
    await page.getByRole('heading', { name: /is added/ }).waitFor();
    const added = await savedAt(secure);
    expect(added).toMatchObject({ https: true, tlsFingerprint: secure.certificateFingerprint });
    expect((await gw.api('DELETE', `/api/v1/devices/${added!.id}`)).status).toBe(204);
    ui.assertQuiet();
    await ui.close();
  }, 60_000);
});

describe('a device whose password changed', () => {
  it('shows the refused login and its reason in words, and "Retry login" brings it back', async () => {
    const sim = await simDevice();
    try {
      const added = await gw.api('POST', '/api/v1/devices', {
        body: { host: '127.0.0.1', port: Number(portOf(sim)), password: PASSWORD },
      });
      expect(added.status, added.text).toBe(201);
      const id = added.json.id as string;
      await healthBecomes(gw, id, (h) => h.state === 'online');
      // The password changes on the device and its event stream drops, as after a reboot.
      sim.setFault({ kind: 'wrongPassword' });
      sim.setFault({ kind: 'streamTruncate', after: 'close' });
      sim.trigger({ type: 'VMD', channel: 1 });
      const refused = await healthBecomes(gw, id, (h) => h.state === 'auth-failed', 20_000);

      // Signing in lands on the live wall, whose poster of this camera is refused (409) while its login is held.
      const ui = await openUi(gw.url, { viewport: LAPTOP, ignore: [/status of 409 .*snapshot\.jpg/] });
      const { page } = ui;
      await signIn(ui);
      await page.goto('/#/devices');
      const row = page.locator(`[data-device="${id}"]`);
      await row.getByText('Login refused', { exact: true }).waitFor();
      await expect(row.textContent()).resolves.toContain(refused.lastError!);
      await row.getByRole('link').click();
      const facts = page.locator('.device-page .facts');
      await facts.getByText('Login refused', { exact: true }).waitFor();
      await expect(facts.textContent()).resolves.toContain(refused.lastError!);

      sim.clearFaults();
      await page.getByRole('button', { name: 'Retry login' }).click();
      await page.getByText('Logged in: the device is online.').waitFor();
      await facts.getByText('Online', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Retry login' }).waitFor({ state: 'detached' });
      expect((await gw.api('DELETE', `/api/v1/devices/${id}`)).status).toBe(204);
      ui.assertQuiet();
      await ui.close();
    } finally {
      await sim.close();
    }
  }, 60_000);
});

describe('a doorbell', () => {
  it("has the doorbell panel on its page, next to the controls' mount point", async () => {
    const doorbell = await simDevice({ profile: 'doorbell', sipPort: 0 });
    try {
      const added = await gw.api('POST', '/api/v1/devices', {
        body: { host: '127.0.0.1', port: Number(portOf(doorbell)), password: PASSWORD },
      });
      expect(added.status, added.text).toBe(201);
      const ui = await openUi(gw.url, { viewport: LAPTOP });
      const { page } = ui;
      await signIn(ui);
      await page.goto(`/#/devices/${added.json.id}`);
      await page.locator('.device-page .facts').getByText('Doorbell').waitFor();
      await page.getByRole('region', { name: 'Doorbell' }).waitFor();
      await page.locator('section#controls').waitFor({ state: 'attached' });
      await ui.assertAccessible();
      expect((await gw.api('DELETE', `/api/v1/devices/${added.json.id}`)).status).toBe(204);
      ui.assertQuiet();
      await ui.close();
    } finally {
      await doorbell.close();
    }
  }, 60_000);
});

describe('at phone width', () => {
  it('adds a camera with the doctor shown, previews its fixes, and lists and shows it', async () => {
    const ui = await openUi(gw.url, { viewport: PHONE });
    const { page } = ui;
    await signIn(ui);
    await page.goto('/#/devices');
    await page.getByRole('link', { name: 'Add a device' }).click();
    await fillAddress(page, phoneCamera, PASSWORD);
    await page.getByRole('button', { name: 'Check the device' }).click();
    await page.getByText('main stream 101 is H.265').waitFor();
    expect(await fitsWidth(page)).toBe(true);
    await page.getByRole('heading', { name: 'What the doctor found' }).scrollIntoViewIfNeeded();
    await ui.screenshot('add-device');
    await ui.assertAccessible();

    await page.getByRole('button', { name: 'Save the device' }).click();
    await page.getByRole('heading', { name: /is added/ }).waitFor();
    await page.getByRole('checkbox', { name: 'Video codec, channel 1 (main stream)' }).waitFor();
    expect(await fitsWidth(page)).toBe(true);

    const added = await savedAt(phoneCamera);
    await page.goto('/#/devices');
    await page
      .locator(`[data-device="${added!.id}"]`)
      .getByText('Online', { exact: true })
      .waitFor({ timeout: 15_000 });
    expect(await fitsWidth(page)).toBe(true);
    await ui.screenshot('devices');

    await page.locator(`[data-device="${added!.id}"]`).getByRole('link').click();
    await page.locator('.device-page .facts').getByText('Online', { exact: true }).waitFor();
    expect(await fitsWidth(page)).toBe(true);
    await ui.screenshot('device');
    await ui.assertAccessible();
    expect((await gw.api('DELETE', `/api/v1/devices/${added!.id}`)).status).toBe(204);
    ui.assertQuiet();
    await ui.close();
  }, 60_000);
});
