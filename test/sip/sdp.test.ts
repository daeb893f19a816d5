/**
 * SDP offer/answer for G.711: the doorbell's offer (audio PCMU/PCMA/telephone-event sendrecv,
 * video H264 recvonly) answered as RFC 3264 asks, offers we cannot take refused with 488, and
 * the offer/answer of calls we place.
 */
import { describe, expect, it } from 'vitest';
import {
  answerAudio,
  offerAudio,
  parseMessage,
  parseSdp,
  readAudioAnswer,
  SdpError,
} from '../../src/protocols/sip/index.ts';
import { DOORBELL_INVITE, DOORBELL_SDP } from './codec-fixtures.ts';

const US = { address: '192.168.0.114', port: 40000 };

function sdpOf(lines: string[]): string {
  return `${lines.join('\r\n')}\r\n`;
}

function sdpFailure(run: () => unknown): SdpError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SdpError);
    return error as SdpError;
  }
  throw new Error('no SdpError');
}

describe('the doorbell offer', () => {
  it('parses into media sections with address, port, payload types, rtpmaps and direction', () => {
    const offer = parseSdp(parseMessage(Buffer.from(DOORBELL_INVITE)).body);
    expect(offer.origin).toMatchObject({ sessionId: '1804739393', address: '192.168.0.140' });
    expect(offer.connection).toEqual({ addressType: 'IP4', address: '192.168.0.140' });
    const [audio, video] = offer.media;
    expect(audio).toMatchObject({
      type: 'audio',
      port: 15060,
      protocol: 'RTP/AVP',
      formats: ['0', '8', '101'],
      direction: 'sendrecv',
      connection: { address: '192.168.0.140' },
    });
    expect(Object.fromEntries(audio!.rtpmaps)).toEqual({
      '0': { encoding: 'PCMU', clockRate: 8000, channels: null },
      '8': { encoding: 'PCMA', clockRate: 8000, channels: null },
      '101': { encoding: 'telephone-event', clockRate: 8000, channels: null },
    });
    expect(audio!.fmtps.get('101')).toBe('0-15');
    expect(video).toMatchObject({ type: 'video', port: 15062, formats: ['96'], direction: 'recvonly' });
    expect(video!.fmtps.get('96')).toBe('profile-level-id=42801F');
  });

  it('answers PCMU with telephone-event, rejects the video with port 0, same m-lines in order', () => {
    const answer = answerAudio(DOORBELL_SDP, { ...US, codec: 'PCMU', sessionId: '42' });
    expect(answer.sdp).toBe(
      sdpOf([
        'v=0',
        'o=hikbridge 42 42 IN IP4 192.168.0.114',
        's=hikbridge',
        'c=IN IP4 192.168.0.114',
        't=0 0',
        'm=audio 40000 RTP/AVP 0 101',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-15',
        'a=ptime:20',
        'a=sendrecv',
        'm=video 0 RTP/AVP 96',
      ]),
    );
    expect(answer).toMatchObject({
      codec: 'PCMU',
      payloadType: 0,
      telephoneEvent: 101,
      direction: 'sendrecv',
      remoteRtp: { address: '192.168.0.140', port: 15060, payloadType: 0 },
    });
    // The answer is itself valid SDP with the offer's number and order of streams.
    const parsed = parseSdp(answer.sdp);
    expect(parsed.media.map((m) => [m.type, m.port])).toEqual([
      ['audio', 40000],
      ['video', 0],
    ]);
  });

  it('answers PCMA when asked, and follows a preference list', () => {
    expect(answerAudio(DOORBELL_SDP, { ...US, codec: 'PCMA' })).toMatchObject({
      codec: 'PCMA',
      payloadType: 8,
    });
    expect(answerAudio(DOORBELL_SDP, { ...US, codec: ['PCMA', 'PCMU'] }).codec).toBe('PCMA');
    const onlyPcmu = DOORBELL_SDP.replace('RTP/AVP 0 8 101', 'RTP/AVP 0 101');
    expect(answerAudio(onlyPcmu, { ...US, codec: ['PCMA', 'PCMU'] }).codec).toBe('PCMU');
  });

  it('a new session version when asked, for a re-answer', () => {
    const answer = answerAudio(DOORBELL_SDP, { ...US, codec: 'PCMU', sessionId: '7', sessionVersion: '8' });
    expect(answer.sdp).toContain('o=hikbridge 7 8 IN IP4');
    expect(() => answerAudio(DOORBELL_SDP, { ...US, codec: 'PCMU', sessionId: 'x y' })).toThrow(TypeError);
  });
});

