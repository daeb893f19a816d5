/**
 * A doorbell's own panel on its device page: each door's lock and contact (from the doorbell's
 * latest door events, kept up to date live), the tamper latch with its reset, the SIP set-up and
 * its state, and the call controls (answering opens the call screen, which talks from the
 * microphone).
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, type Device, errorText, type HikEvent } from '../api.ts';
import { type LiveMessage, useLiveEvents } from '../live-events.ts';
import { type CallState, DoorButtons, NotifyOffer, readCallState, showCall } from './call.tsx';
import './doorbell-panel.css';

interface Tamper {
  latched: boolean;
  since: string | null;
}

interface SipView {
  mode: string;
  status: {
    state: string;
    detail: string | null;
    listenPort: number | null;
    localAddress: string | null;
    registeredAt: string | null;
    expiresAt: string | null;
    autoConfig: { state: string; error: string | null } | null;
    call: string;
  };
}

/** The last thing heard of a door's lock and of its contact. */
interface DoorSeen {
  lock?: { open: boolean; at: string };
  contact?: { open: boolean; at: string };
}

const LOCK_KINDS: Record<string, boolean> = { 'lock-open': true, 'remote-open': true, 'lock-closed': false };
const CONTACT_KINDS: Record<string, boolean> = {
  'door-open': true,
  'door-forced': true,
  'door-open-too-long': true,
  'door-closed': false,
};
const HISTORY_LIMIT = 200;

const SIP_MODES: Record<string, string> = {
  off: 'Off: rings are found by asking the doorbell',
  emulate: 'hikbridge is the doorbell’s SIP server',
  client: 'hikbridge is a phone on your PBX',
};
const SIP_STATES: Record<string, string> = {
  off: 'Not used',
  starting: 'Starting',
  registered: 'Registered',
  'not-registered': 'Not registered yet',
  retrying: 'Retrying',
  error: 'Error',
};
const AUTO_CONFIG_WORDS: Record<string, string> = {
  manual: 'Set by hand on the doorbell',
  configuring: 'Writing the SIP settings to the doorbell…',
  'waiting-for-register': 'Waiting for the doorbell to register',
  done: 'Done: the doorbell registered',
  retrying: 'Retrying',
  failed: 'Failed',
};
const CALL_WORDS: Record<CallState, string> = {
  ringing: 'Ringing',
  'in call': 'In a call',
  idle: 'Idle',
  unknown: 'Unknown',
};

export function DoorbellPanel({ device }: { device: Device }) {
  const doors = useDoors(device.id);
  return (
    <section class="doorbell-panel card" aria-labelledby={`doorbell-${device.id}`}>
      <h2 id={`doorbell-${device.id}`}>Doorbell</h2>
      <CallControls device={device} />
      <DoorList device={device} doors={doors} />
      <TamperState deviceId={device.id} />
      <SipState deviceId={device.id} />
      <NotifyOffer always />
    </section>
  );
}

