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
import type { Api, ApiDeps } from '../../server.ts';
import { registerHistoryRoutes } from './history.ts';
import { EventHub } from './hub.ts';
import { settingsOf } from './settings.ts';
import { registerSseRoute } from './sse.ts';
import { guardUpgrades, registerWebSocketRoutes } from './ws.ts';

export type { StreamSettings } from './settings.ts';
export { EVENTS_STREAM_PATH } from './sse.ts';
export { EVENTS_WS_PATH } from './ws.ts';

export function registerEventRoutes(app: Api, deps: ApiDeps): void {
  const { streams, snapshotsDir } = settingsOf(deps);
  const hub = new EventHub(deps.bus, deps.store, deps.logger.child({ part: 'event-stream' }), streams);
  hub.start();
  // Streams never end by themselves: close them first, or closing the server waits for them.
  app.addHook('preClose', async () => hub.closeAll());
  app.addHook('onClose', async () => hub.stop());
  guardUpgrades(app);

  registerHistoryRoutes(app, deps.store, hub, snapshotsDir);
  registerSseRoute(app, hub);
  registerWebSocketRoutes(app, hub);
}
