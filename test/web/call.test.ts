/**
 * The doorbell call screen in real browsers against a gateway with two simulated doorbells and
 * real video: one rings over SIP (hikbridge is its emulated SIP server), the other is found
 * ringing by polling its call status. Each ring shows the call screen in two open pages at
 * once (one of them a background tab, which gets a notification); Answer picks up and sends
 * Chromium's fake microphone to the doorbell (the simulator counts the RTP packets of the SIP
 * call, or records the ISAPI two-way audio bytes); the other page closes and says the call was
 * picked up elsewhere; Open door sends exactly one open however often it is clicked while in
 * flight; Hang up ends the call and the talk session. At laptop and phone widths, with no
 * console errors.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { type CameraVideo, mediaPorts, startCameraVideo } from '../support/mediamtx.ts';
import {
  closeUiBrowser,
  LAPTOP,
  openUi,
  PHONE,
  signIn,
  type UiPage,
  uiBrowser,
  waitForFrames,
} from './harness.ts';

const PASSWORD = 'Bell-Ui-Pass-7';
const LOOPBACK = '127.0.0.1';
let gw: TestGateway;
let video: CameraVideo;
let sipBell: SimDevice;
let pollBell: SimDevice;
let sipBellId: string;

/**
 * A page that the browser thinks is in the background, with a notification recorder in place
 * of the browser's (headless Chromium has no notification centre to look at).
 */
const BACKGROUND_TAB = `
  window.__notifications = [];
  window.Notification = class {
    static permission = 'granted';
    static requestPermission() { return Promise.resolve('granted'); }
    constructor(title, options) { window.__notifications.push({ title, body: options && options.body }); }
    close() {}
  };
  Object.defineProperty(document, 'visibilityState', { get: () => 'hidden' });
  Object.defineProperty(document, 'hidden', { get: () => true });
`;

async function addDoorbell(sim: SimDevice, name: string): Promise<string> {
  const answer = await gw.api('POST', '/api/v1/devices', {
    body: { name, host: LOOPBACK, port: sim.port, username: 'admin', password: PASSWORD },
  });
  expect(answer.status, answer.text).toBe(201);
  return answer.json.id;
}

beforeAll(async () => {
  video = await startCameraVideo({ username: 'admin', password: PASSWORD });
  const doorbell = (serialNumber: string, sip: boolean) =>
    startSimDevice({
      profile: 'doorbell',
      password: PASSWORD,
      serialNumber,
      rtspPort: video.rtspPort,
      maxRingTimeMs: 30_000,
      ...(sip ? { sipT1Ms: 100, sipPort: 0 } : {}),
    });
  [sipBell, pollBell] = await Promise.all([
    doorbell('DS-KV6124-E10120260115WRJ00000101', true),
    doorbell('DS-KV6124-E10120260115WRJ00000102', false),
  ]);
  gw = await startTestGateway({
    overrides: {
      media: await mediaPorts(),
      events: { callStatusPollMs: 250 },
      // The call stays up after a door is opened, so Hang up has a call to end.
      devices: { endCallAfterDoorOpenSeconds: 0 },
      doorbell: { sipHost: LOOPBACK, sipT1Ms: 100, stopRingingHangUpMs: 200, registerWaitSeconds: 20 },
    },
  });
  await gw.gateway.media.ready();
  sipBellId = await addDoorbell(sipBell, 'Front door');
  await addDoorbell(pollBell, 'Garden gate');
  const set = await gw.api('PUT', `/api/v1/devices/${sipBellId}/sip`, { body: { mode: 'emulate' } });
  expect(set.status, set.text).toBe(200);
  await eventually(async () => {
    const view = (await gw.api('GET', `/api/v1/devices/${sipBellId}/sip`)).json;
    return view.status.state === 'registered' && view.status.autoConfig?.state === 'done';
  }, 30_000);
  await uiBrowser();
}, 300_000);

afterAll(async () => {
  await closeUiBrowser();
  await gw?.stop();
  await Promise.all([sipBell?.close(), pollBell?.close()]);
  await video?.stop();
});

/** Two signed-in pages on the events screen; the second one "in the background". */
async function twoPages(first: { width: number; height: number }): Promise<[UiPage, UiPage]> {
  const front = await openUi(gw.url, { viewport: first });
  const back = await openUi(gw.url, { viewport: LAPTOP });
  await back.context.addInitScript(BACKGROUND_TAB);
  for (const ui of [front, back]) {
    await signIn(ui);
    await ui.page.goto('/#/events');
    await ui.page.getByRole('heading', { name: 'Events', exact: true }).waitFor();
  }
  return [front, back];
}

const callScreen = (page: Page, name: string) => page.getByRole('dialog', { name: `${name} is ringing` });
const talkSessions = async () => (await gw.api('GET', '/api/v1/talk')).json as { state: string }[];

/** Clicks the button three times in one go: only the first may send anything. */
async function clickThrice(page: Page, label: string): Promise<void> {
  await page.evaluate(
    `(() => { const button = [...document.querySelectorAll('.call-card button')].find((b) => b.textContent === ${JSON.stringify(label)}); button.click(); button.click(); button.click(); })()`,
  );
}

