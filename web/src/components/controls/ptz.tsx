/**
 * PTZ of one channel: a pad that moves while a button is held (pointer, or Enter / Space held
 * down) and stops on release, the home position, presets (go to, save here as new, update, delete)
 * and patrols (start, stop). Every stop is sent, also when the button loses the pointer or focus,
 * and after the move it ends (the requests go one after the other); the gateway stops a move by
 * itself after its bound too, so a lost stop does not leave the camera turning.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Channel } from '../../api.ts';
import { enc, Part, Status, useAction, usePart } from './part.tsx';
import type { PtzCapabilities, PtzMoveState, PtzPatrol, PtzPreset } from './types.ts';

type Speeds = { pan?: number; tilt?: number; zoom?: number };

interface Direction {
  id: string;
  /** The button's name for assistive technology, and the status words. */
  label: string;
  symbol: string;
  axis: 'panTilt' | 'zoom';
  speeds: (speed: number) => Speeds;
}

const DIRECTIONS: Direction[] = [
  { id: 'up', label: 'Move up', symbol: '▲', axis: 'panTilt', speeds: (s) => ({ tilt: s }) },
  { id: 'left', label: 'Move left', symbol: '◀', axis: 'panTilt', speeds: (s) => ({ pan: -s }) },
  { id: 'right', label: 'Move right', symbol: '▶', axis: 'panTilt', speeds: (s) => ({ pan: s }) },
  { id: 'down', label: 'Move down', symbol: '▼', axis: 'panTilt', speeds: (s) => ({ tilt: -s }) },
  { id: 'zoom-in', label: 'Zoom in', symbol: '+', axis: 'zoom', speeds: (s) => ({ zoom: s }) },
  { id: 'zoom-out', label: 'Zoom out', symbol: '−', axis: 'zoom', speeds: (s) => ({ zoom: -s }) },
];

const SPEEDS = [
  { value: 20, label: 'Slow' },
  { value: 50, label: 'Medium' },
  { value: 100, label: 'Fast' },
];

/** A click that no press came before (assistive technology): a short nudge, stopped by the gateway. */
const NUDGE_SECONDS = 0.5;

export function PtzControls({ channel }: { channel: Channel }) {
  const base = `/api/v1/channels/${enc(channel.id)}/ptz`;
  const { state } = usePart<PtzCapabilities>(base);
  return (
    <Part title={`PTZ: ${channel.name}`} id={`ptz-${channel.id}`} state={state}>
      {(caps) => (
        <div class="ptz" data-ptz={channel.id}>
          <PtzPad base={base} caps={caps} channelName={channel.name} />
          {caps.maxPresets > 0 && <PtzPresets base={base} caps={caps} channelId={channel.id} />}
          {caps.maxPatrols > 0 && <PtzPatrols base={base} channelId={channel.id} />}
        </div>
      )}
    </Part>
  );
}

function timeOf(iso: string | null): string {
  return iso ? new Date(iso).toLocaleTimeString() : '';
}

