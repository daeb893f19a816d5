/**
 * PTZ per channel: continuous moves that stop by themselves, presets, home position and patrols,
 * over the protocol calls in src/protocols/isapi/ptz.ts. A camera's own channel is steered
 * directly, an IP camera behind an NVR through the NVR's proxy.
 *
 * A continuous move is stopped after `seconds` or `controls.ptzMaxMoveSeconds`, whichever is
 * smaller, when no stop arrives first: a lost connection or a closed browser tab must not leave
 * a camera turning. Commands to one channel are sent one after the other, so a stop never
 * overtakes the move it stops. What a channel can do is read once from its capabilities and
 * kept for a while; a channel without PTZ is refused before any command is sent.
 */
import { AppError, DeviceOperationError, InputError, NotFoundError } from '../../core/errors.ts';
import type { DeviceRecord } from '../../core/store/types.ts';
import { DeviceError } from '../../protocols/http/errors.ts';
import {
  continuousMove,
  deletePreset,
  gotoHome,
  gotoPreset,
  type IsapiClient,
  listPatrols,
  listPresets,
  type PtzCapabilities,
  PtzInputError,
  type PtzPatrol,
  type PtzPreset,
  type PtzSpeeds,
  type PtzTarget,
  PtzUnsupportedError,
  patrolCommand,
  readPtzCapabilities,
  savePreset,
  setHome,
} from '../../protocols/isapi/index.ts';
import { deviceAccess } from './access.ts';
import type { ControlsContext } from './types.ts';

/** How long a channel's capabilities are trusted before they are read again. */
const CAPABILITIES_TTL_MS = 5 * 60_000;
/** Channels whose capabilities are kept at once (oldest dropped first). */
const MAX_CACHED = 1024;
/** How long the module's stop waits for the stops it sends to moving cameras. */
const STOP_ON_SHUTDOWN_MS = 2000;

export interface PtzChannel {
  channelId: string;
  name: string;
  device: DeviceRecord;
  client: IsapiClient;
  target: PtzTarget;
}

export interface MoveRequest extends PtzSpeeds {
  /** Stop by itself after this many seconds (bounded by `controls.ptzMaxMoveSeconds`). */
  seconds?: number;
}

export interface MoveState {
  moving: boolean;
  /** When the automatic stop comes (ISO), null when not moving. */
  stopsAt: string | null;
}

interface RunningMove {
  timer: NodeJS.Timeout;
  stopsAt: number;
  channel: PtzChannel;
  caps: PtzCapabilities;
}

export class PtzControl {
  private readonly moves = new Map<string, RunningMove>();
  private readonly capabilities = new Map<string, { caps: PtzCapabilities | undefined; at: number }>();
  /** Per channel: the last command in flight; the next one waits for it. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private stopped = false;

  constructor(private readonly controls: ControlsContext) {
    controls.onStop(() => this.stop());
  }

  /** The channel to steer, or the 4xx that says why it cannot be steered. Sends nothing. */
  async channel(channelId: string): Promise<PtzChannel> {
    const { store } = this.controls.deps;
    const channel = await store.channels.get(channelId);
    if (!channel) {
      if (await store.cloud.getCamera(channelId)) {
        throw new AppError(
          'ptz_unsupported',
          409,
          'This is a HikCentral Connect cloud camera: hikbridge has no PTZ control for cloud cameras.',
        );
      }
      throw new NotFoundError('channel', channelId);
    }
    const { device, client } = await deviceAccess(this.controls, channel.deviceId);
    const target = { channel: channel.channelNo, proxy: channel.source === 'proxy' };
    return { channelId, name: channel.name, device, client, target };
  }

