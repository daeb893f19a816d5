/**
 * The device page's controls in a real browser against a real gateway and the simulator's PTZ
 * dome (`ptz` profile: PTZ with presets and patrols, detections, an alarm output, a supplement
 * light, a siren and a strobe, a memory card). What the page shows is checked against what the
 * simulated device recorded and what the API reads back: a PTZ button held then let go (mouse and
 * keyboard) sends a move then a stop, a preset saved, renamed, visited and deleted, a detection
 * switched and read again, notify-center switched off with its warning, an output switched, the
 * light mode changed, the siren's sound saved, the storage bar, then a confirmed reboot that the
 * page follows until the device is back. Laptop and phone widths; screenshots: controls.
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { type SimPtzRequest, simPtz } from '../../sim/routes/ptz.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { closeUiBrowser, LAPTOP, openUi, PHONE, SCREENSHOTS, signIn, uiBrowser } from './harness.ts';

const PASSWORD = 'Controls-Ui-17';
const NAME = 'Car park dome';
let gw: TestGateway;
let dome: SimDevice;
let deviceId: string;
let channelId: string;

beforeAll(async () => {
  dome = await startSimDevice({ profile: 'ptz', password: PASSWORD, heartbeatMs: 0, rebootMs: 3000 });
  gw = await startTestGateway({ overrides: { controls: { ptzMaxMoveSeconds: 20 } } });
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name: NAME, host: '127.0.0.1', port: dome.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  deviceId = added.json.id;
  channelId = (await gw.api('GET', `/api/v1/devices/${deviceId}/channels`)).json[0].id;
  // Launched here: on a fresh machine this installs Chromium from Debian first (minutes).
  await uiBrowser();
}, 300_000);

afterAll(async () => {
  await closeUiBrowser();
  await gw?.stop();
  await dome?.close();
});

const isStop = (r: SimPtzRequest) =>
  r.action === 'continuous' && r.speeds?.pan === 0 && r.speeds.tilt === 0 && r.speeds.zoom === 0;
const moves = () => simPtz(dome).requests.filter((r) => r.action === 'continuous' && !isStop(r));
const stopsAfter = (at: number) => simPtz(dome).requests.filter((r) => isStop(r) && r.at >= at);

async function openDevicePage(page: Page): Promise<void> {
  await page.goto(`/#/devices/${deviceId}`);
  await page.getByRole('heading', { name: NAME, level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'Controls' }).waitFor();
  // The parts the dome has, each read from it.
  await page.getByRole('button', { name: 'Move left' }).waitFor({ timeout: 20_000 });
  await page.getByRole('switch', { name: 'Motion detection', exact: true }).waitFor({ timeout: 20_000 });
}

/** Holds a PTZ button with the mouse until the dome has the move, then lets go; the dome must stop. */
async function holdWithMouse(page: Page, label: string): Promise<SimPtzRequest> {
  const before = moves().length;
  const button = page.getByRole('button', { name: label });
  await button.scrollIntoViewIfNeeded();
  const box = (await button.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await expect.poll(() => moves().length, { timeout: 10_000 }).toBe(before + 1);
  const move = moves().at(-1)!;
  expect(simPtz(dome).moving(1)).toBe(true);
  await page.mouse.up();
  await expect.poll(() => stopsAfter(move.at).length, { timeout: 10_000 }).toBe(1);
  expect(simPtz(dome).moving(1)).toBe(false);
  return move;
}

/** The whole controls section (taller than a screen), as docs/screenshots/<name>.png. */
async function screenshotControls(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // The sticky top bar would land in the middle of the stitched picture (set through the DOM: the
  // page's CSP refuses a style sheet Playwright would add).
  const header = (position: string) =>
    page.evaluate(`document.querySelector('header.top').style.position = '${position}'`);
  await header('static');
  await page.locator('#controls').screenshot({ path: `${SCREENSHOTS}${name}.png` });
  await header('');
}

/** Horizontal scrolling at a phone's width means something does not fit. */
async function fitsWidth(page: Page): Promise<boolean> {
  const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  return width <= (page.viewportSize()?.width ?? 0);
}

describe('device controls', () => {
  it('PTZ: held buttons move then stop (mouse and keys); a preset saved, renamed, visited, deleted', async () => {
    const ui = await openUi(gw.url, { viewport: LAPTOP });
    const { page } = ui;
    await signIn(ui);
    await openDevicePage(page);

    const left = await holdWithMouse(page, 'Move left');
    expect(left.speeds).toEqual({ pan: -50, tilt: 0, zoom: 0 });
    await page.getByRole('status').filter({ hasText: 'Stopped.' }).waitFor();

    // Enter held down: one move however long the key repeats; let go: the stop.
    const before = moves().length;
    await page.getByRole('button', { name: 'Move up' }).focus();
    await page.keyboard.down('Enter');
    await expect.poll(() => moves().length, { timeout: 10_000 }).toBe(before + 1);
    const up = moves().at(-1)!;
    expect(up.speeds).toEqual({ pan: 0, tilt: 50, zoom: 0 });
    await page.keyboard.up('Enter');
    await expect.poll(() => stopsAfter(up.at).length, { timeout: 10_000 }).toBe(1);

    // Space on zoom, then the focus leaves while held: the blur stops it.
    await page.getByRole('button', { name: 'Zoom in' }).focus();
    await page.keyboard.down(' ');
    await expect.poll(() => moves().length, { timeout: 10_000 }).toBe(before + 2);
    const zoom = moves().at(-1)!;
    expect(zoom.speeds).toEqual({ pan: 0, tilt: 0, zoom: 50 });
    await page.getByRole('button', { name: 'Home', exact: true }).focus();
    await expect.poll(() => stopsAfter(zoom.at).length, { timeout: 10_000 }).toBe(1);
    await page.keyboard.up(' ');
    expect(moves()).toHaveLength(before + 2);

    // A new preset at the first free number, saved where the dome points.
    const presets = async () => (await gw.api('GET', `/api/v1/channels/${channelId}/ptz/presets`)).json;
    expect(await presets()).toEqual([{ id: 1, name: 'Entrance' }]);
    await page.getByLabel('New preset name').fill('Gate');
    await page.getByRole('button', { name: 'Save current position as preset 2' }).click();
    await page.getByText('Saved new preset 2 “Gate”').waitFor();
    expect(await presets()).toEqual([
      { id: 1, name: 'Entrance' },
      { id: 2, name: 'Gate' },
    ]);
    const gate = simPtz(dome).position(1);

    // Away, then back to it.
    await holdWithMouse(page, 'Move right');
    expect(simPtz(dome).position(1)).not.toEqual(gate);
    await page.getByRole('button', { name: 'Go to preset Gate' }).click();
    await page.getByText('The camera is going to preset 2 “Gate”.').waitFor();
    expect(simPtz(dome).position(1)).toEqual(gate);

    await page.getByRole('button', { name: 'Rename or update preset Gate' }).click();
    await page.getByLabel('New name for preset 2').fill('Back gate');
    await page.getByRole('button', { name: 'Save here' }).click();
    await page.getByText('2. Back gate').waitFor();
    expect((await presets())[1]).toEqual({ id: 2, name: 'Back gate' });

    await page.getByRole('button', { name: 'Delete preset Back gate' }).click();
    await page.getByRole('button', { name: 'Yes, delete Back gate' }).click();
    await page.getByText('Deleted preset 2 “Back gate”.').waitFor();
    expect(await presets()).toEqual([{ id: 1, name: 'Entrance' }]);

    // A patrol set up on the dome, started and stopped.
    await page.getByRole('button', { name: 'Start Patrol 1' }).click();
    await page.getByText('The camera started Patrol 1.').waitFor();
    expect(simPtz(dome).channel(1).runningPatrol).toBe(1);
    await page.getByRole('button', { name: 'Stop Patrol 1' }).click();
    await page.getByText('The camera stopped Patrol 1.').waitFor();
    expect(simPtz(dome).channel(1).runningPatrol).toBeNull();

    ui.assertQuiet();
    await ui.close();
  }, 90_000);

  it('switches a detection, its notify-center linkage, an output, the light mode and the siren as the device answers', async () => {
    const ui = await openUi(gw.url, { viewport: LAPTOP });
    const { page } = ui;
    await signIn(ui);
    await openDevicePage(page);
    const detections = async () =>
      (await gw.api('GET', `/api/v1/channels/${channelId}/detections`)).json as Array<{
        kind: string;
        enabled: boolean;
      }>;

    // Intrusion: off on the dome; switched on, the switch shows the state read back.
    expect((await detections()).find((d) => d.kind === 'intrusion')?.enabled).toBe(false);
    const intrusionWrites = dome.countRequests('/ISAPI/Smart/FieldDetection/1', 'PUT');
    await page.getByRole('switch', { name: 'Intrusion', exact: true, checked: false }).click();
    await page.getByRole('switch', { name: 'Intrusion', exact: true, checked: true }).waitFor();
    await page.getByText('Intrusion is on.').waitFor();
    expect((await detections()).find((d) => d.kind === 'intrusion')?.enabled).toBe(true);
    expect(dome.countRequests('/ISAPI/Smart/FieldDetection/1', 'PUT')).toBe(intrusionWrites + 1);
    // Read again from the device on a fresh page.
    await page.reload();
    await openDevicePage(page);
    await page.getByRole('switch', { name: 'Intrusion', exact: true, checked: true }).waitFor();

    // Notify-center off: the warning says hikbridge hears nothing; back on.
    await page.getByRole('button', { name: 'Show what motion detection does' }).click();
    const notify = page.getByRole('switch', { name: 'Motion detection: Notify surveillance center' });
    await notify.and(page.locator('[aria-checked="true"]')).waitFor();
    await notify.click();
    await notify.and(page.locator('[aria-checked="false"]')).waitFor();
    await page.getByText('hikbridge will not receive these events').waitFor();
    const linkage = async () =>
      (await gw.api('GET', `/api/v1/channels/${channelId}/detections/motion/linkage`)).json;
    expect((await linkage()).notifyCenter).toBe(false);
    await notify.click();
    await notify.and(page.locator('[aria-checked="true"]')).waitFor();
    expect(await page.getByText('hikbridge will not receive these events').count()).toBe(0);
    expect((await linkage()).notifyCenter).toBe(true);
    // The siren linkage is offered (the dome has one).
    await page.getByRole('switch', { name: 'Motion detection: Sound the siren' }).waitFor();

    // The alarm output, triggered.
    const outputWrites = dome.countRequests('/ISAPI/System/IO/outputs/', 'PUT');
    await page.getByRole('switch', { name: 'Output 1', exact: true, checked: false }).click();
    await page.getByText('The device says Output 1 is on.').waitFor();
    await page.getByRole('switch', { name: 'Output 1', exact: true, checked: true }).waitFor();
    expect((await gw.api('GET', `/api/v1/devices/${deviceId}/outputs`)).json[0].state).toBe('on');
    expect(dome.countRequests('/ISAPI/System/IO/outputs/', 'PUT')).toBe(outputWrites + 1);

    // The light: from the modes the camera offers.
    const mode = page.getByLabel('Light mode');
    expect(await mode.inputValue()).toBe('irLight');
    await mode.selectOption({ label: 'White light' });
    await page.getByText('The camera says: White light').waitFor();
    expect((await gw.api('GET', `/api/v1/channels/${channelId}/light`)).json.mode).toBe('colorVuWhiteLight');
    expect(await mode.inputValue()).toBe('colorVuWhiteLight');
    // A brightness slider moved by keys: sent, and shown as the camera answered.
    const white = page.getByRole('slider', { name: /^White light brightness/ });
    expect(await white.inputValue()).toBe('50');
    await white.focus();
    await page.keyboard.press('End');
    await page.getByText('The camera says: White light, brightness white 100 %').waitFor();
    expect((await gw.api('GET', `/api/v1/channels/${channelId}/light`)).json.whiteBrightness).toBe(100);
    await page.getByText('White light brightness: 100 %').waitFor();

    // The siren's sound, saved and read back.
    await page.getByLabel('Siren sound').selectOption({ label: 'Dog barking' });
    await page.getByRole('button', { name: 'Save siren settings' }).click();
    await page.getByText('The camera says: Dog barking').waitFor();
    expect((await gw.api('GET', `/api/v1/devices/${deviceId}/siren`)).json.soundId).toBe(3);

    // The strobe and the memory card, as the dome reports them.
    await page.getByLabel('Flashing speed').waitFor();
    await page.getByText('Memory card 1').waitFor();
    await page
      .getByText(/GB free of .* GB \(\d+ % used\)/)
      .first()
      .waitFor();

    await screenshotControls(page, 'controls');
    await ui.assertAccessible();
    ui.assertQuiet();
    await ui.close();
  }, 90_000);

  it('fits a phone: the pad still moves and stops', async () => {
    const ui = await openUi(gw.url, { viewport: PHONE });
    const { page } = ui;
    await signIn(ui);
    await openDevicePage(page);
    await page
      .getByLabel('Storage')
      .or(page.getByRole('heading', { name: 'Storage' }))
      .first()
      .waitFor();
    expect(await fitsWidth(page)).toBe(true);
    const down = await holdWithMouse(page, 'Move down');
    expect(down.speeds).toEqual({ pan: 0, tilt: -50, zoom: 0 });
    await screenshotControls(page, 'controls-phone');
    await ui.assertAccessible();
    ui.assertQuiet();
    await ui.close();
  }, 60_000);

  it('shows a fixed camera only what it has: no PTZ, siren or strobe asked or shown', async () => {
    const camera = await startSimDevice({ profile: 'camera', password: PASSWORD, heartbeatMs: 0 });
    try {
      const added = await gw.api('POST', '/api/v1/devices', {
        body: { name: 'Yard', host: '127.0.0.1', port: camera.port, username: 'admin', password: PASSWORD },
      });
      expect(added.status, added.text).toBe(201);
      const ui = await openUi(gw.url, { viewport: LAPTOP });
      const { page } = ui;
      await signIn(ui);
      await page.goto(`/#/devices/${added.json.id}`);
      await page.getByRole('switch', { name: 'Motion detection', exact: true }).waitFor({ timeout: 20_000 });
      await page.getByLabel('Light mode').waitFor();
      await page.getByRole('heading', { name: 'Storage' }).waitFor();
      for (const heading of [/^PTZ/, 'Siren', /^Strobe/]) {
        expect(await page.getByRole('heading', { name: heading }).count(), String(heading)).toBe(0);
      }
      // Nothing refused either: a part asked of a device without it would show as a failed load.
      ui.assertQuiet();
      await ui.close();
      expect((await gw.api('DELETE', `/api/v1/devices/${added.json.id}`)).status).toBe(204);
    } finally {
      await camera.close();
    }
  }, 60_000);

  it('reboots after a confirmation naming the device, and follows it until it is back', async () => {
    const ui = await openUi(gw.url, { viewport: LAPTOP });
    const { page } = ui;
    await signIn(ui);
    await openDevicePage(page);
    const reboots = () => dome.countRequests('/ISAPI/System/reboot', 'PUT');

    // Cancelled: nothing sent.
    await page.getByRole('button', { name: `Reboot ${NAME}…` }).click();
    const dialog = page.getByRole('dialog', { name: `Reboot “${NAME}”?` });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(reboots()).toBe(0);

    await page.getByRole('button', { name: `Reboot ${NAME}…` }).click();
    await dialog.getByRole('button', { name: `Yes, reboot ${NAME}` }).click();
    await page.getByText(`${NAME} is rebooting; expected back within`).waitFor();
    expect(reboots()).toBe(1);
    await page.getByText(`${NAME} is back online after the reboot.`).waitFor({ timeout: 30_000 });
    expect((await gw.api('GET', `/api/v1/devices/${deviceId}/health`)).json.state).toBe('online');
    expect(reboots()).toBe(1);
    ui.assertQuiet();
    await ui.close();
  }, 60_000);
});
