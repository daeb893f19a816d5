/**
 * NVR/DVR channel status. INVENTED: no capture has this endpoint, so its shape follows public
 * ISAPI clients and its values are the simulator's rule: online = a stream of the channel
 * answers and the channel is not in `offlineChannels`; an offline channel's `chanDetectResult`
 * is `netUnreachable`, our pick among the recorder's reasons. Served with the X-Sim-Invented
 * header (sim/invented.ts).
 */

import type { RouteRequest } from '../context.ts';
import { asList, dig, isDict, rootOf, text } from '../dict.ts';
import { INVENTED, INVENTED_HEADER } from '../invented.ts';
import { sendXml } from '../respond.ts';
import type { XmlDict } from '../types.ts';
import { toXml } from '../xml.ts';
import type { Route } from './route.ts';

function channelStatus(r: RouteRequest, channel: XmlDict): XmlDict {
  const { model } = r.device;
  const id = Number(text(channel.id));
  const online = model.channelOnline(id);
  const source = isDict(channel.sourceInputPortDescriptor) ? channel.sourceInputPortDescriptor : {};
  const streams = [...model.streams.values()].filter((s) => s.channel === id).map((s) => String(s.id));
  return {
    '@version': '2.0',
    '@xmlns': model.namespace,
    id: String(id),
    sourceInputPortDescriptor: {
      proxyProtocol: text(source.proxyProtocol) ?? 'HIKVISION',
      addressingFormatType: text(source.addressingFormatType) ?? 'ipaddress',
      ipAddress: text(source.ipAddress) ?? '0.0.0.0',
      managePortNo: text(source.managePortNo) ?? '8000',
      srcInputPort: text(source.srcInputPort) ?? '1',
      userName: text(source.userName) ?? 'admin',
      streamType: text(source.streamType) ?? 'auto',
      online: String(online),
    },
    online: String(online),
    streamingProxyChannelIdList: { streamingProxyChannelId: streams },
    // 'connect' when online; 'netUnreachable' is the simulator's invented reason for offline.
    chanDetectResult: online ? 'connect' : 'netUnreachable',
  };
}

export const inputProxyRoutes: Route[] = [
  {
    pattern: /^ContentMgmt\/InputProxy\/channels\/status$/,
    methods: ['GET'],
    when: (device) => device.model.profile.kind === 'nvr' || device.model.profile.kind === 'dvr',
    handle(r) {
      const { model } = r.device;
      const channels = asList(
        dig(rootOf(model.isapi, 'ContentMgmt/InputProxy/channels'), 'InputProxyChannel'),
      );
      const list = channels.filter(isDict).map((channel) => channelStatus(r, channel));
      const doc = {
        InputProxyChannelStatusList: {
          '@version': '2.0',
          '@xmlns': model.namespace,
          ...(list.length ? { InputProxyChannelStatus: list } : {}),
        },
      };
      sendXml(r.res, 200, toXml(doc), { [INVENTED_HEADER]: INVENTED.channelStatus });
    },
  },
];
