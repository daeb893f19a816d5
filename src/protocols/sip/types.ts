/**
 * The SIP message model shared by the codec, the transports and the transactions (RFC 3261).
 * Header names are kept as received for display but matched case-insensitively, compact forms
 * (`v`, `f`, `t`, `i`, `m`, `l`, `c`, `k`, `s`) expanded to their long names.
 */

export type SipMethod =
  | 'REGISTER'
  | 'INVITE'
  | 'ACK'
  | 'CANCEL'
  | 'BYE'
  | 'OPTIONS'
  | 'INFO'
  | 'NOTIFY'
  | 'SUBSCRIBE'
  | 'MESSAGE'
  | 'UPDATE'
  | 'PRACK'
  | 'REFER';

/** One header line: its name in long form as received (`Via`, `Call-ID`), and its raw value. */
export interface SipHeader {
  name: string;
  value: string;
}

interface SipMessageBase {
  /** In order; a header that appears several times (Via) has several entries. */
  headers: SipHeader[];
  body: Buffer;
}

export interface SipRequest extends SipMessageBase {
  kind: 'request';
  /** Upper case as received; an unknown method is kept (answered 501 by the stack). */
  method: SipMethod | (string & {});
  uri: string;
}

export interface SipResponse extends SipMessageBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** `sip:user@host:port;params` as parsed from a URI or a name-addr. */
export interface SipUri {
  scheme: 'sip' | 'sips';
  user: string | null;
  host: string;
  port: number | null;
  params: Record<string, string | null>;
}

/** A `From`, `To` or `Contact` value: `"Name" <sip:...>;tag=...`. */
export interface NameAddr {
  displayName: string | null;
  uri: SipUri;
  params: Record<string, string | null>;
}

/** The top `Via` of a message. */
export interface Via {
  transport: 'UDP' | 'TCP' | 'TLS' | (string & {});
  host: string;
  port: number | null;
  branch: string | null;
  params: Record<string, string | null>;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** Where a message came from or goes to. */
export interface SipPeer {
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
}

/** Bounds that keep a malformed or hostile peer from costing more than a small message does. */
export const SIP_LIMITS = {
  /** Largest message (head and body) accepted or built. */
  maxMessageBytes: 64 * 1024,
  /** Most header lines in one message. */
  maxHeaders: 100,
  /** Longest single header line (after unfolding). */
  maxHeaderLineBytes: 8 * 1024,
  /** Most bytes buffered per TCP connection while waiting for a whole message. */
  maxTcpBufferBytes: 128 * 1024,
} as const;
