/**
 * The doorbell's SDP: the offer shaped like the captured one (notes/sip-doorbell.md: audio PCMU,
 * PCMA, telephone-event sendrecv; video H264 profile-level-id=42801F recvonly), and where the
 * answer wants audio sent.
 */
import { deviceNumber } from './message.ts';

export interface SdpOfferInput {
  user: string;
  /** The address RTP is received on (the doorbell's own). */
  host: string;
  audioPort: number;
  videoPort: number;
}

export function doorbellOffer(input: SdpOfferInput): Buffer {
  const family = input.host.includes(':') ? 'IP6' : 'IP4';
  const session = deviceNumber();
  const lines = [
    'v=0',
    `o=${input.user} ${session} ${session} IN ${family} ${input.host}`,
    's=Talk session',
    `c=IN ${family} ${input.host}`,
    't=0 0',
    `m=audio ${input.audioPort} RTP/AVP 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=sendrecv',
    `m=video ${input.videoPort} RTP/AVP 96`,
    'a=rtpmap:96 H264/90000',
    'a=fmtp:96 profile-level-id=42801F',
    'a=recvonly',
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

export interface RemoteRtp {
  address: string;
  port: number;
  /** The first payload type of the answer's audio line (the codec chosen). */
  payloadType: number;
}

/** Where the answer wants the doorbell's audio: its audio line and connection; undefined if none. */
export function remoteAudioOf(sdp: Buffer): RemoteRtp | undefined {
  let sessionAddress: string | undefined;
  let audio: { port: number; payloadType: number; address?: string } | undefined;
  let inAudio = false;
  let seenMedia = false;
  for (const line of sdp.toString('utf8').split(/\r?\n/)) {
    const connection = /^c=IN IP[46] (\S+)/.exec(line);
    if (connection) {
      if (!seenMedia) sessionAddress = connection[1];
      else if (inAudio && audio) audio.address = connection[1];
      continue;
    }
    const media = /^m=(\w+) (\d+) \S+ (\d+)/.exec(line);
    if (!media) continue;
    seenMedia = true;
    inAudio = media[1] === 'audio' && !audio;
    if (inAudio) audio = { port: Number(media[2]), payloadType: Number(media[3]) };
  }
  const address = audio?.address ?? sessionAddress;
  if (!audio || audio.port === 0 || address === undefined) return undefined;
  return { address, port: audio.port, payloadType: audio.payloadType };
}
