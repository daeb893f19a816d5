/**
 * The reader on a live alertStream from the simulator, opened with our ISAPI client (Digest,
 * streaming body): smart events with their pictures, the framing variants real devices use
 * (streamFraming fault), doorbell JSON parts, a part cut mid-body, and bytes between parts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type SimDevice,
  type SimDeviceOptions,
  type StreamFraming,
  startSimDevice,
} from '../../sim/index.ts';
import {
  type AlertImage,
  AlertStreamParser,
  boundaryFromContentType,
  type ParseIssue,
  type RawAlert,
} from '../../src/protocols/isapi/alert-stream/index.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';

const PASSWORD = 'Alert-Stream-1';
const PATH = '/ISAPI/Event/notification/alertStream';
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

interface Reader {
  alerts: RawAlert[];
  images: Array<{ image: AlertImage; previous: RawAlert | null }>;
  issues: ParseIssue[];
  contentType: string;
}

async function device(options: Partial<SimDeviceOptions> = {}): Promise<SimDevice> {
  const sim = await startSimDevice({ profile: 'camera', password: PASSWORD, heartbeatMs: 0, ...options });
  cleanups.push(() => sim.close());
  return sim;
}

/** Opens the alertStream with our client and pipes its body into a parser. */
async function read(sim: SimDevice): Promise<Reader> {
  const client = new IsapiClient({ baseUrl: sim.url, username: 'admin', password: PASSWORD });
  const response = await client.http.stream({ path: PATH });
  expect(response.status).toBe(200);
  const reader: Reader = {
    alerts: [],
    images: [],
    issues: [],
    contentType: response.headers['content-type'] ?? '',
  };
  const parser = new AlertStreamParser({
    boundary: boundaryFromContentType(reader.contentType),
    onAlert: (alert) => reader.alerts.push(alert),
    onImage: (image, previous) => reader.images.push({ image, previous }),
    onIssue: (issue) => reader.issues.push(issue),
  });
  const piping = (async () => {
    for await (const chunk of response.body) parser.push(chunk as Buffer);
    parser.end();
  })().catch(() => {}); // closed by the test
  cleanups.push(async () => {
    response.close();
    await piping;
    await client.close();
  });
  await until(() => sim.openAlertStreams > 0);
  return reader;
}

async function until(condition: () => boolean, what = 'condition'): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('a camera’s alertStream through our client', () => {
  it('smart events with their picture, motion, alarm input, the duration wrapper, PIR (v1)', async () => {
    const sim = await device();
    const reader = await read(sim);
    expect(boundaryFromContentType(reader.contentType)).toBe('boundary');

    sim.trigger({ type: 'fielddetection', channel: 1, targets: ['human'] });
    // No heartbeat follows: the alert and its picture must not wait for another part.
    await until(() => reader.images.length === 1, 'the detection picture');
    const [intrusion] = reader.alerts;
    expect(intrusion).toMatchObject({
      format: 'xml',
      eventType: 'fielddetection',
      eventState: 'active',
      channelId: 1,
      activePostCount: 1,
      detections: [
        { regionId: 1, target: 'human', rect: { x: 0.6, y: 0.215278, width: 0.135937, height: 0.505556 } },
      ],
      extra: { detectionPicturesNumber: '1' },
    });
    const { image, previous } = reader.images[0]!;
    expect(previous).toBe(intrusion);
    expect(image.contentType).toBe('image/jpeg');
    expect([image.data[0], image.data[1], image.data.at(-2), image.data.at(-1)]).toEqual([
      0xff, 0xd8, 0xff, 0xd9,
    ]);

    sim.trigger({ type: 'VMD', channel: 1 });
    sim.trigger({ type: 'VMD', channel: 1, state: 'inactive' });
    sim.trigger({ type: 'IO', ioPort: 2 });
    sim.trigger({ type: 'duration', relationEvent: 'linedetection' });
    sim.trigger({ type: 'PIR' });
    await until(() => reader.alerts.length === 6, 'six alerts');
    expect(reader.alerts.slice(1).map((a) => [a.eventType, a.eventState, a.activePostCount])).toEqual([
      ['VMD', 'active', 1],
      ['VMD', 'inactive', 1],
      ['IO', 'active', 1],
      ['duration', 'active', 1],
      ['PIR', 'active', 1],
    ]);
    expect(reader.alerts[3]!.inputPortId).toBe(2);
    expect(reader.alerts[4]!.relationEvent).toBe('linedetection');
    expect(reader.alerts[5]!.extra.protocolType).toBe('HTTP'); // the psialliance v1 body
    expect(reader.images).toHaveLength(1);
    expect(reader.issues).toEqual([]);
  });

  it('an NVR: dynChannelID, several channels, heartbeats', async () => {
    const sim = await device({ profile: 'nvr:4', heartbeatMs: 100 });
    const reader = await read(sim);
    sim.trigger({ type: 'linedetection', channel: 3, targets: ['vehicle', 'human'] });
    await until(() => reader.images.length === 1 && reader.alerts.some((a) => a.eventType === 'videoloss'));
    const line = reader.alerts.find((a) => a.eventType === 'linedetection')!;
    expect(line.channelId).toBe(3);
    expect(line.channelName).toBeTruthy();
    expect(line.detections.map((d) => [d.regionId, d.target])).toEqual([
      [1, 'vehicle'],
      [2, 'human'],
    ]);
    expect(reader.images[0]!.previous).toBe(line);
    const heartbeat = reader.alerts.find((a) => a.eventType === 'videoloss')!;
    expect(heartbeat).toMatchObject({ eventState: 'inactive', channelId: 1 });
  });
});

