/**
 * The events screen in a real browser against a gateway with two simulated cameras: an empty
 * timeline says so, a motion alert appears live and its picture follows (the snapshot notice),
 * the picture opens large in a dialog that Escape closes, the live-view link points at the
 * camera, the device and kind filters live in the address and survive a reload, and the phone
 * width has no sideways scrolling. No console errors.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { makeEvent, recordOf } from '../api-events/clients.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { closeUiBrowser, LAPTOP, openUi, PHONE, signIn, type UiPage, uiBrowser } from './harness.ts';

const PASSWORD = 'Ev3nts-Ui-Pass';
let gw: TestGateway;
let porch: SimDevice;
let garage: SimDevice;
let porchId: string;
let garageId: string;
let porchChannel: string;

async function addCamera(sim: SimDevice, name: string): Promise<string> {
  const answer = await gw.api('POST', '/api/v1/devices', {
    body: { name, host: '127.0.0.1', port: sim.port, username: 'admin', password: PASSWORD },
  });
  expect(answer.status, answer.text).toBe(201);
  await eventually(async () => sim.openAlertStreams > 0, 15_000);
  return answer.json.id;
}

beforeAll(async () => {
  const camera = (serial: string) =>
    startSimDevice({ profile: 'camera', password: PASSWORD, serialNumber: serial, heartbeatMs: 500 });
  [porch, garage] = await Promise.all([camera('UIEVT0001'), camera('UIEVT0002')]);
  gw = await startTestGateway({ overrides: { events: { quietSeconds: 1, updateEverySeconds: 0.2 } } });
  porchId = await addCamera(porch, 'Porch');
  garageId = await addCamera(garage, 'Garage');
  const channels = (await gw.api('GET', '/api/v1/channels')).json as { id: string; deviceId: string }[];
  porchChannel = channels.find((channel) => channel.deviceId === porchId)!.id;
  await uiBrowser();
}, 300_000);

afterAll(async () => {
  await closeUiBrowser();
  await gw?.stop();
  await Promise.all([porch?.close(), garage?.close()]);
});

/** The timeline's items. */
const items = (page: Page) => page.getByRole('list', { name: 'Events, newest first' }).getByRole('listitem');

/** True once the picture in the item has been decoded (a real JPEG reached the page). */
async function pictureLoaded(page: Page, selector: string): Promise<boolean> {
  // A string: the test code has no DOM types.
  return page.evaluate(
    `(() => { const image = document.querySelector(${JSON.stringify(selector)}); return Boolean(image && image.complete && image.naturalWidth > 0); })()`,
  );
}

const pictureOf = (eventId: string) => `[data-event-id="${eventId}"] img`;
const hash = (page: Page) => page.evaluate('location.hash');

