/** parseStorage on small `ContentMgmt/Storage` bodies: disks, NAS shares, statuses, gaps. */
import { describe, expect, it } from 'vitest';
import { parseStorage } from '../../src/protocols/isapi/storage.ts';
import { parseXml } from '../../src/protocols/isapi/xml.ts';

const storage = (inner: string) =>
  parseXml(
    `<?xml version="1.0"?><storage version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">${inner}</storage>`,
  ).node;

describe('parseStorage', () => {
  it('reads disks and NAS shares, sorted by id, sizes in MB as given', () => {
    const node = storage(`
      <hddList>
        <hdd><id>2</id><hddName>hdd2</hddName><status>error</status><capacity>953869</capacity><freeSpace>0</freeSpace></hdd>
        <hdd><id>1</id><hddName>hdd1</hddName><status>ok</status><capacity>1907729</capacity><freeSpace>1325056</freeSpace></hdd>
      </hddList>
      <nasList>
        <nas><id>9</id><ipAddress>192.168.1.5</ipAddress><path>/volume1/cams</path><status>offline</status><capacity>0</capacity><freeSpace>0</freeSpace></nas>
      </nasList>`);
    expect(parseStorage(node)).toEqual([
      {
        id: 1,
        name: 'hdd1',
        type: 'hdd',
        status: 'ok',
        capacityMb: 1907729,
        freeMb: 1325056,
        overwrite: null,
      },
      { id: 2, name: 'hdd2', type: 'hdd', status: 'error', capacityMb: 953869, freeMb: 0, overwrite: null },
      {
        id: 9,
        name: '192.168.1.5:/volume1/cams',
        type: 'nas',
        status: 'offline',
        capacityMb: 0,
        freeMb: 0,
        overwrite: null,
      },
    ]);
  });

  it("a camera's disk is its memory card when the caller says so", () => {
    const node = storage(
      '<hddList><hdd><id>1</id><hddName>hdde</hddName><hddType>SATA</hddType><status>unformatted</status></hdd></hddList>',
    );
    expect(parseStorage(node, { localMedia: 'sd' })).toEqual([
      {
        id: 1,
        name: 'hdde',
        type: 'sd',
        status: 'unformatted',
        capacityMb: null,
        freeMb: null,
        overwrite: null,
      },
    ]);
  });

  it('keeps the status word as the device wrote it, reads an overWrite flag when there is one', () => {
    const node = storage(
      '<hddList><hdd><id>1</id><status>smartFailed</status><overWrite>false</overWrite></hdd></hddList>',
    );
    expect(parseStorage(node)[0]).toMatchObject({ name: 'hdd 1', status: 'smartFailed', overwrite: false });
  });

  it('empty lists, empty elements and entries without an id give nothing', () => {
    expect(parseStorage(storage('<hddList/><nasList></nasList><workMode>quota</workMode>'))).toEqual([]);
    expect(parseStorage(storage(''))).toEqual([]);
    expect(parseStorage(storage('<hddList><hdd><hddName>x</hddName></hdd></hddList>'))).toEqual([]);
  });

  it('a NAS without address or path is named by its id; a missing status is "unknown"', () => {
    expect(parseStorage(storage('<nasList><nas><id>10</id></nas></nasList>'))).toEqual([
      {
        id: 10,
        name: 'nas 10',
        type: 'nas',
        status: 'unknown',
        capacityMb: null,
        freeMb: null,
        overwrite: null,
      },
    ]);
  });
});
