/**
 * Two-way audio end to end: the talk module, real ffmpeg and the simulated device. What the
 * device received is decoded back with ffmpeg and must still be the tone that was sent, at the
 * speed it is spoken.
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors.ts';
import { TalkSessionActiveError } from '../../src/modules/talk/index.ts';
import {
  audioRequests,
  decodeG711,
  dominantFrequency,
  ffmpegChildren,
  harness,
  rms,
  serveFile,
  tone,
  waitFor,
  watchArrivals,
} from './support.ts';

describe('talk: audio reaches the device as G.711, in real time', () => {
  it('a 1 kHz tone uploaded as WAV arrives as µ-law that decodes to 1 kHz, paced, then the session is closed', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera' });
    const wav = await tone(2);
    const arrivals = watchArrivals(sim);
    const startedAt = performance.now();
    const started = await h.talk.startSession({ deviceId, source: { stream: Readable.from([wav]) } });
    expect(started).toMatchObject({ deviceId, audioChannel: 1, codec: 'mulaw', state: 'talking' });
    expect(h.talk.listSessions().map((s) => s.sessionId)).toEqual([started.sessionId]);

    const ended = await started.ended;
    const elapsed = performance.now() - startedAt;
    arrivals.stop();
    expect(ended).toMatchObject({ sessionId: started.sessionId, reason: 'input-ended', error: null });

    const received = sim.audioReceived(1);
    // 2 s of 8 kHz G.711 is 16000 bytes; the last frame is padded to 160.
    expect(received.length).toBeGreaterThanOrEqual(15_840);
    expect(received.length).toBeLessThanOrEqual(16_160);
    expect(ended.bytesSent).toBe(received.length);
    const samples = await decodeG711(received, 'mulaw');
    expect(Math.abs(dominantFrequency(samples.subarray(2000)) - 1000)).toBeLessThanOrEqual(20);
    expect(rms(samples)).toBeGreaterThan(1000);

    // Real time: 2 s of audio takes about 2 s to arrive, spread out, not as one burst.
    expect(elapsed).toBeGreaterThan(1900);
    expect(elapsed).toBeLessThan(4500);
    const first = arrivals.reached(1)!;
    const half = arrivals.reached(8000)!;
    const all = arrivals.reached(received.length)!;
    expect(all - first).toBeGreaterThan(1800);
    expect(all - first).toBeLessThan(2600);
    expect(half - first).toBeGreaterThan(800);
    expect(half - first).toBeLessThan(1300);

    // close first, open, one upload, close again; nothing left open on the device.
    expect(audioRequests(sim)).toEqual([
      'PUT close 200',
      'PUT open 200',
      'PUT audioData 200',
      'PUT close 200',
    ]);
    expect(sim.requests.find((r) => r.path.endsWith('/audioData') && r.authorized)?.query).toMatch(
      /^sessionId=[0-9a-f]+$/,
    );
    expect(h.talk.listSessions()).toEqual([]);
    expect(h.events.map((e) => e.name)).toEqual(['talk.started', 'talk.ended']);
    expect(ffmpegChildren()).toEqual([]);
  });

  it('a 1 kHz MP3 from a URL arrives as A-law on a device set to G.711alaw', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera', twoWayAudioCodec: 'G.711alaw' });
    const url = await serveFile(await tone(2, { format: 'mp3' }), 'audio/mpeg');
    const startedAt = performance.now();
    const started = await h.talk.startSession({ deviceId, source: { url } });
    expect(started.codec).toBe('alaw');
    const ended = await started.ended;
    expect(ended.reason).toBe('input-ended');
    expect(performance.now() - startedAt).toBeGreaterThan(1900);

    const received = sim.audioReceived(1);
    // MP3 adds encoder padding; about 2 s either way.
    expect(received.length).toBeGreaterThan(15_000);
    expect(received.length).toBeLessThan(17_500);
    const samples = await decodeG711(received, 'alaw');
    expect(Math.abs(dominantFrequency(samples.subarray(2000)) - 1000)).toBeLessThanOrEqual(20);
    // Decoded as µ-law instead, A-law bytes would not be a clean tone of the same level.
    expect(rms(samples)).toBeGreaterThan(1000);
    expect(audioRequests(sim).at(-1)).toBe('PUT close 200');
  });
});

describe('talk: stopping', () => {
  it('stop mid-stream closes the device session and kills ffmpeg at once', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera' });
    // A minute of audio: more than the bounded buffers hold, so ffmpeg is still running (paused).
    const started = await h.talk.startSession({
      deviceId,
      source: { stream: Readable.from([await tone(60)]) },
    });
    await waitFor(() => sim.audioReceived(1).length >= 4000);
    expect(ffmpegChildren()).toHaveLength(1);

    const stopAt = performance.now();
    const ended = await h.talk.stopSession(started.sessionId);
    // A minute of audio was queued: stopping takes far less, even on a loaded machine.
    expect(performance.now() - stopAt).toBeLessThan(5000);
    expect(ended.reason).toBe('stopped');
    expect(ffmpegChildren()).toEqual([]);
    expect(audioRequests(sim).at(-1)).toBe('PUT close 200');
    // Stopped after about half a second of audio, not after 10 s.
    expect(sim.audioReceived(1).length).toBeLessThan(24_000);
    await expect(h.talk.stopSession(started.sessionId)).rejects.toThrow(/No talk session/);
  });

  it('ends at the maximum duration', async () => {
    const h = await harness({ maxSessionSeconds: 1 });
    const { sim, deviceId } = await h.addSim({ profile: 'camera' });
    const started = await h.talk.startSession({
      deviceId,
      source: { stream: Readable.from([await tone(10)]) },
    });
    const ended = await started.ended;
    expect(ended.reason).toBe('max-duration');
    expect(ended.durationMs).toBeGreaterThan(900);
    // Ended by the 1 s limit, not by the 10 s source (with room for a loaded machine).
    expect(ended.durationMs).toBeLessThan(5000);
    expect(sim.audioReceived(1).length).toBeLessThan(5 * 8000);
    expect(audioRequests(sim).at(-1)).toBe('PUT close 200');
    expect(ffmpegChildren()).toEqual([]);
  });

  it('the module stopping ends its sessions and closes them on the device', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera' });
    const started = await h.talk.startSession({
      deviceId,
      source: { stream: Readable.from([await tone(10)]) },
    });
    await waitFor(() => sim.audioReceived(1).length > 0);
    await h.talk.stop();
    expect((await started.ended).reason).toBe('shutdown');
    expect(audioRequests(sim).at(-1)).toBe('PUT close 200');
    expect(ffmpegChildren()).toEqual([]);
  });
});

describe('talk: sessions one after another', () => {
  it('leave nothing behind: more sessions than the client has stream slots all work', async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera' });
    const wav = await tone(0.2);
    for (let i = 0; i < 6; i++) {
      const started = await h.talk.startSession({ deviceId, source: { stream: Readable.from([wav]) } });
      expect((await started.ended).reason).toBe('input-ended');
    }
    expect(audioRequests(sim).filter((r) => r === 'PUT audioData 200')).toHaveLength(6);
    expect(ffmpegChildren()).toEqual([]);
  });

  it("the caller's abort signal stops the session (an HTTP client that went away)", async () => {
    const h = await harness();
    const { sim, deviceId } = await h.addSim({ profile: 'camera' });
    const controller = new AbortController();
    const started = await h.talk.startSession({
      deviceId,
      source: { stream: Readable.from([await tone(60)]) },
      signal: controller.signal,
    });
    await waitFor(() => sim.audioReceived(1).length > 0);
    controller.abort();
    expect((await started.ended).reason).toBe('stopped');
    expect(audioRequests(sim).at(-1)).toBe('PUT close 200');
    expect(ffmpegChildren()).toEqual([]);
  });
});

describe('talk: one session per speaker', () => {
  it('a second session on the same speaker is a conflict naming the active one', async () => {
    const h = await harness();
    const { deviceId } = await h.addSim({ profile: 'camera' });
    const first = await h.talk.startSession({
      deviceId,
      source: { stream: Readable.from([await tone(10)]) },
    });
    const second = h.talk.startSession({ deviceId, source: { stream: Readable.from([await tone(1)]) } });
    await expect(second).rejects.toBeInstanceOf(ConflictError);
    await expect(second).rejects.toThrow(first.sessionId);
    expect(h.talk.listSessions()).toHaveLength(1);
    await h.talk.stopSession(first.sessionId);
  });

  it('of two simultaneous requests exactly one wins', async () => {
    const h = await harness();
    const { deviceId } = await h.addSim({ profile: 'camera' });
    const wav = await tone(3);
    const results = await Promise.allSettled([
      h.talk.startSession({ deviceId, source: { stream: Readable.from([wav]) } }),
      h.talk.startSession({ deviceId, source: { stream: Readable.from([wav]) } }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(TalkSessionActiveError);
    await h.talk.stopSession(h.talk.listSessions()[0]!.sessionId);
    expect(ffmpegChildren()).toEqual([]);
  });
});
