/**
 * A doorbell's SIP settings over ISAPI (src/protocols/isapi/sip-config.ts) against the simulated
 * doorbell: write and read back, the list form when the single one is missing, phone number
 * records created then updated, call buttons, ring/talk times, input checks before any request,
 * read-modify-write keeping what hikbridge does not understand, and a camera's clear refusal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type SimDevice, type SimDeviceOptions, startSimDevice } from '../../sim/index.ts';
import type { RequestOptions } from '../../src/protocols/http/types.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import { IsapiStatusError, NotSupportedError } from '../../src/protocols/isapi/errors.ts';
import {
  readKeyCfg,
  readOperationTime,
  readPhoneNumberRecords,
  readSipServer,
  SipSettingInputError,
  SipSettingUnsupportedError,
  writeKeyCfg,
  writeOperationTime,
  writePhoneNumberRecord,
  writeSipServer,
} from '../../src/protocols/isapi/sip-config.ts';

const PASSWORD = 'Sip-Bell-42';
const SIP_SECRET = 'Never-Read-Back-7';
const open: Array<{ close(): Promise<void> }> = [];

async function sim(options: Partial<SimDeviceOptions> = {}): Promise<SimDevice> {
  const device = await startSimDevice({
    profile: 'doorbell',
    password: PASSWORD,
    heartbeatMs: 0,
    ...options,
  });
  open.push(device);
  return device;
}

/** A client that also keeps every request it sent (bodies included), to see what went out. */
function clientFor(device: SimDevice): { client: IsapiClient; sent: RequestOptions[] } {
  const client = new IsapiClient({ baseUrl: device.url, username: 'admin', password: PASSWORD });
  open.push(client);
  const sent: RequestOptions[] = [];
  const request = client.http.request.bind(client.http);
  client.http.request = (options: RequestOptions) => {
    sent.push(options);
    return request(options);
  };
  return { client, sent };
}

