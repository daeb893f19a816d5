/** Detections from `Event/triggers` and the PTZ hints, on small bodies. */
import { describe, expect, it } from 'vitest';
import {
  detectionsByChannel,
  deviceHasPtzControl,
  offersPtzMovement,
  ptzCapabilitiesPath,
} from '../../src/protocols/isapi/capabilities.ts';
import { parseXml } from '../../src/protocols/isapi/xml.ts';

const triggers = (inner: string) =>
  parseXml(
    `<EventTriggerList version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">${inner}</EventTriggerList>`,
  ).node;

const trigger = (eventType: string, channel: string) =>
  `<EventTrigger><eventType>${eventType}</eventType>${channel}</EventTrigger>`;

describe('detectionsByChannel', () => {
  it('groups event types by channel, lower-cased, sorted, once each', () => {
    const node = triggers(
      [
        trigger('VMD', '<videoInputChannelID>1</videoInputChannelID>'),
        trigger('linedetection', '<videoInputChannelID>1</videoInputChannelID>'),
        trigger(
          'regionEntrance',
          '<videoInputChannelID>1</videoInputChannelID><dynVideoInputChannelID>1</dynVideoInputChannelID>',
        ),
        trigger('VMD', '<videoInputChannelID>1</videoInputChannelID>'),
        trigger('VMD', '<dynVideoInputChannelID>2</dynVideoInputChannelID>'),
      ].join(''),
    );
    expect(detectionsByChannel(node)).toEqual(
      new Map([
        [1, ['linedetection', 'regionentrance', 'vmd']],
        [2, ['vmd']],
      ]),
    );
  });

  it('leaves out device exceptions and alarm inputs, even when they carry channel 1', () => {
    const ch1 = '<videoInputChannelID>1</videoInputChannelID>';
    const node = triggers(
      [
        'IO',
        'diskfull',
        'diskerror',
        'nicbroken',
        'ipconflict',
        'illaccess',
        'badvideo',
        'videomismatch',
        'storageDetection',
        'recordingfailure',
        'softIO',
      ]
        .map((type) => trigger(type, ch1))
        .join('') + trigger('PIR', ch1),
    );
    expect(detectionsByChannel(node)).toEqual(new Map([[1, ['pir']]]));
  });

  it('triggers without a channel or event type, and a missing list, give nothing', () => {
    const node = triggers(
      trigger('diskfull', '') +
        trigger('IO', '<dynInputIOPortID>301</dynInputIOPortID>') +
        trigger('', '<videoInputChannelID>1</videoInputChannelID>'),
    );
    expect(detectionsByChannel(node)).toEqual(new Map());
    expect(detectionsByChannel(undefined)).toEqual(new Map());
    expect(detectionsByChannel(triggers(''))).toEqual(new Map());
  });
});

describe('PTZ hints', () => {
  const caps = (inner: string) => parseXml(`<DeviceCap version="2.0">${inner}</DeviceCap>`).node;

  it('PTZ control: PTZCtrlCap anywhere, unless isSupportPTZ says otherwise', () => {
    expect(
      deviceHasPtzControl(caps('<PTZCtrlCap><isSupportPatrols>true</isSupportPatrols></PTZCtrlCap>')),
    ).toBe(true);
    expect(deviceHasPtzControl(caps('<SysCap><Other><PTZCtrlCap/></Other></SysCap>'))).toBe(true);
    expect(
      deviceHasPtzControl(caps('<SysCap><isSupportPTZ>false</isSupportPTZ></SysCap><PTZCtrlCap/>')),
    ).toBe(false);
    expect(deviceHasPtzControl(caps('<isSupportPTZ>true</isSupportPTZ>'))).toBe(true);
    expect(
      deviceHasPtzControl(caps('<PanoramaCap><isSupportPreset>false</isSupportPreset></PanoramaCap>')),
    ).toBe(false);
    expect(deviceHasPtzControl(undefined)).toBe(false);
  });

  it('a channel has PTZ when its capabilities offer continuous pan/tilt or zoom (what the control drives), not presets alone', () => {
    const chan = (inner: string) => parseXml(`<PTZChanelCap>${inner}</PTZChanelCap>`).node;
    expect(
      offersPtzMovement(
        chan('<ContinuousPanTiltSpace><XRange><Min>-100</Min></XRange></ContinuousPanTiltSpace>'),
      ),
    ).toBe(true);
    expect(offersPtzMovement(chan('<ContinuousZoomSpace/>'))).toBe(true);
    // Only absolute positions: the PTZ control cannot drive it, so the probe does not say PTZ.
    expect(offersPtzMovement(chan('<AbsolutePanTiltPositionSpace/>'))).toBe(false);
    expect(offersPtzMovement(chan('<maxPresetNum>10</maxPresetNum>'))).toBe(false);
    expect(offersPtzMovement(chan(''))).toBe(false);
  });

  it("asks the device's own PTZ for its inputs and the NVR's proxy for IP channels", () => {
    expect(ptzCapabilitiesPath({ id: 1, source: 'local' })).toBe('/ISAPI/PTZCtrl/channels/1/capabilities');
    expect(ptzCapabilitiesPath({ id: 12, source: 'proxy' })).toBe(
      '/ISAPI/ContentMgmt/PTZCtrlProxy/channels/12/capabilities',
    );
  });
});
