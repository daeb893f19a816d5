/**
 * Two-way audio through the HTTP API, end to end: an uploaded 1 kHz tone and a browser
 * microphone (headless Chromium publishing a 1 kHz tone over WHIP into the gateway's MediaMTX)
 * both arrive at the simulated camera as G.711 that decodes back to 1 kHz, and the device
 * session is closed afterwards.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimDevice } from '../../sim/index.ts';
import type { SimDevice } from '../../sim/types.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { launchChromium } from '../support/browser.ts';
import { mediaPorts, until } from '../support/mediamtx.ts';
import { audioRequests, decodeG711, dominantFrequency, rms, tone } from './support.ts';

const PASSWORD = 'Talk-Pass-1';
let gw: TestGateway;
let camera: SimDevice;
let nvr: SimDevice;
let cameraChannel: string;
let nvrChannel: string;

async function addDevice(sim: SimDevice, name: string): Promise<string> {
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name, host: '127.0.0.1', port: sim.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status).toBe(201);
  const channels = await gw.api('GET', '/api/v1/channels');
  return channels.json.find((channel: { deviceId: string }) => channel.deviceId === added.json.id).id;
}

beforeAll(async () => {
  camera = await startSimDevice({
    profile: 'camera',
    password: PASSWORD,
    heartbeatMs: 0,
    onvifBackchannel: true,
  });
  nvr = await startSimDevice({ profile: 'nvr:2', password: PASSWORD, heartbeatMs: 0 });
  gw = await startTestGateway({ overrides: { media: await mediaPorts() } });
  await gw.gateway.media.ready();
  cameraChannel = await addDevice(camera, 'Porch');
  nvrChannel = await addDevice(nvr, 'Recorder');
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await camera?.close();
  await nvr?.close();
});

describe('talk API', () => {
  it('plays an uploaded WAV as G.711 at 1 kHz and closes the device session', async () => {
    const before = camera.audioReceived().length;
    const answer = await fetch(`${gw.url}/api/v1/channels/${cameraChannel}/talk/audio`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.token}`, 'content-type': 'audio/wav' },
      body: await tone(2),
      signal: AbortSignal.timeout(20_000),
    });
    expect(answer.status).toBe(200);
    const ended = (await answer.json()) as { durationMs: number };
    expect(ended).toMatchObject({ reason: 'input-ended', error: null });
    expect(ended.durationMs).toBeGreaterThan(1800);
    const received = camera.audioReceived().subarray(before);
    // 2 s of 8 kHz G.711 is 16,000 bytes.
    expect(received.length).toBeGreaterThan(14_000);
    expect(received.length).toBeLessThan(20_000);
    const samples = await decodeG711(received, 'mulaw');
    expect(Math.abs(dominantFrequency(samples.subarray(4000)) - 1000)).toBeLessThanOrEqual(20);
    expect(audioRequests(camera).at(-1)).toMatch(/^PUT close 200$/);
  });

  it('plays an upload over the ONVIF RTSP backchannel when asked, and tears the session down', async () => {
    const before = camera.backchannelAudio().length;
    const answer = await fetch(`${gw.url}/api/v1/channels/${cameraChannel}/talk/audio?method=onvif`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.token}`, 'content-type': 'audio/wav' },
      body: await tone(2),
      signal: AbortSignal.timeout(20_000),
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ reason: 'input-ended', error: null });
    const received = camera.backchannelAudio().subarray(before);
    expect(received.length).toBeGreaterThan(14_000);
    const samples = await decodeG711(received, 'mulaw');
    expect(Math.abs(dominantFrequency(samples.subarray(4000)) - 1000)).toBeLessThanOrEqual(20);
    expect(camera.rtspRequests.map((request) => request.method)).toContain('TEARDOWN');
  });

  it('refuses a channel behind an NVR before touching any device', async () => {
    // Health checks and the event stream reach the NVR on their own schedule: count only talk.
    const talkRequests = () => nvr.requests.filter((request) => /twowayaudio/i.test(request.path)).length;
    const before = talkRequests();
    const answer = await gw.api('POST', `/api/v1/channels/${nvrChannel}/talk`, {
      body: { source: 'browser' },
    });
    expect(answer.status).toBe(409);
    expect(answer.json.error.message).toMatch(/recorder.*two-way audio/i);
    expect(talkRequests()).toBe(before);
  });

  it('refuses a URL source it cannot read, and a malformed request', async () => {
    const bad = await gw.api('POST', `/api/v1/channels/${cameraChannel}/talk`, {
      body: { source: 'url', url: 'file:///etc/passwd' },
    });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    const missing = await gw.api('POST', `/api/v1/channels/${cameraChannel}/talk`, {
      body: { source: 'url' },
    });
    expect(missing.status).toBe(400);
  });

  it('talks from a browser microphone published over WHIP, until the session is stopped', async () => {
    // Chromium's fake microphone plays this file.
    const wav = join(gw.dataDir, 'tone.wav');
    writeFileSync(wav, await tone(30));
    const started = await gw.api('POST', `/api/v1/channels/${cameraChannel}/talk`, {
      body: { source: 'browser' },
    });
    expect(started.status).toBe(201);
    expect(started.json).toMatchObject({ state: 'waiting', source: 'browser', codec: 'mulaw' });
    const whipUrl: string = started.json.whipUrl;
    expect(whipUrl).toMatch(/\/talk\/[0-9a-f-]+\/whip\?token=/);

    const before = camera.audioReceived().length;
    const browser = await launchChromium([`--use-file-for-fake-audio-capture=${wav}`]);
    try {
      const page = await browser.newPage();
      // Any page of the MediaMTX origin: a loopback origin may use the microphone.
      await page.goto(new URL('/', whipUrl).toString()).catch(() => undefined);
      const status = await page.evaluate(
        `(async (url) => {
          const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
          const pc = new RTCPeerConnection();
          for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
          await pc.setLocalDescription(await pc.createOffer());
          await new Promise((resolve) => {
            if (pc.iceGatheringState === 'complete') return resolve();
            pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
            setTimeout(resolve, 2000);
          });
          const answer = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/sdp' },
            body: pc.localDescription.sdp,
          });
          if (answer.status !== 201) return answer.status;
          await pc.setRemoteDescription({ type: 'answer', sdp: await answer.text() });
          window.pc = pc;
          return answer.status;
        })(${JSON.stringify(whipUrl)})`,
      );
      expect(status).toBe(201);
      await until(
        () => camera.audioReceived().length - before > 16_000,
        30_000,
        () => `no audio reached the camera; gateway log tail: ${gw.logs().slice(-2000)}`,
      );
      const listed = await gw.api('GET', '/api/v1/talk');
      expect(listed.json).toEqual([expect.objectContaining({ id: started.json.id, state: 'talking' })]);
      const stopped = await gw.api('DELETE', `/api/v1/talk/${started.json.id}`);
      expect(stopped.status).toBe(204);
    } finally {
      await browser.close();
    }
    const received = camera.audioReceived().subarray(before);
    const samples = await decodeG711(received, 'mulaw');
    // Skip the first half second (Opus warm-up); the rest is the tone.
    const steady = samples.subarray(4000, 12_000);
    // Chromium's capture path lowers the level; silence would be near 0.
    expect(rms(steady)).toBeGreaterThan(300);
    expect(Math.abs(dominantFrequency(steady) - 1000)).toBeLessThanOrEqual(20);
    await until(
      () => audioRequests(camera).at(-1) === 'PUT close 200',
      5000,
      () => 'device session not closed',
    );
    const after = await gw.api('GET', '/api/v1/talk');
    expect(after.json.every((session: { state: string }) => session.state === 'ended')).toBe(true);
  }, 90_000);
});
