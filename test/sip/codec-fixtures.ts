/**
 * SIP messages for the codec tests. The INVITE is the real one from a KV6113 doorbell (firmware
 * 2.2.x) in ../shared/notes/sip-doorbell.md; its SDP is written from the notes' description
 * (audio PCMU/8000, PCMA/8000, telephone-event/8000 sendrecv; video H264/90000
 * profile-level-id=42801F recvonly): the ports, the o= line and the fmtp of telephone-event are
 * not in the notes and are invented. The REGISTER, 401 and 200 are typical messages shaped like
 * that INVITE (same addresses, numbers and User-Agent), not captures.
 */

/** Lines joined by CRLF, a blank line, then the body. */
export function sipText(lines: readonly string[], body = ''): string {
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

export const DOORBELL_SDP = `${[
  'v=0',
  'o=- 1804739393 1804739393 IN IP4 192.168.0.140',
  's=SIP Call',
  'c=IN IP4 192.168.0.140',
  't=0 0',
  'm=audio 15060 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  'm=video 15062 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 profile-level-id=42801F',
  'a=recvonly',
].join('\r\n')}\r\n`;

/** The INVITE's header lines as the notes show them (the notes leave out Content-Length). */
export const DOORBELL_INVITE_HEADERS = [
  'INVITE sip:10000000005@192.168.0.114:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 192.168.0.140:5060;rport;branch=z9hG4bK1804739393',
  'From: <sip:10010100000@192.168.0.140>;tag=1247335934',
  'To: <sip:10000000005@192.168.0.114:5060>',
  'Call-ID: 651024374',
  'CSeq: 20 INVITE',
  'Contact: <sip:10010100000@192.168.0.140:5060>',
  'Content-Type: application/sdp',
  'Max-Forwards: 70',
  'User-Agent: HKVS/2.0.0',
  'Subject: This is a call to app.',
] as const;

export const DOORBELL_INVITE = sipText(
  [...DOORBELL_INVITE_HEADERS, `Content-Length: ${Buffer.byteLength(DOORBELL_SDP)}`],
  DOORBELL_SDP,
);

/** Without Content-Length, exactly as in the notes: fine over UDP, not over TCP. */
export const DOORBELL_INVITE_NO_LENGTH = sipText(DOORBELL_INVITE_HEADERS, DOORBELL_SDP);

export const DOORBELL_REGISTER = sipText([
  'REGISTER sip:192.168.0.114:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 192.168.0.140:5060;rport;branch=z9hG4bK2090193284',
  'From: <sip:10101@192.168.0.114:5060>;tag=1735289204',
  'To: <sip:10101@192.168.0.114:5060>',
  'Call-ID: 1357924680',
  'CSeq: 1 REGISTER',
  'Contact: <sip:10101@192.168.0.140:5060>',
  'Max-Forwards: 70',
  'User-Agent: HKVS/2.0.0',
  'Expires: 60',
  'Content-Length: 0',
]);

export const REGISTER_401 = sipText([
  'SIP/2.0 401 Unauthorized',
  'Via: SIP/2.0/UDP 192.168.0.140:5060;rport=5060;branch=z9hG4bK2090193284;received=192.168.0.140',
  'From: <sip:10101@192.168.0.114:5060>;tag=1735289204',
  'To: <sip:10101@192.168.0.114:5060>;tag=as5e6b7c8d',
  'Call-ID: 1357924680',
  'CSeq: 1 REGISTER',
  'WWW-Authenticate: Digest realm="asterisk", nonce="2c5e1f0a", algorithm=MD5, qop="auth"',
  'Server: Asterisk PBX 18.20.0',
  'Content-Length: 0',
]);

export const REGISTER_200 = sipText([
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 192.168.0.140:5060;rport=5060;branch=z9hG4bK2090193285;received=192.168.0.140',
  'From: <sip:10101@192.168.0.114:5060>;tag=1735289204',
  'To: <sip:10101@192.168.0.114:5060>;tag=as5e6b7c8d',
  'Call-ID: 1357924680',
  'CSeq: 2 REGISTER',
  'Contact: <sip:10101@192.168.0.140:5060>;expires=60',
  'Expires: 3600',
  'Date: Tue, 04 Jun 2024 10:12:33 GMT',
  'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE',
  'Supported: replaces, timer',
  'Server: Asterisk PBX 18.20.0',
  'Content-Length: 0',
]);

/** The same kind of INVITE in compact forms, folded, with list headers sharing lines. */
export const COMPACT_INVITE = sipText(
  [
    'INVITE sip:10101@192.168.0.114 SIP/2.0',
    'v: SIP/2.0/TCP 192.168.0.140:5060;branch=z9hG4bKaaa, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKbbb',
    'v : SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKccc',
    'f: "Door, Front" <sip:10010100000@192.168.0.140>;tag=77',
    't: sip:10101@192.168.0.114',
    'i: compact-1@192.168.0.140',
    'CSeq: 5 INVITE',
    'm: "A, B" <sip:a@192.168.0.140;transport=tcp>;expires=30, <sip:b@192.168.0.141>',
    'Subject: ring,',
    '  folded, not split',
    'c: application/sdp',
    `l: ${Buffer.byteLength(DOORBELL_SDP)}`,
  ],
  DOORBELL_SDP,
);

export const FIXTURES: Readonly<Record<string, string>> = {
  'doorbell INVITE': DOORBELL_INVITE,
  'doorbell REGISTER': DOORBELL_REGISTER,
  '401 to REGISTER': REGISTER_401,
  '200 to REGISTER': REGISTER_200,
  'compact INVITE': COMPACT_INVITE,
};
