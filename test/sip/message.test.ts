/**
 * The SIP message codec: the doorbell's INVITE and typical REGISTER traffic parsed and rebuilt,
 * header values, every malformed case answered by SipParseError (with what a 400 needs), the
 * TCP framer, the builders, and a fuzz run in a child process that is killed if it hangs.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  answerToMalformed,
  buildRequest,
  buildResponse,
  contactsOf,
  expiresOf,
  formatNameAddr,
  formatUri,
  formatVia,
  header,
  headers,
  isKeepAlive,
  newBranch,
  newCallId,
  newTag,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  SIP_LIMITS,
  SipBuildError,
  type SipMessage,
  SipParseError,
  type SipRequest,
  SipStreamFramer,
  serializeMessage,
  tagOf,
  topVia,
} from '../../src/protocols/sip/index.ts';
import {
  COMPACT_INVITE,
  DOORBELL_INVITE,
  DOORBELL_INVITE_NO_LENGTH,
  DOORBELL_REGISTER,
  DOORBELL_SDP,
  FIXTURES,
  REGISTER_200,
  REGISTER_401,
  sipText,
} from './codec-fixtures.ts';

const parse = (text: string, transport: 'udp' | 'tcp' = 'udp') =>
  parseMessage(Buffer.from(text, 'utf8'), { transport });

function parseFailure(text: string | Buffer, transport: 'udp' | 'tcp' = 'udp'): SipParseError {
  try {
    parseMessage(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, { transport });
  } catch (error) {
    expect(error).toBeInstanceOf(SipParseError);
    return error as SipParseError;
  }
  throw new Error('parsed, but should have failed');
}

function asRequest(message: SipMessage): SipRequest {
  if (message.kind !== 'request') throw new Error(`expected a request, got ${message.status}`);
  return message;
}

describe('the doorbell INVITE (KV6113 capture)', () => {
  it('parses request line, headers in order and the SDP body', () => {
    const invite = asRequest(parse(DOORBELL_INVITE));
    expect(invite.method).toBe('INVITE');
    expect(invite.uri).toBe('sip:10000000005@192.168.0.114:5060');
    expect(invite.headers.map((h) => h.name)).toEqual([
      'Via',
      'From',
      'To',
      'Call-ID',
      'CSeq',
      'Contact',
      'Content-Type',
      'Max-Forwards',
      'User-Agent',
      'Subject',
      'Content-Length',
    ]);
    expect(header(invite, 'subject')).toBe('This is a call to app.');
    expect(header(invite, 'call-id')).toBe('651024374');
    expect(invite.body.toString()).toBe(DOORBELL_SDP);
  });

  it('reads its Via, From, To, CSeq and Contact', () => {
    const invite = parse(DOORBELL_INVITE);
    expect(topVia(invite)).toEqual({
      transport: 'UDP',
      host: '192.168.0.140',
      port: 5060,
      branch: 'z9hG4bK1804739393',
      params: { rport: null, branch: 'z9hG4bK1804739393' },
    });
    expect(tagOf(header(invite, 'From'))).toBe('1247335934');
    expect(tagOf(header(invite, 'To'))).toBeNull();
    expect(parseCSeq(header(invite, 'CSeq')!)).toEqual({ seq: 20, method: 'INVITE' });
    const [contact] = contactsOf(invite) as ReturnType<typeof parseNameAddr>[];
    expect(contact!.uri).toMatchObject({ user: '10010100000', host: '192.168.0.140', port: 5060 });
  });

  it('takes the rest of the datagram as the body when Content-Length is absent (UDP), refuses it over TCP', () => {
    expect(parse(DOORBELL_INVITE_NO_LENGTH, 'udp').body.toString()).toBe(DOORBELL_SDP);
    expect(parseFailure(DOORBELL_INVITE_NO_LENGTH, 'tcp').message).toBe(
      'missing Content-Length (required over TCP)',
    );
  });

  it('drops bytes past Content-Length in a datagram (RFC 3261 §18.3), refuses them over TCP', () => {
    expect(parse(`${DOORBELL_INVITE}garbage`, 'udp').body.toString()).toBe(DOORBELL_SDP);
    expect(parseFailure(`${DOORBELL_INVITE}garbage`, 'tcp').message).toBe('bytes after the body');
  });

  it('copies the body out of the receive buffer', () => {
    const data = Buffer.from(DOORBELL_INVITE);
    const invite = parseMessage(data);
    data.fill(0);
    expect(invite.body.toString()).toBe(DOORBELL_SDP);
  });
});

describe('REGISTER, 401 and 200', () => {
  it('parses the doorbell REGISTER and its expiry', () => {
    const register = parse(DOORBELL_REGISTER);
    expect(register).toMatchObject({ kind: 'request', method: 'REGISTER', uri: 'sip:192.168.0.114:5060' });
    expect(register.body.length).toBe(0);
    expect(expiresOf(register)).toBe(60);
  });

  it('parses the 401 with its challenge kept whole (auth headers are not lists)', () => {
    const challenge = parse(REGISTER_401);
    expect(challenge).toMatchObject({ kind: 'response', status: 401, reason: 'Unauthorized' });
    expect(headers(challenge, 'WWW-Authenticate')).toEqual([
      'Digest realm="asterisk", nonce="2c5e1f0a", algorithm=MD5, qop="auth"',
    ]);
    expect(topVia(challenge)?.params).toEqual({
      rport: '5060',
      branch: 'z9hG4bK2090193284',
      received: '192.168.0.140',
    });
  });

  it('parses the 200: Contact expires wins over Expires, Allow split, Date not split', () => {
    const ok = parse(REGISTER_200);
    expect(expiresOf(ok)).toBe(60);
    expect(headers(ok, 'Allow')).toHaveLength(11);
    expect(headers(ok, 'Supported')).toEqual(['replaces', 'timer']);
    expect(headers(ok, 'Date')).toEqual(['Tue, 04 Jun 2024 10:12:33 GMT']);
  });

  it('expiresOf: header alone, a given contact, nothing, unreadable values', () => {
    const withHeader = parse(DOORBELL_REGISTER.replace('Expires: 60', 'Expires: 45'));
    expect(expiresOf(withHeader)).toBe(45);
    const ok = parse(REGISTER_200);
    expect(expiresOf(ok, parseNameAddr('<sip:x@h>;expires=7'))).toBe(7);
    expect(expiresOf(parse(DOORBELL_REGISTER.replace('Expires: 60\r\n', '')))).toBeNull();
    expect(expiresOf(parse(DOORBELL_REGISTER.replace('Expires: 60', 'Expires: soon')))).toBeNull();
    expect(expiresOf(parse(DOORBELL_REGISTER.replace('Expires: 60', 'Expires: 99999999999')))).toBe(
      2 ** 32 - 1,
    );
  });

  it('a wildcard Contact', () => {
    const unregister = parse(
      DOORBELL_REGISTER.replace('Contact: <sip:10101@192.168.0.140:5060>', 'Contact: *'),
    );
    expect(contactsOf(unregister)).toBe('*');
  });
});

describe('compact forms, folding and lists', () => {
  const invite = parse(COMPACT_INVITE);

  it('expands compact names to the long ones', () => {
    expect(invite.headers.map((h) => h.name)).toEqual([
      'Via',
      'Via',
      'Via',
      'From',
      'To',
      'Call-ID',
      'CSeq',
      'Contact',
      'Contact',
      'Subject',
      'Content-Type',
      'Content-Length',
    ]);
    expect(header(invite, 'i')).toBe('compact-1@192.168.0.140');
    expect(header(invite, 'CALL-ID')).toBe('compact-1@192.168.0.140');
    expect(invite.body.toString()).toBe(DOORBELL_SDP);
  });

  it('splits Via and Contact on top-level commas only, in order', () => {
    expect(headers(invite, 'v').map((v) => parseVia(v).branch)).toEqual([
      'z9hG4bKaaa',
      'z9hG4bKbbb',
      'z9hG4bKccc',
    ]);
    expect(parseVia(headers(invite, 'Via')[2]!)).toMatchObject({ host: '2001:db8::1', port: 5070 });
    expect(headers(invite, 'Contact')).toEqual([
      '"A, B" <sip:a@192.168.0.140;transport=tcp>;expires=30',
      '<sip:b@192.168.0.141>',
    ]);
    expect(parseNameAddr(header(invite, 'From')!).displayName).toBe('Door, Front');
  });

  it('unfolds continuation lines into one space and does not split a non-list header', () => {
    expect(headers(invite, 'Subject')).toEqual(['ring, folded, not split']);
  });

  it('a tab fold and whitespace before the colon', () => {
    const text = DOORBELL_REGISTER.replace('User-Agent: HKVS/2.0.0', 'User-Agent :HKVS/2.0.0\r\n\t(folded)');
    expect(header(parse(text), 'User-Agent')).toBe('HKVS/2.0.0 (folded)');
  });

  it('bare LF line ends and leading CRLFs are tolerated', () => {
    const lf = `\r\n\r\n${DOORBELL_REGISTER.replace(/\r\n/g, '\n')}`;
    expect(parse(lf)).toMatchObject({ kind: 'request', method: 'REGISTER' });
  });
});

describe('keep-alives', () => {
  it('CRLF alone is a keep-alive, not a message', () => {
    expect(isKeepAlive(Buffer.from('\r\n\r\n'))).toBe(true);
    expect(isKeepAlive(Buffer.from('\r\n'))).toBe(true);
    expect(isKeepAlive(Buffer.alloc(0))).toBe(false);
    expect(isKeepAlive(Buffer.from(DOORBELL_REGISTER))).toBe(false);
    expect(parseFailure('\r\n\r\n').message).toBe('keep-alive, not a message');
  });
});

describe('malformed messages: SipParseError, with what a 400 needs', () => {
  const register = (replace: string, by: string) => {
    if (!DOORBELL_REGISTER.includes(replace)) throw new Error(`fixture lacks ${replace}`);
    return DOORBELL_REGISTER.replace(replace, by);
  };
  const cases: Array<[string, string, string, boolean]> = [
    ['missing Via', register(/Via: [^\r]*\r\n/.exec(DOORBELL_REGISTER)![0], ''), 'missing Via', false],
    [
      'missing From',
      register('From: <sip:10101@192.168.0.114:5060>;tag=1735289204\r\n', ''),
      'missing From',
      false,
    ],
    ['missing To', register('To: <sip:10101@192.168.0.114:5060>\r\n', ''), 'missing To', false],
    ['missing Call-ID', register('Call-ID: 1357924680\r\n', ''), 'missing Call-ID', false],
    ['missing CSeq', register('CSeq: 1 REGISTER\r\n', ''), 'missing CSeq', false],
    [
      'CSeq method differs',
      register('CSeq: 1 REGISTER', 'CSeq: 1 INVITE'),
      'CSeq method differs from the request method',
      true,
    ],
    ['CSeq not a number', register('CSeq: 1 REGISTER', 'CSeq: one REGISTER'), 'bad CSeq', true],
    ['CSeq too large', register('CSeq: 1 REGISTER', 'CSeq: 2147483648 REGISTER'), 'bad CSeq', true],
    [
      'two Call-IDs',
      register('Call-ID: 1357924680', 'Call-ID: 1357924680\r\ni: other'),
      'more than one Call-ID',
      true,
    ],
    [
      'two Content-Lengths',
      register('Content-Length: 0', 'Content-Length: 0\r\nl: 0'),
      'more than one Content-Length',
      true,
    ],
    ['bad Content-Length', register('Content-Length: 0', 'Content-Length: -1'), 'bad Content-Length', true],
    [
      'body shorter than Content-Length',
      register('Content-Length: 0', 'Content-Length: 10'),
      'body shorter than Content-Length',
      true,
    ],
    [
      'bad Via',
      register('SIP/2.0/UDP 192.168.0.140:5060;rport', 'SIP/2.0/UDP 192.168.0.140:99999;rport'),
      'bad Via',
      true,
    ],
    ['bad From URI', register('<sip:10101@192.168.0.114:5060>;tag', '<http://x>;tag'), 'bad From', true],
    [
      'bad To',
      register('To: <sip:10101@192.168.0.114:5060>', 'To: <sip:10101@192.168.0.114:5060'),
      'bad To',
      true,
    ],
    [
      'unbalanced Contact',
      register('Contact: <sip:10101@192.168.0.140:5060>', 'Contact: "a <sip:x@y>'),
      'unbalanced quotes or brackets in Contact',
      true,
    ],
    ['Call-ID with a space', register('Call-ID: 1357924680', 'Call-ID: 1357 924680'), 'bad Call-ID', true],
    ['bad Max-Forwards', register('Max-Forwards: 70', 'Max-Forwards: 700'), 'bad Max-Forwards', true],
    [
      'header line without a colon',
      register('User-Agent: HKVS/2.0.0', 'User-Agent HKVS/2.0.0'),
      'bad header line',
      true,
    ],
    [
      'header name with a space',
      register('User-Agent: HKVS/2.0.0', 'User Agent: HKVS/2.0.0'),
      'bad header line',
      true,
    ],
    ['NUL in a header', register('HKVS/2.0.0', 'HKVS\u0000'), 'control character in the head', true],
    ['bare CR in a header', register('HKVS/2.0.0', 'HKVS\r2.0'), 'control character in the head', true],
    [
      'folded first header',
      register(
        'REGISTER sip:192.168.0.114:5060 SIP/2.0\r\n',
        'REGISTER sip:192.168.0.114:5060 SIP/2.0\r\n folded\r\n',
      ),
      'continuation line without a header',
      true,
    ],
    [
      'no blank line',
      DOORBELL_REGISTER.replace(/\r\n\r\n$/, '\r\n'),
      'no blank line after the headers',
      true,
    ],
    [
      'request line of two parts',
      register('REGISTER sip:192.168.0.114:5060 SIP/2.0', 'REGISTER SIP/2.0'),
      'bad request line',
      true,
    ],
    ['SIP/3.0', register('SIP/2.0\r\nVia', 'SIP/3.0\r\nVia'), 'unsupported SIP version', true],
    ['bad Request-URI', register('sip:192.168.0.114:5060 SIP', 'sip:bad host SIP'), 'bad request line', true],
    [
      'Request-URI without scheme',
      register('sip:192.168.0.114:5060 SIP', '192.168.0.114 SIP'),
      'bad Request-URI',
      true,
    ],
    [
      'sip Request-URI with a bad port',
      register('sip:192.168.0.114:5060 SIP', 'sip:192.168.0.114:port SIP'),
      'bad Request-URI',
      true,
    ],
    ['garbage', 'hello world\r\n\r\n', 'bad request line', false],
    ['empty', '', 'empty', false],
    ['status 99', REGISTER_200.replace('SIP/2.0 200 OK', 'SIP/2.0 099 Odd'), 'bad status code', false],
    [
      'status line without code',
      REGISTER_200.replace('SIP/2.0 200 OK', 'SIP/2.0 OK'),
      'bad status line',
      false,
    ],
    ['response without CSeq', REGISTER_200.replace('CSeq: 2 REGISTER\r\n', ''), 'missing CSeq', false],
  ];

  it.each(cases)('%s', (_name, text, reason, answerable) => {
    const error = parseFailure(text);
    expect(error.message).toBe(reason);
    expect(error.answerable).toBe(answerable);
  });

  it('keeps the headers a 400 copies and builds it (with our reason in a Warning)', () => {
    const error = parseFailure(register('CSeq: 1 REGISTER', 'CSeq: 1 INVITE'));
    expect(error).toMatchObject({ kind: 'request', method: 'REGISTER', status: 400 });
    expect(error.headers.map((h) => h.name)).toEqual(['Via', 'From', 'To', 'Call-ID', 'CSeq']);
    const answer = answerToMalformed(error, 'tag400')!;
    expect(answer).toMatchObject({ kind: 'response', status: 400, reason: 'Bad Request' });
    expect(header(answer, 'To')).toBe('<sip:10101@192.168.0.114:5060>;tag=tag400');
    expect(header(answer, 'CSeq')).toBe('1 INVITE');
    expect(header(answer, 'Warning')).toBe('399 hikbridge "CSeq method differs from the request method"');
    // The answer itself is a valid message.
    expect(parse(serializeMessage(answer).toString()).kind).toBe('response');
  });

  it('reads the answer headers even past the line that broke the parse', () => {
    const text = sipText([
      'OPTIONS sip:x@192.168.0.114 SIP/2.0',
      'Bad Header Line',
      'Via: SIP/2.0/UDP 192.168.0.140:5060;branch=z9hG4bKx, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKy',
      'f: <sip:a@b>;tag=1',
      't: <sip:x@192.168.0.114>',
      'i: abc',
      'CSeq: 3 OPTIONS',
    ]);
    const error = parseFailure(text);
    expect(error.answerable).toBe(true);
    expect(error.headers.filter((h) => h.name === 'Via')).toHaveLength(2);
    expect(error.headers.find((h) => h.name === 'Call-ID')?.value).toBe('abc');
  });

  it('505 for another SIP version, 513 for a message over the limit', () => {
    expect(parseFailure(register('SIP/2.0\r\nVia', 'SIP/3.0\r\nVia'))).toMatchObject({ status: 505 });
    const big = register('Content-Length: 0', `Content-Length: ${SIP_LIMITS.maxMessageBytes}`);
    const error = parseFailure(Buffer.concat([Buffer.from(big), Buffer.alloc(SIP_LIMITS.maxMessageBytes)]));
    expect(error).toMatchObject({ message: 'message too large', status: 513 });
    expect(error.answerable).toBe(true);
    expect(answerToMalformed(error)).toMatchObject({ status: 513, reason: 'Message Too Large' });
  });

  it('never answers an ACK, nor a response', () => {
    const ack = sipText([
      'ACK sip:x@h SIP/2.0',
      'Via: SIP/2.0/UDP h;branch=z9hG4bKa',
      'From: <sip:a@h>;tag=1',
      'To: <sip:x@h>;tag=2',
      'Call-ID: c',
      'CSeq: 1 BYE',
    ]);
    expect(parseFailure(ack).answerable).toBe(false);
    expect(answerToMalformed(parseFailure(ack))).toBeNull();
    const response = parseFailure(REGISTER_200.replace('CSeq: 2 REGISTER', 'CSeq: x'));
    expect(response.kind).toBe('response');
    expect(answerToMalformed(response)).toBeNull();
  });

  it('enforces the header count and line length limits', () => {
    const many = Array.from({ length: SIP_LIMITS.maxHeaders }, (_, i) => `X-Extra-${i}: ${i}`);
    expect(
      parseFailure(register('Content-Length: 0', ['Content-Length: 0', ...many].join('\r\n'))).message,
    ).toBe('too many headers');
    const long = `X-Long: ${'a'.repeat(SIP_LIMITS.maxHeaderLineBytes)}`;
    expect(parseFailure(register('Content-Length: 0', `Content-Length: 0\r\n${long}`)).message).toBe(
      'header line too long',
    );
    const folded = `X-Folded: a${'\r\n '.concat('b'.repeat(1000)).repeat(9)}`;
    expect(parseFailure(register('Content-Length: 0', `Content-Length: 0\r\n${folded}`)).message).toBe(
      'header line too long',
    );
    // Just under the limits is fine.
    const fits = Array.from({ length: SIP_LIMITS.maxHeaders - 10 }, (_, i) => `X-Extra-${i}: ${i}`);
    expect(
      parse(register('Content-Length: 0', ['Content-Length: 0', ...fits].join('\r\n'))).headers,
    ).toHaveLength(SIP_LIMITS.maxHeaders);
  });

  it('limits values made by splitting list headers', () => {
    const commas = Array.from({ length: 80 }, () => `Allow: ${'A,'.repeat(10)}`);
    expect(
      parseFailure(register('Content-Length: 0', ['Content-Length: 0', ...commas].join('\r\n'))).message,
    ).toBe('too many header values');
  });
});

describe('round trips', () => {
  it.each(Object.entries(FIXTURES))('%s: parse, serialize, parse gives the same message', (_name, text) => {
    const first = parse(text);
    const bytes = serializeMessage(first);
    const second = parseMessage(bytes, { transport: 'tcp' });
    const withoutLength = (m: SipMessage) => ({
      ...m,
      headers: m.headers.filter((h) => h.name.toLowerCase() !== 'content-length'),
    });
    expect(withoutLength(second)).toEqual(withoutLength(first));
    expect(serializeMessage(second).equals(bytes)).toBe(true);
  });

  it('serializes with CRLF only and Content-Length from the body', () => {
    const invite = parse(DOORBELL_INVITE_NO_LENGTH);
    const text = serializeMessage({ ...invite, body: Buffer.from('v=0\r\n') }).toString();
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(text).toMatch(/\r\nContent-Length: 5\r\n\r\nv=0\r\n$/);
    const stale = serializeMessage({ ...invite, headers: [...invite.headers, { name: 'l', value: '999' }] });
    expect(stale.toString().match(/content-length|\r\nl:/gi)).toEqual(['Content-Length']);
  });

  it('refuses to serialize what would forge headers or break the start line', () => {
    const invite = parse(DOORBELL_INVITE);
    const injected = { ...invite, headers: [{ name: 'Subject', value: 'x\r\nVia: evil' }] };
    expect(() => serializeMessage(injected)).toThrow(SipBuildError);
    expect(() => serializeMessage({ ...invite, headers: [{ name: 'Bad Name', value: 'x' }] })).toThrow(
      SipBuildError,
    );
    expect(() => serializeMessage({ ...invite, uri: 'sip:a b' } as SipRequest)).toThrow(SipBuildError);
    expect(() => serializeMessage({ ...invite, method: 'IN VITE' } as SipRequest)).toThrow(SipBuildError);
    const response = parse(REGISTER_200);
    expect(() => serializeMessage({ ...response, reason: 'OK\r\nX: y' } as SipMessage)).toThrow(
      SipBuildError,
    );
    expect(() => serializeMessage({ ...response, status: 1000 } as SipMessage)).toThrow(SipBuildError);
    expect(() => serializeMessage({ ...invite, body: Buffer.alloc(SIP_LIMITS.maxMessageBytes) })).toThrow(
      SipBuildError,
    );
  });
});

describe('buildRequest and buildResponse', () => {
  it('builds a request with Max-Forwards and a body', () => {
    const request = buildRequest({
      method: 'OPTIONS',
      uri: 'sip:10101@192.168.0.140:5060',
      headers: {
        Via: `SIP/2.0/UDP 192.168.0.114:5060;branch=${newBranch()}`,
        From: `<sip:10102@192.168.0.114>;tag=${newTag()}`,
        To: '<sip:10101@192.168.0.140>',
        'Call-ID': newCallId('192.168.0.114'),
        CSeq: '1 OPTIONS',
        Accept: ['application/sdp', 'text/plain'],
        Ignored: undefined,
      },
      body: 'hello',
    });
    expect(header(request, 'Max-Forwards')).toBe('70');
    expect(headers(request, 'Accept')).toEqual(['application/sdp', 'text/plain']);
    const parsed = parse(serializeMessage(request).toString());
    expect(parsed.body.toString()).toBe('hello');
    expect(() => buildRequest({ method: 'OPTIONS', uri: 'not a uri' })).toThrow(SipBuildError);
    expect(() =>
      buildRequest({ method: 'OPTIONS', uri: 'sip:x@h', headers: [{ name: 'X', value: 'a\nb' }] }),
    ).toThrow(SipBuildError);
  });

  it('a response copies Via (all, in order), From, To with the tag, Call-ID and CSeq (RFC 3261 §8.2.6)', () => {
    const invite = asRequest(parse(COMPACT_INVITE));
    const ringing = buildResponse(invite, 180, undefined, { toTag: 'abc' });
    expect(ringing.reason).toBe('Ringing');
    expect(ringing.headers.map((h) => h.name)).toEqual([
      'Via',
      'Via',
      'Via',
      'From',
      'To',
      'Call-ID',
      'CSeq',
    ]);
    expect(headers(ringing, 'Via')).toEqual(headers(invite, 'Via'));
    expect(header(ringing, 'From')).toBe(header(invite, 'From'));
    expect(header(ringing, 'To')).toBe('sip:10101@192.168.0.114;tag=abc');
    expect(tagOf(header(ringing, 'To'))).toBe('abc');
    expect(header(ringing, 'Call-ID')).toBe('compact-1@192.168.0.140');
    expect(header(ringing, 'CSeq')).toBe('5 INVITE');
  });

  it('keeps an existing To tag, copies Timestamp on 100 and Record-Route on dialog answers', () => {
    const invite = asRequest(
      parse(
        DOORBELL_INVITE.replace(
          'To: <sip:10000000005@192.168.0.114:5060>',
          'To: <sip:10000000005@192.168.0.114:5060>;tag=mine\r\nTimestamp: 54\r\nRecord-Route: <sip:p1;lr>, <sip:p2;lr>',
        ),
      ),
    );
    const ok = buildResponse(invite, 200, 'OK', {
      toTag: 'other',
      headers: [{ name: 'Content-Type', value: 'application/sdp' }],
      body: 'v=0\r\n',
    });
    expect(header(ok, 'To')).toBe('<sip:10000000005@192.168.0.114:5060>;tag=mine');
    expect(headers(ok, 'Record-Route')).toEqual(['<sip:p1;lr>', '<sip:p2;lr>']);
    expect(header(ok, 'Timestamp')).toBeUndefined();
    expect(header(buildResponse(invite, 100), 'Timestamp')).toBe('54');
    expect(headers(buildResponse(invite, 100), 'Record-Route')).toEqual([]);
    expect(headers(buildResponse(invite, 486), 'Record-Route')).toEqual([]);
    expect(serializeMessage(ok).toString()).toMatch(/Content-Length: 5\r\n\r\nv=0\r\n$/);
  });

  it('refuses a bad status or tag', () => {
    const invite = asRequest(parse(DOORBELL_INVITE));
    expect(() => buildResponse(invite, 99)).toThrow(SipBuildError);
    expect(() => buildResponse(invite, 200, 'OK', { toTag: 'a b' })).toThrow(SipBuildError);
    expect(buildResponse(invite, 299).reason).toBe('OK');
  });
});

describe('header values', () => {
  it('parseUri / formatUri', () => {
    expect(parseUri('sip:10101@192.168.0.140:5060;transport=tcp;lr')).toEqual({
      scheme: 'sip',
      user: '10101',
      host: '192.168.0.140',
      port: 5060,
      params: { transport: 'tcp', lr: null },
      headers: null,
    });
    expect(parseUri('SIPS:[2001:db8::1]:5061')).toMatchObject({
      scheme: 'sips',
      user: null,
      host: '2001:db8::1',
    });
    expect(parseUri('sip:+123;phone-context=x@host?subject=hi')).toMatchObject({
      user: '+123;phone-context=x',
      host: 'host',
      port: null,
      headers: 'subject=hi',
    });
    for (const text of [
      'sip:10101@192.168.0.140:5060;transport=tcp;lr',
      'sips:[2001:db8::1]:5061',
      'sip:host?subject=hi',
    ]) {
      expect(formatUri(parseUri(text))).toBe(text.replace('SIPS', 'sips'));
    }
    for (const bad of [
      'tel:+123',
      'sip:',
      'sip:@host',
      'sip:host:70000',
      'sip:[::1',
      'sip:a b',
      'sip:host;=x',
      'sip:h;;x',
    ]) {
      expect(() => parseUri(bad), bad).toThrow(SipParseError);
    }
  });

  it('parseNameAddr / formatNameAddr', () => {
    expect(parseNameAddr('"Front \\"Door\\"" <sip:10101@h>;tag=1;+sip.instance="<urn:uuid:1>"')).toEqual({
      displayName: 'Front "Door"',
      uri: { scheme: 'sip', user: '10101', host: 'h', port: null, params: {}, headers: null },
      params: { tag: '1', '+sip.instance': '"<urn:uuid:1>"' },
    });
    expect(parseNameAddr('Door  Station <sip:h>').displayName).toBe('Door Station');
    // Bare form: the parameters belong to the header.
    expect(parseNameAddr('sip:10101@h;tag=9')).toMatchObject({ uri: { params: {} }, params: { tag: '9' } });
    const address = parseNameAddr('"A" <sip:a@h;transport=tcp>;expires=30');
    expect(formatNameAddr(address)).toBe('"A" <sip:a@h;transport=tcp>;expires=30');
    expect(formatNameAddr(parseNameAddr('sip:a@h;tag=1'))).toBe('<sip:a@h>;tag=1');
    for (const bad of ['"open <sip:a@h>', '<sip:a@h', '"A" sip:a@h', '<sip:a@h> junk', '*', '<http://x>']) {
      expect(() => parseNameAddr(bad), bad).toThrow(SipParseError);
    }
  });

  it('a parameter named __proto__ is only a name', () => {
    const address = parseNameAddr('<sip:a@h>;__proto__=x');
    expect(Object.entries(address.params)).toEqual([['__proto__', 'x']]);
    expect(Object.getPrototypeOf(address.params)).toBeNull();
  });

  it('parseVia / formatVia', () => {
    expect(parseVia('SIP / 2.0 / tcp 10.0.0.1;received=10.0.0.2;rport=5062;branch=z9hG4bKx')).toEqual({
      transport: 'TCP',
      host: '10.0.0.1',
      port: null,
      branch: 'z9hG4bKx',
      params: { received: '10.0.0.2', rport: '5062', branch: 'z9hG4bKx' },
    });
    const via = parseVia('SIP/2.0/UDP [2001:db8::1]:5060;rport;branch=z9hG4bKy');
    expect(formatVia(via)).toBe('SIP/2.0/UDP [2001:db8::1]:5060;rport;branch=z9hG4bKy');
    expect(formatVia({ ...via, branch: 'z9hG4bKnew', params: {} })).toBe(
      'SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKnew',
    );
    for (const bad of [
      'SIP/2.0 UDP h',
      'SIP/1.0/UDP h',
      'SIP/2.0/UDP',
      'SIP/2.0/UDP h:x',
      'SIP/2.0/UDP h;branch="x',
    ]) {
      expect(() => parseVia(bad), bad).toThrow(SipParseError);
    }
  });

  it('parseCSeq', () => {
    expect(parseCSeq(' 2147483647   BYE ')).toEqual({ seq: 2147483647, method: 'BYE' });
    for (const bad of ['INVITE', '1', '-1 INVITE', '1 IN VITE', '99999999999 INVITE']) {
      expect(() => parseCSeq(bad), bad).toThrow(SipParseError);
    }
  });

  it('tags, branches and Call-IDs are random and well formed', () => {
    const branches = new Set(Array.from({ length: 200 }, newBranch));
    expect(branches.size).toBe(200);
    for (const branch of branches) expect(branch).toMatch(/^z9hG4bK[0-9a-f]{20}$/);
    expect(new Set(Array.from({ length: 200 }, newTag)).size).toBe(200);
    expect(newTag()).toMatch(/^[0-9a-f]{16}$/);
    expect(newCallId('192.168.0.114')).toMatch(/^[0-9a-f]{24}@192\.168\.0\.114$/);
    expect(() => newCallId('bad host')).toThrow(TypeError);
    expect(tagOf(undefined)).toBeNull();
  });
});

describe('SipStreamFramer', () => {
  const invite = Buffer.from(DOORBELL_INVITE);
  const register = Buffer.from(DOORBELL_REGISTER);

  it('cuts back-to-back messages at every split point, across keep-alives', () => {
    const stream = Buffer.concat([
      Buffer.from('\r\n\r\n'),
      invite,
      Buffer.from('\r\n\r\n'),
      register,
      invite,
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const framer = new SipStreamFramer();
      const a = framer.push(stream.subarray(0, cut));
      const b = framer.push(stream.subarray(cut));
      expect(a.error ?? b.error).toBeNull();
      expect([...a.frames, ...b.frames].map((f) => f.toString())).toEqual([
        DOORBELL_INVITE,
        DOORBELL_REGISTER,
        DOORBELL_INVITE,
      ]);
      expect(a.pings + b.pings).toBe(2);
      expect(framer.buffered).toBe(0);
    }
  });

  it('frames byte by byte, and each frame parses over TCP', () => {
    const framer = new SipStreamFramer();
    const frames: Buffer[] = [];
    for (const byte of Buffer.concat([register, invite]))
      frames.push(...framer.push(Buffer.from([byte])).frames);
    expect(frames.map((f) => parseMessage(f, { transport: 'tcp' }).kind)).toEqual(['request', 'request']);
  });

  it('a frame with a broken head still comes out (to be answered 400), the stream goes on', () => {
    const broken = Buffer.from(DOORBELL_REGISTER.replace('CSeq: 1 REGISTER', 'CSeq: 1 INVITE'));
    const out = new SipStreamFramer().push(Buffer.concat([broken, register]));
    expect(out.error).toBeNull();
    expect(out.frames).toHaveLength(2);
    expect(() => parseMessage(out.frames[0]!, { transport: 'tcp' })).toThrow(SipParseError);
  });

  it('a head without Content-Length loses the stream', () => {
    const framer = new SipStreamFramer();
    const out = framer.push(Buffer.concat([register, Buffer.from(DOORBELL_INVITE_NO_LENGTH)]));
    expect(out.frames).toHaveLength(1);
    expect(out.error?.message).toBe('missing Content-Length (required over TCP)');
    expect(framer.push(register)).toMatchObject({ frames: [], error: out.error });
  });

  it('a folded line that looks like Content-Length is not one', () => {
    const text = DOORBELL_REGISTER.replace('User-Agent: HKVS/2.0.0', 'User-Agent: HKVS/2.0.0\r\n l: 5');
    const out = new SipStreamFramer().push(Buffer.from(`${text}${DOORBELL_REGISTER}`));
    expect(out.frames.map((f) => f.length)).toEqual([
      Buffer.byteLength(text),
      Buffer.byteLength(DOORBELL_REGISTER),
    ]);
  });

  it('conflicting or oversized Content-Length loses the stream', () => {
    const twice = DOORBELL_REGISTER.replace('Content-Length: 0', 'Content-Length: 0\r\nl: 5');
    expect(new SipStreamFramer().push(Buffer.from(twice)).error?.message).toBe('conflicting Content-Length');
    const huge = DOORBELL_REGISTER.replace('Content-Length: 0', 'Content-Length: 99999999');
    expect(new SipStreamFramer().push(Buffer.from(huge)).error?.message).toBe('Content-Length too large');
  });

  it('is bounded: a head that never ends, a buffer over maxTcpBufferBytes', () => {
    const framer = new SipStreamFramer();
    let error: SipParseError | null = null;
    for (let i = 0; i < 100 && !error; i++) error = framer.push(Buffer.alloc(4096, 0x61)).error;
    expect(error?.message).toBe('message head too large');
    expect(framer.buffered).toBe(0);
    const big = new SipStreamFramer().push(Buffer.alloc(SIP_LIMITS.maxTcpBufferBytes + 1, 0x61));
    expect(big.error?.message).toBe('TCP receive buffer over its limit');
  });
});

describe('fuzz (child process, killed if it hangs)', () => {
  it('random, truncated, mutated and oversized input: only SipParseError/SdpError, no hang, < 5 s', async () => {
    const child = fork(fileURLToPath(new URL('./codec-fuzz.ts', import.meta.url)), {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const deadline = 30_000; // a hang shows as this; the run itself must stay under 5 s (below)
    const result = await new Promise<FuzzReport>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`fuzz still running after ${deadline} ms: a parser hangs`));
      }, deadline);
      child.once('message', (message) => {
        clearTimeout(timer);
        resolve(message as FuzzReport);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`fuzz process exited (${code}) without a report`));
      });
    });
    child.kill();
    expect(result.failures).toEqual([]);
    expect(result.calls).toBeGreaterThan(20_000);
    expect(result.elapsedMs).toBeLessThan(5_000);
    // A 64 KB input parsing in more than this means super-linear work somewhere.
    expect(result.maxCallMs).toBeLessThan(250);
  }, 40_000);
});

interface FuzzReport {
  failures: string[];
  elapsedMs: number;
  maxCallMs: number;
  calls: number;
}
