/** Test tools for the MQTT suites: a recording subscriber, retained-message reads, a TCP proxy. */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { GatewayEvent } from '../../src/core/events.ts';

export interface Received {
  topic: string;
  payload: Buffer;
  /** As the publisher sent it (MQTT 5 "retain as published"), not as the broker forwards it. */
  retain: boolean;
}

/** A broker as a test client reaches it: its URL, and a login or a CA when it needs them. */
export type BrokerAccess = string | { url: string; username?: string; password?: string; ca?: Buffer };

function clientOptions(broker: BrokerAccess, options: IClientOptions): [string, IClientOptions] {
  if (typeof broker === 'string') return [broker, options];
  const { url, ...login } = broker;
  return [url, { ...options, ...login }];
}

/** Subscribes to everything and keeps every message, with the publisher's retain flag. */
export class Recorder {
  readonly messages: Received[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload: Buffer.from(payload), retain: packet.retain });
    });
  }

  static async start(broker: BrokerAccess, filter = '#'): Promise<Recorder> {
    const client = await connectAsync(
      ...clientOptions(broker, { protocolVersion: 5, reconnectPeriod: 0, clean: true }),
    );
    const recorder = new Recorder(client);
    await client.subscribeAsync(filter, { qos: 1, rap: true });
    return recorder;
  }

  on(topic: string): Received[] {
    return this.messages.filter((message) => message.topic === topic);
  }

  last(topic: string): Received | undefined {
    return this.on(topic).at(-1);
  }

  /** Waits for a message (from index `from` on) that matches. */
  async waitFor(match: (message: Received) => boolean, from = 0, timeoutMs = 10_000): Promise<Received> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found;
      if (Date.now() > until) throw new Error('expected MQTT message did not arrive');
      await sleep(25);
    }
  }

  waitForPayload(topic: string, payload: string, from = 0): Promise<Received> {
    return this.waitFor((m) => m.topic === topic && m.payload.toString() === payload, from);
  }

  async publish(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  async stop(): Promise<void> {
    await this.client.endAsync();
  }
}

/** The retained messages under `filter` as a fresh subscriber sees them. */
export async function retainedMessages(
  broker: BrokerAccess,
  filter: string,
  settleMs = 400,
): Promise<Map<string, Buffer>> {
  const client = await connectAsync(...clientOptions(broker, { protocolVersion: 4, reconnectPeriod: 0 }));
  const found = new Map<string, Buffer>();
  client.on('message', (topic, payload, packet) => {
    if (packet.retain) found.set(topic, Buffer.from(payload));
  });
  await client.subscribeAsync(filter, { qos: 1 });
  await sleep(settleMs);
  await client.endAsync();
  return found;
}

/**
 * A TCP relay in front of the broker. `cut()` kills every relayed connection without an MQTT
 * DISCONNECT (what a crash or a network loss looks like to the broker) and refuses new ones
 * until `resume()`.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private refusing = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy?.relay(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : 0);
    return proxy;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get open(): number {
    return this.sockets.size;
  }

  cut(): void {
    this.refusing = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  resume(): void {
    this.refusing = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, targetPort: number): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

let eventCounter = 0;

/** A GatewayEvent as the events module would emit it. */
export function gatewayEvent(
  fields: Partial<GatewayEvent> & Pick<GatewayEvent, 'deviceId' | 'kind' | 'state'>,
): GatewayEvent {
  const now = new Date().toISOString();
  eventCounter++;
  return {
    id: `evt-test-${Date.now()}-${eventCounter}`,
    channelId: null,
    channelNo: null,
    at: now,
    receivedAt: now,
    targets: [],
    region: null,
    attributes: {},
    snapshotRef: null,
    ...fields,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function json(message: Received | undefined): Record<string, unknown> {
  if (!message) throw new Error('no message');
  return JSON.parse(message.payload.toString('utf8')) as Record<string, unknown>;
}
