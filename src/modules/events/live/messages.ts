/** What live clients receive, and its wire form for each transport. */
import type { BusEvents } from '../../../core/bus.ts';
import type { GatewayEvent } from '../../../core/events.ts';

export type SnapshotNotice = BusEvents['event.snapshot'];

export type Message = { type: 'event'; data: GatewayEvent } | { type: 'snapshot'; data: SnapshotNotice };

export type Transport = 'sse' | 'ws';

/** Each message is serialized once, however many clients receive it. */
const encoded = new WeakMap<Message, Record<Transport, string>>();

export function encode(message: Message): Record<Transport, string> {
  let text = encoded.get(message);
  if (text) return text;
  const json = JSON.stringify(message.data);
  const id = message.type === 'event' && /^[\w.:-]+$/.test(message.data.id) ? `id: ${message.data.id}\n` : '';
  text = {
    sse: `${id}event: ${message.type}\ndata: ${json}\n\n`,
    ws: `{"type":"${message.type}","data":${json}}`,
  };
  encoded.set(message, text);
  return text;
}
