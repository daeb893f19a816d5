/**
 * Episodes turn the device's repeated "active" alerts into start / update / end. Devices rarely
 * say "inactive" for motion, so an episode ends after a quiet period without alerts. Updates
 * are throttled: a device repeating "active" every 100 ms must not flood every subscriber.
 */
import type { EventKind } from '../../core/events.ts';

export interface EpisodeKey {
  deviceId: string;
  channelNo: number | null;
  kind: EventKind;
  region: number | null;
}

export interface EpisodeSettings {
  /** Quiet time after the last "active" before the episode ends (ms). */
  quietMs: number;
  /** Least time between two `update`s of one episode (ms). */
  updateEveryMs: number;
  /** Open episodes kept at most; the oldest is ended beyond that. */
  maxOpen: number;
}

export type EpisodeDecision = 'start' | 'update' | 'end' | 'ignore';

interface Open {
  key: EpisodeKey;
  lastActive: number;
  lastUpdate: number;
  timer: NodeJS.Timeout;
}

export class EpisodeTracker {
  private readonly open = new Map<string, Open>();

  constructor(
    private readonly settings: EpisodeSettings,
    /** Called when an episode ends by itself (quiet period, eviction). */
    private readonly onQuietEnd: (key: EpisodeKey) => void,
  ) {}

  /** What an "active" alert means for its episode. */
  active(key: EpisodeKey, now = Date.now()): EpisodeDecision {
    const id = keyOf(key);
    const current = this.open.get(id);
    if (!current) {
      this.evictIfFull();
      this.open.set(id, { key, lastActive: now, lastUpdate: now, timer: this.quietTimer(id) });
      return 'start';
    }
    current.lastActive = now;
    clearTimeout(current.timer);
    current.timer = this.quietTimer(id);
    if (now - current.lastUpdate < this.settings.updateEveryMs) return 'ignore';
    current.lastUpdate = now;
    return 'update';
  }

  /** An explicit "inactive": ends the episode if one is open, else it means nothing (heartbeats). */
  inactive(key: EpisodeKey): EpisodeDecision {
    const id = keyOf(key);
    const current = this.open.get(id);
    if (!current) return 'ignore';
    clearTimeout(current.timer);
    this.open.delete(id);
    return 'end';
  }

  /** Ends every open episode of a device (stream lost: nothing may stay stuck "on"). */
  endDevice(deviceId: string): EpisodeKey[] {
    const ended: EpisodeKey[] = [];
    for (const [id, current] of this.open) {
      if (current.key.deviceId !== deviceId) continue;
      clearTimeout(current.timer);
      this.open.delete(id);
      ended.push(current.key);
    }
    return ended;
  }

  get size(): number {
    return this.open.size;
  }

  clear(): void {
    for (const current of this.open.values()) clearTimeout(current.timer);
    this.open.clear();
  }

  private quietTimer(id: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const current = this.open.get(id);
      if (!current) return;
      this.open.delete(id);
      this.onQuietEnd(current.key);
    }, this.settings.quietMs);
    timer.unref();
    return timer;
  }

  private evictIfFull(): void {
    if (this.open.size < this.settings.maxOpen) return;
    const [oldestId, oldest] = this.open.entries().next().value as [string, Open];
    clearTimeout(oldest.timer);
    this.open.delete(oldestId);
    this.onQuietEnd(oldest.key);
  }
}

function keyOf(key: EpisodeKey): string {
  return `${key.deviceId}|${key.channelNo ?? ''}|${key.kind}|${key.region ?? ''}`;
}