describe('the call screen', () => {
  it('rings over SIP in two pages, answers with the microphone, opens a door once, hangs up', async () => {
    const [front, back] = await twoPages(LAPTOP);
    const pressed = sipBell.press(1);
    expect(pressed.calling, JSON.stringify(pressed)).toBe(true);
    await callScreen(front.page, 'Front door').waitFor({ timeout: 10_000 });
    await callScreen(back.page, 'Front door').waitFor({ timeout: 10_000 });
    // The background tab was told by a notification.
    await expect
      .poll(() => back.page.evaluate('window.__notifications.map((n) => n.title)'))
      .toEqual(['Front door is ringing']);
    // The caller's live video plays (main stream, real frames).
    await waitForFrames(front.page, '.call-card video', 5, 30_000);
    await front.assertAccessible();
    await front.screenshot('call');

    await front.page.getByRole('button', { name: 'Answer' }).click();
    await front.page.getByRole('heading', { name: 'In a call with Front door' }).waitFor();
    // The other page closes and says why.
    await callScreen(back.page, 'Front door').waitFor({ state: 'hidden' });
    await back.page
      .getByRole('status')
      .filter({ hasText: 'Front door: picked up on another screen' })
      .waitFor();
    // The microphone reaches the doorbell as RTP inside the SIP call.
    await front.page.getByText('Microphone on: the visitor hears you.').waitFor({ timeout: 20_000 });
    await front.assertAccessible();
    await expect
      .poll(() => sipBell.sipState?.call?.rtpPacketsReceived ?? 0, { timeout: 20_000 })
      .toBeGreaterThan(50);
    expect(sipBell.sipState?.call?.state).toBe('connected');

    const opensBefore = sipBell.doorCommands.length;
    await clickThrice(front.page, 'Open door 1');
    await front.page.getByText(/Opened at/).waitFor();
    expect(sipBell.doorCommands.slice(opensBefore)).toEqual([
      expect.objectContaining({ door: 1, cmd: 'open' }),
    ]);

    await front.page.getByRole('button', { name: 'Hang up' }).click();
    await front.page.getByRole('status').filter({ hasText: 'Front door: you hung up.' }).waitFor();
    await eventually(async () => !sipBell.sipState?.call, 10_000);
    expect(sipBell.sipState?.lastCall?.reason).toBe('hungUpByPeer');
    await eventually(async () => (await talkSessions()).every((session) => session.state === 'ended'));
    expect(sipBell.doorCommands.length).toBe(opensBefore + 1);
    front.assertQuiet();
    back.assertQuiet();
    await Promise.all([front.close(), back.close()]);
  }, 90_000);

  it('rings by polling at a phone’s width: answers with ISAPI two-way audio, stops a ring', async () => {
    const [phone, other] = await twoPages(PHONE);
    pollBell.ring();
    await callScreen(phone.page, 'Garden gate').waitFor({ timeout: 10_000 });
    await callScreen(other.page, 'Garden gate').waitFor({ timeout: 10_000 });
    await waitForFrames(phone.page, '.call-card video', 5, 30_000);
    expect(await phone.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      PHONE.width,
    );
    await phone.assertAccessible();
    await phone.screenshot('call');

    const audioBefore = pollBell.audioReceived().length;
    await phone.page.getByRole('button', { name: 'Answer' }).click();
    await phone.page.getByRole('heading', { name: 'In a call with Garden gate' }).waitFor();
    expect(pollBell.callStatus).toBe('onCall');
    await other.page
      .getByRole('status')
      .filter({ hasText: 'Garden gate: picked up on another screen' })
      .waitFor();
    await phone.page.getByText('Microphone on: the visitor hears you.').waitFor({ timeout: 20_000 });
    // 8 kHz G.711: a second of the fake microphone is 8,000 bytes.
    await expect
      .poll(() => pollBell.audioReceived().length - audioBefore, { timeout: 20_000 })
      .toBeGreaterThan(8000);

    const opensBefore = pollBell.doorCommands.length;
    await clickThrice(phone.page, 'Open door 1');
    await phone.page.getByText(/Opened at/).waitFor();
    expect(pollBell.doorCommands.length).toBe(opensBefore + 1);

    await phone.page.getByRole('button', { name: 'Hang up' }).click();
    await phone.page.getByRole('status').filter({ hasText: 'Garden gate: you hung up.' }).waitFor();
    await eventually(async () => pollBell.callStatus === 'idle');
    await eventually(async () => (await talkSessions()).every((session) => session.state === 'ended'));

    // A second ring: Escape hides it in one page only; stopped from the phone, the other page
    // still learns how it ended.
    pollBell.ring();
    await callScreen(phone.page, 'Garden gate').waitFor({ timeout: 10_000 });
    await callScreen(other.page, 'Garden gate').waitFor({ timeout: 10_000 });
    await other.page.keyboard.press('Escape');
    await callScreen(other.page, 'Garden gate').waitFor({ state: 'hidden' });
    await phone.page.getByRole('button', { name: 'Stop ringing' }).click();
    await phone.page
      .getByRole('status')
      .filter({ hasText: 'Garden gate: you stopped the ringing.' })
      .waitFor();
    await other.page
      .getByRole('status')
      .filter({ hasText: /Garden gate: (picked up on another screen|the ringing stopped)/ })
      .last()
      .waitFor({ timeout: 10_000 });
    await eventually(async () => pollBell.callStatus === 'idle');
    expect(pollBell.doorCommands.length).toBe(opensBefore + 1);
    phone.assertQuiet();
    other.assertQuiet();
    await Promise.all([phone.close(), other.close()]);
  }, 90_000);
});