/** Sends moves and stops in order; knows which direction is held. */
function useMover(base: string) {
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  const held = useRef<Direction | null>(null);
  const [busy, setBusy] = useState<string>();
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();
  const mounted = useRef(true);

  function send<T>(path: string, body: unknown): Promise<T> {
    const next = queue.current.then(() => api<T>('POST', path, body));
    queue.current = next.catch(() => undefined);
    return next;
  }
  const show = (update: () => void) => {
    if (mounted.current) update();
  };

  function start(direction: Direction, speed: number, seconds?: number) {
    if (held.current) return;
    held.current = seconds === undefined ? direction : null;
    show(() => {
      setOutcome(undefined);
      setBusy(`${direction.label}…`);
    });
    const body = { ...direction.speeds(speed), ...(seconds ? { seconds } : {}) };
    send<PtzMoveState>(`${base}/move`, body).then(
      (answer) =>
        show(() => {
          if (held.current !== direction && seconds === undefined) return;
          setBusy(undefined);
          setOutcome({
            ok: true,
            text: !answer.moving
              ? `${direction.label}: the camera is not moving.`
              : seconds === undefined
                ? `${direction.label}: moving; it stops when released, or by itself at ${timeOf(answer.stopsAt)}.`
                : `${direction.label}: moving a little; it stops by itself at ${timeOf(answer.stopsAt)}.`,
          });
        }),
      (error: unknown) =>
        show(() => {
          setBusy(undefined);
          setOutcome({ ok: false, text: (error as Error).message });
        }),
    );
  }

  function stop() {
    if (!held.current) return;
    held.current = null;
    show(() => setBusy('Stopping…'));
    send<PtzMoveState>(`${base}/stop`, undefined).then(
      (answer) =>
        show(() => {
          setBusy(undefined);
          // A refused move stays shown: "Stopped" must not hide why it did not move.
          setOutcome((before) =>
            before && !before.ok
              ? before
              : {
                  ok: !answer.moving,
                  text: answer.moving ? 'The camera says it is still moving.' : 'Stopped.',
                },
          );
        }),
      (error: unknown) =>
        show(() => {
          setBusy(undefined);
          setOutcome({ ok: false, text: `The stop was refused: ${(error as Error).message}` });
        }),
    );
  }

  // Leaving the page, hiding it or leaving the window while a button is held stops the move.
  useEffect(() => {
    const hidden = () => {
      if (document.visibilityState === 'hidden') stop();
    };
    window.addEventListener('blur', stop);
    document.addEventListener('visibilitychange', hidden);
    return () => {
      window.removeEventListener('blur', stop);
      document.removeEventListener('visibilitychange', hidden);
      stop();
      mounted.current = false;
    };
  }, [base]);

  return { start, stop, busy, outcome };
}

