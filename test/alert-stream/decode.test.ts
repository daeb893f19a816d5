/**
 * decodeAlertBody on the real captures, field by field against what the captures contain, and
 * on the body shapes devices produce (namespaces, prefixes, entities, a bare `&`, empty
 * elements, the JSON wrapper, the XML form of access-control events).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  boundaryFromContentType,
  decodeAlertBody,
  type RawAlert,
} from '../../src/protocols/isapi/alert-stream/index.ts';
import { ALERT_FIXTURES as ALERTS } from '../support/fixtures.ts';
import { JSON_TYPE, jsonCaptures, XML_TYPE, xmlCaptures } from './support.ts';

function capture(name: string): RawAlert {
  const alert = decodeAlertBody(readFileSync(new URL(name, ALERTS)), XML_TYPE);
  if (!alert) throw new Error(`${name} did not decode`);
  return alert;
}

function xml(
  inner: string,
  root = 'EventNotificationAlert',
  attrs = 'version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"',
): Buffer {
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<${root} ${attrs}>\n${inner}\n</${root}>\n`);
}

describe('the XML captures, field by field', () => {
  it('fielddetection_human: a human in region 3, with its target box', () => {
    expect(capture('fielddetection_human.xml')).toEqual({
      format: 'xml',
      eventType: 'fielddetection',
      relationEvent: null,
      eventState: 'active',
      channelId: 1,
      inputPortId: null,
      dateTime: '2022-01-31T13:53:05+01:00',
      activePostCount: 1,
      description: 'fielddetection alarm',
      channelName: 'COUR NORD',
      ipAddress: '1.0.0.255',
      macAddress: 'ac:b9:2f:49:44:75',
      detections: [
        { regionId: 3, target: 'human', rect: { x: 0.6, y: 0.215278, width: 0.135937, height: 0.505556 } },
      ],
      access: null,
      extra: {
        ipv6Address: '::ffff:192.168.2.5',
        portNo: '80',
        protocol: 'HTTP',
        detectionPictureTransType: 'binary',
        detectionPicturesNumber: '1',
        isDataRetransmission: 'false',
      },
    });
  });

  it('fielddetection_vehicle: a vehicle in region 2', () => {
    const alert = capture('fielddetection_vehicle.xml');
    expect(alert.detections).toEqual([
      {
        regionId: 2,
        target: 'vehicle',
        rect: { x: 0.779688, y: 0.409722, width: 0.209375, height: 0.459722 },
      },
    ]);
    expect(alert.dateTime).toBe('2022-01-19T07:51:17+01:00');
  });

  it('the duration wrapper names the real event', () => {
    expect(capture('ipc_1_fielddetection.xml')).toMatchObject({
      eventType: 'duration',
      relationEvent: 'fielddetection',
      channelName: 'yard',
      macAddress: 'a6:63:9e:f8:01:09',
      extra: { portNo: '8123', isDataRetransmission: 'false' },
    });
  });

  it('IO alarm: input port 1 on channel 1', () => {
    expect(capture('cam1_DS-2CD2T46G2-ISU_io_notification.xml')).toMatchObject({
      eventType: 'IO',
      inputPortId: 1,
      channelId: 1,
      channelName: 'Cam 1',
      ipAddress: '192.168.1.151',
      extra: { portNo: '443', protocol: 'HTTPS' },
    });
  });

  it('PIR in the old psialliance v1.0 schema, with its extension serial number', () => {
    expect(capture('pir.xml')).toMatchObject({
      eventType: 'PIR',
      eventState: 'active',
      channelId: 1,
      activePostCount: 4268,
      description: 'PIR alarm',
      channelName: 'Bedroom',
      detections: [],
      extra: { protocolType: 'HTTP', serialNumber: 'DS-2CD2443G0-IW00000000AAWRE00000000' },
    });
  });

  it('snapshot error bodies (ResponseStatus) are not alerts', () => {
    for (const name of ['picture_badXmlContent.xml', 'picture_deviceError.xml']) {
      expect(decodeAlertBody(readFileSync(new URL(name, ALERTS)), XML_TYPE)).toBeUndefined();
    }
  });
});

describe('the doorbell JSON payloads, against their capture', () => {
  const payloads = jsonCaptures().map((c) => ({
    source: JSON.parse(c.body.toString()) as Record<string, unknown> & {
      AccessControllerEvent?: Record<string, unknown>;
    },
    alert: decodeAlertBody(c.body, JSON_TYPE)!,
  }));

  it('every payload decodes with the captured type, state and channel', () => {
    for (const { source, alert } of payloads) {
      expect(alert).toMatchObject({
        format: 'json',
        eventType: source.eventType,
        eventState: source.eventState,
        channelId: source.channelID,
        activePostCount: source.activePostCount,
        // Redacted values are kept as sent; a redacted number is no number.
        ipAddress: 'REDACTED',
        dateTime: 'REDACTED',
      });
      const detail = source.AccessControllerEvent;
      expect(alert.access).toEqual(
        detail
          ? {
              major: detail.majorEventType,
              minor: detail.subEventType,
              door: null,
              serialNo: null,
              currentEvent: false,
              cardNo: null,
              name: null,
            }
          : null,
      );
    }
  });

  it('door opened (5/25), lock exception (5/92), tamper (1/1028) and the videoloss heartbeat', () => {
    const codes = payloads.map(({ alert }) =>
      alert.access ? `${alert.access.major}/${alert.access.minor}` : alert.eventType,
    );
    expect(codes).toEqual(expect.arrayContaining(['5/25', '5/92', '1/1028', '3/1024', 'videoloss']));
    const heartbeat = payloads.find(({ alert }) => alert.eventType === 'videoloss')!.alert;
    expect(heartbeat).toMatchObject({ eventState: 'inactive', access: null, extra: { portNo: 'REDACTED' } });
  });

  it('accepts the {"EventNotificationAlert": {...}} wrapping and numbers as strings', () => {
    const body = Buffer.from(
      JSON.stringify({
        EventNotificationAlert: {
          eventType: 'AccessControllerEvent',
          eventState: 'Active',
          dynChannelID: '2',
          AccessControllerEvent: {
            majorEventType: '5',
            subEventType: 22,
            doorNo: 1,
            serialNo: 77,
            currentEvent: true,
            cardNo: '1234',
            name: 'Ann',
          },
        },
      }),
    );
    expect(decodeAlertBody(body)).toMatchObject({
      eventType: 'AccessControllerEvent',
      eventState: 'active',
      channelId: 2,
      access: { major: 5, minor: 22, door: 1, serialNo: 77, currentEvent: true, cardNo: '1234', name: 'Ann' },
    });
  });

  it('JSON detections and the duration wrapper', () => {
    const body = Buffer.from(
      JSON.stringify({
        eventType: 'duration',
        DurationList: { Duration: [{ relationEvent: 'linedetection' }] },
        DetectionRegionList: [
          {
            regionID: '1',
            detectionTarget: 'Vehicle',
            TargetRect: { X: 0.1, Y: 0.2, width: 0.3, height: 0.4 },
          },
        ],
      }),
    );
    expect(decodeAlertBody(body)).toMatchObject({
      relationEvent: 'linedetection',
      detections: [{ regionId: 1, target: 'vehicle', rect: { x: 0.1, y: 0.2, width: 0.3, height: 0.4 } }],
    });
  });

  it('a complete object followed by stray bytes still decodes; a cut one does not', () => {
    expect(
      decodeAlertBody(Buffer.from('{"eventType":"videoloss","eventState":"inactive"}\r\n--bou')),
    ).toMatchObject({
      eventType: 'videoloss',
    });
    expect(decodeAlertBody(Buffer.from('{"eventType":"videoloss","eventSt'))).toBeUndefined();
    expect(decodeAlertBody(Buffer.from('[1,2]'))).toBeUndefined();
    expect(decodeAlertBody(Buffer.from('{"eventState":"active"}'))).toBeUndefined();
  });
});

describe('XML shapes met in the field', () => {
  it('any namespace or prefix: elements are read by local name', () => {
    const body = xml(
      '<hik:eventType>VMD</hik:eventType><hik:eventState>active</hik:eventState><hik:channelID>4</hik:channelID>',
      'hik:EventNotificationAlert',
      'xmlns:hik="http://www.std-cgi.com/ver20/XMLSchema"',
    );
    expect(decodeAlertBody(body)).toMatchObject({ eventType: 'VMD', channelId: 4 });
  });

  it('entities are decoded and a bare & is kept', () => {
    const body = xml(
      '<eventType>VMD</eventType><eventDescription>Motion &amp; more & stuff &lt;1&gt; &#x41;&#66;</eventDescription>' +
        '<channelName>A&B</channelName>',
    );
    expect(decodeAlertBody(body)).toMatchObject({
      description: 'Motion & more & stuff <1> AB',
      channelName: 'A&B',
    });
  });

  it('an empty <activePostCount/> (and an empty element) gives null', () => {
    expect(decodeAlertBody(xml('<eventType>VMD</eventType><activePostCount/>'))!.activePostCount).toBeNull();
    expect(
      decodeAlertBody(xml('<eventType>VMD</eventType><activePostCount></activePostCount>'))!.activePostCount,
    ).toBeNull();
  });

  it('NVR bodies: dynChannelID and dynInputIOPortID when the plain ids are missing', () => {
    const body = xml(
      '<dynChannelID>12</dynChannelID><dynInputIOPortID>3</dynInputIOPortID><eventType>IO</eventType>',
    );
    expect(decodeAlertBody(body)).toMatchObject({ channelId: 12, inputPortId: 3 });
    const both = xml('<channelID>1</channelID><dynChannelID>12</dynChannelID><eventType>IO</eventType>');
    expect(decodeAlertBody(both)!.channelId).toBe(1);
  });

  it('a missing eventState means active; states are lower-cased; targets too', () => {
    expect(decodeAlertBody(xml('<eventType>VMD</eventType>'))!.eventState).toBe('active');
    expect(
      decodeAlertBody(xml('<eventType>VMD</eventType><eventState>Inactive</eventState>'))!.eventState,
    ).toBe('inactive');
  });

  it('only the root’s own fields: a nested dateTime does not replace the alert’s', () => {
    const body = xml(
      '<eventType>ANPR</eventType><ANPR><dateTime>nested</dateTime><licensePlate>AB123</licensePlate></ANPR>' +
        '<dateTime>2024-01-01T00:00:00</dateTime>',
    );
    expect(decodeAlertBody(body)).toMatchObject({
      dateTime: '2024-01-01T00:00:00',
      extra: { licensePlate: 'AB123' },
    });
  });

  it('several detection regions, CDATA text, comments, attributes and spaces in tags', () => {
    const entry = (id: number, target: string) =>
      `<DetectionRegionEntry><regionID>${id}</regionID><detectionTarget>${target}</detectionTarget>` +
      '<TargetRect><X>0.1</X><Y>0.2</Y><width>0.3</width><height >0.4</height></TargetRect></DetectionRegionEntry>';
    const body = xml(
      `<!-- a comment --><eventType><![CDATA[linedetection]]></eventType><channelName a="1">Gate</channelName>` +
        `<DetectionRegionList>${entry(1, 'Human')}${entry(2, 'vehicle')}</DetectionRegionList>`,
    );
    const alert = decodeAlertBody(body)!;
    expect(alert.eventType).toBe('linedetection');
    expect(alert.channelName).toBe('Gate');
    expect(alert.detections.map((d) => [d.regionId, d.target, d.rect?.height])).toEqual([
      [1, 'human', 0.4],
      [2, 'vehicle', 0.4],
    ]);
  });

  it('the XML form of an access-control event', () => {
    const body = xml(
      '<eventType>AccessControllerEvent</eventType><AccessControllerEvent><majorEventType>5</majorEventType>' +
        '<subEventType>21</subEventType><doorNo>1</doorNo><serialNo>9</serialNo><currentEvent>true</currentEvent>' +
        '<name>Bob</name></AccessControllerEvent>',
    );
    expect(decodeAlertBody(body)!.access).toEqual({
      major: 5,
      minor: 21,
      door: 1,
      serialNo: 9,
      currentEvent: true,
      cardNo: null,
      name: 'Bob',
    });
  });

  it('cut, empty or foreign bodies are not alerts', () => {
    const full = readFileSync(new URL('fielddetection_human.xml', ALERTS));
    expect(decodeAlertBody(full.subarray(0, full.length - 30))).toBeUndefined();
    expect(decodeAlertBody(xml('<eventState>active</eventState>'))).toBeUndefined();
    expect(decodeAlertBody(Buffer.from('<EventNotificationAlert/>'))).toBeUndefined();
    expect(decodeAlertBody(Buffer.from('plain text'), 'text/plain')).toBeUndefined();
    expect(decodeAlertBody(Buffer.alloc(0))).toBeUndefined();
  });

  it('extra values are bounded', () => {
    const alert = decodeAlertBody(
      xml(`<eventType>ANPR</eventType><licensePlate>${'X'.repeat(10_000)}</licensePlate>`),
    )!;
    expect(alert.extra.licensePlate).toHaveLength(256);
  });

  it('the content type is a hint: a mislabelled body is read for what it is', () => {
    expect(decodeAlertBody(xml('<eventType>VMD</eventType>'), 'application/json')!.format).toBe('xml');
    expect(decodeAlertBody(Buffer.from('\ufeff{"eventType":"VMD"}'), 'text/plain')!.format).toBe('json');
    expect(xmlCaptures().every((c) => decodeAlertBody(c.body) !== undefined)).toBe(true);
  });
});

describe('boundaryFromContentType', () => {
  it.each([
    ['multipart/mixed; boundary=boundary', 'boundary'],
    ['multipart/mixed; boundary="MIME_boundary"', 'MIME_boundary'],
    ['multipart/mixed;boundary=abc; charset=utf-8', 'abc'],
    ['Multipart/Mixed; BOUNDARY=X-Y', 'X-Y'],
    ['multipart/mixed', undefined],
    ['multipart/mixed; boundary=', undefined],
    [undefined, undefined],
  ])('%s -> %s', (header, boundary) => {
    expect(boundaryFromContentType(header)).toBe(boundary);
  });
});
