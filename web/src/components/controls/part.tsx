/**
 * What every control part shares: reading its state from the gateway (a 404 or 409 means the
 * device has no such thing: the part is not shown), and one change at a time with its progress,
 * result or refusal in words. Parts show what the device answered, never what was asked for.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, errorText } from '../../api.ts';

export type PartState<T> =
  | { kind: 'loading' }
  | { kind: 'absent' }
  | { kind: 'failed'; error: string }
  | { kind: 'ready'; value: T };

/** The device does not have it (404) or it does not apply here (409): nothing to show. */
export function isAbsent(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 409);
}

/** `encodeURIComponent` for ids in paths. */
export const enc = encodeURIComponent;

/**
 * Reads `path` once (and again on `reload`); `set` and `update` replace the value with an answer
 * read back after a change.
 */
export function usePart<T>(path: string): {
  state: PartState<T>;
  set: (value: T) => void;
  update: (change: (value: T) => T) => void;
  reload: () => Promise<void>;
} {
  const [state, setState] = useState<PartState<T>>({ kind: 'loading' });
  // Answers for another path, or after the part is gone, are dropped.
  const live = useRef({ path, mounted: true });
  live.current.path = path;
  useEffect(
    () => () => {
      live.current.mounted = false;
    },
    [],
  );
  const reload = async () => {
    const asked = path;
    const current = () => live.current.mounted && live.current.path === asked;
    try {
      const value = await api<T>('GET', asked);
      if (current()) setState({ kind: 'ready', value });
    } catch (error) {
      if (!current()) return;
      setState(isAbsent(error) ? { kind: 'absent' } : { kind: 'failed', error: errorText(error) });
    }
  };
  useEffect(() => {
    setState({ kind: 'loading' });
    void reload();
  }, [path]);
  return {
    state,
    set: (value: T) => setState({ kind: 'ready', value }),
    // From the latest value: two rows answering at once must not undo each other.
    update: (change: (value: T) => T) =>
      setState((before) =>
        before.kind === 'ready' ? { kind: 'ready', value: change(before.value) } : before,
      ),
    reload,
  };
}

export interface Outcome {
  ok: boolean;
  text: string;
}

/**
 * One change at a time: `run(progress, work, done)` shows `progress` while the gateway is asked,
 * then the words `done` makes of the answer, or the refusal in the gateway's words.
 */
export function useAction() {
  const [busy, setBusy] = useState<string>();
  const [outcome, setOutcome] = useState<Outcome>();
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  async function run<T>(
    progress: string,
    work: () => Promise<T>,
    done: (value: T) => string,
  ): Promise<T | undefined> {
    setBusy(progress);
    setOutcome(undefined);
    try {
      const value = await work();
      if (mounted.current) setOutcome({ ok: true, text: done(value) });
      return value;
    } catch (error) {
      if (mounted.current) setOutcome({ ok: false, text: errorText(error) });
      return undefined;
    } finally {
      if (mounted.current) setBusy(undefined);
    }
  }
  return { busy, outcome, run, setOutcome };
}

/** Progress, result or refusal of a part's last change, in words. */
export function Status({ busy, outcome }: { busy?: string; outcome?: Outcome }) {
  if (busy) {
    return (
      <p class="control-status" role="status">
        {busy}
      </p>
    );
  }
  if (!outcome) return null;
  return (
    <p class={`control-status ${outcome.ok ? 'ok' : 'error'}`} role={outcome.ok ? 'status' : 'alert'}>
      {outcome.text}
    </p>
  );
}

/**
 * A part's frame: nothing while it is absent, its reading in words while it loads, the failure in
 * words, and its content once read.
 */
export function Part<T>({
  title,
  id,
  state,
  children,
}: {
  title: string;
  id: string;
  state: PartState<T>;
  children: (value: T) => ComponentChildren;
}) {
  if (state.kind === 'absent') return null;
  return (
    <section class="card control-part" aria-labelledby={id} aria-busy={state.kind === 'loading'}>
      <h3 id={id}>{title}</h3>
      {state.kind === 'loading' && <p class="hint">Asking the device…</p>}
      {state.kind === 'failed' && (
        <p class="error" role="alert">
          {state.error}
        </p>
      )}
      {state.kind === 'ready' && children(state.value)}
    </section>
  );
}

/** A switch (on/off button) that shows the device's state; `busy` while a change is asked. */
export function Switch({
  label,
  on,
  busy,
  onToggle,
}: {
  label: string;
  on: boolean;
  busy: boolean;
  onToggle: (next: boolean) => void;
}) {
  return (
    <button
      type="button"
      role="switch"
      class="control-switch"
      aria-checked={on}
      aria-label={label}
      disabled={busy}
      onClick={() => onToggle(!on)}
    >
      <span class="control-switch-track" aria-hidden="true">
        <span class="control-switch-thumb" />
      </span>
      <span aria-hidden="true">{on ? 'On' : 'Off'}</span>
    </button>
  );
}
