/**
 * The doorbell call screen, over every screen of every open UI while a doorbell rings: the
 * caller's live video, Answer (which also talks from this browser's microphone), Stop ringing,
 * Hang up and one Open button per door. Rings come from the live events (`doorbell-ring` start
 * and end, whether the gateway heard them over SIP or by polling the doorbell); a page opened
 * during a ring asks the doorbells once. When the ring ends elsewhere the screen closes and says
 * what happened. A tab in the background gets a browser notification.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, type Channel, type Device, errorText, type HikEvent } from '../api.ts';
import { type LiveMessage, useLiveEvents } from '../live-events.ts';
import { Player } from './player.tsx';
import { type MicrophonePublisher, publishMicrophone } from './whip.ts';
import './call.css';

/**
 * `ringing`; `answering` / `ending`: this page's answer or stop is on its way (the ring's end
 * that it causes is expected, not news); `in-call`: answered here, until hung up or idle.
 */
type Phase = 'ringing' | 'answering' | 'in-call' | 'ending';

interface Call {
  deviceId: string;
  channelId: string | null;
  phase: Phase;
}

interface Outcome {
  id: number;
  text: string;
}

export type CallState = 'ringing' | 'in call' | 'idle' | 'unknown';

const OUTCOME_SHOWN_MS = 15_000;
const IN_CALL_CHECK_MS = 2000;
/** A ring start older than this is not shown (doorbells give up after a minute or less). */
const STALE_RING_MS = 3 * 60_000;

// --- asking for the call screen from elsewhere (the doorbell's panel) --------------------------

type CallRequest = { deviceId: string; answer: boolean };
const callRequests = new Set<(request: CallRequest) => void>();

/** Opens the call screen for a doorbell (answering it when asked) in this tab. */
export function showCall(deviceId: string, answer = false): void {
  for (const listener of callRequests) listener({ deviceId, answer });
}

// --- the screen ---------------------------------------------------------------------------------

