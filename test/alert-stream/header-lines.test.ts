/**
 * A part whose header holds one over-long line (longer than the header window) is read: the line
 * is skipped, the headers around it still count, and its body is delivered. Fed at every chunk
 * boundary and byte by byte; a line of many MB is skipped without being held.
 */
import { describe, expect, it } from 'vitest';
import { MAX_HEADER_BYTES } from '../../src/protocols/isapi/alert-stream/framing.ts';
import {
  AlertStreamParser,
  decodeAlertBody,
  type ParseIssue,
  type RawAlert,
  WINDOW_BYTES,
} from '../../src/protocols/isapi/alert-stream/index.ts';
import { frame, HEARTBEAT, JPEG, type Parsed, parse, sameResult, XML_TYPE, xmlCaptures } from './support.ts';

const CONTENT_TYPE = 'multipart/mixed; boundary=boundary';
/** Just past the header window: the smallest line that counts as over-long. */
const LONG_LINE = `X-Device-Note: ${'n'.repeat(MAX_HEADER_BYTES + 100)}`;
const capture = xmlCaptures().find((c) => c.body.includes('<DetectionRegionList>'))!;

type Where = 'first' | 'between' | 'last';

/** The alert part with the long line among its headers, then its picture and a heartbeat. */
function streamWith(where: Where, eol: string, lengthDelta = 0): Buffer {
  const body = capture.body;
  const headers = [`Content-Type: ${XML_TYPE}`, `Content-Length: ${body.length + lengthDelta}`];
  headers.splice(where === 'first' ? 0 : where === 'between' ? 1 : 2, 0, LONG_LINE);
  const part = Buffer.concat([
    Buffer.from(`--boundary${eol}${headers.join(eol)}${eol}${eol}`),
    body,
    Buffer.from(eol),
  ]);
  const rest = frame(
    [
      { type: 'image/jpeg', body: JPEG },
      { type: XML_TYPE, body: HEARTBEAT },
    ],
    { eol },
  ).stream;
  return Buffer.concat([part, rest]);
}

function readable(parsed: Parsed) {
  return {
    alerts: parsed.alerts.map((a) => a.eventType),
    images: parsed.images.map(({ image, previous }) => [image.data.length, previous]),
    issues: parsed.issues,
  };
}

