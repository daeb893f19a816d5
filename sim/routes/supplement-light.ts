/**
 * **Invented**: a camera's supplement light, `Image/channels/{ch}/supplementLight` (GET, PUT)
 * and `.../capabilities`. No capture has it; the shape is the one public ISAPI clients use
 * (`SupplementLight`: `supplementLightMode`, `mixedLightBrightnessRegulatMode`,
 * `whiteLightBrightness`, `irLightBrightness`; modes `eventIntelligence,irLight,colorVuWhiteLight,close`
 * as a hybrid-light camera lists them). Cameras only, for channels with a stream; starts in
 * `irLight`, brightness 50/50. A PUT must keep the root, a listed mode and brightness 0-100
 * (else 400 badXmlContent); it is stored as sent. Served with `X-Sim-Invented`; `setEndpoint`
 * on the path answers instead.
 */
import type { DeviceContext, RouteRequest } from '../context.ts';
import { text } from '../dict.ts';
import { INVENTED_HEADER } from '../invented.ts';
import { sendOk, sendStatus, sendXml } from '../respond.ts';
import type { XmlDict } from '../types.ts';
import { toXml } from '../xml.ts';
import { serveFixture } from './fixture.ts';
import type { Route } from './route.ts';
import { badContent, readXmlBody } from './xml-body.ts';

export const LIGHT_INVENTED =
  'Image/channels/{ch}/supplementLight: in none of the captures; shape of public ISAPI clients, hybrid light, state simulated';
const MODES = ['eventIntelligence', 'irLight', 'colorVuWhiteLight', 'close'];

const lights = new WeakMap<DeviceContext, Map<number, XmlDict>>();

function lightOf(device: DeviceContext, channel: number): XmlDict {
  let perChannel = lights.get(device);
  if (!perChannel) {
    perChannel = new Map();
    lights.set(device, perChannel);
  }
  let light = perChannel.get(channel);
  if (!light) {
    light = {
      supplementLightMode: 'irLight',
      mixedLightBrightnessRegulatMode: 'manual',
      whiteLightBrightness: '50',
      irLightBrightness: '50',
    };
    perChannel.set(channel, light);
  }
  return light;
}

const hasLight = (device: DeviceContext, channel: number): boolean =>
  device.model.profile.kind === 'camera' &&
  [...device.model.streams.values()].some((s) => s.channel === channel);

const brightness = (value: string | undefined): boolean =>
  value === undefined || (/^\d{1,3}$/.test(value) && Number(value) <= 100);

function handle(r: RouteRequest, match: RegExpExecArray): void {
  const channel = Number(match[1]);
  if (r.device.model.isapi[r.path] || !hasLight(r.device, channel)) {
    serveFixture(r);
    return;
  }
  const namespace = r.device.model.namespace;
  const headers = { [INVENTED_HEADER]: LIGHT_INVENTED };
  lightOf(r.device, channel); // every channel with a light starts in the same state
  if (match[2] && r.req.method !== 'GET') {
    sendStatus(r, 405);
    return;
  }
  if (match[2]) {
    const caps = {
      SupplementLight: {
        '@version': '2.0',
        '@xmlns': namespace,
        supplementLightMode: {
          '@opt': MODES.join(','),
          '#text': lightOf(r.device, channel).supplementLightMode!,
        },
        whiteLightBrightness: { '@min': '0', '@max': '100' },
        irLightBrightness: { '@min': '0', '@max': '100' },
      },
    };
    sendXml(r.res, 200, toXml(caps), headers);
    return;
  }
  if (r.req.method === 'GET') {
    const doc = {
      SupplementLight: { '@version': '2.0', '@xmlns': namespace, ...lightOf(r.device, channel) },
    };
    sendXml(r.res, 200, toXml(doc), headers);
    return;
  }
  const sent = readXmlBody(r, 'SupplementLight');
  if (!sent) return;
  const mode = text(sent.supplementLightMode);
  if (
    !mode ||
    !MODES.includes(mode) ||
    !brightness(text(sent.whiteLightBrightness)) ||
    !brightness(text(sent.irLightBrightness))
  ) {
    badContent(r);
    return;
  }
  const stored = Object.fromEntries(Object.entries(sent).filter(([key]) => !key.startsWith('@')));
  lights.get(r.device)!.set(channel, stored);
  sendOk(r);
}

export const supplementLightRoutes: Route[] = [
  { pattern: /^Image\/channels\/(\d+)\/supplementLight(\/capabilities)?$/, methods: ['GET', 'PUT'], handle },
];