export function CallScreen() {
  const [calls, setCalls] = useState<Call[]>([]);
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [autoAnswer, setAutoAnswer] = useState<string>();
  const known = useDoorbells();
  const callsRef = useRef(calls);
  callsRef.current = calls;
  const knownRef = useRef(known);
  knownRef.current = known;

  const tell = useCallback((text: string) => {
    const id = Date.now() + Math.random();
    setOutcomes((list) => [...list.slice(-3), { id, text }]);
    window.setTimeout(() => setOutcomes((list) => list.filter((each) => each.id !== id)), OUTCOME_SHOWN_MS);
  }, []);

  const ring = useCallback((deviceId: string, channelId: string | null) => {
    if (callsRef.current.some((call) => call.deviceId === deviceId)) return;
    setHidden((set) => without(set, deviceId));
    setCalls((list) => [...list, { deviceId, channelId, phase: 'ringing' }]);
    notifyInBackground(deviceId, knownRef.current.devices.get(deviceId)?.name ?? 'A doorbell');
  }, []);

  const close = useCallback(
    (deviceId: string, outcome?: string) => {
      closeNotification(deviceId);
      setCalls((list) => list.filter((call) => call.deviceId !== deviceId));
      if (outcome) tell(`${knownRef.current.devices.get(deviceId)?.name ?? 'The doorbell'}: ${outcome}`);
    },
    [tell],
  );

  const setPhase = useCallback((deviceId: string, phase: Phase) => {
    setCalls((list) => list.map((call) => (call.deviceId === deviceId ? { ...call, phase } : call)));
  }, []);

  const onLive = useCallback(
    (message: LiveMessage) => {
      if (message.type !== 'event' || message.event.kind !== 'doorbell-ring') return;
      const { event } = message;
      if (event.state === 'start') {
        // A tab waking from sleep gets the rings it missed replayed: those are long over.
        if (Date.now() - Date.parse(event.receivedAt) > STALE_RING_MS) return;
        knownRef.current.refreshIfUnknown(event.deviceId);
        ring(event.deviceId, event.channelId);
        return;
      }
      if (event.state !== 'end') return;
      const call = callsRef.current.find((each) => each.deviceId === event.deviceId);
      // A ring this page answered or stopped ends because of it: nothing to tell.
      if (call?.phase === 'ringing') close(event.deviceId, ringEndWords(event));
    },
    [ring, close],
  );
  useLiveEvents(onLive);

  // A page opened during a ring: the doorbells are asked once (the live events only bring news).
  useEffect(() => {
    if (!known.loaded) return;
    for (const device of known.devices.values()) {
      if (device.kind !== 'doorbell' || !device.enabled) continue;
      readCallState(device.id)
        .then((state) => {
          if (state === 'ringing') ring(device.id, known.channelOf(device.id));
        })
        .catch(() => {});
    }
  }, [known.loaded]);

  useEffect(() => {
    const listener = ({ deviceId, answer }: CallRequest) => {
      if (!callsRef.current.some((call) => call.deviceId === deviceId)) {
        setCalls((list) => [
          ...list,
          { deviceId, channelId: knownRef.current.channelOf(deviceId), phase: 'ringing' },
        ]);
      }
      setHidden((set) => without(set, deviceId));
      if (answer) setAutoAnswer(deviceId);
    };
    callRequests.add(listener);
    return () => callRequests.delete(listener);
  }, []);

  const shown = calls.filter((call) => !hidden.has(call.deviceId));
  return (
    <>
      {shown.length > 0 && (
        <CallOverlay
          calls={shown}
          known={known}
          autoAnswer={autoAnswer}
          onAutoAnswered={() => setAutoAnswer(undefined)}
          onPhase={setPhase}
          onClose={close}
          onHide={(deviceId) => setHidden((set) => new Set(set).add(deviceId))}
        />
      )}
      <div class="call-outcomes" role="status" aria-live="polite">
        {outcomes.map((outcome) => (
          <p key={outcome.id} class="card">
            <span>{outcome.text}</span>
            <button
              type="button"
              class="link"
              aria-label="Dismiss"
              onClick={() => setOutcomes((list) => list.filter((each) => each.id !== outcome.id))}
            >
              ×
            </button>
          </p>
        ))}
      </div>
    </>
  );
}

interface OverlayProps {
  calls: Call[];
  known: Doorbells;
  autoAnswer: string | undefined;
  onAutoAnswered(): void;
  onPhase(deviceId: string, phase: Phase): void;
  onClose(deviceId: string, outcome?: string): void;
  onHide(deviceId: string): void;
}

function CallOverlay({ calls, known, onHide, ...rest }: OverlayProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = `call-title-${calls[0]?.deviceId ?? ''}`;
  const callsNow = useRef(calls);
  callsNow.current = calls;
  // A modal <dialog>: the page behind is inert, focus moves in (and back when it closes).
  useLayoutEffect(() => {
    const element = dialog.current;
    if (!element) return;
    const hideRinging = () => {
      for (const call of callsNow.current) if (call.phase === 'ringing') onHide(call.deviceId);
    };
    // Escape hides a ringing call in this tab only; a call answered here stays until hung up.
    const onCancel = (event: Event) => {
      event.preventDefault();
      hideRinging();
    };
    // The browser may close it anyway (a repeated Escape): the same, and an answered call stays.
    const onClose = () => {
      hideRinging();
      if (callsNow.current.some((call) => call.phase !== 'ringing') && element.isConnected)
        element.showModal();
    };
    element.addEventListener('cancel', onCancel);
    element.addEventListener('close', onClose);
    element.showModal();
    element.focus();
    return () => {
      element.removeEventListener('cancel', onCancel);
      element.removeEventListener('close', onClose);
      if (element.open) element.close();
    };
  }, []);
  return (
    <dialog ref={dialog} aria-labelledby={titleId} tabIndex={-1} class="call-dialog">
      {calls.map((call) => (
        <CallCard
          key={call.deviceId}
          call={call}
          device={known.devices.get(call.deviceId)}
          channelId={call.channelId ?? known.channelOf(call.deviceId)}
          titleId={`call-title-${call.deviceId}`}
          onHide={() => onHide(call.deviceId)}
          {...rest}
        />
      ))}
      <NotifyOffer />
    </dialog>
  );
}

