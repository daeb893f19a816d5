/**
 * alertStream parser throughput: a generated NVR-like stream (70 % VMD, 25 % videoloss
 * heartbeats, 5 % fielddetection each followed by a 20 KB JPEG part; boundary `boundary`;
 * Content-Length on every part) fed in 64 KiB chunks, then the same stream with one framing
 * fault each, to show that nothing but the broken part is lost and memory stays bounded.
 *
 * The stream is generated lazily, chunk by chunk, so the process holds no copy of it; `seconds`
 * is the time spent inside push()/end(), `wallSeconds` includes generating the chunks. The clean
 * stream runs `--runs` times (default 5) and the median run is reported: the machine is shared.
 */
import { performance } from 'node:perf_hooks';
import { AlertStreamParser, type ParseIssue } from '../src/protocols/isapi/alert-stream/index.ts';
import { parseOptions, round } from './stats.ts';

type Fault = 'none' | 'no-content-length' | 'short-content-length' | 'single-line-body' | 'run-64mb';

const FAULTS: Fault[] = ['no-content-length', 'short-content-length', 'single-line-body', 'run-64mb'];
const MB = 1024 * 1024;
const NS = 'http://www.isapi.org/ver20/XMLSchema';
const RUN_BYTES = 64 * MB;

/** A JPEG-shaped picture (SOI ... EOI) of `size` bytes with incompressible content. */
export function fakeJpeg(size: number): Buffer {
  const data = Buffer.alloc(size);
  let seed = 12345;
  for (let i = 0; i < size; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) | 0;
    data[i] = seed >>> 24;
  }
  data.set([0xff, 0xd8, 0xff, 0xe0], 0);
  data.set([0xff, 0xd9], size - 2);
  return data;
}

function dateTime(i: number): string {
  const date = new Date(Date.UTC(2026, 0, 1) + i * 1000);
  return `${date.toISOString().slice(0, 19)}+01:00`;
}

/**
 * An NVR's EventNotificationAlert shaped like the captures (fixtures/alerts/fielddetection_*.xml:
 * 2-space indentation, ipv6Address, isDataRetransmission) with the NVR's dynChannelID.
 */
