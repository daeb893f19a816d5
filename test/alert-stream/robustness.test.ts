/**
 * What a broken device or network can send: random bytes, mutated streams, one broken part among
 * valid ones, a 64 MB run without a newline. The reader never throws, always finishes, keeps its
 * buffer under maxPartBytes + WINDOW_BYTES, and loses nothing but the broken part.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AlertStreamParser,
  decodeAlertBody,
  type ParseIssue,
  type RawAlert,
  WINDOW_BYTES,
} from '../../src/protocols/isapi/alert-stream/index.ts';
import {
  BOUNDARY_VARIANTS,
  frame,
  HEARTBEAT,
  JPEG,
  jsonCaptures,
  LENGTH_VARIANTS,
  type Part,
  parse,
  partsFor,
  XML_TYPE,
  xmlCaptures,
} from './support.ts';

const MAX_PART = 4096;
const captures = [...xmlCaptures(), ...jsonCaptures()];
const variants = [...BOUNDARY_VARIANTS, ...LENGTH_VARIANTS].filter((v) => v.issues.length === 0);

/** Chunk boundaries: random cuts of the stream. */
const cutsArb = fc.array(fc.nat(), { maxLength: 12 });

function cutsFor(length: number, raw: number[]): number[] {
  return [...new Set(raw.map((n) => n % Math.max(1, length)))].filter((n) => n > 0).sort((a, b) => a - b);
}

function bounded(maxBuffered: number, maxPart = MAX_PART): boolean {
  return maxBuffered <= maxPart + WINDOW_BYTES;
}

/** Is `want` an in-order subsequence of `got` (by decoded content)? */
function containsInOrder(got: RawAlert[], want: Array<RawAlert | undefined>): boolean {
  let i = 0;
  for (const alert of got) if (i < want.length && JSON.stringify(alert) === JSON.stringify(want[i])) i++;
  return i === want.length;
}

