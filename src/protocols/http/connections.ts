/**
 * A device's HTTP connections: undici Clients (one keep-alive connection each), lent out for
 * one exchange at a time.
 *
 * Why not undici's Pool: a Pool pre-allocates a 2048-slot request queue (16 KB) and its own
 * bookkeeping, about 22 KB per device before a request is made, 22 MB at 1000 devices. Here
 * the queueing is done already (the ConcurrencyLimiter and the stream slots bound how many
 * exchanges run at once), so all that is needed is a free connection per exchange.
 */
import { Client } from 'undici';

export class Connections {
  private readonly idle: Client[] = [];
  private readonly all = new Set<Client>();
  private closed = false;

  constructor(
    private readonly origin: string,
    private readonly options: Client.Options,
    /** What taking a connection after close() throws. */
    private readonly closedError: () => Error,
  ) {}

  /** A connection no other exchange is using: an idle one, else a new one. */
  take(): Client {
    if (this.closed) throw this.closedError();
    const client = this.idle.pop() ?? new Client(this.origin, this.options);
    this.all.add(client);
    return client;
  }

  /** Back for reuse, once its response has been read to the end. */
  giveBack(client: Client): void {
    if (this.closed || client.destroyed || client.closed) this.drop(client);
    else this.idle.push(client);
  }

  /** Closes it, e.g. after a stream that ended before its body did. */
  drop(client: Client): void {
    this.all.delete(client);
    client.destroy().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    const clients = [...this.all];
    this.all.clear();
    await Promise.all(clients.map((client) => client.destroy().catch(() => undefined)));
  }
}
