/**
 * One Server-Sent Events connection per tab to `/api/v1/events/stream` (the session cookie
 * authenticates it), shared by every screen that wants live events. EventSource reconnects by
 * itself and resumes after the last event id.
 */
import { useEffect } from 'preact/hooks';
import type { HikEvent } from './api.ts';

/** A picture stored for an event after the event itself was announced. */
export interface SnapshotNotice {
  eventId: string;
  deviceId: string;
  snapshotRef: string;
}

export type LiveMessage = { type: 'event'; event: HikEvent } | { type: 'snapshot'; notice: SnapshotNotice };
type Listener = (message: LiveMessage) => void;

const listeners = new Set<Listener>();
let source: EventSource | undefined;

function parse<T>(message: MessageEvent<string>): T | undefined {
  try {
    return JSON.parse(message.data) as T;
  } catch {
    return undefined;
  }
}

function deliver(message: LiveMessage): void {
  for (const listener of listeners) listener(message);
}

function connect(): void {
  if (source) return;
  source = new EventSource('/api/v1/events/stream', { withCredentials: true });
  source.addEventListener('event', (message) => {
    const event = parse<HikEvent>(message);
    if (event) deliver({ type: 'event', event });
  });
  source.addEventListener('snapshot', (message) => {
    const notice = parse<SnapshotNotice>(message);
    if (notice) deliver({ type: 'snapshot', notice });
  });
}

function disconnect(): void {
  source?.close();
  source = undefined;
}

/** Calls `listener` for every live event and picture notice while the component is mounted. */
export function useLiveEvents(listener: Listener): void {
  useEffect(() => {
    listeners.add(listener);
    connect();
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) disconnect();
    };
  }, [listener]);
}
