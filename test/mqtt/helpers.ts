/** Test tools for the MQTT suites: a recording subscriber, retained-message reads, a TCP proxy. */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { Bus, ControlsInventory } from '../../src/core/bus.ts';
import type { GatewayEvent } from '../../src/core/events.ts';
import type { Store } from '../../src/core/store/types.ts';
import { discoveryMessages } from '../../src/modules/mqtt/discovery.ts';
import { buildView } from '../../src/modules/mqtt/entities.ts';
import { Topics } from '../../src/modules/mqtt/topics.ts';

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

/**
 * The retained messages under `filter` as a fresh subscriber sees them. No settling time: after
 * subscribing, the client publishes a marker to itself, and the broker delivers it after every
 * retained message that the subscription brought (one connection, one QoS 1 queue, in order).
 */
export async function retainedMessages(broker: BrokerAccess, filter: string): Promise<Map<string, Buffer>> {
  const client = await connectAsync(...clientOptions(broker, { protocolVersion: 4, reconnectPeriod: 0 }));
  const marker = `hikbridge-test/marker/${randomUUID()}`;
  const found = new Map<string, Buffer>();
  let markerSeen: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    markerSeen = resolve;
  });
  client.on('message', (topic, payload, packet) => {
    if (topic === marker) markerSeen();
    else if (packet.retain) found.set(topic, Buffer.from(payload));
  });
  try {
    await client.subscribeAsync([filter, marker], { qos: 1 });
    await client.publishAsync(marker, 'end', { qos: 1 });
    await withDeadline(done, 10_000, `the marker after the retained messages of ${filter} did not come back`);
  } finally {
    await client.endAsync();
  }
  return found;
}

function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
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

const inventories = new WeakMap<Bus, Map<string, ControlsInventory>>();

/**
 * Keeps the controls inventories the gateway announces (bus `controls.inventory`), so
 * expectedConfigCount can count the control entities too. Call right after the gateway starts.
 */
export function watchControls(gateway: { bus: Bus }): void {
  if (inventories.has(gateway.bus)) return;
  const known = new Map<string, ControlsInventory>();
  inventories.set(gateway.bus, known);
  gateway.bus.on('controls.inventory', ({ deviceId, inventory }) => {
    if (inventory) known.set(deviceId, inventory);
    else known.delete(deviceId);
  });
}

/**
 * How many discovery configs a stored device's channels and entities make (for waits), with its
 * control entities once the controls module has read the device (watchControls; waited for).
 */
export async function expectedConfigCount(
  store: Store,
  deviceId: string,
  gateway?: { bus: Bus },
): Promise<number> {
  let controls: ControlsInventory | undefined;
  if (gateway) {
    const known = inventories.get(gateway.bus);
    if (!known) throw new Error('watchControls was not called for this gateway');
    const until = Date.now() + 30_000;
    controls = known.get(deviceId);
    while (!controls) {
      if (Date.now() > until) throw new Error(`the controls of ${deviceId} were not read in time`);
      await sleep(50);
      controls = known.get(deviceId);
    }
  }
  const [device, channels, entities] = await Promise.all([
    store.devices.get(deviceId),
    store.channels.listByDevice(deviceId),
    store.entities.listByDevice(deviceId),
  ]);
  if (!device) throw new Error(`no device ${deviceId} in the store`);
  const view = buildView(device, channels, entities, controls);
  return discoveryMessages(view, new Topics('hikbridge', 'homeassistant'), {
    name: 'hikbridge',
    sw_version: '0',
  }).length;
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