function PtzPad({ base, caps, channelName }: { base: string; caps: PtzCapabilities; channelName: string }) {
  const [speed, setSpeed] = useState(50);
  const mover = useMover(base);
  const home = useAction();
  const isHold = (key: string) => key === 'Enter' || key === ' ';
  const directions = DIRECTIONS.filter((direction) => caps[direction.axis]);

  const button = (direction: Direction) => (
    <button
      key={direction.id}
      type="button"
      class={`secondary ptz-${direction.id}`}
      aria-label={direction.label}
      title={`${direction.label} (hold)`}
      onPointerDown={(event) => {
        if (event.button !== 0) return;
        event.currentTarget.setPointerCapture(event.pointerId);
        mover.start(direction, speed);
      }}
      onPointerUp={mover.stop}
      onPointerCancel={mover.stop}
      onLostPointerCapture={mover.stop}
      onBlur={mover.stop}
      onKeyDown={(event) => {
        if (!isHold(event.key)) return;
        event.preventDefault();
        if (!event.repeat) mover.start(direction, speed);
      }}
      onKeyUp={(event) => {
        if (!isHold(event.key)) return;
        event.preventDefault();
        mover.stop();
      }}
      onClick={(event) => {
        // Pointer and keys are handled above; a click without them comes from assistive technology.
        if (event.detail === 0) mover.start(direction, speed, NUDGE_SECONDS);
      }}
      onContextMenu={(event) => event.preventDefault()}
    >
      <span aria-hidden="true">{direction.symbol}</span>
    </button>
  );

  const goHome = () =>
    home.run(
      'Going to the home position…',
      () => api('POST', `${base}/home`),
      () => 'The camera is going to its home position.',
    );

  return (
    <div class="ptz-pad-area">
      <p class="hint">Hold a button (or Enter / Space) to move {channelName}; it stops when you let go.</p>
      <fieldset class="ptz-pad">
        <legend class="visually-hidden">Move {channelName}</legend>
        {directions.map(button)}
        <button type="button" class="ptz-home" onClick={goHome} disabled={home.busy !== undefined}>
          Home
        </button>
      </fieldset>
      <label class="ptz-speed">
        Speed
        <select value={speed} onChange={(event) => setSpeed(Number(event.currentTarget.value))}>
          {SPEEDS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </label>
      <Status busy={mover.busy} outcome={mover.outcome} />
      <Status busy={home.busy} outcome={home.outcome} />
    </div>
  );
}

/** The first preset number that is neither set nor kept by the device, or undefined when full. */
function freeNumber(caps: PtzCapabilities, presets: PtzPreset[]): number | undefined {
  const taken = new Set([...caps.reservedPresets, ...presets.map((preset) => preset.id)]);
  for (let id = 1; id <= caps.maxPresets; id++) if (!taken.has(id)) return id;
  return undefined;
}

function PtzPresets({ base, caps, channelId }: { base: string; caps: PtzCapabilities; channelId: string }) {
  const { state, reload } = usePart<PtzPreset[]>(`${base}/presets`);
  const action = useAction();
  const [name, setName] = useState('');
  const [editing, setEditing] = useState<{ id: number; name: string }>();
  const [deleting, setDeleting] = useState<PtzPreset>();

  const presetPath = (id: number) => `${base}/presets/${id}`;
  async function save(id: number, presetName: string, words: string) {
    const saved = await action.run(
      `Saving preset ${id}…`,
      () => api<PtzPreset>('PUT', presetPath(id), { name: presetName }),
      (answer) => `${words} preset ${answer.id} “${answer.name}” at where the camera points now.`,
    );
    if (saved) {
      setName('');
      setEditing(undefined);
    }
    await reload();
  }
  async function remove(preset: PtzPreset) {
    await action.run(
      `Deleting preset ${preset.id}…`,
      () => api('DELETE', presetPath(preset.id)),
      () => `Deleted preset ${preset.id} “${preset.name}”.`,
    );
    setDeleting(undefined);
    await reload();
  }
  const goTo = (preset: PtzPreset) =>
    action.run(
      `Going to preset ${preset.id}…`,
      () => api('POST', `${presetPath(preset.id)}/goto`),
      () => `The camera is going to preset ${preset.id} “${preset.name}”.`,
    );

  const busy = action.busy !== undefined;
  return (
    <section class="ptz-presets" aria-labelledby={`presets-${channelId}`}>
      <h4 id={`presets-${channelId}`}>Presets</h4>
      {state.kind === 'loading' && <p class="hint">Reading the presets…</p>}
      {state.kind === 'failed' && (
        <p class="error" role="alert">
          {state.error}
        </p>
      )}
      {state.kind === 'absent' && <p class="hint">The camera lists no presets.</p>}
      {state.kind === 'ready' && (
        <>
          {state.value.length === 0 ? (
            <p class="hint">No preset is set yet.</p>
          ) : (
            <ul class="control-list">
              {state.value.map((preset) => (
                <li key={preset.id} data-preset={preset.id}>
                  {editing?.id === preset.id ? (
                    <form
                      class="row"
                      onSubmit={(event) => {
                        event.preventDefault();
                        void save(preset.id, editing.name.trim(), 'Saved');
                      }}
                    >
                      <label>
                        New name for preset {preset.id}
                        <input
                          value={editing.name}
                          maxLength={32}
                          required
                          onInput={(event) => setEditing({ id: preset.id, name: event.currentTarget.value })}
                        />
                      </label>
                      <span class="hint">Saving also stores where the camera points now.</span>
                      <button type="submit" class="small" disabled={busy || !editing.name.trim()}>
                        Save here
                      </button>
                      <button
                        type="button"
                        class="small secondary"
                        onClick={() => setEditing(undefined)}
                        disabled={busy}
                      >
                        Cancel
                      </button>
                    </form>
                  ) : deleting?.id === preset.id ? (
                    <div class="row">
                      <span>
                        Delete preset {preset.id} “{preset.name}”?
                      </span>
                      <button
                        type="button"
                        class="small danger"
                        onClick={() => remove(preset)}
                        disabled={busy}
                      >
                        Yes, delete {preset.name}
                      </button>
                      <button
                        type="button"
                        class="small secondary"
                        onClick={() => setDeleting(undefined)}
                        disabled={busy}
                      >
                        Keep it
                      </button>
                    </div>
                  ) : (
                    <div class="row">
                      <span class="control-name">
                        {preset.id}. {preset.name}
                      </span>
                      <button
                        type="button"
                        class="small"
                        aria-label={`Go to preset ${preset.name}`}
                        onClick={() => goTo(preset)}
                        disabled={busy}
                      >
                        Go to
                      </button>
                      <button
                        type="button"
                        class="small secondary"
                        aria-label={`Rename or update preset ${preset.name}`}
                        onClick={() => setEditing({ id: preset.id, name: preset.name })}
                        disabled={busy}
                      >
                        Rename or update
                      </button>
                      <button
                        type="button"
                        class="small secondary"
                        aria-label={`Delete preset ${preset.name}`}
                        onClick={() => setDeleting(preset)}
                        disabled={busy}
                      >
                        Delete
                      </button>
                    </div>
                  )}
                </li>
              ))}
            </ul>
          )}
          <NewPreset
            number={freeNumber(caps, state.value)}
            name={name}
            setName={setName}
            busy={busy}
            onSave={(id) => save(id, name.trim(), 'Saved new')}
          />
        </>
      )}
      <Status busy={action.busy} outcome={action.outcome} />
    </section>
  );
}

function NewPreset({
  number,
  name,
  setName,
  busy,
  onSave,
}: {
  number: number | undefined;
  name: string;
  setName: (name: string) => void;
  busy: boolean;
  onSave: (id: number) => void;
}) {
  if (number === undefined) return <p class="hint">Every preset number is taken.</p>;
  return (
    <form
      class="row ptz-new-preset"
      onSubmit={(event) => {
        event.preventDefault();
        if (name.trim()) onSave(number);
      }}
    >
      <label>
        New preset name
        <input value={name} maxLength={32} required onInput={(event) => setName(event.currentTarget.value)} />
      </label>
      <button type="submit" disabled={busy || !name.trim()}>
        Save current position as preset {number}
      </button>
    </form>
  );
}

function PtzPatrols({ base, channelId }: { base: string; channelId: string }) {
  const { state } = usePart<PtzPatrol[]>(`${base}/patrols`);
  const action = useAction();
  if (state.kind === 'absent') return null;
  const command = (patrol: PtzPatrol, what: 'start' | 'stop') =>
    action.run(
      `${what === 'start' ? 'Starting' : 'Stopping'} ${patrol.name}…`,
      () => api('POST', `${base}/patrols/${patrol.id}/${what}`),
      () => `The camera ${what === 'start' ? 'started' : 'stopped'} ${patrol.name}.`,
    );
  return (
    <section class="ptz-patrols" aria-labelledby={`patrols-${channelId}`}>
      <h4 id={`patrols-${channelId}`}>Patrols</h4>
      {state.kind === 'loading' && <p class="hint">Reading the patrols…</p>}
      {state.kind === 'failed' && (
        <p class="error" role="alert">
          {state.error}
        </p>
      )}
      {state.kind === 'ready' &&
        (state.value.some((patrol) => patrol.enabled) ? (
          <ul class="control-list">
            {state.value
              .filter((patrol) => patrol.enabled)
              .map((patrol) => (
                <li key={patrol.id} class="row">
                  <span class="control-name">{patrol.name}</span>
                  <button
                    type="button"
                    class="small"
                    aria-label={`Start ${patrol.name}`}
                    onClick={() => command(patrol, 'start')}
                    disabled={action.busy !== undefined}
                  >
                    Start
                  </button>
                  <button
                    type="button"
                    class="small secondary"
                    aria-label={`Stop ${patrol.name}`}
                    onClick={() => command(patrol, 'stop')}
                    disabled={action.busy !== undefined}
                  >
                    Stop
                  </button>
                </li>
              ))}
          </ul>
        ) : (
          <p class="hint">No patrol is set up on the camera (set them up on its own web page).</p>
        ))}
      <Status busy={action.busy} outcome={action.outcome} />
    </section>
  );
}