  /** What the channel can do; 409 in words when it has no PTZ. */
  async capabilitiesOf(ptz: PtzChannel): Promise<PtzCapabilities> {
    const cached = this.capabilities.get(ptz.channelId);
    let caps = cached && Date.now() - cached.at < CAPABILITIES_TTL_MS ? cached.caps : undefined;
    if (!cached || Date.now() - cached.at >= CAPABILITIES_TTL_MS) {
      caps = await this.device(() => readPtzCapabilities(ptz.client, ptz.target));
      this.remember(ptz.channelId, caps);
    }
    if (!caps) {
      throw new AppError(
        'ptz_unsupported',
        409,
        `"${ptz.name}" (channel ${ptz.target.channel} of "${ptz.device.name}") has no PTZ.`,
      );
    }
    return caps;
  }

  async move(channelId: string, request: MoveRequest): Promise<MoveState> {
    const maxSeconds = this.controls.deps.settings.ptzMaxMoveSeconds;
    const seconds = Math.min(request.seconds ?? maxSeconds, maxSeconds);
    if (!(seconds > 0)) throw new InputError('seconds: must be more than 0', 'seconds');
    const ptz = await this.channel(channelId);
    const caps = await this.capabilitiesOf(ptz);
    const speeds = { pan: request.pan ?? 0, tilt: request.tilt ?? 0, zoom: request.zoom ?? 0 };
    if (speeds.pan === 0 && speeds.tilt === 0 && speeds.zoom === 0) return this.stopMove(channelId);
    return this.inOrder(channelId, async () => {
      this.cancelAutoStop(channelId);
      await this.device(() => continuousMove(ptz.client, ptz.target, speeds, caps));
      if (this.stopped) {
        // The module stopped while this move was on its way: no timer will stop it, so stop now.
        await continuousMove(ptz.client, ptz.target, {}, caps).catch(() => undefined);
        return this.state(channelId);
      }
      const stopsAt = Date.now() + seconds * 1000;
      const timer = setTimeout(() => void this.autoStop(channelId), seconds * 1000);
      timer.unref();
      this.moves.set(channelId, { timer, stopsAt, channel: ptz, caps });
      this.log().debug({ channelId, ...speeds, seconds }, 'PTZ move started');
      return this.state(channelId);
    });
  }

  async stopMove(channelId: string): Promise<MoveState> {
    const ptz = await this.channel(channelId);
    const caps = await this.capabilitiesOf(ptz);
    return this.inOrder(channelId, async () => {
      this.cancelAutoStop(channelId);
      await this.device(() => continuousMove(ptz.client, ptz.target, {}, caps));
      return this.state(channelId);
    });
  }

  state(channelId: string): MoveState {
    const move = this.moves.get(channelId);
    return move
      ? { moving: true, stopsAt: new Date(move.stopsAt).toISOString() }
      : { moving: false, stopsAt: null };
  }

  async presets(channelId: string): Promise<PtzPreset[]> {
    const ptz = await this.channel(channelId);
    const caps = await this.capabilitiesOf(ptz);
    return this.device(() => listPresets(ptz.client, ptz.target, caps));
  }

  async gotoPreset(channelId: string, preset: number): Promise<void> {
    await this.command(channelId, true, (ptz, caps) => gotoPreset(ptz.client, ptz.target, preset, caps));
  }

  async savePreset(channelId: string, preset: number, name: string): Promise<PtzPreset> {
    return this.command(channelId, false, (ptz, caps) =>
      savePreset(ptz.client, ptz.target, preset, name, caps),
    );
  }

  async deletePreset(channelId: string, preset: number): Promise<void> {
    await this.command(channelId, false, (ptz, caps) => deletePreset(ptz.client, ptz.target, preset, caps));
  }

  async home(channelId: string, action: 'goto' | 'set'): Promise<void> {
    await this.command(channelId, action === 'goto', (ptz) =>
      action === 'goto' ? gotoHome(ptz.client, ptz.target) : setHome(ptz.client, ptz.target),
    );
  }

  async patrols(channelId: string): Promise<PtzPatrol[]> {
    const ptz = await this.channel(channelId);
    const caps = await this.capabilitiesOf(ptz);
    return this.device(() => listPatrols(ptz.client, ptz.target, caps));
  }

