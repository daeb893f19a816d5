/**
 * The broker connection: mqtt.js with our own reconnect back-off, a Last Will, and a bounded
 * queue for the pictures published while the connection is down.
 */
import { readFile } from 'node:fs/promises';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { ConfigError } from '../../core/config/index.ts';
import type { Logger } from '../../core/logger.ts';
import { type MessageKind, OfflineQueue, type Outgoing } from './queue.ts';

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
  /** Messages lost while offline: a ring, or pictures pushed out of the full queue. */
  onDropped?: (kind: MessageKind, count: number) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  queueMessages?: number;
  queueBytes?: number;
}

const CONNECT_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 2_000;

/**
 * `refused`: the broker answered and said no (user name, password, client id); `untrusted`: its
 * TLS certificate failed verification; `unreachable`: anything else that keeps us offline.
 */
export type ConnectionState =
  | 'connecting'
  | 'connected'
  | 'refused'
  | 'untrusted'
  | 'unreachable'
  | 'stopped';

export interface ConnectionStatus {
  state: ConnectionState;
  /** Why we are not connected, in words a user can act on (never a credential). */
  problem?: string;
}

/** CONNACK return codes of MQTT 3.1.1 (the broker's no), as a user should read them. */
const REFUSALS: Record<number, string> = {
  1: 'the broker does not speak MQTT 3.1.1',
  2: 'the broker rejected the client id (mqtt.clientId)',
  3: 'the broker is unavailable',
  4: 'the broker rejected the user name or password (mqtt.username / mqtt.password)',
  5: 'the broker refused the login: not authorised (check mqtt.username / mqtt.password and its ACL)',
};

/** Node's TLS verification failures: the broker is there, but is not who it claims to be for us. */
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export class MqttConnection {
  private client: MqttClient | undefined;
  private readonly queue: OfflineQueue;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Whether the current outage was already reported (one warning per outage, not per retry). */
  private outageReported = false;
  private current: ConnectionStatus = { state: 'connecting' };
  /** What was lost since the last connect, for the line logged when the broker is back. */
  private droppedWhileOffline = { events: 0, pictures: 0 };

  constructor(private readonly options: ConnectionOptions) {
    this.queue = new OfflineQueue(options.queueMessages ?? 1000, options.queueBytes ?? 8 * 1024 * 1024);
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** For `/health`: connected or not, and why not. */
  get status(): ConnectionStatus {
    return this.current;
  }

  /**
   * Connects in the background (the gateway runs without its broker). `ca`: the certificates
   * that may sign the broker's (mqtts://); without it, Node's list.
   */
  start(ca?: Buffer): void {
    const { options } = this;
    const client = connect(options.url, this.clientOptions(ca));
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onClose());
    client.on('message', (topic, payload, packet) => options.onMessage(topic, payload, packet.retain));
    // mqtt.js throws on an 'error' without a listener; 'close' follows and schedules the retry.
    client.on('error', (error) => this.onError(error));
    this.client = client;
  }

  /**
   * Sends now, or while offline: pictures are queued (newest per topic; the oldest dropped when
   * full); states, configs and availability are not kept here, because the owner sends all of
   * them again from `onConnect`; events (a doorbell ring) are dropped, because a ring delivered
   * after the outage would fire automations at the wrong time. Every loss goes to `onDropped`.
   */
  publish(message: Outgoing): void {
    const client = this.client;
    if (client?.connected) {
      this.send(client, message);
      return;
    }
    if (message.kind === 'image') {
      const dropped = this.queue.push(message);
      if (dropped > 0) this.dropped('image', dropped);
    } else if (message.kind === 'event') this.dropped('event', 1);
  }

  subscribe(topics: string[]): void {
    this.client?.subscribe(topics, { qos: 1 }, (error) => {
      if (error) this.options.logger.warn({ err: error, topics }, 'MQTT subscribe failed');
    });
  }

  /** Sends `last` (the bridge going offline) if connected, then disconnects cleanly. */
  async stop(last?: Outgoing): Promise<void> {
    this.stopping = true;
    this.current = { state: 'stopped' };
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

  private clientOptions(ca: Buffer | undefined): IClientOptions {
    const { options } = this;
    return {
      clientId: options.clientId,
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
      keepalive: options.keepaliveSeconds,
      // mqtts://: the broker's certificate is always verified, against `ca` when given.
      ...(ca ? { ca } : {}),
      rejectUnauthorized: true,
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
    // A ring's few bytes must not wait behind a picture for the broker's ACK (Nagle's algorithm
    // held them up to ~40 ms in the ring bench); mqtt.js leaves the socket's default on.
    const socket = this.client?.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined;
    socket?.setNoDelay?.(true);
    this.failures = 0;
    this.outageReported = false;
    this.current = { state: 'connected' };
    this.options.logger.info({ broker: this.options.url }, 'connected to the MQTT broker');
    // The owner sends states, configs and availability again; the queue only holds pictures.
    this.options.onConnect();
    const client = this.client;
    if (!client) return;
    const pictures = this.queue.drain();
    const { events, pictures: picturesDropped } = this.droppedWhileOffline;
    this.droppedWhileOffline = { events: 0, pictures: 0 };
    if (pictures.length > 0 || events > 0 || picturesDropped > 0) {
      this.options.logger.info(
        { picturesSent: pictures.length, picturesDropped, ringsDropped: events },
        'back online: sent the newest pictures kept while offline; states and configs sent again in full',
      );
    }
    for (const message of pictures) this.send(client, message);
  }

  private onClose(): void {
    if (this.stopping) return;
    if (this.current.state === 'connected' || this.current.state === 'connecting') {
      this.current = { state: 'unreachable', problem: 'the broker cannot be reached' };
    }
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
    const log = this.options.logger;
    const code = 'code' in error ? error.code : undefined;
    if (typeof code === 'number') {
      // The broker answered and said no: worth a warning on every try (they are minutes apart).
      const problem = REFUSALS[code] ?? `the broker refused the connection (code ${code})`;
      this.current = { state: 'refused', problem };
      log.warn({ broker: this.options.url, code, problem }, `MQTT broker refused the connection: ${problem}`);
      return;
    }
    if (typeof code === 'string' && UNTRUSTED_CODES.has(code)) {
      const problem = `the broker's TLS certificate is not trusted (${code}); set mqtt.caFile to the CA that signed it`;
      if (this.current.state !== 'untrusted') {
        log.warn({ broker: this.options.url, code, reason: error.message }, `MQTT: ${problem}`);
      }
      this.current = { state: 'untrusted', problem };
      return;
    }
    // Network errors repeat on every retry; onClose reports the outage once.
    this.current = { state: 'unreachable', problem: `the broker cannot be reached (${error.message})` };
    log.debug({ broker: this.options.url, reason: error.message }, 'MQTT connection error');
  }

  private dropped(kind: MessageKind, count: number): void {
    if (kind === 'event') this.droppedWhileOffline.events += count;
    else this.droppedWhileOffline.pictures += count;
    this.options.onDropped?.(kind, count);
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

/** mqtt.caFile's content; a file that cannot be read is a configuration problem. */
export async function readCaFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError([{ path: 'mqtt.caFile', message: `cannot read ${path} (${reason})` }]);
  }
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), STOP_TIMEOUT_MS);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
