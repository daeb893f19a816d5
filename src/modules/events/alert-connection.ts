/**
 * One alertStream connection per physical device, kept open for as long as the device is
 * supervised. A silent stream (no byte for `idleTimeoutMs`, the classic "events stop until
 * restart") is torn down and reopened; reconnects back off exponentially with full jitter so a
 * thousand devices coming back together do not reconnect in step. Before each attempt the
 * device's supervisor may hold it back (`whenUsable`): no login into a refusal, no stream from
 * another device answering at the address.
 */
import type { Logger } from '../../core/logger.ts';
import { DeviceError } from '../../protocols/http/errors.ts';
import type { StreamResponse } from '../../protocols/http/types.ts';
import {
  type AlertImage,
  AlertStreamParser,
  boundaryFromContentType,
  type RawAlert,
} from '../../protocols/isapi/alert-stream/index.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';

export interface AlertConnectionSettings {
  idleTimeoutMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** A connection that lived this long resets the back-off. */
  healthyAfterMs: number;
}

export interface AlertConnectionHandlers {
  onAlert(alert: RawAlert): void;
  onImage(image: AlertImage, previous: RawAlert | null): void;
  /** After (re)connecting; `gapMs` is how long events could not arrive (null on the first connect). */
  onConnected(gapMs: number | null): void;
  onDisconnected(reason: string): void;
  /**
   * Asked before each (re)connect: true to go ahead, false to wait a back-off first. It may hold
   * the connection back for long (while the device refuses our login, until the user fixes it).
   */
  whenUsable?(signal: AbortSignal): Promise<boolean>;
}

const PATHS = ['/ISAPI/Event/notification/alertStream', '/Event/notification/alertStream'];

export class AlertConnection {
  private stopped = false;
  private current: StreamResponse | undefined;
  private wakeUp: (() => void) | undefined;
  private failures = 0;
  private pathIndex = 0;
  private lostAt: number | undefined;
  private running: Promise<void> | undefined;
  /** Aborts a stream still being opened when stop() comes. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly client: IsapiClient,
    private readonly settings: AlertConnectionSettings,
    private readonly handlers: AlertConnectionHandlers,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.current?.close();
    this.wakeUp?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (!(await this.usable())) {
        this.failures++;
        await this.sleep(this.backoff());
        continue;
      }
      const openedAt = Date.now();
      const reason = await this.runOnce();
      if (this.stopped) break;
      this.lostAt ??= Date.now();
      this.handlers.onDisconnected(reason);
      if (Date.now() - openedAt >= this.settings.healthyAfterMs) this.failures = 0;
      this.failures++;
      await this.sleep(this.backoff());
    }
  }

  private async usable(): Promise<boolean> {
    const ask = this.handlers.whenUsable;
    if (!ask) return true;
    const usable = await ask(this.stopping.signal);
    return usable && !this.stopped;
  }

  /** One connection's life; resolves with why it ended. */
  private async runOnce(): Promise<string> {
    const path = PATHS[this.pathIndex]!;
    let response: StreamResponse;
    try {
      response = await this.client.http.stream({
        path,
        idleTimeoutMs: this.settings.idleTimeoutMs,
        signal: this.stopping.signal,
      });
    } catch (error) {
      return describe(error);
    }
    if (this.stopped) {
      // Opened just as stop() came: without this it would stay open until the idle timeout.
      response.close();
      return 'stopped';
    }
    this.current = response;
    if (response.status !== 200) {
      response.close();
      // Very old firmware only knows the path without /ISAPI.
      if (response.status === 404) this.pathIndex = (this.pathIndex + 1) % PATHS.length;
      return `the device answered HTTP ${response.status} to ${path}`;
    }
    this.handlers.onConnected(this.lostAt === undefined ? null : Date.now() - this.lostAt);
    this.lostAt = undefined;
    const parser = new AlertStreamParser({
      boundary: boundaryFromContentType(response.headers['content-type']),
      onAlert: (alert) => this.handlers.onAlert(alert),
      onImage: (image, previous) => this.handlers.onImage(image, previous),
      onIssue: (issue) =>
        this.logger.debug({ issue: issue.kind, detail: issue.detail }, 'alert stream framing issue'),
    });
    try {
      for await (const chunk of response.body) parser.push(chunk as Buffer);
      parser.end();
      return 'the device closed the event stream';
    } catch (error) {
      return describe(error);
    } finally {
      response.close();
      this.current = undefined;
    }
  }

  /** Full jitter: uniformly between half and all of the exponential step. */
  private backoff(): number {
    const { minBackoffMs, maxBackoffMs } = this.settings;
    const step = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(this.failures - 1, 16));
    return Math.round(step * (0.5 + Math.random() * 0.5));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function describe(error: unknown): string {
  if (error instanceof DeviceError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
