/**
 * Rebooting a device: a dialog that names it asks first; then the page says it is rebooting and
 * when it is expected back, and follows its health (asked every few seconds) until it is back.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Device, errorText } from '../../api.ts';
import { enc } from './part.tsx';
import type { DeviceHealth, RebootAnswer } from './types.ts';

const HEALTH_POLL_MS = 2000;
/** Beyond the expected time, keep looking a little before saying it is late. */
const GRACE_SECONDS = 60;

const HEALTH_WORDS: Record<string, string> = {
  online: 'online',
  connecting: 'connecting',
  offline: 'not answering',
  'auth-failed': 'refusing the login',
  disabled: 'disabled',
};

type Progress =
  | { phase: 'idle' }
  | { phase: 'asking' }
  | { phase: 'failed'; error: string }
  | {
      phase: 'rebooting';
      /** When the device's health state began before the reboot: a later one means it changed. */
      sinceBefore: string | undefined;
      until: number;
      seconds: number;
      health?: DeviceHealth;
      away: boolean;
      late: boolean;
    }
  | { phase: 'back'; health: DeviceHealth };

export function RebootControl({ device }: { device: Device }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [progress, setProgress] = useState<Progress>({ phase: 'idle' });
  const path = `/api/v1/devices/${enc(device.id)}`;

  async function reboot() {
    dialog.current?.close();
    setProgress({ phase: 'asking' });
    try {
      const before = await api<DeviceHealth>('GET', `${path}/health`).catch(() => undefined);
      const answer = await api<RebootAnswer>('POST', `${path}/reboot`, { confirm: true });
      const seconds = answer.expectedBackWithinSeconds;
      setProgress({
        phase: 'rebooting',
        sinceBefore: before?.since,
        until: Date.now() + seconds * 1000,
        seconds,
        away: false,
        late: false,
      });
    } catch (error) {
      setProgress({ phase: 'failed', error: errorText(error) });
    }
  }

  useHealthWhileRebooting(path, progress, setProgress);

  const busy = progress.phase === 'asking' || progress.phase === 'rebooting';
  return (
    <section class="card control-part reboot" aria-labelledby={`reboot-${device.id}`}>
      <h3 id={`reboot-${device.id}`}>Reboot</h3>
      <p class="hint">
        Recording, live view and events stop until the device is back, usually a few minutes.
      </p>
      <button type="button" class="danger" disabled={busy} onClick={() => dialog.current?.showModal()}>
        Reboot {device.name}…
      </button>
      <RebootProgress progress={progress} name={device.name} />
      <dialog ref={dialog} class="control-dialog" aria-labelledby={`reboot-ask-${device.id}`}>
        <h2 id={`reboot-ask-${device.id}`}>Reboot “{device.name}”?</h2>
        <p>
          {device.name} stops recording, streaming and sending events until it is back, usually within a few
          minutes.
        </p>
        {/* Cancel first: opening the dialog focuses it, so Enter does not reboot. */}
        <div class="actions">
          <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" class="danger" onClick={reboot}>
            Yes, reboot {device.name}
          </button>
        </div>
      </dialog>
    </section>
  );
}

/** While rebooting: the device's health every few seconds, until it was away and is back. */
function useHealthWhileRebooting(path: string, progress: Progress, setProgress: (next: Progress) => void) {
  const rebooting = progress.phase === 'rebooting';
  const current = useRef(progress);
  current.current = progress;
  useEffect(() => {
    if (!rebooting) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const round = async () => {
      const health = await api<DeviceHealth>('GET', `${path}/health`).catch(() => undefined);
      const now = current.current;
      if (stopped || now.phase !== 'rebooting') return;
      if (health) {
        // Seen away (here, or by the gateway: its state changed since) and online again: it is back.
        const away =
          now.away ||
          health.state !== 'online' ||
          health.lastErrorCode === 'rebooting' ||
          (now.sinceBefore !== undefined && health.since !== now.sinceBefore);
        if (away && health.state === 'online') {
          setProgress({ phase: 'back', health });
          return;
        }
        const late = Date.now() > now.until + GRACE_SECONDS * 1000;
        setProgress({ ...now, health, away, late });
      }
      timer = setTimeout(round, HEALTH_POLL_MS);
    };
    timer = setTimeout(round, HEALTH_POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [rebooting, path]);
}

function minutesWords(seconds: number): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  return minutes === 1 ? 'a minute' : `${minutes} minutes`;
}

function RebootProgress({ progress, name }: { progress: Progress; name: string }) {
  switch (progress.phase) {
    case 'idle':
      return null;
    case 'asking':
      return (
        <p class="control-status" role="status">
          Asking {name} to reboot…
        </p>
      );
    case 'failed':
      return (
        <p class="control-status error" role="alert">
          {progress.error}
        </p>
      );
    case 'back':
      return (
        <p class="control-status ok" role="status">
          {name} is back online after the reboot.
        </p>
      );
    case 'rebooting': {
      const health = progress.health;
      return (
        <div class="control-status" role="status">
          <p>
            {name} is rebooting; expected back within {minutesWords(progress.seconds)} (by{' '}
            {new Date(progress.until).toLocaleTimeString()}).
          </p>
          {health && (
            <p class="hint">
              Now: {progress.away ? '' : 'not yet seen going away; '}
              {HEALTH_WORDS[health.state] ?? health.state}
              {health.lastError && health.state !== 'online' ? ` (${health.lastError})` : ''}.
            </p>
          )}
          {progress.late && (
            <p class="warn">
              {name} is not back after the expected time. It may still be starting; if not, check its power
              and network.
            </p>
          )}
        </div>
      );
    }
  }
}
