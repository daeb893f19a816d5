/** Small helpers shared by the emulated proxy and the PBX phone. */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from '../../core/logger.ts';
import {
  header,
  type IncomingRequest,
  parseNameAddr,
  type SipLog,
  tagOf,
} from '../../protocols/sip/index.ts';

/** True for a request inside a dialog (it carries our To tag): BYE, re-INVITE... */
export function hasToTag(incoming: IncomingRequest): boolean {
  try {
    return tagOf(header(incoming.request, 'To')) !== null;
  } catch {
    return false;
  }
}

/** The caller's user (a doorbell's phone number) from From; undefined when unreadable. */
export function fromUser(incoming: IncomingRequest): string | undefined {
  try {
    return parseNameAddr(header(incoming.request, 'From') ?? '').uri.user ?? undefined;
  } catch {
    return undefined;
  }
}

/** Our Contact URI; over TCP it says so, or the peer would send the ACK and BYE over UDP. */
export function contactUri(user: string, host: string, port: number, transport: 'udp' | 'tcp'): string {
  return `sip:${user}@${host}:${port}${transport === 'tcp' ? ';transport=tcp' : ''}`;
}

/** IPv4-mapped IPv6 (`::ffff:10.0.0.5`, as TCP may report it) compares as the IPv4 address. */
export function normalise(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** The SIP library's reports on our logger. */
export function sipLog(logger: Logger): SipLog {
  return (entry) => {
    const peer = entry.peer ? `${entry.peer.transport}:${entry.peer.address}:${entry.peer.port}` : undefined;
    logger[entry.level]({ peer, err: entry.error }, entry.message);
  };
}

/** A host name or address as an IPv4 address (SIP peers are matched by address). */
export async function resolveIpv4(host: string): Promise<string> {
  if (isIP(host) === 4) return host;
  const found = await lookup(host, { family: 4 });
  return found.address;
}

/**
 * Our address as `remote` sees it: the source address the routing table picks for it. A UDP
 * "connect" sends nothing; it only asks the kernel for the route.
 */
export async function localAddressFor(remote: string): Promise<string> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(9, remote, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}
