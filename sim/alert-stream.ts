/**
 * The alertStream: a never-ending multipart/mixed response per connection. Framing follows the
 * field quirks in notes/isapi.md; writes are bounded (a client that stops reading loses events
 * instead of growing our buffers).
 */
import {
  accessControllerPart,
  alarmParts,
  type EventSource,
  heartbeatPart,
  type Part,
  type PartFlags,
} from './events.ts';
import type { FaultSet } from './faults.ts';
import type { HttpResponse } from './http/connection.ts';
import { type BoundaryMode, isAccessEvent, isRawEvent, type SimEvent, type StreamFraming } from './types.ts';

/** Above this many unsent bytes on a connection, new events are dropped for it. */
export const MAX_BUFFERED_BYTES = 256 * 1024;
/** What 'literal-mismatch' advertises while writing the literal `--boundary`. */
export const MISMATCH_ADVERTISED_BOUNDARY = 'hikvision_boundary';

interface Framing extends PartFlags {
  contentType: string;
  boundary: string;
  contentLength: boolean;
  blankLines: boolean;
}

function framingFor(mode: BoundaryMode, options: StreamFraming): Framing {
  const base = {
    contentLength: options.contentLength ?? true,
    blankLines: options.blankLines ?? false,
    emptyActivePostCount: options.emptyActivePostCount,
    bareAmpersand: options.bareAmpersand,
  };
  switch (mode) {
    case 'MIME_boundary':
      return { ...base, contentType: 'multipart/mixed; boundary=MIME_boundary', boundary: 'MIME_boundary' };
    case 'literal-mismatch':
      return {
        ...base,
        contentType: `multipart/mixed; boundary=${MISMATCH_ADVERTISED_BOUNDARY}`,
        boundary: 'boundary',
      };
    case 'missing':
      return { ...base, contentType: 'multipart/mixed', boundary: 'boundary' };
    default:
      return { ...base, contentType: 'multipart/mixed; boundary=boundary', boundary: 'boundary' };
  }
}

/** Bytes held back by the streamDrip fault; `end` closes the connection once reached. */
type Pending = Buffer | 'end';

class AlertConnection {
  partsSent = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly pending: Pending[] = [];
  private pendingBytes = 0;
  private drip: NodeJS.Timeout | undefined;
  private lastSliceAt = 0;

  constructor(
    readonly res: HttpResponse,
    readonly framing: Framing,
    private readonly hub: AlertHub,
  ) {}

  start(heartbeatMs: number, stalled: boolean): void {
    this.res.startStream(200, { 'MIME-Version': '1.0', 'Content-Type': this.framing.contentType });
    // streamStall: one part, then silence on an open socket.
    if (stalled) this.writeParts([heartbeatPart(this.hub.source, this.framing)]);
    if (heartbeatMs > 0) {
      this.heartbeat = setInterval(
        () => this.send([heartbeatPart(this.hub.source, this.framing)]),
        heartbeatMs,
      );
    }
  }

  stop(): void {
    clearInterval(this.heartbeat);
    clearTimeout(this.drip);
    this.drip = undefined;
  }

  /** Sends an event's parts unless the connection is stalled or its client is not reading. */
  send(parts: Part[]): void {
    if (this.res.closed) return;
    if (this.hub.faults.has('streamStall') && this.partsSent > 0) return;
    if (this.buffered() > MAX_BUFFERED_BYTES) return;
    this.writeParts(parts);
  }

  sendRaw(bytes: Buffer): void {
    if (this.res.closed || this.buffered() > MAX_BUFFERED_BYTES) return;
    this.out(bytes);
  }

  /** Unsent bytes: in the socket, plus what the streamDrip fault holds back. */
  private buffered(): number {
    return this.res.writableLength + this.pendingBytes;
  }

  private writeParts(parts: Part[]): void {
    for (const part of parts) {
      const truncate = this.hub.faults.take('streamTruncate');
      this.out(this.partHead(part));
      this.partsSent += 1;
      if (truncate) {
        // Cut mid-body: the client sees fewer bytes than Content-Length announced.
        this.out(part.body.subarray(0, Math.floor(part.body.length / 2)));
        if ((truncate.after ?? 'close') === 'close') this.out('end');
        return;
      }
      this.out(Buffer.concat([part.body, Buffer.from('\r\n')]));
    }
  }

