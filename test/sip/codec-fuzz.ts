/**
 * The SIP codec's fuzz run, in a child process so that the test can kill it if a parser loops
 * (a synchronous loop in the test's own process would hang the test runner instead of failing).
 * Sends { failures, elapsedMs, maxCallMs, calls } back to message.test.ts over IPC.
 */
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import {
  answerAudio,
  answerToMalformed,
  parseChallenges,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseSdp,
  parseUri,
  parseVia,
  SdpError,
  SIP_LIMITS,
  SipParseError,
  SipStreamFramer,
  serializeMessage,
  verifyAuthorization,
} from '../../src/protocols/sip/index.ts';
import { DOORBELL_SDP, FIXTURES } from './codec-fixtures.ts';

const failures: string[] = [];
let calls = 0;
let maxCallMs = 0;

/** Runs one call; anything thrown that is not of an allowed class is a failure. */
function attempt(
  what: string,
  run: () => unknown,
  allowed: ReadonlyArray<new (...args: never[]) => Error>,
): void {
  calls++;
  const started = performance.now();
  try {
    run();
  } catch (error) {
    if (!allowed.some((type) => error instanceof type)) {
      if (failures.length < 20) failures.push(`${what}: ${String(error)}`);
    } else if (error instanceof SipParseError && error.message === 'unreadable message') {
      if (failures.length < 20) failures.push(`${what}: internal error ${String(error.cause)}`);
    }
  }
  maxCallMs = Math.max(maxCallMs, performance.now() - started);
}

/** Parse both ways; a message that parses must serialize again, a failure may build its 400. */
function parseAll(what: string, data: Buffer): void {
  for (const transport of ['udp', 'tcp'] as const) {
    attempt(`${what} (${transport})`, () => {
      try {
        serializeMessage(parseMessage(data, { transport }));
      } catch (error) {
        if (error instanceof SipParseError) answerToMalformed(error);
        throw error;
      }
    }, [SipParseError]);
  }
}

function frameAll(what: string, chunks: Buffer[]): void {
  attempt(what, () => {
    const framer = new SipStreamFramer();
    for (const chunk of chunks) {
      const out = framer.push(chunk);
      for (const frame of out.frames) parseAll(`${what} frame`, frame);
      if (framer.buffered > SIP_LIMITS.maxTcpBufferBytes) throw new Error('framer over its bound');
    }
  }, []);
}

/** Cut in two, a stream gives back the whole message, exactly (it was parsed above already). */
function reframe(message: Buffer, cut: number): void {
  attempt('truncated stream', () => {
    const framer = new SipStreamFramer();
    const frames = [
      ...framer.push(message.subarray(0, cut)).frames,
      ...framer.push(message.subarray(cut)).frames,
    ];
    if (frames.length !== 1 || !frames[0]!.equals(message)) throw new Error(`reframed wrong at ${cut}`);
  }, []);
}

const fixtures = Object.values(FIXTURES).map((text) => Buffer.from(text, 'utf8'));
const started = performance.now();

// 1. Truncation at every offset of every real message, as a datagram and through the framer.
for (const message of fixtures) {
  for (let cut = 0; cut <= message.length; cut++) {
    parseAll('truncated', message.subarray(0, cut));
    reframe(message, cut);
  }
}

// 2. Random bytes, and random bytes made of SIP's own punctuation (more paths reached).
const sipAlphabet = fc.constantFrom(
  ...'SIP/2.0 INVITE sip:@;=,<>"\\\r\n\t :Via From To Call-ID CSeq l v'.split(''),
);
fc.assert(
  fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => parseAll('random bytes', Buffer.from(bytes))),
  { numRuns: 800 },
);
fc.assert(
  fc.property(fc.array(sipAlphabet, { maxLength: 2000 }), (chars) =>
    parseAll('random SIP characters', Buffer.from(chars.join(''))),
  ),
  { numRuns: 800 },
);

// 3. Real messages with bytes replaced or random text inserted.
fc.assert(
  fc.property(
    fc.nat(fixtures.length - 1),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    (which, edits) => {
      const message = Buffer.from(fixtures[which]!);
      for (const [position, byte] of edits) message[position % message.length] = byte;
      parseAll('mutated', message);
      frameAll('mutated stream', [message, fixtures[which]!]);
    },
  ),
  { numRuns: 500 },
);
fc.assert(
  fc.property(fc.nat(fixtures.length - 1), fc.nat(), fc.string({ maxLength: 200 }), (which, at, text) => {
    const message = fixtures[which]!;
    const position = at % message.length;
    const spliced = Buffer.concat([
      message.subarray(0, position),
      Buffer.from(text),
      message.subarray(position),
    ]);
    parseAll('spliced', spliced);
  }),
  { numRuns: 500 },
);