function alertXml(i: number, type: string, state: string, extra: string[] = []): string {
  const channel = (i % 8) + 1;
  const lines = [
    '<ipAddress>192.168.1.64</ipAddress>',
    '<ipv6Address>::ffff:192.168.1.64</ipv6Address>',
    '<portNo>80</portNo>',
    '<protocol>HTTP</protocol>',
    '<macAddress>44:19:b6:6d:24:85</macAddress>',
    `<channelID>${channel}</channelID>`,
    `<dynChannelID>${channel}</dynChannelID>`,
    `<dateTime>${dateTime(i)}</dateTime>`,
    `<activePostCount>${state === 'active' ? (i % 50) + 1 : 0}</activePostCount>`,
    `<eventType>${type}</eventType>`,
    `<eventState>${state}</eventState>`,
    `<eventDescription>${type} alarm</eventDescription>`,
    ...extra,
    `<channelName>Camera ${String(channel).padStart(2, '0')}</channelName>`,
    '<isDataRetransmission>false</isDataRetransmission>',
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<EventNotificationAlert version="2.0" xmlns="${NS}">`,
    ...lines.map((line) => `  ${line}`),
    '</EventNotificationAlert>',
    '',
  ].join('\n');
}

const DETECTION = [
  '<DetectionRegionList>',
  '  <DetectionRegionEntry>',
  '    <regionID>1</regionID>',
  '    <sensitivityLevel>50</sensitivityLevel>',
  '    <RegionCoordinatesList>',
  ...[
    [572, 100],
    [572, 995],
    [999, 998],
    [992, 210],
  ].flatMap(([x, y]) => [
    '      <RegionCoordinates>',
    `        <positionX>${x}</positionX>`,
    `        <positionY>${y}</positionY>`,
    '      </RegionCoordinates>',
  ]),
  '    </RegionCoordinatesList>',
  '    <detectionTarget>human</detectionTarget>',
  '    <TargetRect>',
  '      <X>0.6</X>',
  '      <Y>0.215278</Y>',
  '      <width>0.135937</width>',
  '      <height>0.505556</height>',
  '    </TargetRect>',
  '  </DetectionRegionEntry>',
  '</DetectionRegionList>',
  '<detectionPictureTransType>binary</detectionPictureTransType>',
  '<detectionPicturesNumber>1</detectionPicturesNumber>',
];

interface StreamSpec {
  events: number;
  fault: Fault;
  image: Buffer;
}

function part(contentType: string, body: Buffer, contentLength: number | null): Buffer[] {
  const length = contentLength === null ? '' : `Content-Length: ${contentLength}\r\n`;
  return [
    Buffer.from(`--boundary\r\nContent-Type: ${contentType}\r\n${length}\r\n`),
    body,
    Buffer.from('\r\n'),
  ];
}

/** The stream's pieces in order; the fault (if any) hits the event in the middle. */
export function* streamPieces(spec: StreamSpec): Generator<Buffer> {
  const faultAt = Math.floor(spec.events / 2);
  for (let i = 0; i < spec.events; i++) {
    const slot = i % 20; // 14 VMD, 5 videoloss, 1 fielddetection in every 20 events
    const smart = slot === 19;
    const type = smart ? 'fielddetection' : slot < 14 ? 'VMD' : 'videoloss';
    let xml = alertXml(i, type, type === 'videoloss' ? 'inactive' : 'active', smart ? DETECTION : []);
    const fault = i === faultAt ? spec.fault : 'none';
    if (fault === 'single-line-body') xml = xml.replace(/\n\s*/g, '');
    if (fault === 'run-64mb') yield* runPart();
    const body = Buffer.from(xml);
    const length =
      fault === 'no-content-length' ? null : body.length - (fault === 'short-content-length' ? 10 : 0);
    yield* part('application/xml; charset="UTF-8"', body, length);
    if (smart) yield* part('image/jpeg', spec.image, spec.image.length);
  }
}

/** A part whose body is a 64 MB run without a newline or a delimiter (no Content-Length). */
function* runPart(): Generator<Buffer> {
  yield Buffer.from('--boundary\r\nContent-Type: application/xml\r\n\r\n');
  const block = Buffer.alloc(MB, 'A');
  for (let i = 0; i < RUN_BYTES / MB; i++) yield block;
  yield Buffer.from('\r\n');
}

/** Cuts the pieces into fresh chunks of `size` bytes, as a socket would deliver them. */
export function* chunked(pieces: Iterable<Buffer>, size: number): Generator<Buffer> {
  let chunk = Buffer.allocUnsafe(size);
  let fill = 0;
  for (const piece of pieces) {
    let offset = 0;
    while (offset < piece.length) {
      const n = Math.min(size - fill, piece.length - offset);
      piece.copy(chunk, fill, offset, offset + n);
      fill += n;
      offset += n;
      if (fill === size) {
        yield chunk;
        chunk = Buffer.allocUnsafe(size);
        fill = 0;
      }
    }
  }
  if (fill > 0) yield chunk.subarray(0, fill);
}

interface RunResult {
  bytes: number;
  events: number;
  images: number;
  linkedImages: number;
  issues: ParseIssue[];
  seconds: number;
  wallSeconds: number;
  peakRssMb: number;
  maxBufferedBytes: number;
}

function runOnce(spec: StreamSpec, chunkSize: number): RunResult {
  let events = 0;
  let images = 0;
  let linkedImages = 0;
  const issues: ParseIssue[] = [];
  const parser = new AlertStreamParser({
    boundary: 'boundary',
    onAlert: () => {
      events++;
    },
    onImage: (_image, previous) => {
      images++;
      if (previous?.eventType === 'fielddetection') linkedImages++;
    },
    onIssue: (issue) => issues.push(issue),
  });
  let seconds = 0;
  let peakRss = process.memoryUsage.rss();
  let maxBuffered = 0;
  let count = 0;
  const wallStart = performance.now();
  for (const chunk of chunked(streamPieces(spec), chunkSize)) {
    const t0 = performance.now();
    parser.push(chunk);
    seconds += performance.now() - t0;
    maxBuffered = Math.max(maxBuffered, parser.bufferedBytes);
    if (++count % 32 === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  const t0 = performance.now();
  parser.end();
  seconds += performance.now() - t0;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  return {
    bytes: parser.bytesSeen,
    events,
    images,
    linkedImages,
    issues,
    seconds: seconds / 1000,
    wallSeconds: (performance.now() - wallStart) / 1000,
    peakRssMb: peakRss / MB,
    maxBufferedBytes: maxBuffered,
  };
}

function print(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export async function runParseBench(args: string[]): Promise<void> {
  const options = parseOptions(args, { events: 100_000, chunk: 65_536, runs: 5, image: 20_480 });
  const image = fakeJpeg(options.image);
  const expectedImages = Math.floor(options.events / 20); // one smart event in every 20
  const clean: RunResult[] = [];
  for (let run = 0; run < options.runs; run++) {
    clean.push(runOnce({ events: options.events, fault: 'none', image }, options.chunk));
    process.stderr.write(
      `parse: clean run ${run + 1}/${options.runs}: ${round(clean.at(-1)!.seconds, 3)} s\n`,
    );
  }
  // The median run: the machine is shared, one slow run should not decide the number.
  const median = [...clean].sort((a, b) => a.seconds - b.seconds)[Math.floor(clean.length / 2)]!;
  const mb = median.bytes / MB;
  print({
    bench: 'parse',
    mb: round(mb, 1),
    events: median.events,
    images: median.images,
    linkedImages: median.linkedImages,
    issues: median.issues.length,
    seconds: round(median.seconds, 3),
    mbPerSec: round(mb / median.seconds, 1),
    eventsPerSec: Math.round(median.events / median.seconds),
    peakRssMb: round(Math.max(...clean.map((r) => r.peakRssMb)), 1),
    maxBufferedKb: round(median.maxBufferedBytes / 1024, 1),
    runs: clean.map((r) => round(r.seconds, 3)),
    wallSeconds: round(median.wallSeconds, 2),
  });
  for (const fault of FAULTS) {
    const result = runOnce({ events: options.events, fault, image }, options.chunk);
    print({
      bench: 'parse',
      scenario: fault,
      mb: round(result.bytes / MB, 1),
      events: result.events,
      expectedEvents: options.events,
      lostEvents: options.events - result.events,
      images: result.images,
      lostImages: expectedImages - result.images,
      issues: result.issues.map((i) => `${i.kind}:${i.bytesSkipped}`),
      seconds: round(result.seconds, 3),
      mbPerSec: round(result.bytes / MB / result.seconds, 1),
      peakRssMb: round(result.peakRssMb, 1),
      maxBufferedKb: round(result.maxBufferedBytes / 1024, 1),
    });
  }
}
