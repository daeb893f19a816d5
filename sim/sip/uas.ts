/**
 * The doorbell's answers to requests it gets (RFC 3261 §8.2.6): OPTIONS 200, BYE 200 in its call
 * (481 otherwise), INVITE 486 (it only places calls), CANCEL 481 (INVITEs to it are answered at
 * once), anything else 501. A repeated request gets the same answer again (UDP loses answers).
 */
import {
  deviceNumber,
  header,
  headerValues,
  parseParams,
  REASONS,
  type SipRequest,
  serialize,
  splitList,
  tagOf,
  topBranch,
} from './message.ts';
import type { SipPeer } from './transport.ts';
import { USER_AGENT } from './uac.ts';

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS';
const MAX_ANSWERED = 64;

/** The status for a request; `inCall`: a BYE belongs to the doorbell's connected call. */
export function statusFor(request: SipRequest, inCall: boolean): number {
  if (request.method === 'BYE') return inCall ? 200 : 481;
  if (request.method === 'OPTIONS') return 200;
  if (request.method === 'INVITE') return 486;
  if (request.method === 'CANCEL') return 481;
  return 501;
}

/** An answer: the request's Vias (received/rport filled in for rport), From, To + tag, Call-ID, CSeq. */
export function answerTo(request: SipRequest, peer: SipPeer, status: number): Buffer {
  const vias = headerValues(request, 'via').flatMap(splitList);
  const top = vias[0];
  if (top !== undefined && 'rport' in parseParams(top.split(';').slice(1).join(';'))) {
    vias[0] = `${top.replace(/;rport(=[^;]*)?/i, '')};received=${peer.host};rport=${peer.port}`;
  }
  const to = header(request, 'to') ?? '';
  const headers: Array<[string, string]> = [
    ...vias.map((via): [string, string] => ['Via', via]),
    ['From', header(request, 'from') ?? ''],
    ['To', tagOf(to) === undefined ? `${to};tag=${deviceNumber()}` : to],
    ['Call-ID', request.callId],
    ['CSeq', `${request.cseq.seq} ${request.cseq.method}`],
    ['User-Agent', USER_AGENT],
  ];
  if (request.method === 'OPTIONS' || status === 501) headers.push(['Allow', ALLOW]);
  if (request.method === 'OPTIONS') headers.push(['Accept', 'application/sdp']);
  return serialize(`SIP/2.0 ${status} ${REASONS[status] ?? ''}`.trimEnd(), headers);
}

/** Answers already sent, by request transaction, for 64·T1 (at most 64 kept). */
export class AnsweredRequests {
  private readonly answers = new Map<string, { data: Buffer; at: number }>();

  constructor(private readonly keepMs: number) {}

  private static key(request: SipRequest): string {
    return `${topBranch(request)} ${request.method} ${request.callId} ${request.cseq.seq}`;
  }

  get(request: SipRequest): Buffer | undefined {
    return this.answers.get(AnsweredRequests.key(request))?.data;
  }

  set(request: SipRequest, data: Buffer): void {
    this.answers.set(AnsweredRequests.key(request), { data, at: Date.now() });
    const oldest = Date.now() - this.keepMs;
    for (const [key, entry] of this.answers) {
      if (entry.at < oldest || this.answers.size > MAX_ANSWERED) this.answers.delete(key);
    }
  }
}