type Busy = 'answer' | 'stop-ringing' | 'hang-up' | undefined;
type TalkStatus =
  | { kind: 'off' }
  | { kind: 'starting' }
  | { kind: 'talking' }
  | { kind: 'failed'; reason: string };

interface CardProps extends Omit<OverlayProps, 'calls' | 'known' | 'onHide'> {
  call: Call;
  device: Device | undefined;
  channelId: string | null;
  titleId: string;
  onHide(): void;
}

function CallCard({
  call,
  device,
  channelId,
  titleId,
  autoAnswer,
  onAutoAnswered,
  onPhase,
  onClose,
  onHide,
}: CardProps) {
  const name = device?.name ?? 'Doorbell';
  const [busy, setBusy] = useState<Busy>();
  const [error, setError] = useState<string>();
  const [talk, setTalk] = useState<TalkStatus>({ kind: 'off' });
  const talkSession = useRef<TalkSession | undefined>(undefined);
  const { deviceId } = call;
  const inCall = call.phase === 'in-call';

  /** `ended`: the gateway already ended the talk session (and closed its path). */
  const stopTalking = useCallback((ended = false) => {
    const session = talkSession.current;
    talkSession.current = undefined;
    if (!session) return;
    session.cancelled = true;
    stopSession(session, ended);
  }, []);
  // Whatever closes the card closes the microphone too.
  useEffect(() => stopTalking, [stopTalking]);

  const startTalking = async () => {
    if (!channelId) {
      setTalk({ kind: 'failed', reason: 'This doorbell has no camera channel to talk through.' });
      return;
    }
    const session: TalkSession = { cancelled: false };
    talkSession.current = session;
    setTalk({ kind: 'starting' });
    try {
      const started = await api<{ id: string; whipUrl: string }>(
        'POST',
        `/api/v1/channels/${encodeURIComponent(channelId)}/talk`,
        { source: 'browser' },
      );
      session.id = started.id;
      if (session.cancelled) return stopSession(session);
      session.microphone = await publishMicrophone(started.whipUrl);
      if (session.cancelled) return stopSession(session);
      setTalk({ kind: 'talking' });
    } catch (failure) {
      stopSession(session);
      if (talkSession.current === session) talkSession.current = undefined;
      if (!session.cancelled) setTalk({ kind: 'failed', reason: errorText(failure) });
    }
  };

  const answer = async () => {
    setBusy('answer');
    setError(undefined);
    onPhase(deviceId, 'answering');
    try {
      await api('POST', `/api/v1/devices/${encodeURIComponent(deviceId)}/call/answer`);
      onPhase(deviceId, 'in-call');
      void startTalking();
    } catch (failure) {
      await recover(failure, 'answer');
    } finally {
      setBusy(undefined);
    }
  };

  const end = async (action: 'stop-ringing' | 'hang-up') => {
    setBusy(action);
    setError(undefined);
    const before = call.phase;
    onPhase(deviceId, 'ending');
    stopTalking();
    try {
      await api('POST', `/api/v1/devices/${encodeURIComponent(deviceId)}/call/${action}`);
      onClose(deviceId, action === 'hang-up' ? 'you hung up.' : 'you stopped the ringing.');
    } catch (failure) {
      if (before === 'in-call' && !(failure instanceof ApiError && failure.code === 'no_call')) {
        onPhase(deviceId, 'in-call');
        setError(errorText(failure));
      } else {
        await recover(failure, action);
      }
    } finally {
      setBusy(undefined);
    }
  };

  /** After a refused action: the doorbell says whether there is still a call to show. */
  const recover = async (failure: unknown, action: string) => {
    const state = await readCallState(deviceId).catch(() => 'unknown' as const);
    if (state === 'idle') {
      onClose(
        deviceId,
        failure instanceof ApiError && failure.code === 'no_call'
          ? 'the call had already ended.'
          : `the call ended (${action}: ${errorText(failure)})`,
      );
      return;
    }
    onPhase(deviceId, state === 'in call' && action !== 'answer' ? 'in-call' : 'ringing');
    setError(errorText(failure));
  };

  // Answer asked for by the doorbell's panel.
  useEffect(() => {
    if (autoAnswer !== deviceId || call.phase !== 'ringing') return;
    onAutoAnswered();
    void answer();
  }, [autoAnswer]);

  // While in a call answered here: the doorbell is asked whether it is still up (the visitor may
  // hang up, or an opened door ends it), and how the talk session fares.
  useEffect(() => {
    if (!inCall) return;
    const timer = window.setInterval(async () => {
      const state = await readCallState(deviceId).catch(() => undefined);
      if (state === 'idle') {
        stopTalking();
        onClose(deviceId, 'the call ended (the visitor hung up, or the door was opened).');
        return;
      }
      const id = talkSession.current?.id;
      if (!id) return;
      const sessions = await api<{ id: string; state: string; error?: string | null }[]>(
        'GET',
        '/api/v1/talk',
      ).catch(() => []);
      const mine = sessions.find((each) => each.id === id);
      if (mine?.state === 'ended' && talkSession.current?.id === id) {
        stopTalking(true);
        setTalk({ kind: 'failed', reason: mine.error ?? 'The talk session ended.' });
      }
    }, IN_CALL_CHECK_MS);
    return () => window.clearInterval(timer);
  }, [inCall]);

  const ringing = call.phase === 'ringing' || busy === 'answer' || busy === 'stop-ringing';
  const title = inCall ? `In a call with ${name}` : `${name} is ringing`;
  return (
    <section class="call-card" aria-labelledby={titleId}>
      <div class="call-head">
        <h2 id={titleId}>{title}</h2>
        {call.phase === 'ringing' && (
          <button type="button" class="link" onClick={onHide}>
            Hide
          </button>
        )}
      </div>
      {channelId ? (
        <Player channelId={channelId} prefer="main" label={name} muted={!inCall} />
      ) : (
        <p class="hint">This doorbell has no camera channel to show.</p>
      )}
      {inCall && <TalkLine talk={talk} onRetry={() => void startTalking()} />}
      <div class="actions call-actions">
        {ringing && (
          <>
            <button
              type="button"
              onClick={() => void answer()}
              disabled={busy !== undefined}
              aria-busy={busy === 'answer'}
            >
              {busy === 'answer' ? 'Answering…' : 'Answer'}
            </button>
            <button
              type="button"
              class="secondary"
              onClick={() => void end('stop-ringing')}
              disabled={busy !== undefined}
              aria-busy={busy === 'stop-ringing'}
            >
              {busy === 'stop-ringing' ? 'Stopping…' : 'Stop ringing'}
            </button>
          </>
        )}
        {(inCall || busy === 'hang-up') && (
          <button
            type="button"
            class="danger"
            onClick={() => void end('hang-up')}
            disabled={busy !== undefined}
            aria-busy={busy === 'hang-up'}
          >
            {busy === 'hang-up' ? 'Hanging up…' : 'Hang up'}
          </button>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {device && device.doors > 0 && <DoorButtons device={device} />}
    </section>
  );
}

interface TalkSession {
  id?: string;
  microphone?: MicrophonePublisher;
  cancelled: boolean;
}

/**
 * The talk session first (its end closes the MediaMTX path and the WHIP session with it), then
 * the microphone and the connection. `ended`: the gateway had already ended it.
 */
function stopSession(session: TalkSession, ended = false): void {
  const { id, microphone } = session;
  session.microphone = undefined;
  session.id = undefined;
  void (async () => {
    if (id && !ended) await api('DELETE', `/api/v1/talk/${encodeURIComponent(id)}`).catch(() => {});
    microphone?.close();
  })();
}

function TalkLine({ talk, onRetry }: { talk: TalkStatus; onRetry(): void }) {
  if (talk.kind === 'off') return null;
  if (talk.kind === 'starting') return <p role="status">Starting your microphone…</p>;
  if (talk.kind === 'talking')
    return (
      <p role="status" class="ok">
        Microphone on: the visitor hears you.
      </p>
    );
  return (
    <p role="alert" class="error">
      The visitor cannot hear you: {talk.reason}{' '}
      <button type="button" class="link" onClick={onRetry}>
        Try the microphone again
      </button>
    </p>
  );
}

// --- doors --------------------------------------------------------------------------------------

type DoorState =
  | { kind: 'idle' }
  | { kind: 'opening' }
  | { kind: 'opened'; at: number }
  | { kind: 'failed'; reason: string };

/** One Open button per door; a click sends exactly one open, the button waits for its answer. */
export function DoorButtons({ device }: { device: Pick<Device, 'id' | 'name' | 'doors'> }) {
  const doors = Array.from({ length: device.doors }, (_, index) => index + 1);
  return (
    <div class="door-buttons">
      {doors.map((door) => (
        <DoorButton
          key={door}
          deviceId={device.id}
          door={door}
          label={device.doors === 1 ? 'Open door' : `Open door ${door}`}
        />
      ))}
    </div>
  );
}

function DoorButton({ deviceId, door, label }: { deviceId: string; door: number; label: string }) {
  const [state, setState] = useState<DoorState>({ kind: 'idle' });
  const inFlight = useRef(false);
  const open = async () => {
    // A second click (or a double click) before the answer must not open the door again.
    if (inFlight.current) return;
    inFlight.current = true;
    setState({ kind: 'opening' });
    try {
      await api('POST', `/api/v1/devices/${encodeURIComponent(deviceId)}/doors/${door}`);
      setState({ kind: 'opened', at: Date.now() });
    } catch (failure) {
      setState({ kind: 'failed', reason: errorText(failure) });
    } finally {
      inFlight.current = false;
    }
  };
  const opening = state.kind === 'opening';
  return (
    <div class="door">
      <button
        type="button"
        class="secondary"
        onClick={() => void open()}
        disabled={opening}
        aria-busy={opening}
      >
        {opening ? 'Opening…' : label}
      </button>
      {state.kind === 'opened' && (
        <span class="ok" role="status">
          Opened at {new Date(state.at).toLocaleTimeString()}.
        </span>
      )}
      {state.kind === 'failed' && (
        <span class="error" role="alert">
          {state.reason}
        </span>
      )}
    </div>
  );
}

// --- the doorbells and their channels -----------------------------------------------------------

export interface Doorbells {
  loaded: boolean;
  devices: Map<string, Device>;
  channelOf(deviceId: string): string | null;
  refreshIfUnknown(deviceId: string): void;
}

/** Devices and their first channel, loaded once and again when a ring names an unknown device. */
function useDoorbells(): Doorbells {
  const [devices, setDevices] = useState<Map<string, Device>>(new Map());
  const [channels, setChannels] = useState<Channel[]>([]);
  const [loaded, setLoaded] = useState(false);
  const loading = useRef(false);
  const load = useCallback(async () => {
    if (loading.current) return;
    loading.current = true;
    try {
      const [deviceList, channelList] = await Promise.all([
        api<Device[]>('GET', '/api/v1/devices'),
        api<Channel[]>('GET', '/api/v1/channels'),
      ]);
      setDevices(new Map(deviceList.map((device) => [device.id, device])));
      setChannels(channelList);
      setLoaded(true);
    } catch {
      // Shown again at the next ring; the screens say what is wrong with the gateway.
    } finally {
      loading.current = false;
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  return {
    loaded,
    devices,
    channelOf: (deviceId) =>
      channels.filter((channel) => channel.deviceId === deviceId).sort((a, b) => a.channelNo - b.channelNo)[0]
        ?.id ?? null,
    refreshIfUnknown: (deviceId) => {
      if (!devices.has(deviceId)) void load();
    },
  };
}

export async function readCallState(deviceId: string): Promise<CallState> {
  const answer = await api<{ state: CallState }>(
    'GET',
    `/api/v1/devices/${encodeURIComponent(deviceId)}/call`,
  );
  return answer.state;
}

/** Why a ring ended, from the end event's attributes (SIP or polling). */
function ringEndWords(event: HikEvent): string {
  const { reason, callStatus } = event.attributes;
  if (reason === 'answered' || callStatus === 'onCall') return 'picked up on another screen or phone.';
  if (reason === 'stream lost') return 'hikbridge lost contact with the doorbell while it rang.';
  if (reason === 'the doorbell stopped calling')
    return 'nobody answered in time (the doorbell stopped calling).';
  if (typeof reason === 'string' && reason !== 'ended') return `the ringing ended: ${reason}.`;
  return 'the ringing stopped (stopped on another screen, or nobody answered in time).';
}

function without(set: Set<string>, value: string): Set<string> {
  if (!set.has(value)) return set;
  const next = new Set(set);
  next.delete(value);
  return next;
}

// --- browser notifications ----------------------------------------------------------------------

const ASKED_KEY = 'hikbridge.notifications-asked';
const shownNotifications = new Map<string, Notification>();

function notifyInBackground(deviceId: string, name: string): void {
  if (document.visibilityState !== 'hidden' || !('Notification' in window)) return;
  if (Notification.permission !== 'granted') return;
  try {
    const notification = new Notification(`${name} is ringing`, {
      body: 'Open hikbridge to see who is there and answer.',
      tag: `hikbridge-ring-${deviceId}`,
      requireInteraction: true,
    });
    notification.onclick = () => {
      window.focus();
      notification.close();
    };
    shownNotifications.set(deviceId, notification);
  } catch {
    // Some browsers only allow notifications from a service worker: the call screen is enough.
  }
}

function closeNotification(deviceId: string): void {
  shownNotifications.get(deviceId)?.close();
  shownNotifications.delete(deviceId);
}

function permissionNow(): NotificationPermission | 'unsupported' {
  return 'Notification' in window ? Notification.permission : 'unsupported';
}

/**
 * Offers ring notifications for background tabs, asked from a click (browsers ignore or punish
 * a request without one), once: after an answer either way the offer is not shown again.
 */
export function NotifyOffer({ always = false }: { always?: boolean }) {
  const [permission, setPermission] = useState(permissionNow);
  const [asked, setAsked] = useState(() => localStorage.getItem(ASKED_KEY) === 'yes');
  if (permission === 'unsupported') return null;
  if (permission === 'default' && (!asked || always)) {
    const ask = () => {
      localStorage.setItem(ASKED_KEY, 'yes');
      setAsked(true);
      Notification.requestPermission()
        .then(setPermission)
        .catch(() => {});
    };
    return (
      <p class="hint notify-offer">
        <button type="button" class="link" onClick={ask}>
          Notify me when a doorbell rings while this tab is in the background
        </button>
      </p>
    );
  }
  if (!always) return null;
  return (
    <p class="hint notify-offer">
      {permission === 'granted'
        ? 'Ring notifications are on for this browser while hikbridge is open in a tab.'
        : 'Ring notifications are blocked in this browser (allow them in the site settings).'}
    </p>
  );
}