describe('other offers', () => {
  const base = ['v=0', 'o=- 1 1 IN IP4 10.0.0.9', 's=-', 'c=IN IP4 10.0.0.9', 't=0 0'];

  it('no acceptable codec: a clear 488', () => {
    const offer = sdpOf([
      ...base,
      'm=audio 5004 RTP/AVP 9 96',
      'a=rtpmap:9 G722/8000',
      'a=rtpmap:96 opus/48000/2',
    ]);
    const error = sdpFailure(() => answerAudio(offer, { ...US, codec: 'PCMU' }));
    expect(error).toMatchObject({ code: 'not-acceptable', status: 488 });
    expect(error.message).toBe('no acceptable audio: offered G722/8000, opus/48000/2; we accept PCMU');
  });

  it('PCMA offered but PCMU asked is refused (no silent switch of codec)', () => {
    const offer = sdpOf([...base, 'm=audio 5004 RTP/AVP 8']);
    expect(sdpFailure(() => answerAudio(offer, { ...US, codec: 'PCMU' })).message).toBe(
      'no acceptable audio: offered PCMA/8000; we accept PCMU',
    );
  });

  it('video only, a disabled audio stream, or audio over SRTP: 488', () => {
    for (const media of [
      ['m=video 5006 RTP/AVP 96', 'a=rtpmap:96 H264/90000'],
      ['m=audio 0 RTP/AVP 0'],
      ['m=audio 5004 RTP/SAVP 0'],
    ]) {
      expect(sdpFailure(() => answerAudio(sdpOf([...base, ...media]), { ...US, codec: 'PCMU' })).status).toBe(
        488,
      );
    }
  });

  it('static payload types without rtpmap, a dynamic one with, stereo and 16 kHz refused', () => {
    const offer = sdpOf([
      ...base,
      'm=audio 5004 RTP/AVP 97 98 0',
      'a=rtpmap:97 PCMU/8000/2',
      'a=rtpmap:98 PCMU/16000',
    ]);
    expect(answerAudio(offer, { ...US, codec: 'PCMU' }).payloadType).toBe(0);
    const dynamic = sdpOf([...base, 'm=audio 5004 RTP/AVP 99', 'a=rtpmap:99 pcmu/8000']);
    const answer = answerAudio(dynamic, { ...US, codec: 'PCMU' });
    expect(answer.payloadType).toBe(99);
    expect(answer.sdp).toContain('m=audio 40000 RTP/AVP 99\r\na=rtpmap:99 PCMU/8000');
  });

  it('takes the first usable audio stream, rejects the others, keeps their protocol and formats', () => {
    const offer = sdpOf([
      ...base,
      'm=audio 0 RTP/AVP 0',
      'm=audio 6000 RTP/AVP 8',
      'c=IN IP4 10.0.0.50',
      'm=audio 7000 RTP/AVP 0',
      'm=application 9 TCP/BFCP *',
    ]);
    const answer = answerAudio(offer, { ...US, codec: ['PCMU', 'PCMA'] });
    expect(answer.remoteRtp).toEqual({ address: '10.0.0.50', port: 6000, payloadType: 8 });
    expect(answer.telephoneEvent).toBeNull();
    const lines = answer.sdp.split('\r\n').filter((l) => l.startsWith('m='));
    expect(lines).toEqual([
      'm=audio 0 RTP/AVP 0',
      'm=audio 40000 RTP/AVP 8',
      'm=audio 0 RTP/AVP 0',
      'm=application 0 TCP/BFCP *',
    ]);
    expect(answer.sdp).not.toContain('a=fmtp');
  });

  it('directions (RFC 3264 §6.1), media level over session level', () => {
    const offer = (direction: string) => sdpOf([...base, `a=${direction}`, 'm=audio 5004 RTP/AVP 0']);
    expect(answerAudio(offer('sendrecv'), { ...US, codec: 'PCMU' }).direction).toBe('sendrecv');
    expect(answerAudio(offer('recvonly'), { ...US, codec: 'PCMU' }).direction).toBe('sendonly');
    expect(answerAudio(offer('sendonly'), { ...US, codec: 'PCMU' }).direction).toBe('recvonly');
    expect(answerAudio(offer('inactive'), { ...US, codec: 'PCMU' }).direction).toBe('inactive');
    expect(answerAudio(offer('sendrecv'), { ...US, codec: 'PCMU', direction: 'sendonly' }).direction).toBe(
      'sendonly',
    );
    expect(answerAudio(offer('sendonly'), { ...US, codec: 'PCMU', direction: 'sendonly' }).direction).toBe(
      'inactive',
    );
    const mediaLevel = sdpOf([...base, 'a=sendonly', 'm=audio 5004 RTP/AVP 0', 'a=sendrecv']);
    expect(answerAudio(mediaLevel, { ...US, codec: 'PCMU' }).direction).toBe('sendrecv');
  });

  it('IPv6 on both sides', () => {
    const offer = sdpOf([
      'v=0',
      'o=- 1 1 IN IP6 2001:db8::9',
      's=-',
      'c=IN IP6 2001:db8::9',
      't=0 0',
      'm=audio 5004 RTP/AVP 0',
    ]);
    const answer = answerAudio(offer, { address: '2001:db8::1', port: 4000, codec: 'PCMU' });
    expect(answer.remoteRtp.address).toBe('2001:db8::9');
    expect(answer.sdp).toContain('c=IN IP6 2001:db8::1');
  });

  it('an audio stream without any connection address is malformed', () => {
    const offer = sdpOf(['v=0', 'o=- 1 1 IN IP4 10.0.0.9', 's=-', 't=0 0', 'm=audio 5004 RTP/AVP 0']);
    expect(sdpFailure(() => answerAudio(offer, { ...US, codec: 'PCMU' }))).toMatchObject({
      code: 'malformed',
      status: 400,
    });
  });

  it('malformed SDP', () => {
    for (const text of [
      '',
      'hello',
      'v=1\r\no=- 1 1 IN IP4 h\r\n',
      'v=0\r\ns=no origin\r\n',
      'v=0\r\no=- 1 1 IN IP4 h\r\nm=audio port RTP/AVP 0\r\n',
      'v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 5004 RTP/AVP\r\n',
      'v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 70000 RTP/AVP 0\r\n',
      'v=0\r\no=- 1 1 IN IP4 h\r\nc=IN IP9 h\r\n',
      'v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:x PCMU\r\n',
      'v=0\r\no=- 1 1 IN IP4 h\r\nnot a line\r\n',
      'v=0\r\no=- 1 1 IN IP4 h\r\ns=a\u0001b\r\n',
      `v=0\r\no=- 1 1 IN IP4 h\r\n${'m=audio 1 RTP/AVP 0\r\n'.repeat(33)}`,
    ]) {
      expect(sdpFailure(() => parseSdp(text)).code, JSON.stringify(text)).toBe('malformed');
    }
  });

  it('refuses a local address that is not an IP, or a bad port', () => {
    expect(() => answerAudio(DOORBELL_SDP, { address: 'host.lan', port: 4000, codec: 'PCMU' })).toThrow(
      TypeError,
    );
    expect(() => answerAudio(DOORBELL_SDP, { address: '10.0.0.1', port: 0, codec: 'PCMU' })).toThrow(
      TypeError,
    );
  });
});

