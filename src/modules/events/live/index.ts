/**
 * Events over HTTP: a live stream (Server-Sent Events and a WebSocket carrying the same
 * messages), a paged history and event pictures.
 *
 * Live delivery: every client has a bounded outbox; a client that stops reading is dropped
 * instead of slowing the others or growing memory. Resuming (`Last-Event-ID`) replays what the
 * client missed from the store plus a small in-memory window (events are stored in batches, so
 * the newest may not be in the store yet), while live events for that client are held back and
 * then sent without the ones already replayed: no gap, no duplicate.
 */
import type { RoutePlugin } from '../../../core/http.ts';
import type { Store } from '../../../core/store/types.ts';
import { registerHistoryRoutes } from './history.ts';
import type { EventHub } from './hub.ts';
import { registerSseRoute } from './sse.ts';
import { guardUpgrades, registerWebSocketRoutes } from './ws.ts';

export { EventHub } from './hub.ts';
export { EVENTS_STREAM_PATH } from './sse.ts';
export type { StreamSettings } from './types.ts';
export { EVENTS_WS_PATH } from './ws.ts';

export function eventRoutes(hub: EventHub, store: Store, snapshotsDir: string): RoutePlugin {
  return (app) => {
    // Streams never end by themselves: close them first, or closing the server waits for them.
    app.addHook('preClose', async () => hub.closeAll());
    guardUpgrades(app);
    registerHistoryRoutes(app, store, hub, snapshotsDir);
    registerSseRoute(app, hub);
    registerWebSocketRoutes(app, hub);
  };
}
