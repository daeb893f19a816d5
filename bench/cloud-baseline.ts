/**
 * The backend hikbridge replaces, on the same simulator: a cron every 2 minutes that fetches the
 * token (kept until it expires), every device (pages of 500), the cameras of each device, then a
 * live URL for every camera with `expireTime: 120000`, one call after another with no rate
 * limiting of its own, and finally rewrites mediamtx.yml, which drops every viewer. Each call
 * takes `latencyMs` of simulated time; a round that overruns its 2 minutes runs on while the next
 * one starts on time (the two interleave by the time of their next call, as two cron jobs would).
 *
 * What the old code did with a refused call is not known; modelled: a failed token or device
 * list ends the round, a failed camera list skips that device (its cameras are still known from
 * earlier rounds, as the old backend's database kept them), a failed live URL keeps the last one.
 * The measured hours start from the state the old backend was in after months of running (token,
 * camera list and mediamtx.yml there), and viewers watch from their first minute.
 */
import { request } from 'undici';
import { type SimCloud, startSimCloud } from '../sim/cloud.ts';
import { callsInBusiestSecond } from '../sim/cloud-rate.ts';
import type { CloudRunOptions } from './cloud-hikbridge.ts';
import {
  Audience,
  cameraKey,
  checkUrl,
  fleet,
  HOUR,
  MINUTE,
  SimulatedClock,
  type ViewerEvent,
  viewerEvents,
} from './cloud-model.ts';

export interface BaselineOptions extends CloudRunOptions {
  latencyMs: number;
}

export interface BaselineResult {
  hours: number;
  calls: number;
  refusedCalls: number;
  rounds: number;
  /** Rounds that had not finished when the next one started. */
  overlappingRounds: number;
  maxCallsInAnySecond: number;
  interruptions: number;
}

const EVERY_MS = 2 * MINUTE;
/** What the old backend asked, believing it meant 2 minutes (it is seconds: ~33 hours). */
const OLD_EXPIRE_TIME = 120_000;
const PAGE_SIZE = 500;
/**
 * The old backend had run for months when it was replaced: its token, camera list and
 * mediamtx.yml existed already. One round run this long before the measured hour, slowly enough
 * for the rate limit, gives it that state; its calls are not counted.
 */
const PRIME_BEFORE_MS = HOUR;
const PRIME_PACE_MS = 250;
const APP_KEY = 'BenchAppKey-baseline';
const SECRET_KEY = 'BenchSecret-baseline';

interface Round {
  /** When its next call goes out. */
  at: number;
  /** Simulated time each call takes. */
  pace: number;
  steps: AsyncGenerator<void, void>;
}

interface KnownCamera {
  resourceId: string;
  serial: string;
}

export async function runBaseline(options: BaselineOptions): Promise<BaselineResult> {
  const clock = new SimulatedClock(options.start - PRIME_BEFORE_MS);
  const { devices, cameras } = fleet(options.cameras, options.devices);
  const sim = await startSimCloud({ appKey: APP_KEY, secretKey: SECRET_KEY, devices, now: clock.now });
  try {
    return await new OldBackend(sim, clock, options).run(cameras.map(cameraKey));
  } finally {
    await sim.close();
  }
}

class OldBackend {
  private readonly audience = new Audience();
  private token: { value: string; expiresAt: number; area: string } | undefined;
  private readonly known = new Map<string, KnownCamera>();
  private readonly lastUrl = new Map<string, string>();
  /** What mediamtx.yml says now (camera key -> URL). */
  private written = new Map<string, string>();
  private rounds: Round[] = [];
  private roundCount = 0;
  private overlapping = 0;
  private events: ViewerEvent[] = [];
  private nextEvent = 0;
  private keys: string[] = [];

  constructor(
    private readonly sim: SimCloud,
    private readonly clock: SimulatedClock,
    private readonly options: BaselineOptions,
  ) {}

  async run(keys: string[]): Promise<BaselineResult> {
    this.keys = keys;
    const start = this.options.start;
    const end = start + this.options.hours * HOUR;
    await this.prime();
    this.clock.set(start);
    this.events = viewerEvents(this.options.viewers, keys.length, end - start, this.options.seed);
    let nextStart = start;
    let nextReport = start + 10 * MINUTE;
    for (;;) {
      const round = this.rounds.reduce<Round | undefined>((a, b) => (a && a.at <= b.at ? a : b), undefined);
      const viewerAt = this.viewerAt();
      const at = Math.min(round?.at ?? Number.POSITIVE_INFINITY, nextStart, viewerAt);
      if (at >= end) break;
      this.clock.set(at);
      if (at === viewerAt) this.viewerEvent(this.events[this.nextEvent++]!);
      else if (at === nextStart) {
        if (this.rounds.length > 0) this.overlapping++;
        this.rounds.push(this.startRound(nextStart, this.options.latencyMs, end));
        nextStart += EVERY_MS;
      } else if (round) {
        if ((await round.steps.next()).done) this.rounds = this.rounds.filter((each) => each !== round);
      }
      if (at >= nextReport) {
        this.options.log(
          `cloud: old schedule ${Math.round((at - start) / MINUTE)} min, ${this.sim.calls.length} calls`,
        );
        nextReport += 10 * MINUTE;
      }
    }
    const calls = this.sim.calls.filter((call) => call.at >= start && call.at < end);
    return {
      hours: this.options.hours,
      calls: calls.length,
      refusedCalls: calls.filter((call) => call.errorCode !== '0').length,
      rounds: this.roundCount,
      overlappingRounds: this.overlapping,
      maxCallsInAnySecond: callsInBusiestSecond(calls.map((call) => call.at)),
      interruptions: this.audience.interruptions,
    };
  }