  /** Writes now, or queues behind bytes the streamDrip fault still holds back (order is kept). */
  private out(item: Pending): void {
    if (this.pending.length === 0 && !this.hub.faults.has('streamDrip')) {
      if (item === 'end') this.res.end();
      else this.res.write(item);
      return;
    }
    this.pending.push(item);
    if (item !== 'end') this.pendingBytes += item.length;
    if (this.drip) return;
    // A pause is never shorter than intervalMs, even when the queue ran empty in between.
    const interval = this.hub.faults.latest('streamDrip')?.intervalMs ?? 0;
    this.drip = setTimeout(this.dripOnce, Math.max(0, this.lastSliceAt + interval - Date.now()));
  }

  /** streamDrip: one slice of at most `bytes` bytes, then a pause; the fault gone flushes the rest. */
  private readonly dripOnce = (): void => {
    this.drip = undefined;
    if (this.res.closed) return;
    const fault = this.hub.faults.latest('streamDrip');
    let budget = fault ? fault.bytes : Number.POSITIVE_INFINITY;
    this.lastSliceAt = Date.now();
    while (this.pending.length > 0 && budget > 0) {
      const head = this.pending[0]!;
      if (head === 'end') {
        this.pending.length = 0;
        this.pendingBytes = 0;
        this.res.end();
        return;
      }
      const slice = head.length <= budget ? head : head.subarray(0, budget);
      if (slice === head) this.pending.shift();
      else this.pending[0] = head.subarray(budget);
      this.pendingBytes -= slice.length;
      budget -= slice.length;
      this.res.write(slice);
    }
    if (this.pending.length > 0) this.drip = setTimeout(this.dripOnce, fault?.intervalMs ?? 0);
  };

  private partHead(part: Part): Buffer {
    const lines = [`--${this.framing.boundary}`, `Content-Type: ${part.contentType}`];
    if (this.framing.contentLength) lines.push(`Content-Length: ${part.body.length}`);
    const prefix = this.framing.blankLines && this.partsSent > 0 ? '\r\n' : '';
    return Buffer.from(`${prefix}${lines.join('\r\n')}\r\n\r\n`);
  }
}

export interface AlertHubOptions {
  source: EventSource;
  faults: FaultSet;
  heartbeatMs: number;
}

export class AlertHub {
  readonly source: EventSource;
  readonly faults: FaultSet;
  private readonly connections = new Set<AlertConnection>();
  private readonly activeCounts = new Map<string, number>();
  private accessSerial = 0;

  constructor(private readonly options: AlertHubOptions) {
    this.source = options.source;
    this.faults = options.faults;
  }

  get count(): number {
    return this.connections.size;
  }

  /** Serves one alertStream request (auth already done). */
  open(res: HttpResponse): void {
    const fault = this.faults.latest('streamFraming');
    const doorbell = this.source.model.profile.kind === 'doorbell';
    const mode = fault?.boundaryMode ?? (doorbell ? 'MIME_boundary' : 'header');
    const connection = new AlertConnection(res, framingFor(mode, fault ?? {}), this);
    this.connections.add(connection);
    res.onClose(() => {
      connection.stop();
      this.connections.delete(connection);
    });
    connection.start(this.options.heartbeatMs, this.faults.has('streamStall'));
  }

  trigger(event: SimEvent): void {
    if (isRawEvent(event)) {
      const bytes = typeof event.raw === 'string' ? Buffer.from(event.raw) : event.raw;
      for (const connection of this.connections) connection.sendRaw(bytes);
      return;
    }
    if (isAccessEvent(event)) {
      this.accessSerial += 1;
      const part = accessControllerPart(event, this.source, this.accessSerial);
      for (const connection of this.connections) connection.send([part]);
      return;
    }
    // activePostCount counts the posts of one ongoing alarm; an inactive post ends it.
    const key = `${event.type}:${event.channel ?? 1}`;
    const inactive = event.state === 'inactive';
    const count = inactive ? 1 : (this.activeCounts.get(key) ?? 0) + 1;
    this.activeCounts.set(key, inactive ? 0 : count);
    for (const connection of this.connections) {
      const flags: PartFlags = {
        emptyActivePostCount: connection.framing.emptyActivePostCount || event.emptyActivePostCount,
        bareAmpersand: connection.framing.bareAmpersand || event.bareAmpersand,
      };
      connection.send(alarmParts(event, this.source, count, flags));
    }
  }

  closeAll(): void {
    for (const connection of this.connections) {
      connection.stop();
      connection.res.destroy();
    }
    this.connections.clear();
  }
}
