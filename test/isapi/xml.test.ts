import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseResponseStatus } from '../../src/protocols/isapi/status.ts';
import { attr, bool, children, int, parseXml, text } from '../../src/protocols/isapi/xml.ts';
import { ALERT_FIXTURES as alerts } from '../support/fixtures.ts';

describe('XML codec', () => {
  it('reads elements by local name in every namespace and with prefixes', () => {
    const bodies = [
      '<DeviceInfo xmlns="http://www.hikvision.com/ver20/XMLSchema"><model>A</model></DeviceInfo>',
      '<DeviceInfo xmlns="http://www.isapi.org/ver20/XMLSchema"><model>A</model></DeviceInfo>',
      '<DeviceInfo xmlns="http://www.std-cgi.com/ver20/XMLSchema"><model>A</model></DeviceInfo>',
      '<DeviceInfo version="1.0" xmlns="urn:psialliance-org"><model>A</model></DeviceInfo>',
      '<hik:DeviceInfo xmlns:hik="http://www.hikvision.com/ver20/XMLSchema"><hik:model>A</hik:model></hik:DeviceInfo>',
    ];
    for (const body of bodies) {
      const doc = parseXml(body);
      expect(doc.root).toBe('DeviceInfo');
      expect(text(doc.node, 'model')).toBe('A');
    }
  });

  it('keeps leading zeros, lists single and repeated children, reads attributes', () => {
    const doc = parseXml(
      '<L><serial>00012</serial><c><id>1</id></c><flag>true</flag><doorNo min="1" max="2"/><empty/></L>',
    );
    expect(text(doc.node, 'serial')).toBe('00012');
    expect(children(doc.node, 'c')).toHaveLength(1);
    expect(int(children(doc.node, 'c')[0], 'id')).toBe(1);
    expect(bool(doc.node, 'flag')).toBe(true);
    expect(attr(doc.node, 'doorNo', 'max')).toBe('2');
    expect(text(doc.node, 'empty')).toBeUndefined();
    expect(children(parseXml('<L><c>1</c><c>2</c></L>').node, 'c')).toHaveLength(2);
  });

  it('never expands entities declared in a DTD', () => {
    const doc = parseXml('<!DOCTYPE r [<!ENTITY boom "EXPANDED">]><r><v>&boom;</v></r>');
    expect(text(doc.node, 'v')).not.toContain('EXPANDED');
  });

  it('survives a bare ampersand in text (seen in real alert bodies)', () => {
    const doc = parseXml(
      '<EventNotificationAlert><channelName>Front & Back</channelName></EventNotificationAlert>',
    );
    expect(text(doc.node, 'channelName')).toBe('Front & Back');
  });

  it('reads the real PIR alert in the old psialliance v1.0 schema', () => {
    const doc = parseXml(readFileSync(new URL('pir.xml', alerts), 'utf8'));
    expect(doc.root).toBe('EventNotificationAlert');
    expect(text(doc.node, 'eventType')).toBe('PIR');
    expect(text(doc.node, 'Extensions/serialNumber')).toMatch(/^DS-2CD2443G0-IW/);
  });
});

describe('ResponseStatus', () => {
  it('parses the real XML error bodies', () => {
    const bad = parseResponseStatus(readFileSync(new URL('picture_badXmlContent.xml', alerts), 'utf8'));
    expect(bad).toMatchObject({
      statusCode: 6,
      subStatusCode: 'badXmlContent',
      statusString: 'Invalid XML Content',
    });
    const deviceError = parseResponseStatus(readFileSync(new URL('picture_deviceError.xml', alerts), 'utf8'));
    expect(deviceError).toMatchObject({ statusCode: 3, subStatusCode: 'deviceError' });
  });

  it('parses JSON with numbers or strings, flat or wrapped', () => {
    expect(
      parseResponseStatus(
        '{"statusCode":4,"statusString":"Invalid Operation","subStatusCode":"noRequest","errorCode":1073741830,"errorMsg":"noRequest"}',
      ),
    ).toMatchObject({ statusCode: 4, subStatusCode: 'noRequest', errorCode: 1073741830 });
    expect(
      parseResponseStatus('{"ResponseStatus":{"statusCode":"2","subStatusCode":"deviceBusy"}}'),
    ).toMatchObject({
      statusCode: 2,
      subStatusCode: 'deviceBusy',
    });
  });

  it('ignores bodies that are not a ResponseStatus', () => {
    expect(parseResponseStatus('<DeviceInfo><model>x</model></DeviceInfo>')).toBeUndefined();
    expect(parseResponseStatus('{"CallStatus":{"status":"idle"}}')).toBeUndefined();
    expect(parseResponseStatus('\xff\xd8\xff binary')).toBeUndefined();
    expect(parseResponseStatus('<ResponseStatus><statusCode>oops')).toBeUndefined();
  });
});
