/**
 * The live wall in a real browser against real video: a simulated camera (RTSP from ffmpeg via
 * its own MediaMTX), a gateway supervising MediaMTX, and Chromium playing the tiles over WHEP.
 * The test reads decoded-frame counts from the video elements. A second camera reports an H.265
 * main stream: its opened view says so, plays the sub stream, and can try the main one anyway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveProfile, startSimDevice } from '../../sim/index.ts';
import type { SimDevice, SimProfile } from '../../sim/types.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { type CameraVideo, mediaPorts, startCameraVideo, until } from '../support/mediamtx.ts';
import { closeUiBrowser, LAPTOP, openUi, PHONE, signIn, uiBrowser, waitForFrames } from './harness.ts';

const PASSWORD = 'Cam-Pass-1';
let video: CameraVideo;
let sims: SimDevice[] = [];
let gw: TestGateway;
const channelIds: Record<string, string> = {};

/** The built-in camera with its main stream reported in `codec` (the video itself is H.264). */
function cameraWithMain(codec: 'H.264' | 'H.265'): SimProfile {
  const profile = structuredClone(resolveProfile('camera'));
  const main = (
    profile.isapi['Streaming/channels/101'] as { response: Record<string, Record<string, unknown>> }
  ).response.StreamingChannel!.Video as Record<string, string>;
  main.videoCodecType = codec;
  return profile;
}

async function addCamera(name: string, sim: SimDevice): Promise<string> {
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name, host: '127.0.0.1', port: sim.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  const channels = await gw.api('GET', `/api/v1/devices/${added.json.id}/channels`);
  return channels.json[0].id;
}

beforeAll(async () => {
  video = await startCameraVideo({ username: 'admin', password: PASSWORD });
  const common = { username: 'admin', password: PASSWORD, rtspPort: video.rtspPort };
  sims = [
    await startSimDevice({
      profile: cameraWithMain('H.264'),
      serialNumber: 'DS-2CD2386G2-IU00000000AAWRJ00000001',
      ...common,
    }),
    await startSimDevice({
      profile: cameraWithMain('H.265'),
      serialNumber: 'DS-2CD2386G2-IU00000000AAWRJ00000002',
      ...common,
    }),
    // Added through the form by the last test.
    await startSimDevice({
      profile: cameraWithMain('H.264'),
      serialNumber: 'DS-2CD2386G2-IU00000000AAWRJ00000003',
      ...common,
    }),
  ];
  gw = await startTestGateway({ overrides: { media: { ...(await mediaPorts()) } } });
  await gw.gateway.media.ready();
  channelIds.front = await addCamera('Front', sims[0]!);
  channelIds.garden = await addCamera('Garden', sims[1]!);
  await until(
    async () => (await gw.gateway.media.mediamtxApi.listPathConfigs()).length === 4,
    15_000,
    () => 'paths not in MediaMTX',
  );
  await uiBrowser();
}, 300_000);

afterAll(async () => {
  await closeUiBrowser();
  await gw?.stop();
  for (const sim of sims) await sim.close();
  await video?.stop();
});

describe.each([
  ['laptop', LAPTOP],
  ['phone', PHONE],
])('the live wall at %s width', (name, viewport) => {
  it('plays every camera tile over WebRTC and reports the time to the first frame', async () => {
    const ui = await openUi(gw.url, { viewport });
    const { page } = ui;
    await signIn(ui);
    const front = `[data-channel="${channelIds.front}"] video`;
    const garden = `[data-channel="${channelIds.garden}"] video`;
    await waitForFrames(page, front, 10);
    await waitForFrames(page, garden, 10);
    // Both tiles show the sub stream, live over WebRTC.
    expect(await page.locator(front).getAttribute('data-stream')).toBe('sub');
    await expect
      .poll(() => page.locator(`[data-channel="${channelIds.front}"] .badge`).textContent())
      .toBe('live · webrtc');
    const timings = await page.evaluate<{ name: string; ms: number }[]>(
      "performance.getEntriesByType('measure').map((m) => ({ name: m.name, ms: Math.round(m.duration) }))",
    );
    expect(timings.some((t) => t.name.startsWith('first-frame'))).toBe(true);
    // What the UI adds on top of MediaMTX, reported (docs/benchmarks.md#ui): not a pass/fail bound.
    process.stdout.write(`[ui wall ${name}] ${JSON.stringify(timings)}\n`);
    await ui.assertAccessible();
    await ui.screenshot('wall');
    if (name === 'laptop') {
      // Keep a tile warm: the gateway says so, and the button shows what it answered.
      const keepWarm = page
        .locator(`[data-channel="${channelIds.front}"]`)
        .getByRole('button', { name: /warm/ });
      expect(await keepWarm.getAttribute('aria-pressed')).toBe('false');
      await keepWarm.click();
      await expect.poll(() => keepWarm.getAttribute('aria-pressed')).toBe('true');
      expect((await gw.api('GET', `/api/v1/channels/${channelIds.front}`)).json.keepWarm).toBe(true);
      await keepWarm.click();
      await expect.poll(() => keepWarm.getAttribute('aria-pressed')).toBe('false');
    }
    ui.assertQuiet();
    await ui.close();
  }, 90_000);
});

