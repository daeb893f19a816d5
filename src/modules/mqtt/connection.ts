/**
 * The broker connection: mqtt.js with our own reconnect back-off, a Last Will, and a bounded
 * queue for what is published while the connection is down.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../../core/logger.ts';
import { OfflineQueue, type Outgoing } from './queue.ts';

export interface ConnectionOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  clientId: string;
  keepaliveSeconds: number;
  /** Published by the broker when we vanish without a clean disconnect. */
  will: { topic: string; payload: string };
  logger: Logger;
  onConnect: () => void;
  onMessage: (topic: string, payload: Buffer, retained: boolean) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  queueMessages?: number;
  queueBytes?: number;
}

const CONNECT_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 2_000;

export class MqttConnection {
  private client: MqttClient | undefined;
  private readonly queue: OfflineQueue;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Whether the current outage was already reported (one warning per outage, not per retry). */
  private outageReported = false;

  constructor(private readonly options: ConnectionOptions) {
    this.queue = new OfflineQueue(options.queueMessages ?? 1000, options.queueBytes ?? 8 * 1024 * 1024);
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  start(): void {
    const { options } = this;
    const client = connect(options.url, this.clientOptions());
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onClose());
    client.on('message', (topic, payload, packet) => options.onMessage(topic, payload, packet.retain));
    // mqtt.js throws on an 'error' without a listener; 'close' follows and schedules the retry.
    client.on('error', (error) => this.onError(error));
    this.client = client;
  }

  /**
   * Sends now, or keeps it for later: states and pictures are queued (newest per topic wins);
   * configs and availability are rebuilt on connect anyway; events (a doorbell ring) are
   * dropped, because a ring delivered after the outage would fire automations at the wrong time.
   */
  publish(message: Outgoing): void {
    const client = this.client;
    if (client?.connected) {
      this.send(client, message);
      return;
    }
    if (message.kind === 'state' || message.kind === 'image') this.queue.push(message);
  }

  subscribe(topics: string[]): void {
    this.client?.subscribe(topics, { qos: 1 }, (error) => {
      if (error) this.options.logger.warn({ err: error, topics }, 'MQTT subscribe failed');
    });
  }

  /** Sends `last` (the bridge going offline) if connected, then disconnects cleanly. */
  async stop(last?: Outgoing): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    if (!client) return;
    if (client.connected && last) {
      await withTimeout(client.publishAsync(last.topic, last.payload, { qos: 1, retain: last.retain })).catch(
        () => undefined,
      );
    }
    const ended = await withTimeout(client.endAsync(!client.connected)).then(
      () => true,
      () => false,
    );
    // end() waits for unacknowledged messages and ignores a second call: close the socket.
    if (!ended) {
      this.options.logger.debug('MQTT clean disconnect timed out; closing the socket');
      client.stream?.destroy();
    }
  }

  private clientOptions(): IClientOptions {
    const { options } = this;
    return {
      clientId: options.clientId,
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
      keepalive: options.keepaliveSeconds,
      clean: true,
      protocolVersion: 4,
      // mqtt.js retries at a fixed interval; onClose retries with back-off instead.
      reconnectPeriod: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Nothing piles up inside mqtt.js while offline: our own queue is bounded.
      queueQoSZero: false,
      // onConnect subscribes again itself, after the bridge is announced online.
      resubscribe: false,
      will: { topic: options.will.topic, payload: Buffer.from(options.will.payload), qos: 1, retain: true },
    };
  }

  private onConnect(): void {
    this.failures = 0;
    this.outageReported = false;
    this.options.logger.info({ broker: this.options.url }, 'connected to the MQTT broker');
    this.options.onConnect();
    const client = this.client;
    if (!client) return;
    const dropped = this.queue.dropped;
    const queued = this.queue.drain();
    if (queued.length > 0 || dropped > 0) {
      this.options.logger.info({ sent: queued.length, dropped }, 'sending what was queued while offline');
    }
    for (const message of queued) this.send(client, message);
  }

  private onClose(): void {
    if (this.stopping) return;
    if (!this.outageReported) {
      this.outageReported = true;
      this.options.logger.warn(
        { broker: this.options.url },
        'MQTT broker unreachable; retrying with back-off',
      );
    }
    this.scheduleReconnect();
  }

  private onError(error: Error): void {
    // Refused credentials are worth a warning each time; network errors repeat on every retry.
    const refused = 'code' in error && typeof error.code === 'number';
    const log = this.options.logger;
    if (refused) log.warn({ broker: this.options.url, reason: error.message }, 'MQTT broker refused us');
    else log.debug({ broker: this.options.url, reason: error.message }, 'MQTT connection error');
  }

  private scheduleReconnect(): void {
    if (this.retryTimer || this.stopping) return;
    const delay = backoffDelay(
      this.failures++,
      this.options.minBackoffMs ?? 1000,
      this.options.maxBackoffMs ?? 60_000,
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const client = this.client;
      // Same stores: messages sent but not yet acknowledged are sent again instead of being
      // left pending forever (which would also make a clean end() wait for them).
      if (client && !this.stopping) {
        client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
      }
    }, delay);
    this.retryTimer.unref();
  }

  private send(client: MqttClient, message: Outgoing): void {
    // Pictures go at QoS 0: a lost one is replaced by the next, and they are the big ones.
    const qos = message.kind === 'image' ? 0 : 1;
    client.publish(message.topic, message.payload, { qos, retain: message.retain }, (error) => {
      if (error) this.options.logger.debug({ topic: message.topic, reason: error.message }, 'publish failed');
    });
  }
}

/** Doubles per failure from `min` up to `max`, ±20 % so many gateways do not retry in step. */
export function backoffDelay(failures: number, minMs: number, maxMs: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(failures, 20));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), STOP_TIMEOUT_MS);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
