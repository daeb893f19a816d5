/**
 * ISAPI two-way audio: channel list, close/open (TwoWayAudioSession), audioData upload (raw
 * G.711 after the head, no length needed) and audioData download (G.711 silence, 20 ms frames).
 */
import { XMLValidator } from 'fast-xml-parser';
import type { DeviceContext, RouteRequest } from '../context.ts';
import { sendStatus, sendXml } from '../respond.ts';
import { FRAME_BYTES, FRAME_MS, silenceByte } from '../two-way-audio.ts';
import type { XmlDict } from '../types.ts';
import { childText, toXml } from '../xml.ts';
import type { Route } from './route.ts';

export const AUDIO_DATA_PATH = /\/System\/TwoWayAudio\/channels\/\d+\/audioData$/;

function channelDict(r: RouteRequest, id: number): XmlDict {
  const { audio, model } = r.device;
  const config = audio.config(id);
  return {
    '@version': '2.0',
    '@xmlns': model.namespace,
    id: String(id),
    enabled: String(config.enabled),
    audioCompressionType: config.codec,
    audioInputType: 'MicIn',
    speakerVolume: '50',
    noisereduce: 'false',
  };
}

/** The channel from the URL, or a 404 answered. */
function channelOf(r: RouteRequest, match: RegExpExecArray): number | undefined {
  const id = Number(match[1]);
  if (r.device.audio.has(id)) return id;
  sendStatus(r, 404);
  return undefined;
}

function busy(r: RouteRequest): void {
  sendStatus(r, 403, { statusCode: 2, statusString: 'Device Busy', subStatusCode: 'deviceBusy' });
}

function noSession(r: RouteRequest): void {
  sendStatus(r, 403, { statusCode: 4, statusString: 'Invalid Operation', subStatusCode: 'invalidOperation' });
}

/** PUT of a TwoWayAudioChannel: `enabled` and `audioCompressionType` are taken, the rest ignored. */
function configure(r: RouteRequest, channel: number): void {
  const xml = r.req.body.toString('utf8');
  if (XMLValidator.validate(xml) !== true) {
    sendStatus(r, 400, { statusCode: 5, statusString: 'Invalid XML Format', subStatusCode: 'badXmlFormat' });
    return;
  }
  const enabled = childText(xml, 'enabled');
  const codec = childText(xml, 'audioCompressionType');
  if (enabled !== undefined && enabled !== 'true' && enabled !== 'false') {
    sendStatus(r, 400);
    return;
  }
  r.device.audio.configure(channel, {
    ...(enabled !== undefined ? { enabled: enabled === 'true' } : {}),
    ...(codec ? { codec } : {}),
  });
  sendStatus(r, 200);
}

function upload(r: RouteRequest, channel: number): void {
  const { audio } = r.device;
  // The server hands every audioData PUT over raw (see isRawUpload in sim/device.ts).
  const rawBody = r.req.rawBody!;
  let done = false;
  // Devices answer the upload only when it ends: clients must stream without waiting for a reply.
  const finish = (): void => {
    if (done) return;
    done = true;
    detach();
    sendStatus(r, 200);
    r.res.socket.end(); // the upload owned the connection
  };
  const detach = audio.attach(channel, finish);
  rawBody.accept({ onData: (chunk) => audio.record(channel, chunk), onEnd: finish });
}

function download(r: RouteRequest, channel: number): void {
  const { audio } = r.device;
  const frame = Buffer.alloc(FRAME_BYTES, silenceByte(audio.config(channel).codec));
  r.res.startStream(200, { 'Content-Type': 'application/octet-stream' });
  const timer = setInterval(() => {
    if (r.res.writableLength < 64 * FRAME_BYTES) r.res.write(frame);
  }, FRAME_MS);
  const stop = (): void => {
    clearInterval(timer);
    r.res.end();
  };
  const detach = audio.attach(channel, stop);
  r.res.onClose(() => {
    clearInterval(timer);
    detach();
  });
}

const hasAudio = (device: DeviceContext): boolean => device.model.twoWayChannels.length > 0;

export const twoWayAudioRoutes: Route[] = [
  {
    pattern: /^System\/TwoWayAudio\/channels$/,
    methods: ['GET'],
    when: hasAudio,
    handle(r) {
      const list = r.device.audio.channels.map((id) => channelDict(r, id));
      const doc = {
        TwoWayAudioChannelList: {
          '@version': '2.0',
          '@xmlns': r.device.model.namespace,
          TwoWayAudioChannel: list,
        },
      };
      sendXml(r.res, 200, toXml(doc));
    },
  },
  {
    pattern: /^System\/TwoWayAudio\/channels\/(\d+)$/,
    methods: ['GET', 'PUT'],
    when: hasAudio,
    handle(r, match) {
      const id = channelOf(r, match);
      if (id === undefined) return;
      if (r.req.method === 'GET')
        return sendXml(r.res, 200, toXml({ TwoWayAudioChannel: channelDict(r, id) }));
      configure(r, id);
    },
  },
  {
    pattern: /^System\/TwoWayAudio\/channels\/(\d+)\/close$/,
    methods: ['PUT'],
    when: hasAudio,
    handle(r, match) {
      const id = channelOf(r, match);
      if (id === undefined) return;
      r.device.audio.close(id);
      sendStatus(r, 200);
    },
  },
  {
    pattern: /^System\/TwoWayAudio\/channels\/(\d+)\/open$/,
    methods: ['PUT'],
    when: hasAudio,
    handle(r, match) {
      const id = channelOf(r, match);
      if (id === undefined) return;
      // Switched off: nothing to open. A ringing doorbell blocks talk until answered; an open
      // session blocks a second one.
      if (!r.device.audio.config(id).enabled) return noSession(r);
      if (r.device.model.profile.kind === 'doorbell' && r.device.intercom.status === 'ring') return busy(r);
      const sessionId = r.device.audio.open(id);
      if (!sessionId) return busy(r);
      const doc = {
        TwoWayAudioSession: { '@version': '2.0', '@xmlns': r.device.model.namespace, sessionId },
      };
      sendXml(r.res, 200, toXml(doc));
    },
  },
  {
    pattern: /^System\/TwoWayAudio\/channels\/(\d+)\/audioData$/,
    methods: ['PUT', 'GET'],
    when: hasAudio,
    handle(r, match) {
      const id = channelOf(r, match);
      if (id === undefined) return;
      if (!r.device.audio.accepts(id, r.req.query.get('sessionId'))) return noSession(r);
      if (r.req.method === 'PUT') upload(r, id);
      else download(r, id);
    },
  },
];
