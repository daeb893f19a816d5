/**
 * Built-in 'doorbell': a DS-KV6124-E1 (firmware V3.9.0) from the real captures in
 * data/doorbell-data.ts. The capture tool REDACTED identities and some values; they are filled
 * with plausible fakes here, and REDACTED values with no sensible fake are dropped (the element
 * is left out rather than invented). Dynamic endpoints (call status, call signal, doors, work
 * status) live in sim/routes/doorbell.ts.
 */
import { clone, isDict } from '../dict.ts';
import type { FixtureIsapi, SimProfile, XmlDict, XmlValue } from '../types.ts';
import { NS_ISAPI } from '../xml.ts';
import { addAssumedEndpoints } from './assumed.ts';
import { doorbellData } from './data/doorbell-data.ts';

const REDACTED = 'REDACTED';

const DEVICE_INFO_FAKES: XmlDict = {
  deviceName: 'Door Station',
  deviceID: '4b563631-3234-4531-0000-a4d5c2123456',
  deviceDescription: 'Video Intercom',
  deviceLocation: 'hangzhou',
  systemContact: 'Hikvision.China',
  serialNumber: 'DS-KV6124-E10120260115WRJ00000001',
  macAddress: 'a4:d5:c2:12:34:56',
  bootVersion: 'V1.3.4',
  bootReleasedDate: '100316',
  hardwareVersion: '0x0',
  // The capture redacted deviceType. Intercoms are not IPCamera/NVR; ISAPI names video intercom
  // devices 'VIS' (assumption, see sim/README.md).
  deviceType: 'VIS',
  subDeviceType: 'doorStation',
  telecontrolID: '255',
  supportBeep: 'true',
  supportVideoLoss: 'false',
  RS485Num: '1',
  OEMCode: '1',
};

const CAPABILITY_FAKES: XmlDict = {
  IOInputPortNums: '4', // deviceInfo: alarmInNum 4
  IOOutputPortNums: '0', // deviceInfo: alarmOutNum 0 (the locks are doors, not alarm outputs)
  audioInputNums: '1',
  audioOutputNums: '1',
  supportUserNums: '32',
  issupIllegalLoginLock: 'true',
  isSupCertificate: 'true',
};

const STREAM_FAKES: XmlDict = {
  id: '101',
  channelName: 'Door Station',
  enabled: 'true',
  videoScanType: 'progressive',
  videoQualityControlType: 'VBR',
  fixedQuality: '60',
  vbrUpperCap: '4096',
  vbrLowerCap: '32',
  keyFrameInterval: '2000',
  GovLength: '50',
};

const ACCESS_FAKES: XmlDict = {
  employeeNo: { '@min': '1', '@max': '32' },
  characterType: { '@opt': 'any' },
};

/** Replaces REDACTED values by the fakes (by element name) and drops those without a fake. */
export function fillRedacted(value: XmlValue, fakes: XmlDict): XmlValue {
  if (Array.isArray(value)) return value.map((item) => fillRedacted(item, fakes));
  if (!isDict(value)) return value;
  const out: XmlDict = {};
  for (const [key, child] of Object.entries(value)) {
    if (child === REDACTED) {
      if (key in fakes) out[key] = clone(fakes[key]!);
      else if (key === '#text' && typeof value['@opt'] === 'string') out[key] = value['@opt'].split(',')[0]!;
      continue;
    }
    out[key] = fillRedacted(child, fakes);
  }
  return out;
}

/** Adds version/namespace to a captured root element (the capture lists them separately). */
function document(payload: XmlValue, fakes: XmlDict = {}): XmlDict {
  const filled = fillRedacted(clone(payload), fakes) as XmlDict;
  const [name, root] = Object.entries(filled)[0] as [string, XmlDict];
  return { [name]: { '@version': String(root['@version'] ?? '2.0'), '@xmlns': NS_ISAPI, ...root } };
}

function capabilities(): XmlDict {
  const doc = document(doorbellData.capabilities, CAPABILITY_FAKES);
  const cap = doc.DeviceCap as XmlDict;
  // Not in the capture: the station does two-way audio (G.711ulaw on stream 101), so say so.
  cap.voicetalkNums = '1';
  return doc;
}

function subStream(main: XmlDict): XmlDict {
  const stream = clone(main.StreamingChannel as XmlDict);
  const video = stream.Video as XmlDict;
  stream.id = '102';
  // Synthesized: the station's sub stream, 704x576 like the snapshot the capture decoded.
  Object.assign(video, {
    videoResolutionWidth: '704',
    videoResolutionHeight: '576',
    constantBitRate: '1024',
  });
  return { StreamingChannel: stream };
}

function adminAccesses(): XmlDict {
  const entry = (id: number, protocol: string, portNo: number): XmlDict => ({
    id: String(id),
    enabled: 'true',
    protocol,
    portNo: String(portNo),
  });
  return {
    AdminAccessProtocolList: {
      '@version': '2.0',
      '@xmlns': NS_ISAPI,
      AdminAccessProtocol: [
        entry(1, 'HTTP', 80),
        entry(2, 'HTTPS', 443),
        entry(3, 'DEV_MANAGE', 8000),
        entry(4, 'RTSP', 554),
      ],
    },
  };
}

export function doorbellProfile(): SimProfile {
  const main = document(doorbellData.mainStream, STREAM_FAKES);
  const isapi: FixtureIsapi = {
    'System/deviceInfo': { response: document(doorbellData.deviceInfo, DEVICE_INFO_FAKES) },
    'System/capabilities': { response: capabilities() },
    'System/Video/inputs/channels': {
      response: {
        VideoInputChannelList: {
          '@version': '2.0',
          '@xmlns': NS_ISAPI,
          VideoInputChannel: { id: '1', inputPort: '1', name: 'Door Station', videoFormat: 'PAL' },
        },
      },
    },
    'Streaming/channels/101': { response: main },
    'Streaming/channels/102': { response: subStream(main) },
    'Security/adminAccesses': { response: adminAccesses() },
    'VideoIntercom/capabilities': { response: document(doorbellData.videoIntercomCapabilities) },
    'VideoIntercom/callStatus/capabilities': { json: clone(doorbellData.callStatusCapabilities) as XmlDict },
    'VideoIntercom/WorkStatus': { response: document(doorbellData.workStatus) },
    'AccessControl/capabilities': {
      response: document(doorbellData.accessControlCapabilities, ACCESS_FAKES),
    },
    'AccessControl/AcsEventTotalNum/capabilities': {
      json: fillRedacted(clone(doorbellData.acsEventTotalNumCapabilities), {}) as XmlDict,
    },
    'AccessControl/RemoteControl/door/capabilities': {
      response: document(doorbellData.remoteControlDoorCapabilities),
    },
  };
  addAssumedEndpoints(isapi, NS_ISAPI, []);
  return {
    name: 'doorbell',
    model: 'DS-KV6124-E1',
    kind: 'doorbell',
    isapi,
    pictureViaStreamingProxy: false,
    offlineChannels: [],
  };
}