  async patrol(channelId: string, patrol: number, command: 'start' | 'stop'): Promise<void> {
    await this.command(channelId, command === 'start', (ptz, caps) =>
      patrolCommand(ptz.client, ptz.target, patrol, command, caps),
    );
  }

  /** Clears every timer and stops the cameras still moving (bounded: shutdown must not hang). */
  async stop(): Promise<void> {
    this.stopped = true;
    const moving = [...this.moves.values()];
    for (const move of moving) clearTimeout(move.timer);
    this.moves.clear();
    const stops = moving.map((move) =>
      continuousMove(move.channel.client, move.channel.target, {}, move.caps).catch(() => undefined),
    );
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise((resolve) => {
      timer = setTimeout(resolve, STOP_ON_SHUTDOWN_MS);
    });
    await Promise.race([Promise.all(stops), bound]);
    clearTimeout(timer);
  }

  // --- internals ---------------------------------------------------------------------------------

  /**
   * A command other than a move. One that sends the camera elsewhere (`endsMove`: a preset, home,
   * a patrol) replaces a running move on the device, so its automatic stop is no longer needed
   * (it would cut the new motion short).
   */
  private async command<T>(
    channelId: string,
    endsMove: boolean,
    work: (ptz: PtzChannel, caps: PtzCapabilities) => Promise<T>,
  ): Promise<T> {
    const ptz = await this.channel(channelId);
    const caps = await this.capabilitiesOf(ptz);
    return this.inOrder(channelId, async () => {
      const result = await this.device(() => work(ptz, caps));
      if (endsMove) this.cancelAutoStop(channelId);
      return result;
    });
  }

  private async autoStop(channelId: string): Promise<void> {
    const move = this.moves.get(channelId);
    if (!move) return;
    this.moves.delete(channelId);
    try {
      await this.inOrder(channelId, () =>
        continuousMove(move.channel.client, move.channel.target, {}, move.caps),
      );
      this.log().info({ channelId }, 'PTZ move stopped by its time bound (no stop arrived)');
    } catch (error) {
      this.log().warn({ channelId, err: error }, 'PTZ automatic stop failed');
    }
  }

  private cancelAutoStop(channelId: string): void {
    const move = this.moves.get(channelId);
    if (!move) return;
    clearTimeout(move.timer);
    this.moves.delete(channelId);
  }

  /** Runs `work` after the channel's previous command settled (whatever its outcome). */
  private inOrder<T>(channelId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(channelId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.queues.set(channelId, settled);
    void settled.then(() => {
      if (this.queues.get(channelId) === settled) this.queues.delete(channelId);
    });
    return next;
  }

  /** Device and input errors in the API's terms: bad input 400, missing feature 409, device 502. */
  private async device<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof PtzInputError) throw new InputError(error.message, error.field);
      if (error instanceof PtzUnsupportedError) throw new AppError('ptz_unsupported', 409, error.message);
      if (error instanceof DeviceError) throw new DeviceOperationError(error.code, error.message);
      throw error;
    }
  }

  private remember(channelId: string, caps: PtzCapabilities | undefined): void {
    this.capabilities.delete(channelId);
    this.capabilities.set(channelId, { caps, at: Date.now() });
    while (this.capabilities.size > MAX_CACHED) {
      const oldest = this.capabilities.keys().next().value;
      if (oldest === undefined) break;
      this.capabilities.delete(oldest);
    }
  }

  private log() {
    return this.controls.deps.logger;
  }
}

const shared = new WeakMap<ControlsContext, PtzControl>();

/** The module's one PtzControl: routes and bus commands share its command order and automatic stops. */
export function ptzControlOf(controls: ControlsContext): PtzControl {
  let ptz = shared.get(controls);
  if (!ptz) {
    ptz = new PtzControl(controls);
    shared.set(controls, ptz);
  }
  return ptz;
}