describe('random and mutated streams', () => {
  it('random bytes: no throw, bounded buffer, nothing invented', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12_000 }), cutsArb, fc.boolean(), (bytes, cuts, header) => {
        const stream = Buffer.from(bytes);
        const result = parse(
          stream,
          { contentType: header ? 'multipart/mixed; boundary=boundary' : undefined, maxPartBytes: MAX_PART },
          cutsFor(stream.length, cuts),
        );
        expect(bounded(result.maxBuffered)).toBe(true);
        expect(result.parser.bufferedBytes).toBe(0);
        expect(result.parser.bytesSeen).toBe(stream.length);
      }),
      { numRuns: 300 },
    );
  });

  const mutation = fc.oneof(
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ maxLength: 300 }),
    }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.nat({ max: 400 }) }),
    fc.record({
      kind: fc.constant('overwrite' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ maxLength: 40 }),
    }),
    fc.record({
      kind: fc.constant('delimiter' as const),
      at: fc.nat(),
      line: fc.constantFrom('\r\n--boundary\r\n', '--boundary--\r\n', '\n--other\n', '--boundary'),
    }),
    fc.record({ kind: fc.constant('length' as const), value: fc.nat({ max: 100_000 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  );
  type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

  function mutate(stream: Buffer, m: Mutation): Buffer {
    const at = 'at' in m ? m.at % (stream.length + 1) : 0;
    switch (m.kind) {
      case 'insert':
        return Buffer.concat([stream.subarray(0, at), m.bytes, stream.subarray(at)]);
      case 'delete':
        return Buffer.concat([stream.subarray(0, at), stream.subarray(at + m.length)]);
      case 'overwrite': {
        const copy = Buffer.from(stream);
        copy.set(m.bytes.subarray(0, Math.max(0, copy.length - at)), at);
        return copy;
      }
      case 'delimiter':
        return Buffer.concat([stream.subarray(0, at), Buffer.from(m.line), stream.subarray(at)]);
      case 'length':
        return Buffer.from(
          stream.toString('latin1').replace(/Content-Length: \d+/, `Content-Length: ${m.value}`),
          'latin1',
        );
      case 'truncate':
        return stream.subarray(0, at);
    }
  }

  it('mutated real streams: no throw, bounded buffer, the end of the stream is reached', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...captures), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...variants),
        fc.array(mutation, { maxLength: 4 }),
        cutsArb,
        (picked, variant, mutations, cuts) => {
          const { stream, contentType } = frame(picked.flatMap(partsFor), variant.options);
          const mutated = mutations.reduce(mutate, stream);
          const result = parse(
            mutated,
            { contentType, maxPartBytes: MAX_PART },
            cutsFor(mutated.length, cuts),
          );
          expect(bounded(result.maxBuffered)).toBe(true);
          expect(result.parser.bytesSeen).toBe(mutated.length);
          expect(result.parser.bufferedBytes).toBe(0);
          expect(result.parser.alertsSeen).toBe(result.alerts.length);
          // Issues describe disjoint stretches of the stream: never more than was sent.
          const skipped = result.issues.reduce((sum, issue) => sum + issue.bytesSkipped, 0);
          expect(skipped).toBeLessThanOrEqual(mutated.length);
        },
      ),
      { numRuns: 400 },
    );
  });

  const broken = fc.oneof(
    fc
      .uint8Array({ minLength: 1, maxLength: 3000 })
      .map((bytes) => ({ name: 'garbage', bytes: Buffer.from(bytes) })),
    fc.constantFrom(...captures).chain((c) =>
      fc.nat({ max: c.body.length - 1 }).map((cut) => ({
        name: 'cut part without length',
        bytes: Buffer.concat([
          Buffer.from(`--boundary\r\nContent-Type: ${c.type}\r\n\r\n`),
          c.body.subarray(0, cut),
          Buffer.from('\r\n'),
        ]),
      })),
    ),
    fc.constantFrom(...captures).chain((c) =>
      fc.tuple(fc.nat({ max: c.body.length - 1 }), fc.nat({ max: 3 * MAX_PART })).map(([cut, length]) => ({
        name: 'cut part with a wrong length',
        bytes: Buffer.concat([
          Buffer.from(`--boundary\r\nContent-Type: ${c.type}\r\nContent-Length: ${length}\r\n\r\n`),
          c.body.subarray(0, cut),
          Buffer.from('\r\n'),
        ]),
      })),
    ),
    fc.uint8Array({ maxLength: 2000 }).map((bytes) => ({
      name: 'binary part',
      bytes: Buffer.concat([
        Buffer.from('--boundary\r\nContent-Type: application/octet-stream\r\n\r\n'),
        bytes,
        Buffer.from('\r\n'),
      ]),
    })),
    fc.nat({ max: 20_000 }).map((size) => ({
      name: 'oversized part',
      bytes: Buffer.concat([
        Buffer.from('--boundary\r\nContent-Type: application/xml\r\n\r\n'),
        Buffer.alloc(size, 'x'),
        Buffer.from('\r\n'),
      ]),
    })),
  );

  it('one broken part among valid ones: every valid alert around it is still decoded', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...captures), { minLength: 1, maxLength: 3 }),
        broken,
        fc.array(fc.constantFrom(...captures), { minLength: 1, maxLength: 3 }),
        cutsArb,
        (before, bad, after, cuts) => {
          const parts = (list: typeof captures): Part[] => list.map((c) => ({ type: c.type, body: c.body }));
          const stream = Buffer.concat([frame(parts(before)).stream, bad.bytes, frame(parts(after)).stream]);
          const result = parse(
            stream,
            { contentType: 'multipart/mixed; boundary=boundary', maxPartBytes: MAX_PART },
            cutsFor(stream.length, cuts),
          );
          const want = [...before, ...after].map((c) => decodeAlertBody(c.body));
          expect(containsInOrder(result.alerts, want), bad.name).toBe(true);
          // At most the broken part itself adds one alert (a cut body that is still complete).
          expect(result.alerts.length).toBeLessThanOrEqual(want.length + 1);
          expect(bounded(result.maxBuffered)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('a wrong Content-Length that ends exactly where a later part ends', () => {
  // Found by the property above: the announced length happened to cover the next part whole,
  // so a delimiter followed it and the next part was swallowed as this one's body.
  const io = xmlCaptures().find((c) => c.name.endsWith('_io_notification.xml'))!;
  const acs = jsonCaptures().find((c) => c.body.includes('AccessControllerEvent'))!;
  const cases = [
    { name: 'an empty body', body: Buffer.alloc(0), following: [acs, io] },
    { name: 'a cut XML body', body: io.body.subarray(0, 200), following: [io, acs] },
  ];

  for (const { name, body, following } of cases) {
    it(`${name}: the parts after it are all decoded, at every chunk boundary`, () => {
      const after = frame(following.map((c) => ({ type: c.type, body: c.body }))).stream;
      const firstFollowing = frame([{ type: following[0]!.type, body: following[0]!.body }]).stream;
      // The length runs from this body to the end of the following part: `\r\n` + that whole part.
      const length = body.length + 2 + firstFollowing.length - 2;
      const bad = Buffer.concat([
        Buffer.from(`--boundary\r\nContent-Type: ${XML_TYPE}\r\nContent-Length: ${length}\r\n\r\n`),
        body,
        Buffer.from('\r\n'),
      ]);
      const stream = Buffer.concat([frame([{ type: io.type, body: io.body }]).stream, bad, after]);
      const want = [io, ...following].map((c) => decodeAlertBody(c.body));
      for (let split = 0; split < stream.length; split++) {
        const result = parse(
          stream,
          { contentType: 'multipart/mixed; boundary=boundary', maxPartBytes: MAX_PART },
          split > 0 ? [split] : [],
        );
        expect(containsInOrder(result.alerts, want), `split at ${split}`).toBe(true);
        expect(result.issues.some((issue) => issue.detail.includes(`Content-Length ${length}`))).toBe(true);
      }
    });
  }
});

describe('a 64 MB run without a newline or a delimiter', () => {
  const RUN = 64 * 1024 * 1024;
  const CHUNK = 64 * 1024;

  function runThrough(head: string) {
    const alerts: RawAlert[] = [];
    const issues: ParseIssue[] = [];
    const parser = new AlertStreamParser({
      boundary: 'boundary',
      onAlert: (alert) => alerts.push(alert),
      onIssue: (issue) => issues.push(issue),
    });
    const valid = frame([{ type: XML_TYPE, body: xmlCaptures()[1]!.body }]).stream;
    const run = Buffer.alloc(CHUNK, 'A');
    let maxBuffered = 0;
    const started = Date.now();
    parser.push(valid);
    parser.push(Buffer.from(head));
    for (let sent = 0; sent < RUN; sent += CHUNK) {
      parser.push(run);
      maxBuffered = Math.max(maxBuffered, parser.bufferedBytes);
    }
    parser.push(Buffer.from('\r\n'));
    parser.push(valid);
    parser.push(frame([{ type: XML_TYPE, body: HEARTBEAT }]).stream);
    parser.end();
    return { alerts, issues, maxBuffered, seconds: (Date.now() - started) / 1000 };
  }

  it('inside a part: skipped as one issue, buffer bounded, the parts around it read, no stall', () => {
    const result = runThrough('--boundary\r\nContent-Type: application/xml\r\n\r\n');
    expect(result.maxBuffered).toBeLessThanOrEqual(2 * 1024 * 1024 + WINDOW_BYTES);
    expect(result.issues).toEqual([
      { kind: 'part-too-large', detail: expect.any(String), bytesSkipped: expect.any(Number) },
    ]);
    expect(result.issues[0]!.bytesSkipped).toBeGreaterThan(RUN);
    expect(result.alerts.map((a) => a.eventType)).toEqual(['fielddetection', 'fielddetection', 'videoloss']);
    expect(result.seconds).toBeLessThan(10);
  });

  it('between parts: one garbage issue, nothing buffered beyond a delimiter’s length', () => {
    const result = runThrough('');
    expect(result.maxBuffered).toBeLessThan(1024);
    // The run plus the line breaks around it (after the body, before the next delimiter).
    expect(result.issues).toEqual([{ kind: 'garbage', detail: expect.any(String), bytesSkipped: RUN + 4 }]);
    expect(result.alerts.map((a) => a.eventType)).toEqual(['fielddetection', 'fielddetection', 'videoloss']);
  });

  it('announced by a Content-Length over the limit: skipped without buffering', () => {
    const result = runThrough(`--boundary\r\nContent-Type: image/jpeg\r\nContent-Length: ${RUN}\r\n\r\n`);
    expect(result.issues.map((i) => i.kind)).toEqual(['part-too-large']);
    expect(result.maxBuffered).toBeLessThan(1024);
    expect(result.alerts).toHaveLength(3);
  });
});

describe('issues and links', () => {
  it('a part of unknown type, a cut picture, garbage, and a stream cut inside a part', () => {
    const { stream } = frame([
      { type: XML_TYPE, body: HEARTBEAT },
      { type: 'text/plain', body: Buffer.from('hello') },
      { type: 'image/jpeg', body: JPEG },
    ]);
    const tail = Buffer.from(
      `junk\r\n--boundary\r\nContent-Type: ${XML_TYPE}\r\n\r\n<EventNotificationAlert><eventType>VMD`,
    );
    const result = parse(Buffer.concat([stream, tail]), {
      contentType: 'multipart/mixed; boundary=boundary',
    });
    expect(result.issues.map((i) => [i.kind, i.bytesSkipped])).toEqual([
      ['unknown-content-type', 5],
      ['garbage', 8], // "\r\njunk\r\n" after the picture, whose announced length was right
      ['truncated-part', 38],
    ]);
    // The picture is kept whole, without the junk; it follows an unreadable part: no link.
    expect(result.images.map((i) => [i.image.data, i.previous])).toEqual([[JPEG, -1]]);
    expect(result.alerts).toHaveLength(1);
  });

  it('a picture right after its alert is linked to it, also when delivered before its delimiter', () => {
    const { stream } = frame([
      { type: XML_TYPE, body: xmlCaptures()[1]!.body },
      { type: 'image/jpeg', body: JPEG },
    ]);
    const images: Array<RawAlert | null> = [];
    const parser = new AlertStreamParser({
      onAlert: () => {},
      onImage: (_image, previous) => images.push(previous),
    });
    parser.push(stream); // no delimiter after the picture yet: a device writes it with the next part
    expect(images.map((p) => p?.eventType)).toEqual(['fielddetection']);
  });

  it('an alert is delivered as soon as its body is complete, before the next delimiter', () => {
    const alerts: RawAlert[] = [];
    const parser = new AlertStreamParser({ boundary: 'boundary', onAlert: (a) => alerts.push(a) });
    parser.push(frame([{ type: XML_TYPE, body: HEARTBEAT }], { length: () => 'none' }).stream);
    expect(alerts).toHaveLength(1);
    parser.end();
    expect(alerts).toHaveLength(1);
  });

  it('a throwing callback propagates, and the parser carries on without repeating or losing parts', () => {
    const { stream } = frame(captures.slice(0, 3).map((c) => ({ type: c.type, body: c.body })));
    const seen: string[] = [];
    const parser = new AlertStreamParser({
      onAlert: (alert) => {
        seen.push(alert.eventType);
        if (seen.length === 1) throw new Error('consumer failed');
      },
    });
    expect(() => parser.push(stream)).toThrow('consumer failed');
    parser.end();
    expect(seen).toEqual(captures.slice(0, 3).map((c) => decodeAlertBody(c.body)!.eventType));
    expect(parser.alertsSeen).toBe(3);
  });

  it('rejects a nonsensical maxPartBytes', () => {
    expect(() => new AlertStreamParser({ maxPartBytes: 0, onAlert: () => {} })).toThrow(RangeError);
  });
});