function CallControls({ device }: { device: Device }) {
  const [state, setState] = useState<CallState>();
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const refresh = useCallback(() => {
    readCallState(device.id)
      .then((next) => {
        setState(next);
        setError(undefined);
      })
      .catch((failure: unknown) => setError(errorText(failure)));
  }, [device.id]);
  useEffect(refresh, [refresh]);
  useLiveEvents(
    useCallback(
      (message: LiveMessage) => {
        if (message.type !== 'event' || message.event.deviceId !== device.id) return;
        if (message.event.kind === 'doorbell-ring') refresh();
      },
      [device.id, refresh],
    ),
  );
  const act = async (action: 'stop-ringing' | 'hang-up') => {
    setBusy(action);
    setError(undefined);
    try {
      const answer = await api<{ state: CallState }>(
        'POST',
        `/api/v1/devices/${encodeURIComponent(device.id)}/call/${action}`,
      );
      setState(answer.state);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <div class="doorbell-part">
      <h3>Call</h3>
      <p>
        State: <strong>{state ? CALL_WORDS[state] : 'Asking the doorbell…'}</strong>{' '}
        <button type="button" class="link" onClick={refresh} aria-label="Refresh the call state">
          Refresh
        </button>
      </p>
      <div class="actions">
        <button type="button" disabled={state !== 'ringing'} onClick={() => showCall(device.id, true)}>
          Answer
        </button>
        <button
          type="button"
          class="secondary"
          disabled={state !== 'ringing' || busy !== undefined}
          aria-busy={busy === 'stop-ringing'}
          onClick={() => void act('stop-ringing')}
        >
          {busy === 'stop-ringing' ? 'Stopping…' : 'Stop ringing'}
        </button>
        <button
          type="button"
          class="danger"
          disabled={state !== 'in call' || busy !== undefined}
          aria-busy={busy === 'hang-up'}
          onClick={() => void act('hang-up')}
        >
          {busy === 'hang-up' ? 'Hanging up…' : 'Hang up'}
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function DoorList({ device, doors }: { device: Device; doors: Map<number, DoorSeen> | undefined }) {
  if (device.doors === 0) return null;
  const numbers = Array.from({ length: device.doors }, (_, index) => index + 1);
  return (
    <div class="doorbell-part">
      <h3>{device.doors === 1 ? 'Door' : 'Doors'}</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Door</th>
            <th scope="col">Lock</th>
            <th scope="col">Contact</th>
          </tr>
        </thead>
        <tbody>
          {numbers.map((door) => {
            const seen = doors?.get(door);
            return (
              <tr key={door}>
                <th scope="row">Door {door}</th>
                <td>
                  {seen?.lock ? (
                    <Seen
                      words={seen.lock.open ? 'Unlocked' : 'Locked'}
                      at={seen.lock.at}
                      warn={seen.lock.open}
                    />
                  ) : (
                    <span class="hint">{doors ? 'Not reported yet' : '…'}</span>
                  )}
                </td>
                <td>
                  {seen?.contact ? (
                    <Seen
                      words={seen.contact.open ? 'Open' : 'Closed'}
                      at={seen.contact.at}
                      warn={seen.contact.open}
                    />
                  ) : (
                    <span class="hint">{doors ? 'Not reported yet' : '…'}</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <DoorButtons device={device} />
    </div>
  );
}

function Seen({ words, at, warn }: { words: string; at: string; warn: boolean }) {
  return (
    <>
      <span class={`badge ${warn ? 'warn' : 'online'}`}>{words}</span>{' '}
      <span class="hint">
        since <time dateTime={at}>{new Date(at).toLocaleString()}</time>
      </span>
    </>
  );
}

/** Each door's latest lock and contact events: the last page of the device's history, then live. */
function useDoors(deviceId: string): Map<number, DoorSeen> | undefined {
  const [doors, setDoors] = useState<Map<number, DoorSeen>>();
  useEffect(() => {
    let current = true;
    api<{ events: HikEvent[] }>(
      'GET',
      `/api/v1/events?deviceId=${encodeURIComponent(deviceId)}&limit=${HISTORY_LIMIT}`,
    )
      .then((page) => {
        if (!current) return;
        // Oldest first, so the newest of each wins.
        setDoors((live) => {
          const seen = new Map<number, DoorSeen>();
          for (const event of [...page.events].reverse()) apply(seen, event);
          for (const [door, state] of live ?? []) seen.set(door, { ...seen.get(door), ...state });
          return seen;
        });
      })
      .catch(() => current && setDoors(new Map()));
    return () => {
      current = false;
    };
  }, [deviceId]);
  useLiveEvents(
    useCallback(
      (message: LiveMessage) => {
        if (message.type !== 'event' || message.event.deviceId !== deviceId) return;
        const { event } = message;
        if (!(event.kind in LOCK_KINDS) && !(event.kind in CONTACT_KINDS)) return;
        setDoors((previous) => {
          const next = new Map(previous);
          apply(next, event);
          return next;
        });
      },
      [deviceId],
    ),
  );
  return doors;
}

function apply(doors: Map<number, DoorSeen>, event: HikEvent): void {
  const door = (event as HikEvent & { region?: number | null }).region ?? 1;
  const lock = LOCK_KINDS[event.kind];
  const contact = CONTACT_KINDS[event.kind];
  if (lock === undefined && contact === undefined) return;
  const seen = { ...doors.get(door) };
  if (lock !== undefined) seen.lock = { open: lock, at: event.at };
  if (contact !== undefined) seen.contact = { open: contact, at: event.at };
  doors.set(door, seen);
}

function TamperState({ deviceId }: { deviceId: string }) {
  const [tamper, setTamper] = useState<Tamper>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const path = `/api/v1/devices/${encodeURIComponent(deviceId)}/tamper`;
  const load = useCallback(() => {
    api<Tamper>('GET', path)
      .then(setTamper)
      .catch((failure: unknown) => setError(errorText(failure)));
  }, [path]);
  useEffect(load, [load]);
  useLiveEvents(
    useCallback(
      (message: LiveMessage) => {
        if (message.type !== 'event' || message.event.deviceId !== deviceId) return;
        if (/tamper/.test(message.event.kind)) load();
      },
      [deviceId, load],
    ),
  );
  const reset = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setTamper(await api<Tamper>('POST', `${path}/reset`));
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="doorbell-part">
      <h3>Tamper</h3>
      {tamper === undefined && !error && <p class="hint">Loading…</p>}
      {tamper && !tamper.latched && (
        <p>
          <span class="badge online">No tamper alarm</span>
        </p>
      )}
      {tamper?.latched && (
        <p class="row">
          <span class="badge error">Tamper alarm</span>
          {tamper.since && (
            <span class="hint">
              since <time dateTime={tamper.since}>{new Date(tamper.since).toLocaleString()}</time>
            </span>
          )}
          <button
            type="button"
            class="secondary small"
            onClick={() => void reset()}
            disabled={busy}
            aria-busy={busy}
          >
            {busy ? 'Resetting…' : 'Reset (after checking the doorbell)'}
          </button>
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function SipState({ deviceId }: { deviceId: string }) {
  const [sip, setSip] = useState<SipView>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => {
    api<SipView>('GET', `/api/v1/devices/${encodeURIComponent(deviceId)}/sip`)
      .then((view) => {
        setSip(view);
        setError(undefined);
      })
      .catch((failure: unknown) => setError(errorText(failure)));
  }, [deviceId]);
  useEffect(load, [load]);
  const status = sip?.status;
  const bad = status?.state === 'error' || status?.state === 'retrying';
  return (
    <div class="doorbell-part">
      <h3>SIP</h3>
      {sip && status && (
        <dl class="doorbell-facts">
          <dt>Mode</dt>
          <dd>{SIP_MODES[sip.mode] ?? sip.mode}</dd>
          {sip.mode !== 'off' && (
            <>
              <dt>State</dt>
              <dd>
                <span class={`badge ${bad ? 'error' : status.state === 'registered' ? 'online' : 'warn'}`}>
                  {SIP_STATES[status.state] ?? status.state}
                </span>
                {status.detail && <span class="hint"> {status.detail}</span>}
              </dd>
              {status.listenPort !== null && (
                <>
                  <dt>Our SIP address</dt>
                  <dd>
                    {status.localAddress ?? 'this machine'}:{status.listenPort}
                  </dd>
                </>
              )}
              {status.expiresAt && (
                <>
                  <dt>Registration expires</dt>
                  <dd>{new Date(status.expiresAt).toLocaleString()}</dd>
                </>
              )}
              {status.autoConfig && (
                <>
                  <dt>Set-up of the doorbell</dt>
                  <dd>
                    {AUTO_CONFIG_WORDS[status.autoConfig.state] ?? status.autoConfig.state}
                    {status.autoConfig.error && <span class="error"> {status.autoConfig.error}</span>}
                  </dd>
                </>
              )}
              <dt>SIP call</dt>
              <dd>{CALL_WORDS[status.call as CallState] ?? status.call}</dd>
            </>
          )}
        </dl>
      )}
      {sip === undefined && !error && <p class="hint">Loading…</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="button" class="link" onClick={load} aria-label="Refresh the SIP state">
        Refresh
      </button>
    </div>
  );
}