  private viewerAt(): number {
    return this.options.start + (this.events[this.nextEvent]?.offset ?? Number.POSITIVE_INFINITY);
  }

  private viewerEvent(event: ViewerEvent): void {
    const key = this.keys[event.camera]!;
    if (event.kind === 'stop') this.audience.stop(event.viewer);
    else
      this.audience.start(
        event.viewer,
        key,
        () => this.written.get(key) ?? null,
        (url) => checkUrl(this.sim, url),
      );
  }

  /** The state the old backend was in when it was replaced (see PRIME_BEFORE_MS). */
  private async prime(): Promise<void> {
    const round = this.startRound(this.clock.now(), PRIME_PACE_MS, this.options.start);
    this.roundCount--;
    while (!(await round.steps.next()).done) {}
    if (this.written.size !== this.keys.length) throw new Error('the old schedule could not be primed');
  }

  private startRound(at: number, pace: number, end: number): Round {
    this.roundCount++;
    const round: Round = { at, pace, steps: undefined as never };
    round.steps = this.roundSteps(round, end);
    return round;
  }

  /** One cron run; yields after each call so that overlapping runs interleave by time. */
  private async *roundSteps(round: Round, end: number): AsyncGenerator<void, void> {
    const call = async (url: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      this.clock.set(round.at);
      const answer = await post(url, body, headers);
      round.at += round.pace;
      return answer;
    };
    if (!this.token || this.token.expiresAt <= this.clock.now()) {
      const answer = await call(`${this.sim.url}/api/hccgw/platform/v1/token/get`, {
        appKey: APP_KEY,
        secretKey: SECRET_KEY,
      });
      yield;
      if (!answer.ok) return;
      this.token = {
        value: String(answer.data.accessToken),
        expiresAt: Number(answer.data.expireTime) * 1000,
        area: String(answer.data.areaDomain),
      };
    }
    const { value, area } = this.token;
    const devices: string[] = [];
    for (let pageIndex = 1; ; pageIndex++) {
      const answer = await call(
        `${area}/api/hccgw/resource/v1/devices/get`,
        { pageIndex, pageSize: PAGE_SIZE },
        { Token: value },
      );
      yield;
      if (!answer.ok) return;
      const page = (answer.data.device ?? []) as Array<{ serialNo: string }>;
      devices.push(...page.map((device) => device.serialNo));
      if (page.length < PAGE_SIZE) break;
    }
    for (const serial of devices) {
      for (let pageIndex = 1; ; pageIndex++) {
        const answer = await call(
          `${area}/api/hccgw/resource/v1/areas/cameras/get`,
          {
            pageIndex,
            pageSize: PAGE_SIZE,
            filter: { areaID: '-1', includeSubArea: '1', deviceSerialNo: serial },
          },
          { Token: value },
        );
        yield;
        if (!answer.ok) break;
        const page = (answer.data.camera ?? []) as Array<{
          id: string;
          device: { channelInfo: { no: number } };
        }>;
        for (const camera of page)
          this.known.set(`${serial}/${camera.device.channelInfo.no}`, { resourceId: camera.id, serial });
        if (page.length < PAGE_SIZE) break;
      }
    }
    for (const [key, camera] of this.known) {
      const answer = await call(
        `${area}/api/hccgw/video/v1/live/address/get`,
        {
          resourceId: camera.resourceId,
          deviceSerial: camera.serial,
          type: '1',
          protocol: 3,
          quality: '1',
          expireTime: OLD_EXPIRE_TIME,
        },
        { Token: value },
      );
      yield;
      if (answer.ok) this.lastUrl.set(key, String(answer.data.url));
    }
    if (round.at >= end) return;
    this.clock.set(round.at);
    this.rewrite();
  }

  /** mediamtx.yml written anew: MediaMTX reloads and every viewer's playback breaks. */
  private rewrite(): void {
    this.written = new Map(this.lastUrl);
    for (const key of this.audience.watched.keys())
      this.audience.sourceChanged(key, 'mediamtx.yml rewritten');
  }
}

interface Answer {
  ok: boolean;
  data: Record<string, unknown>;
}

async function post(
  url: string,
  body: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<Answer> {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const envelope = (await response.body.json()) as { errorCode?: string; data?: Record<string, unknown> };
  return { ok: envelope.errorCode === '0', data: envelope.data ?? {} };
}
