/** Listening socket (plain or TLS) that serves every connection with serveConnection. */
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { type ConnectionOptions, serveConnection } from './connection.ts';

export interface ListenOptions extends ConnectionOptions {
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
}

export interface Listener {
  readonly port: number;
  /** Stops listening and destroys every open connection (streams included). */
  close(): Promise<void>;
}

export async function listen(options: ListenOptions): Promise<Listener> {
  const sockets = new Set<Socket>();
  const onSocket = (socket: Socket): void => serveConnection(socket, options);
  const server: Server = options.tls
    ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, onSocket)
    : createNetServer(onSocket);
  // Track the TCP sockets (also those still in the TLS handshake) so close() is immediate.
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