describe('a header with one over-long line', () => {
  const cases: Array<{ where: Where; eol: string }> = [
    { where: 'first', eol: '\r\n' },
    { where: 'between', eol: '\r\n' },
    { where: 'last', eol: '\r\n' },
    { where: 'between', eol: '\n' },
  ];

  for (const { where, eol } of cases) {
    const name = `${where} line${eol === '\n' ? ', LF line ends' : ''}`;
    it(`${name}: the line is skipped, the part read, identical at every chunk boundary`, () => {
      const stream = streamWith(where, eol);
      const whole = parse(stream, { contentType: CONTENT_TYPE });
      expect(whole.alerts).toEqual([decodeAlertBody(capture.body), decodeAlertBody(HEARTBEAT)]);
      expect(whole.images.map(({ image, previous }) => [image.data, previous])).toEqual([[JPEG, 0]]);
      expect(whole.issues).toEqual([
        {
          kind: 'malformed-part',
          detail: expect.stringContaining('over-long header line'),
          bytesSkipped: LONG_LINE.length + eol.length,
        },
      ]);

      for (let at = 1; at < stream.length; at++) {
        const halves = parse(stream, { contentType: CONTENT_TYPE }, [at]);
        if (!sameResult(halves, whole))
          expect({ at, ...readable(halves) }).toEqual({ at, ...readable(whole) });
        // Never more than the header window plus a part: the line is not held whole.
        expect(halves.maxBuffered).toBeLessThan(LONG_LINE.length);
      }
      const everyByte = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
      const byByte = parse(stream, { contentType: CONTENT_TYPE }, everyByte);
      expect(readable(byByte)).toEqual(readable(whole));
      expect(byByte.maxBuffered).toBeLessThan(LONG_LINE.length);
    });
  }

  it('the Content-Length before the line still counts (a wrong one is reported by its value)', () => {
    const stream = streamWith('last', '\r\n', -10);
    const result = parse(stream, { contentType: CONTENT_TYPE });
    expect(result.alerts.map((a) => a.eventType)).toEqual(['fielddetection', 'videoloss']);
    expect(result.issues.map((i) => i.kind)).toEqual(['malformed-part', 'malformed-part']);
    expect(result.issues[1]!.detail).toContain(`Content-Length ${capture.body.length - 10} did not match`);
  });

  it('the Content-Type before the line still counts (an unknown type is reported by name)', () => {
    const stream = Buffer.concat([
      Buffer.from(`--boundary\r\nContent-Type: text/plain\r\n${LONG_LINE}\r\n\r\nhello\r\n`),
      frame([{ type: XML_TYPE, body: HEARTBEAT }]).stream,
    ]);
    const result = parse(stream, { contentType: CONTENT_TYPE });
    expect(result.issues.map((i) => [i.kind, i.detail])).toEqual([
      ['malformed-part', expect.stringContaining('over-long header line')],
      ['unknown-content-type', 'a part of type "text/plain" was skipped'],
    ]);
    expect(result.alerts.map((a) => a.eventType)).toEqual(['videoloss']);
  });

  it('a long line that is no header (no `Name:`) still makes the part unreadable', () => {
    const stream = Buffer.concat([
      Buffer.from(`--boundary\r\nContent-Type: ${XML_TYPE}\r\n${'z'.repeat(MAX_HEADER_BYTES)}\r\n\r\n`),
      HEARTBEAT,
      Buffer.from('\r\n'),
      frame([{ type: XML_TYPE, body: HEARTBEAT }]).stream,
    ]);
    const result = parse(stream, { contentType: CONTENT_TYPE });
    expect(result.issues.map((i) => i.kind)).toEqual(['malformed-part']);
    expect(result.issues[0]!.detail).toBe('a part without readable headers was skipped');
    expect(result.alerts).toHaveLength(1);
  });

  it('the stream ends inside the long line: one truncated-part issue counting every byte lost', () => {
    const head = `--boundary\r\nContent-Type: ${XML_TYPE}\r\n`;
    const stream = Buffer.concat([
      frame([{ type: XML_TYPE, body: HEARTBEAT }]).stream,
      Buffer.from(head + LONG_LINE),
    ]);
    const result = parse(stream, { contentType: CONTENT_TYPE }, [stream.length - 5]);
    expect(result.alerts).toHaveLength(1);
    expect(result.issues).toEqual([
      {
        kind: 'truncated-part',
        detail: 'the stream ended inside a part header',
        bytesSkipped: head.length - '--boundary\r\n'.length + LONG_LINE.length,
      },
    ]);
  });
});

describe('a header line of 64 MB', () => {
  const LINE = 64 * 1024 * 1024;
  const CHUNK = 64 * 1024;

  it('is skipped as it arrives, never held: the buffer stays within the header window', () => {
    const alerts: RawAlert[] = [];
    const issues: ParseIssue[] = [];
    const parser = new AlertStreamParser({
      boundary: 'boundary',
      onAlert: (alert) => alerts.push(alert),
      onIssue: (issue) => issues.push(issue),
    });
    const body = capture.body;
    parser.push(Buffer.from(`--boundary\r\nContent-Type: ${XML_TYPE}\r\nContent-Length: ${body.length}\r\n`));
    parser.push(Buffer.from('X-Huge: '));
    const run = Buffer.alloc(CHUNK, 'h');
    let maxBuffered = 0;
    for (let sent = 0; sent < LINE; sent += CHUNK) {
      parser.push(run);
      maxBuffered = Math.max(maxBuffered, parser.bufferedBytes);
    }
    parser.push(Buffer.concat([Buffer.from('\r\n\r\n'), body, Buffer.from('\r\n')]));
    // Delivered as soon as its body is whole: the delimiter after it has not come yet.
    expect(alerts).toEqual([decodeAlertBody(body)]);
    parser.push(frame([{ type: XML_TYPE, body: HEARTBEAT }]).stream);
    parser.end();

    expect(maxBuffered).toBeLessThanOrEqual(WINDOW_BYTES);
    expect(alerts.map((a) => a.eventType)).toEqual(['fielddetection', 'videoloss']);
    expect(issues).toEqual([
      {
        kind: 'malformed-part',
        detail: expect.stringContaining('over-long header line'),
        bytesSkipped: 'X-Huge: '.length + LINE + 2,
      },
    ]);
  });
});