describe('calls we place', () => {
  it('offers G.711 and telephone-event, and reads the answer', () => {
    const offer = offerAudio({ ...US, sessionId: '5' });
    expect(offer).toBe(
      sdpOf([
        'v=0',
        'o=hikbridge 5 5 IN IP4 192.168.0.114',
        's=hikbridge',
        'c=IN IP4 192.168.0.114',
        't=0 0',
        'm=audio 40000 RTP/AVP 0 8 101',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-15',
        'a=ptime:20',
        'a=sendrecv',
      ]),
    );
    // A doorbell answering our offer the way we answer its own.
    const answer = answerAudio(offer, { address: '192.168.0.140', port: 15060, codec: 'PCMA' });
    expect(readAudioAnswer(answer.sdp)).toEqual({
      codec: 'PCMA',
      payloadType: 8,
      telephoneEvent: 101,
      direction: 'sendrecv',
      remoteRtp: { address: '192.168.0.140', port: 15060, payloadType: 8 },
    });
  });

  it('PCMA only, without telephone-event', () => {
    const offer = offerAudio({ ...US, codecs: ['PCMA'], telephoneEvent: false, direction: 'sendonly' });
    expect(offer).toContain('m=audio 40000 RTP/AVP 8\r\n');
    expect(offer).not.toContain('telephone-event');
    expect(offer).toContain('a=sendonly');
    expect(() => offerAudio({ ...US, codecs: [] })).toThrow(TypeError);
    expect(() => offerAudio({ ...US, telephoneEvent: 8 })).toThrow(TypeError);
  });

  it('an answer that rejected the audio is a 488-style error', () => {
    const rejected = sdpOf([
      'v=0',
      'o=- 1 1 IN IP4 10.0.0.9',
      's=-',
      'c=IN IP4 10.0.0.9',
      't=0 0',
      'm=audio 0 RTP/AVP 0',
    ]);
    expect(sdpFailure(() => readAudioAnswer(rejected))).toMatchObject({ code: 'not-acceptable' });
    const pcmuOnly = sdpOf([
      'v=0',
      'o=- 1 1 IN IP4 10.0.0.9',
      's=-',
      'c=IN IP4 10.0.0.9',
      't=0 0',
      'm=audio 9 RTP/AVP 0',
    ]);
    expect(sdpFailure(() => readAudioAnswer(pcmuOnly, ['PCMA'])).code).toBe('not-acceptable');
  });
});