it('opens a tile on its main stream, and explains an H.265 main stream while showing the sub one', async () => {
  const ui = await openUi(gw.url);
  const { page } = ui;
  await signIn(ui);
  await page.locator(`[data-channel="${channelIds.front}"] .tile-title`).click();
  await page.getByRole('heading', { name: 'Front' }).waitFor();
  await waitForFrames(page, '.opened video', 10);
  expect(await page.locator('.opened video').getAttribute('data-stream')).toBe('main');

  await page.goto(`/#/live/${channelIds.garden}`);
  await page
    .getByText('The main stream is H.265, which browsers may not play; showing the sub stream.')
    .waitFor();
  await waitForFrames(page, '.opened video', 10);
  expect(await page.locator('.opened video').getAttribute('data-stream')).toBe('sub');
  await page.getByRole('button', { name: 'Try the main stream anyway' }).click();
  await expect.poll(() => page.locator('.opened video').getAttribute('data-stream')).toBe('main');
  await waitForFrames(page, '.opened video', 10);
  ui.assertQuiet();
  await ui.close();
}, 90_000);

it('adds a camera through the form with the doctor shown, and its tile plays real frames', async () => {
  const ui = await openUi(gw.url);
  const { page } = ui;
  await signIn(ui);
  await page.goto('/#/devices/add');
  await page.getByRole('heading', { name: 'Add a device' }).waitFor();
  await page.getByLabel('Host (IP address or name)').fill('127.0.0.1');
  await page.getByLabel('Port', { exact: true }).fill(String(sims[2]!.port));
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Name', { exact: true }).fill('Driveway');
  await page.getByRole('button', { name: 'Check the device' }).click();
  // The doctor's findings are shown before saving (what they say is devices.test.ts's business).
  await page.getByRole('heading', { name: 'What the doctor found' }).waitFor();
  await page
    .getByText(/\d+ passed/)
    .first()
    .waitFor();
  await page.getByRole('button', { name: 'Save the device' }).click();
  await page.getByRole('heading', { name: /is added/ }).waitFor();

  await page.goto('/#/live');
  const tile = page.locator('article.tile', { hasText: 'Driveway' });
  await tile.waitFor();
  const id = await tile.getAttribute('data-channel');
  await waitForFrames(page, `[data-channel="${id}"] video`, 10);
  ui.assertQuiet();
  await ui.close();
}, 90_000);

it('falls back to HLS when WebRTC cannot start, and still plays', async () => {
  // hls.js logs its own recoverable warnings while it finds the live edge; they are not ours.
  const ui = await openUi(gw.url, { ignore: [/\[hls\]|hls\.js/i] });
  const { page } = ui;
  // MediaMTX refuses every WHEP offer (as a proxy without WebRTC would): the player must use HLS.
  await page.route('**/whep**', (route) => route.fulfill({ status: 503, body: 'no WebRTC here' }));
  await signIn(ui);
  const front = `[data-channel="${channelIds.front}"]`;
  await waitForFrames(page, `${front} video`, 10, 60_000);
  await expect.poll(() => page.locator(`${front} .badge`).textContent()).toBe('live · hls');
  // The refused WHEP answer is the only console line allowed (the browser logs failed requests).
  expect(ui.problems.filter((p) => !/503/.test(p))).toEqual([]);
  await ui.close();
}, 90_000);