describe('the events screen', () => {
  let ui: UiPage;

  it('shows a live motion event with its picture, opens the picture, and links to the live view', async () => {
    ui = await openUi(gw.url, { viewport: LAPTOP });
    const { page } = ui;
    await signIn(ui);
    await page.goto('/#/events');
    await page.getByRole('heading', { name: 'No events yet' }).waitFor();

    porch.trigger({ type: 'VMD', channel: 1 });
    const started = items(page).filter({ hasText: 'Motion started' });
    await started.waitFor({ timeout: 15_000 });
    await expect(started.textContent()).resolves.toContain('Porch');
    const eventId = (await started.getAttribute('data-event-id'))!;
    // The picture is taken after the event and announced by the snapshot notice.
    await expect.poll(() => pictureLoaded(page, pictureOf(eventId)), { timeout: 15_000 }).toBe(true);
    expect(await started.getByRole('link', { name: /Live view/ }).getAttribute('href')).toBe(
      `#/live/${porchChannel}`,
    );
    // The end follows after the quiet second, live as well.
    await items(page).filter({ hasText: 'Motion ended' }).waitFor({ timeout: 15_000 });

    await started.getByRole('button', { name: /Show the picture/ }).click();
    const dialog = page.getByRole('dialog', { name: /Motion started at/ });
    await dialog.waitFor();
    await expect.poll(() => pictureLoaded(page, 'dialog[open] img')).toBe(true);
    await ui.assertAccessible();
    await ui.screenshot('event-picture');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await ui.assertAccessible();
    await ui.screenshot('events');
  }, 60_000);

  it('filters by device and kind, kept in the address across a reload', async () => {
    const { page } = ui;
    garage.trigger({ type: 'fielddetection', channel: 1, targets: ['human'], image: true });
    await items(page).filter({ hasText: 'Intrusion started' }).waitFor({ timeout: 15_000 });

    await page.getByLabel('Device').selectOption({ label: 'Garage' });
    await expect.poll(() => hash(page)).toBe(`#/events?device=${garageId}`);
    await items(page).filter({ hasText: 'Intrusion started' }).waitFor();
    await expect.poll(() => items(page).filter({ hasText: 'Porch' }).count()).toBe(0);

    await page.getByLabel('Device').selectOption({ label: 'All devices' });
    await page.getByLabel('Kind').selectOption({ label: 'Motion' });
    await expect.poll(() => hash(page)).toBe('#/events?kind=motion');
    await page.reload();
    await items(page).filter({ hasText: 'Motion started' }).waitFor();
    expect(await page.getByLabel('Kind').inputValue()).toBe('motion');
    await expect.poll(() => items(page).filter({ hasText: 'Intrusion' }).count()).toBe(0);
    // A new motion event arrives live into the filtered view; an intrusion does not.
    const before = await items(page).count();
    garage.trigger({ type: 'fielddetection', channel: 1, targets: ['vehicle'] });
    garage.trigger({ type: 'VMD', channel: 1 });
    await items(page).filter({ hasText: 'Garage' }).first().waitFor({ timeout: 15_000 });
    expect(await items(page).filter({ hasText: 'Intrusion' }).count()).toBe(0);
    expect(await items(page).count()).toBeGreaterThan(before);

    // Filters that match nothing say so in words.
    await page.goto(`/#/events?device=${porchId}&kind=doorbell-ring`);
    await page.getByRole('heading', { name: 'No events match these filters' }).waitFor();
    ui.assertQuiet();
    await ui.close();
  }, 60_000);

  it('pages back through older events', async () => {
    // 60 door openings from last year: more than a page (50).
    for (let index = 0; index < 60; index++) {
      const event = makeEvent(index, {
        id: `old-${index}`,
        deviceId: garageId,
        kind: 'door-open',
        state: 'pulse',
        region: 1,
      });
      await gw.gateway.store.events.insert(recordOf({ ...event, channelId: null, channelNo: null }));
    }
    const pager = await openUi(gw.url, { viewport: LAPTOP });
    const { page } = pager;
    await signIn(pager);
    await page.goto('/#/events?kind=door-open');
    await expect.poll(() => items(page).count()).toBe(50);
    await expect(items(page).first().textContent()).resolves.toContain('Door opened · door 1');
    await page.getByRole('button', { name: 'Older events' }).click();
    await expect.poll(() => items(page).count()).toBe(60);
    await page.getByRole('button', { name: 'Older events' }).waitFor({ state: 'detached' });
    pager.assertQuiet();
    await pager.close();
  }, 60_000);

  it('works at a phone’s width', async () => {
    const phone = await openUi(gw.url, { viewport: PHONE });
    const { page } = phone;
    await signIn(phone);
    await page.goto('/#/events');
    const first = items(page).first();
    await first.waitFor();
    const eventId = (await items(page)
      .filter({ hasText: 'Motion started' })
      .first()
      .getAttribute('data-event-id'))!;
    await expect.poll(() => pictureLoaded(page, pictureOf(eventId)), { timeout: 10_000 }).toBe(true);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await page.getByLabel('Device').selectOption({ label: 'Porch' });
    await expect.poll(() => items(page).filter({ hasText: 'Garage' }).count()).toBe(0);
    await phone.assertAccessible();
    await phone.screenshot('events');
    phone.assertQuiet();
    await phone.close();
  }, 60_000);
});
