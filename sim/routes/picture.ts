/**
 * Snapshots. Cameras answer Streaming/channels/{id}/picture with a JPEG after a realistic delay.
 * NVRs (pictureViaStreamingProxy) answer it with the real badXmlContent body for channels whose
 * camera sits behind them, and serve the JPEG on ContentMgmt/StreamingProxy/channels/{id}/picture.
 */
import { jpegForWidth } from '../assets.ts';
import type { RouteRequest } from '../context.ts';
import type { StreamInfo } from '../device-model.ts';
import { sendStatus, sendXml, sleep } from '../respond.ts';
import { badXmlContentPictureBody, deviceErrorPictureBody } from '../xml.ts';
import type { Route } from './route.ts';

function isRecorder(r: RouteRequest): boolean {
  const kind = r.device.model.profile.kind;
  return kind === 'nvr' || kind === 'dvr';
}

async function sendJpeg(r: RouteRequest, stream: StreamInfo): Promise<void> {
  const { model } = r.device;
  if (isRecorder(r) && !model.channelOnline(stream.channel)) {
    // The camera behind the recorder is unreachable: it cannot take the picture.
    sendXml(r.res, 500, deviceErrorPictureBody());
    return;
  }
  await sleep(r.device.snapshotDelay.pick());
  if (r.device.closed()) return;
  const asked = Number(r.req.query.get('videoResolutionWidth'));
  const jpeg = jpegForWidth(asked > 0 ? asked : stream.width);
  r.res.send(200, { 'Content-Type': 'image/jpeg' }, jpeg);
}

function streamOf(r: RouteRequest, match: RegExpExecArray): StreamInfo | undefined {
  const stream = r.device.model.streams.get(Number(match[1]));
  if (!stream) sendStatus(r, 404);
  return stream;
}

export const pictureRoutes: Route[] = [
  {
    pattern: /^Streaming\/channels\/(\d+)\/picture$/,
    methods: ['GET'],
    async handle(r, match) {
      const stream = streamOf(r, match);
      if (!stream) return;
      const { model } = r.device;
      if (
        model.profile.pictureViaStreamingProxy &&
        isRecorder(r) &&
        model.proxiedChannels.includes(stream.channel)
      ) {
        sendXml(r.res, 200, badXmlContentPictureBody(`/ISAPI/${r.path}`));
        return;
      }
      await sendJpeg(r, stream);
    },
  },
  {
    pattern: /^ContentMgmt\/StreamingProxy\/channels\/(\d+)\/picture$/,
    methods: ['GET'],
    when: (device) => device.model.profile.kind === 'nvr' || device.model.profile.kind === 'dvr',
    async handle(r, match) {
      const stream = streamOf(r, match);
      if (stream) await sendJpeg(r, stream);
    },
  },
];