// 4. Oversized and pathological shapes.
const register = FIXTURES['doorbell REGISTER']!;
const withHeader = (line: string) =>
  Buffer.from(register.replace('Content-Length: 0', `${line}\r\nContent-Length: 0`));
const pathological: Array<[string, Buffer]> = [
  ['huge header line', withHeader(`X-Huge: ${'a'.repeat(70_000)}`)],
  ['header just under the line limit', withHeader(`X-Big: ${'a'.repeat(SIP_LIMITS.maxHeaderLineBytes - 8)}`)],
  ['ten thousand headers', withHeader(Array.from({ length: 10_000 }, (_, i) => `X-${i}: 1`).join('\r\n'))],
  ['commas in Via', withHeader(`Via: ${','.repeat(8000)}`)],
  ['angles in Contact', withHeader(`Contact: ${'<'.repeat(8000)}`)],
  ['quotes in Contact', withHeader(`Contact: ${'"\\'.repeat(4000)}`)],
  ['spaces in Via', withHeader(`Via: SIP/2.0/UDP a${' '.repeat(8000)}b`)],
  ['semicolons in From', Buffer.from(register.replace('tag=1735289204', ';'.repeat(8000)))],
  ['folding chain', withHeader(`X-Fold: a${'\r\n b'.repeat(20_000)}`)],
  ['a million line feeds', Buffer.alloc(1_000_000, 0x0a)],
  ['64 KB of one byte', Buffer.alloc(SIP_LIMITS.maxMessageBytes, 0x41)],
  [
    'Content-Length of 10 digits',
    Buffer.from(register.replace('Content-Length: 0', 'Content-Length: 9999999999')),
  ],
];
for (const [what, data] of pathological) {
  parseAll(what, data);
  frameAll(`${what} (stream)`, [data]);
  frameAll(
    `${what} (stream in chunks)`,
    Array.from({ length: Math.ceil(data.length / 1500) }, (_, i) => data.subarray(i * 1500, (i + 1) * 1500)),
  );
}

// 5. Random chunks of random bytes into one framer.
fc.assert(
  fc.property(fc.array(fc.uint8Array({ maxLength: 5000 }), { maxLength: 40 }), (chunks) =>
    frameAll(
      'random stream',
      chunks.map((chunk) => Buffer.from(chunk)),
    ),
  ),
  { numRuns: 300 },
);

// 6. Header value parsers, SDP and digest on random text.
const headerText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.array(sipAlphabet, { maxLength: 300 }).map((c) => c.join('')),
);
fc.assert(
  fc.property(headerText, (text) => {
    for (const [name, parse] of [
      ['parseUri', parseUri],
      ['parseNameAddr', parseNameAddr],
      ['parseVia', parseVia],
      ['parseCSeq', parseCSeq],
    ] as const) {
      attempt(name, () => parse(text), [SipParseError]);
      attempt(`${name} sip:`, () => parse(`sip:${text}`), [SipParseError]);
      attempt(`${name} <sip:>`, () => parse(`<sip:a@h${text}>${text}`), [SipParseError]);
    }
    attempt('parseChallenges', () => parseChallenges(`Digest ${text}`), []);
    attempt(
      'verifyAuthorization',
      () =>
        verifyAuthorization(`Digest ${text}`, { method: 'REGISTER', realm: 'r', password: 'p', nonce: 'n' }),
      [],
    );
  }),
  { numRuns: 1500 },
);
const sdpLines = DOORBELL_SDP.split('\r\n');
fc.assert(
  fc.property(
    fc.array(fc.oneof(fc.constantFrom(...sdpLines), fc.string({ maxLength: 60 })), { maxLength: 40 }),
    (lines) => {
      const text = ['v=0', ...lines].join('\r\n');
      attempt('parseSdp', () => parseSdp(text), [SdpError]);
      attempt('answerAudio', () => answerAudio(text, { address: '10.0.0.1', port: 4000, codec: 'PCMA' }), [
        SdpError,
      ]);
    },
  ),
  { numRuns: 1500 },
);

const report = { failures, elapsedMs: performance.now() - started, maxCallMs, calls };
if (process.send) process.send(report, () => process.exit(0));
else console.log(report);