describe('framing variants of real devices (streamFraming)', () => {
  const cases: Array<[string, StreamFraming]> = [
    ['header advertises another boundary than the one used', { boundaryMode: 'literal-mismatch' }],
    ['no boundary in the header', { boundaryMode: 'missing' }],
    ['MIME_boundary', { boundaryMode: 'MIME_boundary' }],
    ['no Content-Length', { contentLength: false }],
    ['blank lines between parts, no Content-Length', { blankLines: true, contentLength: false }],
    ['empty activePostCount and a bare &', { emptyActivePostCount: true, bareAmpersand: true }],
  ];

  for (const [name, framing] of cases) {
    it(`${name}: every part read, the picture linked`, async () => {
      const sim = await device();
      sim.setFault({ kind: 'streamFraming', ...framing });
      const reader = await read(sim);
      sim.trigger({ type: 'fielddetection', targets: ['vehicle'] });
      sim.trigger({ type: 'VMD' });
      sim.trigger({ type: 'IO', ioPort: 1 });
      // Without Content-Length a picture ends at the next delimiter: one more part shows it.
      sim.trigger({ type: 'videoloss', state: 'inactive', image: false });
      await until(() => reader.alerts.length === 4 && reader.images.length === 1, `${name} parts`);
      expect(reader.alerts.map((a) => a.eventType)).toEqual(['fielddetection', 'VMD', 'IO', 'videoloss']);
      expect(reader.images[0]!.previous).toBe(reader.alerts[0]);
      expect(reader.alerts[0]!.detections[0]!.target).toBe('vehicle');
      expect(reader.issues).toEqual([]);
      if (framing.emptyActivePostCount) {
        expect(reader.alerts.map((a) => a.activePostCount)).toEqual([null, null, null, null]);
        expect(reader.alerts[1]!.description).toBe('Motion alarm & more');
      }
    });
  }
});

describe('doorbells and broken streams', () => {
  it('a doorbell: JSON parts with access-control codes, and its heartbeat', async () => {
    const sim = await device({ profile: 'doorbell', heartbeatMs: 100 });
    const reader = await read(sim);
    expect(boundaryFromContentType(reader.contentType)).toBe('MIME_boundary');
    sim.trigger({ type: 'AccessControllerEvent', major: 5, minor: 25, door: 1 });
    await until(
      () => reader.alerts.some((a) => a.access) && reader.alerts.some((a) => a.eventType === 'videoloss'),
    );
    const door = reader.alerts.find((a) => a.access)!;
    expect(door).toMatchObject({
      format: 'json',
      eventType: 'AccessControllerEvent',
      access: { major: 5, minor: 25, door: 1, serialNo: 1, currentEvent: true },
    });
    expect(reader.alerts.find((a) => a.eventType === 'videoloss')!.format).toBe('json');
  });

  it('a part cut mid-body: only that part is lost, reported as truncated', async () => {
    const sim = await device();
    const reader = await read(sim);
    sim.setFault({ kind: 'streamTruncate', after: 'continue' });
    sim.trigger({ type: 'VMD' }); // cut in half
    sim.trigger({ type: 'IO', ioPort: 1 });
    sim.trigger({ type: 'VMD', state: 'inactive' });
    await until(() => reader.alerts.length === 2, 'the parts after the cut one');
    expect(reader.alerts.map((a) => a.eventType)).toEqual(['IO', 'VMD']);
    expect(reader.issues.map((i) => i.kind)).toContain('truncated-part');
  });

  it('bytes between parts: reported once as garbage, the next parts read', async () => {
    const sim = await device();
    const reader = await read(sim);
    sim.trigger({ type: 'VMD' });
    sim.trigger({ raw: 'this is no part at all\r\n' });
    sim.trigger({ type: 'IO', ioPort: 1 });
    sim.trigger({ type: 'VMD', state: 'inactive' });
    await until(() => reader.alerts.length === 3, 'three alerts');
    expect(reader.alerts.map((a) => a.eventType)).toEqual(['VMD', 'IO', 'VMD']);
    expect(reader.issues.map((i) => i.kind)).toEqual(['garbage']);
  });
});
