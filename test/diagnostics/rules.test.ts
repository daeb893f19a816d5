/**
 * The doctor's judgement on real captured bodies (test/fixtures/devices), without a device:
 * how a drawn vs empty motion area looks, which trigger notifies the center, codec verdicts, and
 * how per-channel findings are summed up.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { XmlDict } from '../../sim/types.ts';
import { toXml } from '../../sim/xml.ts';
import { judgeTalkCodec } from '../../src/diagnostics/media.ts';
import {
  judgeLinkage,
  judgeMotion,
  motionTriggerOf,
  readMotionSettings,
} from '../../src/diagnostics/motion.ts';
import { type ChannelFinding, combineChannels } from '../../src/diagnostics/report.ts';
import { children, parseXml } from '../../src/protocols/isapi/xml.ts';
import { DEVICE_FIXTURE_DIR, loadFixture } from '../support/fixtures.ts';

/** A captured answer as the device sends it (XML), parsed the way the doctor parses it. */
function captured(device: string, path: string) {
  const entry = loadFixture(join(DEVICE_FIXTURE_DIR, `${device}.json`))[path];
  if (!entry?.response) throw new Error(`${device} has no ${path}`);
  return parseXml(toXml(entry.response as XmlDict)).node;
}

const cameraMotion = (device: string) => captured(device, 'System/Video/inputs/channels/1/motionDetection');
const nvrMotion = (device: string, ch: number) =>
  captured(device, `ContentMgmt/InputProxy/channels/${ch}/video/motionDetection`);

describe('motion detection settings as captured', () => {
  it('reads enabled, drawn area and sensitivity from grid maps and region lists', () => {
    expect(readMotionSettings(cameraMotion('DS-2CD2146G2-ISU'))).toEqual({
      enabled: false,
      areaDrawn: true,
      sensitivity: 40,
    });
    // Enabled, all-zero grid and a RegionList holding only its size: nothing drawn.
    expect(readMotionSettings(cameraMotion('DS-2CD2346G2-ISU'))).toEqual({
      enabled: true,
      areaDrawn: false,
      sensitivity: 40,
    });
    // No RegionList at all, all-zero grid.
    expect(readMotionSettings(cameraMotion('DS-2CD2443G0-IW')).areaDrawn).toBe(false);
    // NVR channel with a partial grid and a drawn polygon.
    expect(readMotionSettings(nvrMotion('DS-7616NI-Q2', 9))).toMatchObject({
      enabled: true,
      areaDrawn: true,
    });
    // NVR channel switched on with an all-zero grid and no region.
    expect(readMotionSettings(nvrMotion('DS-7616NI-K2', 2))).toMatchObject({
      enabled: true,
      areaDrawn: false,
    });
  });

  it('a drawn region counts even when no grid cell is set', () => {
    const regionOnly = parseXml(
      '<MotionDetection><enabled>true</enabled><MotionDetectionLayout><layout><gridMap>000000</gridMap>' +
        '<RegionList size="4"><Region><id>1</id><RegionCoordinatesList>' +
        '<RegionCoordinates><positionX>1</positionX><positionY>1</positionY></RegionCoordinates>' +
        '<RegionCoordinates><positionX>500</positionX><positionY>1</positionY></RegionCoordinates>' +
        '<RegionCoordinates><positionX>500</positionX><positionY>500</positionY></RegionCoordinates>' +
        '</RegionCoordinatesList></Region></RegionList></layout></MotionDetectionLayout></MotionDetection>',
    ).node;
    expect(readMotionSettings(regionOnly).areaDrawn).toBe(true);
  });

  it('reads the old v1.0 region list', () => {
    const legacy = parseXml(
      '<MotionDetection version="1.0" xmlns="urn:psialliance-org"><enabled>true</enabled>' +
        '<MotionDetectionRegionList><MotionDetectionRegion><id>1</id><enabled>true</enabled>' +
        '<sensitivityLevel>70</sensitivityLevel><RegionCoordinatesList>' +
        '<RegionCoordinates><positionX>0</positionX><positionY>0</positionY></RegionCoordinates>' +
        '<RegionCoordinates><positionX>100</positionX><positionY>0</positionY></RegionCoordinates>' +
        '<RegionCoordinates><positionX>100</positionX><positionY>100</positionY></RegionCoordinates>' +
        '</RegionCoordinatesList></MotionDetectionRegion></MotionDetectionRegionList></MotionDetection>',
    ).node;
    expect(readMotionSettings(legacy)).toEqual({ enabled: true, areaDrawn: true, sensitivity: 70 });
  });

  it('judges: off → warn, on without area → fail, sensitivity 0 → warn, on with area → pass', () => {
    expect(judgeMotion('c', readMotionSettings(cameraMotion('DS-2CD2146G2-ISU'))).status).toBe('warn');
    expect(judgeMotion('c', readMotionSettings(cameraMotion('DS-2CD2346G2-ISU'))).status).toBe('fail');
    const dvr = readMotionSettings(
      captured('iDS-7204HUHI-M1', 'System/Video/inputs/channels/1/motionDetection'),
    );
    expect(judgeMotion('c', dvr)).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('sensitivity 0'),
    });
    expect(judgeMotion('c', readMotionSettings(nvrMotion('DS-7616NI-Q2', 9)))).toMatchObject({
      status: 'pass',
      detail: 'on, detection area drawn, sensitivity 20',
      fix: null,
    });
  });
});

