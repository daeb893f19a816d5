/**
 * The Cloud screen in a real browser against a real gateway and the simulated HikCentral
 * Connect cloud with its RTMP origin (real video): a refused key is said in words and saves
 * nothing; an account added through the form syncs with a progress bar, then lists its cameras;
 * a camera is switched off, another gets a quality and a verification code; a cloud camera's
 * tile on the live wall decodes real frames. At laptop and phone widths, without console errors.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimCloud, startSimCloud } from '../../sim/index.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { mediamtxBinary, mediaPorts } from '../support/mediamtx.ts';
import { requireTool } from '../support/system-tools.ts';
import { closeUiBrowser, LAPTOP, openUi, PHONE, signIn, uiBrowser, waitForFrames } from './harness.ts';

const APP_KEY = 'UiCloudAppKey-6b2f';
const SECRET = 'UiCloudSecret-91c3d';
// Eight cameras: the sync fetches a live address for each at the cloud's 5 calls a second, long
// enough (about 3 s) to see its progress on a loaded machine.
const CAMERAS = ['Gate', 'Drive', 'Garden', 'Shed', 'Till', 'Door', 'Office', 'Stock'];

let sim: SimCloud;
let gw: TestGateway;

beforeAll(async () => {
  sim = await startSimCloud({
    appKey: APP_KEY,
    secretKey: SECRET,
    devices: [
      {
        serialNumber: 'U40000001',
        name: 'Yard NVR',
        category: 'NVR',
        cameras: CAMERAS.slice(0, 4).map((name, i) => ({ name, channelNo: i + 1 })),
      },
      {
        serialNumber: 'U40000002',
        name: 'Shop NVR',
        category: 'NVR',
        cameras: CAMERAS.slice(4).map((name, i) => ({ name, channelNo: i + 1 })),
      },
    ],
    origin: { mediamtx: await mediamtxBinary(), ffmpeg: requireTool('ffmpeg', 'ffmpeg') },
  });
  gw = await startTestGateway({
    overrides: {
      media: { ...(await mediaPorts()), onDemandCloseAfterSeconds: 2 },
      cloud: { defaultBaseUrl: sim.url },
    },
  });
  gw.scan.addSecret(APP_KEY);
  gw.scan.addSecret(SECRET);
  await gw.gateway.media.ready();
  await uiBrowser();
}, 300_000);

afterAll(async () => {
  for (const issued of sim?.issued ?? []) {
    gw?.scan.addSecret(new URL(issued.url).searchParams.get('t') ?? undefined);
  }
  await closeUiBrowser();
  await gw?.stop();
  await sim?.close();
}, 60_000);

interface CameraAnswer {
  id: string;
  name: string;
  enabled: boolean;
  qualityOverride: string | null;
  streamCodeSet: boolean;
}

async function cloudCameras(): Promise<CameraAnswer[]> {
  return (await gw.api('GET', '/api/v1/cloud/cameras')).json;
}

function cameraCard(page: Page, name: string) {
  return page.getByRole('article', { name: new RegExp(`^${name} · `) });
}

describe('the Cloud screen', () => {
  it('adds an account through the form, syncs with progress, and plays a cloud camera on the wall', async () => {
    const ui = await openUi(gw.url, { viewport: LAPTOP, ignore: [/400 \(Bad Request\)/] });
    const { page } = ui;
    await signIn(ui);
    await page.getByRole('link', { name: 'Cloud' }).click();
    await page.getByRole('heading', { name: 'HikCentral Connect' }).waitFor();
    await page.getByText('No account yet.').waitFor();

    // A wrong SecretKey: the cloud's refusal in words, nothing saved, the form keeps what was typed.
    await page.getByRole('button', { name: 'Add an account' }).click();
    await page.getByLabel('Name').fill('Stores');
    await page.getByLabel('AppKey').fill(APP_KEY);
    await page.getByLabel('SecretKey').fill('Wrong-Secret-000');
    await page.getByLabel('Video quality').selectOption('sub');
    await page.getByRole('button', { name: 'Add account' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent(), { timeout: 20_000 })
      .toMatch(/refused the SecretKey/);
    expect((await gw.api('GET', '/api/v1/cloud/accounts')).json).toEqual([]);
    expect(await page.getByLabel('Name').inputValue()).toBe('Stores');

    // The right one: the form closes, the sync shows its progress, then the cameras.
    await page.getByLabel('SecretKey').fill(SECRET);
    const started = Date.now();
    await page.getByRole('button', { name: 'Add account' }).click();
    const account = page.getByRole('article', { name: 'Account Stores' });
    await account.getByRole('progressbar', { name: 'Sync progress' }).waitFor({ timeout: 20_000 });
    await expect.poll(() => account.getByRole('status').textContent()).toMatch(/^Syncing: /);
    await account.getByText(/^Synced at .*: 2 devices, 8 cameras \(8 new/).waitFor({ timeout: 30_000 });
    const syncMs = Date.now() - started;
    expect(await account.getByRole('progressbar').count()).toBe(0);
    await account.getByText('8 cameras: 8 ready.').waitFor();
    for (const name of CAMERAS) {
      await cameraCard(page, name).getByText('ready', { exact: true }).waitFor();
    }
    await expect(cameraCard(page, 'Gate').textContent()).resolves.toMatch(/live address valid until .* left/);
    const gateLink = cameraCard(page, 'Gate').getByRole('link', { name: 'Gate · Yard NVR' });
    expect(await gateLink.getAttribute('href')).toMatch(/^#\/live\/[\w-]+$/);

    // Shed off; Till on the main stream with a verification code.
    await page.getByRole('checkbox', { name: 'Shed · Yard NVR: on' }).uncheck();
    await cameraCard(page, 'Shed').getByText('switched off', { exact: true }).waitFor();
    await page.getByRole('combobox', { name: 'Till · Shop NVR: quality' }).selectOption('main');
    await page.getByRole('button', { name: 'Till · Shop NVR: verification code (not set)' }).click();
    await page.getByLabel('Till · Shop NVR: verification code').fill('ABCDEF');
    await cameraCard(page, 'Till').getByRole('button', { name: 'Save code' }).click();
    await page.getByRole('button', { name: 'Till · Shop NVR: verification code (set)' }).waitFor();
    const cameras = await cloudCameras();
    const byName = (name: string) => cameras.find((camera) => camera.name === name)!;
    expect(await gateLink.getAttribute('href')).toBe(`#/live/${byName('Gate').id}`);
    expect(byName('Shed').enabled).toBe(false);
    expect(byName('Till')).toMatchObject({ qualityOverride: 'main', streamCodeSet: true, enabled: true });
    await account.getByText('8 cameras: 7 ready, 1 switched off.').waitFor();
    await page.evaluate('window.scrollTo(0, 0)');
    await ui.screenshot('cloud');

    // The live wall lists the cloud cameras that are on, and Gate's tile plays real frames.
    await page.getByRole('link', { name: 'Live' }).click();
    const gate = byName('Gate');
    const tileVideo = `article.tile[data-channel="${gate.id}"] video`;
    await page.locator(tileVideo).waitFor();
    for (const name of CAMERAS.filter((each) => each !== 'Shed')) {
      await page.getByRole('article', { name, exact: true }).waitFor();
    }
    expect(await page.getByRole('article', { name: 'Shed' }).count()).toBe(0);
    const frames = await waitForFrames(page, tileVideo, 10, 40_000);
    expect(frames).toBeGreaterThan(10);
    // The wall is not left before the console is checked: leaving it ends the WHEP sessions,
    // some of which MediaMTX answers 404 (already gone), logged by the browser as errors.
    console.log(`cloud UI: sync of 8 cameras shown in ${syncMs} ms; ${frames} frames on the wall tile`);
    ui.assertQuiet();
    await ui.close();
  }, 120_000);

  it('fits a phone, and syncs again, renames and removes the account', async () => {
    const ui = await openUi(gw.url, { viewport: PHONE });
    const { page } = ui;
    await signIn(ui);
    await page.goto('/#/cloud');
    await page.getByRole('article', { name: 'Account Stores' }).waitFor();
    await cameraCard(page, 'Door').waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await ui.screenshot('cloud');

    // Sync again, rename, remove.
    const account = page.getByRole('article', { name: 'Account Stores' });
    await account.getByRole('button', { name: 'Sync now' }).click();
    await account
      .getByText(/^Synced at .*: 2 devices, 8 cameras \(0 new, 0 updated, 0 gone\)/)
      .waitFor({ timeout: 30_000 });
    await account.getByRole('button', { name: 'Edit' }).click();
    await account.getByLabel('Name').fill('Stores and yard');
    await account.getByRole('button', { name: 'Save' }).click();
    const renamed = page.getByRole('article', { name: 'Account Stores and yard' });
    await renamed.waitFor();
    expect((await gw.api('GET', '/api/v1/cloud/accounts')).json[0].name).toBe('Stores and yard');
    await renamed.getByRole('button', { name: 'Remove' }).click();
    await renamed.getByRole('button', { name: 'Remove Stores and yard' }).click();
    await page.getByText('No account yet.').waitFor();
    expect((await gw.api('GET', '/api/v1/cloud/accounts')).json).toEqual([]);
    expect(await cloudCameras()).toEqual([]);
    ui.assertQuiet();
    await ui.close();
  }, 60_000);
});
