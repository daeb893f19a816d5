/**
 * The talk module: two-way audio to a device's speaker from a file, a URL or a browser
 * microphone (through a MediaMTX path the media module opens).
 */
import { defineModule } from '../../core/module.ts';
import { devicesModule } from '../devices/index.ts';
import { mediaModule } from '../media/index.ts';
import { TalkModule } from './module.ts';

export { BrowserTalkSessions, type BrowserTalkView } from './browser.ts';
export * from './errors.ts';
export { checkFfmpeg, ffmpegArgs } from './ffmpeg.ts';
export * from './module.ts';
export * from './types.ts';

/** Needs devices (records and clients) and media (browser microphone paths). */
export const talkModule = defineModule({
  name: 'talk',
  settings: (config) => ({
    ...config.talk,
    ffmpegPath: config.media.ffmpeg,
    requestTimeoutMs: config.devices.requestTimeoutMs,
  }),
  create: ({ modules, ...context }) =>
    new TalkModule({ ...context, devices: modules.get(devicesModule), media: modules.get(mediaModule) }),
});