async function rawGet(client: IsapiClient, path: string): Promise<string> {
  return (await client.call({ method: 'GET', path })).body.toString('utf8');
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const bodyOf = (options: RequestOptions): string => String(options.body ?? '');

afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

const SERVER = {
  enabled: true,
  proxy: '127.0.0.1',
  proxyPort: 15060,
  localPort: 5062,
  displayName: 'Front door',
  userName: '10101',
  authId: '10101',
  password: SIP_SECRET,
  expires: 60,
};

describe('SIP server', () => {
  it('writes the server, reads it back equal, never the password, with the register status', async () => {
    const device = await sim();
    const { client, sent } = clientFor(device);
    expect(await writeSipServer(client, SERVER)).toBe('single');

    const { password: _secret, ...expected } = SERVER;
    const read = await readSipServer(client);
    expect(read).toMatchObject({ id: 1, ...expected });
    expect(JSON.stringify(read)).not.toContain(SIP_SECRET);

    const raw = await rawGet(client, '/ISAPI/System/Network/SIP/1');
    expect(raw).not.toContain(SIP_SECRET);
    const status = /<registerStatus>([^<]*)<\/registerStatus>/.exec(raw)?.[1];
    expect(status).toMatch(/\w/);
    expect(read.registerStatus).toBe(status);

    // The PUT went to the single form, in the doorbell's namespace, password included.
    const put = sent.find((o) => o.method === 'PUT');
    expect(put?.path).toBe('/ISAPI/System/Network/SIP/1');
    const namespace = /<SIPServer [^>]*(xmlns="[^"]+")/.exec(raw)?.[1];
    expect(namespace).toBeDefined();
    expect(bodyOf(put!)).toContain(namespace);
    expect(bodyOf(put!)).toContain(`<password>${SIP_SECRET}</password>`);
    expect(bodyOf(put!)).not.toContain('registerStatus');
  });

  it('a later partial write keeps the rest, the password included', async () => {
    const device = await sim();
    const { client, sent } = clientFor(device);
    await writeSipServer(client, SERVER);
    sent.length = 0;
    await writeSipServer(client, { proxyPort: 15070 });
    expect(bodyOf(sent.find((o) => o.method === 'PUT')!)).not.toContain('<password>');
    expect(await readSipServer(client)).toMatchObject({
      proxyPort: 15070,
      proxy: '127.0.0.1',
      userName: '10101',
    });
  });

  it('falls back to the list form when the device has no single form', async () => {
    const device = await sim();
    device.setEndpoint('/ISAPI/System/Network/SIP/1', { status_code: 404 });
    const { client } = clientFor(device);
    expect(await writeSipServer(client, SERVER)).toBe('list');
    expect(device.countRequests('/ISAPI/System/Network/SIP', 'PUT')).toBe(1);
    expect(device.requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toEqual([
      '/ISAPI/System/Network/SIP',
    ]);
    const { password: _secret, ...expected } = SERVER;
    expect(await readSipServer(client)).toMatchObject(expected);
    expect(await rawGet(client, '/ISAPI/System/Network/SIP')).toMatch(/<SIPServerList[\s\S]*<SIPServer>/);
  });

  it('read-modify-write keeps elements hikbridge does not understand', async () => {
    const device = await sim();
    const { client } = clientFor(device);
    // Something set in the web page that hikbridge has no name for, beside the doorbell's streamID.
    await client.sendXml('PUT', '/ISAPI/System/Network/SIP/1', 'SIPServer', {
      id: '1',
      streamID: '1',
      Standard: { transportType: 'TCP' },
    });
    const before = await rawGet(client, '/ISAPI/System/Network/SIP/1');
    expect(before).toContain('<streamID>1</streamID>');
    expect(before).toContain('<transportType>TCP</transportType>');

    await writeSipServer(client, SERVER);
    const after = await rawGet(client, '/ISAPI/System/Network/SIP/1');
    expect(after).toContain('<streamID>1</streamID>');
    expect(after).toContain('<transportType>TCP</transportType>');
    expect(after).toContain('<proxyPort>15060</proxyPort>');

    // The simulator does drop what a PUT leaves out, so the check above can fail.
    await client.sendXml('PUT', '/ISAPI/System/Network/SIP/1', 'SIPServer', { id: '1', Standard: {} });
    const dropped = await rawGet(client, '/ISAPI/System/Network/SIP/1');
    expect(dropped).not.toContain('transportType');
    expect(dropped).not.toContain('streamID');
  });

  it('writes back in the namespace and element order the device used', async () => {
    const device = await sim();
    // A button answer in the hikvision.com namespace, with elements hikbridge does not know.
    device.setEndpoint('/ISAPI/VideoIntercom/keyCfg/1', {
      response: {
        KeyCfg: {
          '@version': '1.0',
          '@xmlns': 'http://www.hikvision.com/ver20/XMLSchema',
          id: '1',
          module: 'main',
          callNumber: '1',
          enableCallCenter: 'false',
          templateNo: '1',
        },
      },
    });
    const { client, sent } = clientFor(device);
    await writeKeyCfg(client, { button: 1, callNumber: 3 });
    const body = bodyOf(sent.find((o) => o.method === 'PUT')!);
    expect(body).toContain('<KeyCfg version="1.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">');
    expect(body).toContain(
      '<id>1</id><module>main</module><callNumber>3</callNumber><moduleId>1</moduleId>' +
        '<enableCallCenter>false</enableCallCenter><templateNo>0</templateNo>',
    );
  });
});

describe('phone number records', () => {
  it('creates a record, then updates it when the room has one', async () => {
    const device = await sim();
    const { client, sent } = clientFor(device);
    expect(await writePhoneNumberRecord(client, { roomNo: 1, phoneNumbers: ['10102'] })).toBe('created');
    expect(await writePhoneNumberRecord(client, { roomNo: '1', phoneNumbers: ['10103', '10104'] })).toBe(
      'updated',
    );
    expect(sent.map((o) => `${o.method} ${o.path}`)).toEqual([
      'POST /ISAPI/VideoIntercom/PhoneNumberRecords?format=json',
      'POST /ISAPI/VideoIntercom/PhoneNumberRecords?format=json',
      'PUT /ISAPI/VideoIntercom/PhoneNumberRecords?format=json',
    ]);
    expect(JSON.parse(bodyOf(sent[2]!))).toEqual({
      PhoneNumberRecord: { roomNo: '1', PhoneNumbers: [{ phoneNumber: '10103' }, { phoneNumber: '10104' }] },
    });
    await writePhoneNumberRecord(client, { roomNo: 7, phoneNumbers: ['10107'] });
    expect(await readPhoneNumberRecords(client)).toEqual([
      { roomNo: '1', phoneNumbers: ['10103', '10104'] },
      { roomNo: '7', phoneNumbers: ['10107'] },
    ]);
  });

  it('reads many records across search pages', async () => {
    const device = await sim();
    const { client } = clientFor(device);
    for (let room = 1; room <= 35; room++) {
      await writePhoneNumberRecord(client, { roomNo: room, phoneNumbers: [String(20000 + room)] });
    }
    const records = await readPhoneNumberRecords(client);
    expect(records).toHaveLength(35);
    expect(records[34]).toEqual({ roomNo: '35', phoneNumbers: ['20035'] });
    expect(device.countRequests('/ISAPI/VideoIntercom/PhoneNumberRecords/phoneSearch', 'POST')).toBe(2);
  });
});

describe('call buttons and ring times', () => {
  it('keyCfg round trip, keeping the device elements around it', async () => {
    const device = await sim();
    const { client } = clientFor(device);
    await writeKeyCfg(client, { button: 2, callNumber: 1 });
    expect(await readKeyCfg(client, 2)).toEqual({ button: 2, callNumber: '1', moduleId: 1, templateNo: 0 });
    await writeKeyCfg(client, { button: 2, callNumber: '12', moduleId: 3, templateNo: 1 });
    expect(await readKeyCfg(client, 2)).toEqual({ button: 2, callNumber: '12', moduleId: 3, templateNo: 1 });
    expect(await readKeyCfg(client, 1)).toMatchObject({ button: 1, callNumber: null });

    await client.sendXml('PUT', '/ISAPI/VideoIntercom/keyCfg/2', 'KeyCfg', { enableCallCenter: 'false' });
    await writeKeyCfg(client, { button: 2, callNumber: 5 });
    const raw = await rawGet(client, '/ISAPI/VideoIntercom/keyCfg/2');
    expect(raw).toContain('<enableCallCenter>false</enableCallCenter>');
    expect(raw).toContain('<callNumber>5</callNumber>');
  });

  it('operationTime round trip, keeping messageTime', async () => {
    const device = await sim();
    const { client } = clientFor(device);
    const before = await readOperationTime(client);
    expect(before.maxRingTime).toBeGreaterThan(0);
    await writeOperationTime(client, { maxRingTime: 45, talkTime: 90 });
    expect(await readOperationTime(client)).toEqual({ maxRingTime: 45, talkTime: 90 });
    await writeOperationTime(client, { talkTime: 100 });
    expect(await readOperationTime(client)).toEqual({ maxRingTime: 45, talkTime: 100 });
    expect(await rawGet(client, '/ISAPI/VideoIntercom/operationTime')).toContain(
      '<messageTime>30</messageTime>',
    );
  });
});

describe('refusals', () => {
  it('rejects bad inputs before sending anything', async () => {
    const device = await sim();
    const { client } = clientFor(device);
    const before = device.requests.length;
    const bad: Array<[string, () => Promise<unknown>]> = [
      ['proxyPort', () => writeSipServer(client, { ...SERVER, proxyPort: 0 })],
      ['localPort', () => writeSipServer(client, { ...SERVER, localPort: 65536 })],
      ['proxyPort', () => writeSipServer(client, { ...SERVER, proxyPort: 5060.5 })],
      ['proxy', () => writeSipServer(client, { ...SERVER, proxy: 'evil<host>' })],
      ['password', () => writeSipServer(client, { ...SERVER, password: `${SIP_SECRET}\n` })],
      ['roomNo', () => writePhoneNumberRecord(client, { roomNo: 0, phoneNumbers: ['10102'] })],
      ['roomNo', () => writePhoneNumberRecord(client, { roomNo: 10000, phoneNumbers: ['10102'] })],
      ['phoneNumbers[0]', () => writePhoneNumberRecord(client, { roomNo: 1, phoneNumbers: ['10-102'] })],
      [
        'phoneNumbers[0]',
        () => writePhoneNumberRecord(client, { roomNo: 1, phoneNumbers: ['1'.repeat(33)] }),
      ],
      ['phoneNumbers', () => writePhoneNumberRecord(client, { roomNo: 1, phoneNumbers: [] })],
      ['button', () => writeKeyCfg(client, { button: 0, callNumber: 1 })],
      ['button', () => writeKeyCfg(client, { button: 100, callNumber: 1 })],
      ['button', () => readKeyCfg(client, 100)],
      ['callNumber', () => writeKeyCfg(client, { button: 1, callNumber: '1a' })],
      ['talkTime', () => writeOperationTime(client, { talkTime: -1 })],
    ];
    for (const [field, call] of bad) {
      const error = await failure(call());
      expect(error, field).toBeInstanceOf(SipSettingInputError);
      expect((error as SipSettingInputError).field).toBe(field);
      expect(error.message).toContain(field);
      expect(error.message).not.toContain(SIP_SECRET);
    }
    expect(device.requests.length).toBe(before);
  });

  it('a camera has none of it: the typed error says what to set in the web page', async () => {
    const camera = await sim({ profile: 'camera' });
    const { client } = clientFor(camera);
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['sipServer', () => readSipServer(client)],
      ['sipServer', () => writeSipServer(client, SERVER)],
      ['phoneNumberRecords', () => writePhoneNumberRecord(client, { roomNo: 1, phoneNumbers: ['10102'] })],
      ['phoneNumberRecords', () => readPhoneNumberRecords(client)],
      ['keyCfg', () => readKeyCfg(client, 1)],
      ['keyCfg', () => writeKeyCfg(client, { button: 1, callNumber: 1 })],
      ['operationTime', () => readOperationTime(client)],
      ['operationTime', () => writeOperationTime(client, { maxRingTime: 60 })],
    ];
    for (const [setting, call] of calls) {
      const error = await failure(call());
      expect(error, setting).toBeInstanceOf(SipSettingUnsupportedError);
      expect(error).toBeInstanceOf(NotSupportedError);
      expect((error as SipSettingUnsupportedError).setting).toBe(setting);
      expect((error as SipSettingUnsupportedError).code).toBe('not_supported');
      expect(error.message).toMatch(/has no .* over ISAPI .*web page instead/);
    }
    expect(
      camera.requests.filter((r) => r.method === 'PUT' || r.method === 'POST').map((r) => r.path),
    ).toEqual([
      '/ISAPI/VideoIntercom/PhoneNumberRecords',
      '/ISAPI/VideoIntercom/PhoneNumberRecords/phoneSearch',
    ]);
  });

  it('GB28181 settings on the same path are not taken for the intercom SIP server', async () => {
    const camera = await sim({ profile: 'camera' });
    camera.setEndpoint('/ISAPI/System/Network/SIP', {
      response: {
        SIPServerList: {
          '@version': '2.0',
          SIPServer: { id: '1', GB28181: { enabled: 'false', registrar: '10.0.0.1' } },
        },
      },
    });
    const { client } = clientFor(camera);
    const error = await failure(writeSipServer(client, SERVER));
    expect(error).toBeInstanceOf(SipSettingUnsupportedError);
    expect(error.message).toContain('GB28181');
    expect(camera.countRequests('/ISAPI/System/Network/SIP', 'PUT')).toBe(0);
  });
});

describe('the simulated doorbell answers like a device', () => {
  it('refuses bad SIP, key and time settings with 400 and keeps the old ones', async () => {
    const device = await sim();
    const { client } = clientFor(device);
    await writeSipServer(client, SERVER);
    const refused = async (path: string, root: string, body: Record<string, unknown>) => {
      const error = await failure(client.sendXml('PUT', path, root, body));
      expect(error).toBeInstanceOf(IsapiStatusError);
      return (error as IsapiStatusError).status;
    };
    const status = await refused('/ISAPI/System/Network/SIP/1', 'SIPServer', {
      Standard: { proxyPort: '70000', proxy: '10.9.9.9' },
    });
    expect(status).toMatchObject({ statusCode: 6, subStatusCode: 'badXmlContent' });
    expect(await readSipServer(client)).toMatchObject({ proxy: '127.0.0.1', proxyPort: 15060 });
    await refused('/ISAPI/System/Network/SIP/1', 'Wrong', { id: '1' });
    await refused('/ISAPI/VideoIntercom/keyCfg/1', 'KeyCfg', { callNumber: 'abc' });
    await refused('/ISAPI/VideoIntercom/operationTime', 'OperationTime', { maxRingTime: '0' });

    const malformed = await failure(
      client.call({ method: 'PUT', path: '/ISAPI/VideoIntercom/operationTime', body: '<OperationTime><x>' }),
    );
    expect((malformed as IsapiStatusError).status).toMatchObject({
      statusCode: 5,
      subStatusCode: 'badXmlFormat',
    });
    const noButton = await failure(client.call({ method: 'GET', path: '/ISAPI/VideoIntercom/keyCfg/100' }));
    expect((noButton as IsapiStatusError).httpStatus).toBe(400);
  });
});
