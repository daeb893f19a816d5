/**
 * Built-in 'nvr' / 'nvr:N': a DS-7608NXI-I2 (isapi.org namespace) with N IP channels named
 * 'Camera 01'.., each with stream X01 (H.265 main) and X02 (H.264 sub); X03 answers 403 like the
 * captured NVR. Device-level answers come from data/nvr-data.ts, channel answers from its templates.
 */
import { clone, isDict } from '../dict.ts';
import type { FixtureIsapi, SimProfile, XmlDict } from '../types.ts';
import { NS_ISAPI } from '../xml.ts';
import { addAssumedEndpoints } from './assumed.ts';
import { nvrData, nvrTemplates } from './data/nvr-data.ts';

export const MAX_NVR_CHANNELS = 64;
const CHANNEL_EVENTS: Array<[string, string]> = [
  ['VMD', 'VMD'],
  ['tamper', 'tamperdetection'],
  ['videoloss', 'videoloss'],
  ['fielddetection', 'fielddetection'],
  ['linedetection', 'linedetection'],
  ['regionEntrance', 'regionEntrance'],
  ['regionExiting', 'regionExiting'],
];

export const channelName = (n: number): string => `Camera ${String(n).padStart(2, '0')}`;

function proxyChannel(n: number): XmlDict {
  const channel = clone(nvrTemplates.proxyChannel) as XmlDict;
  const source = channel.sourceInputPortDescriptor as XmlDict;
  channel.id = String(n);
  channel.name = channelName(n);
  source.ipAddress = `192.168.1.${100 + n}`;
  source.serialNumber = `DS-2CD2386G2-IU20240101AAWRK${String(n).padStart(8, '0')}`;
  channel.devIndex = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return channel;
}

function stream(n: number, which: 'main' | 'sub'): XmlDict {
  const template = which === 'main' ? nvrTemplates.mainStream : nvrTemplates.subStream;
  const channel = clone(template) as XmlDict;
  const video = channel.Video as XmlDict;
  channel.id = `${n}0${which === 'main' ? 1 : 2}`;
  channel.channelName = channelName(n);
  video.videoInputChannelID = String(n);
  video.videoCodecType = which === 'main' ? 'H.265' : 'H.264';
  return channel;
}

/** The captured template has motion off; built-in channels are healthy (motion on, grid drawn). */
function motionDetection(): XmlDict {
  return { ...(clone(nvrTemplates.motionDetection) as XmlDict), enabled: 'true' };
}

function withId(template: XmlDict, n: number): XmlDict {
  const copy = clone(template);
  copy.id = String(n);
  return copy;
}

function triggers(count: number): XmlDict {
  // Device-level triggers as captured; channel triggers notify the center so diagnostics pass.
  const deviceLevel = nvrTemplates.triggers.filter((t) => isDict(t) && !('dynVideoInputChannelID' in t));
  const perChannel: XmlDict[] = [];
  for (let n = 1; n <= count; n++) {
    for (const [prefix, eventType] of CHANNEL_EVENTS) {
      perChannel.push({
        id: `${prefix}-${n}`,
        eventType,
        dynVideoInputChannelID: String(n),
        EventTriggerNotificationList: {
          EventTriggerNotification: { id: 'center', notificationMethod: 'center' },
        },
      });
    }
  }
  return {
    EventTriggerList: {
      '@version': '2.0',
      '@xmlns': NS_ISAPI,
      EventTrigger: [...deviceLevel, ...perChannel],
    },
  };
}

export function nvrProfile(count = 4, offlineChannels: number[] = []): SimProfile {
  if (!Number.isInteger(count) || count < 1 || count > MAX_NVR_CHANNELS) {
    throw new Error(`nvr channel count must be 1..${MAX_NVR_CHANNELS}, got ${count}`);
  }
  const isapi: FixtureIsapi = clone(nvrData);
  const channels: XmlDict[] = [];
  for (let n = 1; n <= count; n++) {
    channels.push(proxyChannel(n));
    isapi[`Streaming/channels/${n}01`] = { response: { StreamingChannel: stream(n, 'main') } };
    isapi[`Streaming/channels/${n}02`] = { response: { StreamingChannel: stream(n, 'sub') } };
    isapi[`Streaming/channels/${n}03`] = { status_code: 403 };
    isapi[`ContentMgmt/InputProxy/channels/${n}/video/motionDetection`] = {
      response: { MotionDetection: motionDetection() },
    };
    isapi[`ContentMgmt/InputProxy/channels/${n}/video/videoLoss`] = {
      response: clone(nvrTemplates.videoLoss),
    };
    isapi[`Smart/FieldDetection/${n}`] = {
      response: { FieldDetection: withId(nvrTemplates.fieldDetection, n) },
    };
    isapi[`Smart/LineDetection/${n}`] = {
      response: { LineDetection: withId(nvrTemplates.lineDetection, n) },
    };
  }
  isapi['ContentMgmt/InputProxy/channels'] = {
    response: {
      InputProxyChannelList: {
        '@version': '2.0',
        '@xmlns': NS_ISAPI,
        '@size': String(count),
        InputProxyChannel: channels,
      },
    },
  };
  isapi['System/Video/inputs/channels'] = { status_code: 403 };
  isapi['Event/triggers'] = { response: triggers(count) };
  addAssumedEndpoints(
    isapi,
    NS_ISAPI,
    Array.from({ length: count }, (_, i) => i + 1),
  );
  return {
    name: count === 4 ? 'nvr' : `nvr:${count}`,
    model: 'DS-7608NXI-I2/8P/S',
    kind: 'nvr',
    isapi,
    pictureViaStreamingProxy: true,
    offlineChannels: offlineChannels.filter((n) => n >= 1 && n <= count),
  };
}
