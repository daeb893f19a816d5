/**
 * What the checks share once the doctor is logged in: the client, the facts about the device,
 * the time budget, and reads that are made once however many checks need them (a device has few
 * connections to spare, so two checks never ask it the same question).
 */
import { DeviceError } from '../protocols/http/errors.ts';
import type { IsapiClient } from '../protocols/isapi/client.ts';
import type { DeviceKind } from '../protocols/isapi/discovery.ts';
import type { XmlDocument } from '../protocols/isapi/xml.ts';
import type { ChannelFinding, CheckId, DoctorCheck } from './report.ts';

export type ReadFailure = 'absent' | 'forbidden' | 'failed' | 'out-of-time';

/** A request that did not give what was asked for, and why. */
export interface Failed {
  ok: false;
  reason: ReadFailure;
  error: DeviceError;
}

export type ReadResult = { ok: true; doc: XmlDocument } | Failed;

export interface Channel {
  id: number;
  name: string;
  /** `local`: the device's own input (camera sensor, DVR analog input); `proxy`: an IP camera behind an NVR/DVR. */
  source: 'local' | 'proxy';
}

export interface DeviceFacts {
  model: string | null;
  kind: DeviceKind | null;
  channels: Channel[];
}

/** What the unauthenticated look at the device's login page told us. */
export interface LoginState {
  /** Login attempts left before the device locks the user, when the device said. */
  attemptsLeft?: number;
}

export const OUT_OF_TIME = 'not checked: the time budget ran out (the device answers slowly)';

export class DoctorSession {
  private readonly reads = new Map<string, Promise<ReadResult>>();
  private readonly shared = new Map<string, Promise<unknown>>();

  constructor(
    readonly client: IsapiClient,
    readonly facts: DeviceFacts,
    readonly login: LoginState,
    /** Fires when the overall time budget is used up; every request carries it. */
    readonly budget: AbortSignal,
    /** Per-request timeout. */
    readonly timeoutMs: number,
  ) {}

  get isRecorder(): boolean {
    return this.facts.kind === 'nvr' || this.facts.kind === 'dvr';
  }

  /** GET an XML document once; later calls for the same path share the answer. */
  read(path: string): Promise<ReadResult> {
    let pending = this.reads.get(path);
    if (!pending) {
      pending = this.client
        .getXml(path, { signal: this.budget, timeoutMs: this.timeoutMs })
        .then((doc): ReadResult => ({ ok: true, doc }))
        .catch((error: unknown) => this.failure(error));
      this.reads.set(path, pending);
    }
    return pending;
  }

  /** Runs `work` once per session under `key`; checks that need the same finding share it. */
  once<T>(key: string, work: () => Promise<T>): Promise<T> {
    let pending = this.shared.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = work();
      this.shared.set(key, pending);
    }
    return pending;
  }

  /** Classifies a failed request; anything that is not a device problem is a bug and rethrown. */
  failure(error: unknown): Failed {
    if (!(error instanceof DeviceError)) throw error;
    return { ok: false, reason: this.reasonOf(error), error };
  }

  reasonOf(error: DeviceError): ReadFailure {
    if (this.budget.aborted) return 'out-of-time';
    if (error.code === 'not_supported') return 'absent';
    if (error.code === 'permission_denied') return 'forbidden';
    return 'failed';
  }

  channelLabel(channel: Channel): string {
    return `channel ${channel.id} (${channel.name})`;
  }
}

type Verdict = Omit<DoctorCheck, 'id'>;

/**
 * What to report for a setting that could not be read: skipped when the model lacks it, the user
 * may not read it or time ran out; a warning when the device failed to answer.
 */
function unreadableVerdict(what: string, result: Failed): Verdict {
  switch (result.reason) {
    case 'absent':
      return { status: 'skip', detail: `${what}: not supported by this model`, fix: null };
    case 'forbidden':
      return {
        status: 'skip',
        detail: `${what}: this user may not read it (HTTP 403)`,
        fix: 'Run the doctor with an admin account to check this setting.',
      };
    case 'out-of-time':
      return { status: 'skip', detail: OUT_OF_TIME, fix: null };
    case 'failed':
      return {
        status: 'warn',
        detail: `${what}: could not be read (${result.error.message})`,
        fix: 'Run the doctor again; if this persists, reboot the device or check the setting in its web page.',
      };
  }
}

export function unreadable(id: CheckId, what: string, result: Failed): DoctorCheck {
  return { id, ...unreadableVerdict(what, result) };
}

/** The same, for one channel of a per-channel check. */
export function unreadableFinding(channel: string, what: string, result: Failed): ChannelFinding {
  return { channel, ...unreadableVerdict(what, result) };
}

/** The doctor's time budget ran out while a read that takes no signal was waiting. */
export class OutOfTime extends Error {}

/** Reads that take no abort signal: the budget ends the wait (the request keeps its own timeout). */
export function withinBudget<T>(budget: AbortSignal, work: Promise<T>): Promise<T> {
  if (budget.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new OutOfTime());
  }
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(new OutOfTime());
    budget.addEventListener('abort', stop, { once: true });
    work.then(
      (value) => {
        budget.removeEventListener('abort', stop);
        resolve(value);
      },
      (error: unknown) => {
        budget.removeEventListener('abort', stop);
        reject(error);
      },
    );
  });
}
