import { describe, expect, it } from 'vitest';
import { parseDeviceUrl, redactUrl } from '../../src/protocols/isapi/client.ts';
import { errorForAnswer, featureOfPath } from '../../src/protocols/isapi/errors.ts';
import { buildRtspUrl, redactRtspUrl } from '../../src/protocols/isapi/rtsp.ts';
import { parseResponseStatus } from '../../src/protocols/isapi/status.ts';

const ctx = { host: 'cam:80', username: 'viewer', path: '/ISAPI/Event/notification/alertStream' };

function classify(status: number, body = '') {
  return errorForAnswer(ctx, status, body, parseResponseStatus(body));
}

describe('ISAPI answer classification', () => {
  it('treats 2xx with statusCode 1 (or no status) as success', () => {
    expect(classify(200, '<ResponseStatus><statusCode>1</statusCode></ResponseStatus>')).toBeUndefined();
    expect(classify(200, '<DeviceInfo/>')).toBeUndefined();
  });

  it('maps each failure to the error a user understands', () => {
    expect(classify(403)?.code).toBe('permission_denied');
    expect(classify(403)?.message).toContain('events');
    expect(classify(404)?.code).toBe('not_supported');
    expect(classify(200, '{"statusCode":4,"subStatusCode":"notSupport"}')?.code).toBe('not_supported');
    expect(classify(503)?.code).toBe('device_busy');
    expect(classify(200, '<ResponseStatus><statusCode>2</statusCode></ResponseStatus>')?.code).toBe(
      'device_busy',
    );
    expect(
      classify(
        200,
        '<ResponseStatus><statusCode>3</statusCode><statusString>Device Error</statusString></ResponseStatus>',
      )?.message,
    ).toContain('Device Error');
    expect(
      classify(401, '<ResponseStatus><subStatusCode>notActivated</subStatusCode></ResponseStatus>')?.code,
    ).toBe('not_activated');
    expect(classify(500)?.code).toBe('device_error');
  });

  it('names features by path', () => {
    expect(featureOfPath('/ISAPI/Streaming/channels/101/picture')).toContain('snapshot');
    expect(featureOfPath('/ISAPI/System/TwoWayAudio/channels/1/open')).toBe('two-way audio');
    expect(featureOfPath('/ISAPI/AccessControl/RemoteControl/door/1')).toBe('door control');
  });
});

describe('URLs and credentials', () => {
  it('percent-encodes RTSP credentials with special characters', () => {
    const url = buildRtspUrl({
      host: '10.0.0.5',
      port: 554,
      streamId: '102',
      credentials: { username: 'ad min', password: 'p@ss:w#rd/1' },
    });
    expect(url).toBe('rtsp://ad%20min:p%40ss%3Aw%23rd%2F1@10.0.0.5:554/Streaming/Channels/102');
    expect(new URL(url).pathname).toBe('/Streaming/Channels/102');
    expect(redactRtspUrl(url)).toBe('rtsp://ad%20min:***@10.0.0.5:554/Streaming/Channels/102');
    expect(buildRtspUrl({ host: 'fe80::1', port: 10554, streamId: '1201' })).toBe(
      'rtsp://[fe80::1]:10554/Streaming/Channels/1201',
    );
  });

  it('parses device URLs and decodes credentials', () => {
    expect(parseDeviceUrl('https://admin:p%40ss@cam.local:8443')).toEqual({
      baseUrl: 'https://cam.local:8443',
      username: 'admin',
      password: 'p@ss',
    });
    expect(() => parseDeviceUrl('ftp://x')).toThrow(/scheme/);
    expect(() => parseDeviceUrl('not a url')).toThrow(/not a URL/);
    expect(redactUrl('http://admin:secret@host:80')).toBe('http://admin:***@host:80');
  });
});