describe('motion trigger linkage as captured', () => {
  it("finds each channel's VMD trigger by videoInputChannelID or dynVideoInputChannelID", () => {
    const nvr = children(captured('DS-7608NXI-I2', 'Event/triggers'), 'EventTrigger');
    expect(judgeLinkage('ch1', motionTriggerOf(nvr, 1))).toMatchObject({
      status: 'fail',
      detail:
        'VMD-1 notifies nobody, not even the surveillance center, so motion never reaches the event stream',
    });
    expect(judgeLinkage('ch2', motionTriggerOf(nvr, 2))).toMatchObject({
      status: 'pass',
      detail: 'VMD-2 notifies center',
    });
    expect(judgeLinkage('ch3', motionTriggerOf(nvr, 3)).detail).toMatch(/^VMD-3 notifies record but not the/);
    expect(judgeLinkage('ch4', motionTriggerOf(nvr, 4)).status).toBe('warn');

    const camera = children(captured('DS-2CD2146G2-ISU', 'Event/triggers'), 'EventTrigger');
    expect(judgeLinkage('ch1', motionTriggerOf(camera, 1)).detail).toBe('VMD-1 notifies center, FTP');
  });
});

describe('two-way audio codec verdicts', () => {
  it.each([
    ['G.711ulaw', 'pass'],
    ['G.711U', 'pass'],
    ['G.711alaw', 'warn'],
    ['G.711A', 'warn'],
    ['G.726', 'fail'],
    ['AAC', 'fail'],
    ['MP2L2', 'fail'],
  ])('%s → %s', (codec, status) => {
    expect(judgeTalkCodec(codec).status).toBe(status);
  });
});

describe('per-channel summary', () => {
  const finding = (
    n: number,
    status: ChannelFinding['status'],
    fix: string | null = null,
  ): ChannelFinding => ({
    channel: `channel ${n}`,
    status,
    detail: status === 'pass' ? 'fine' : `${status} here`,
    fix,
  });

  it('names the channels with a problem, counts the others, merges identical fixes', () => {
    const check = combineChannels(
      'motion-detection',
      [
        finding(1, 'pass'),
        finding(2, 'fail', 'draw'),
        finding(3, 'warn', 'enable'),
        finding(4, 'fail', 'draw'),
        finding(5, 'skip'),
      ],
      'none',
    );
    expect(check).toEqual({
      id: 'motion-detection',
      status: 'fail',
      detail:
        'channel 2: fail here; channel 3: warn here; channel 4: fail here; 1 other channel fine; ' +
        '1 other channel not checkable (skip here)',
      fix: 'draw',
    });
  });

  it('lists up to four healthy channels and counts more', () => {
    const few = combineChannels(
      'stream-codec',
      [1, 2].map((n) => finding(n, 'pass')),
      'none',
    );
    expect(few.detail).toBe('channel 1: fine; channel 2: fine');
    const many = combineChannels(
      'stream-codec',
      [1, 2, 3, 4, 5, 6].map((n) => finding(n, 'pass')),
      'none',
    );
    expect(many).toMatchObject({
      status: 'pass',
      detail: '6 channels, none with a problem; first: channel 1: fine',
      fix: null,
    });
    expect(combineChannels('stream-codec', [], 'no video channel').status).toBe('skip');
  });
});
