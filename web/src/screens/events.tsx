/**
 * The events timeline: stored events newest first with their pictures, filtered by device,
 * camera and kind (kept in the address, so a filtered view can be bookmarked), new events added
 * live, older ones a page at a time. A picture saved after its event arrives by the `snapshot`
 * notice; a click shows it large.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, type Channel, type Device, errorText, type HikEvent } from '../api.ts';
import { type LiveMessage, useLiveEvents } from '../live-events.ts';
import { href, navigate } from '../router.ts';
import './events.css';

const PAGE_SIZE = 50;
/** The timeline keeps at most this many events in the page; older ones come back with "Older". */
const MAX_SHOWN = 500;

/** Every kind the gateway reports, in words. */
export const KIND_WORDS: Record<string, string> = {
  motion: 'Motion',
  'line-crossing': 'Line crossing',
  intrusion: 'Intrusion',
  'region-entrance': 'Entering a region',
  'region-exit': 'Leaving a region',
  tamper: 'Camera tampering',
  'video-loss': 'Video lost',
  'alarm-input': 'Alarm input',
  pir: 'PIR sensor',
  'scene-change': 'Scene changed',
  face: 'Face',
  plate: 'Licence plate',
  defocus: 'Out of focus',
  'disk-full': 'Disk full',
  'disk-error': 'Disk error',
  'network-down': 'Network down',
  'ip-conflict': 'IP address conflict',
  'illegal-access': 'Illegal login attempt',
  'recording-failure': 'Recording failed',
  'doorbell-ring': 'Doorbell ring',
  'door-open': 'Door opened',
  'door-closed': 'Door closed',
  'door-forced': 'Door forced open',
  'door-open-too-long': 'Door open too long',
  'lock-open': 'Lock opened',
  'lock-closed': 'Lock closed',
  'lock-exception': 'Lock problem',
  'exit-button': 'Exit button pressed',
  'remote-open': 'Opened remotely',
  'invalid-card': 'Invalid card',
  'access-tamper': 'Door station tampered with',
  'access-tamper-restored': 'Door station tamper cleared',
  other: 'Other event',
};

const STATE_WORDS: Record<string, string> = { start: 'started', update: 'continues', end: 'ended' };

export function kindWords(kind: string): string {
  return KIND_WORDS[kind] ?? kind;
}

interface Filters {
  device?: string | undefined;
  channel?: string | undefined;
  kind?: string | undefined;
}

interface Page {
  events: HikEvent[];
  nextBefore: string | null;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function EventsScreen({ query }: { query: URLSearchParams }) {
  const filters: Filters = {
    device: query.get('device') || undefined,
    channel: query.get('channel') || undefined,
    kind: query.get('kind') || undefined,
  };
  const filterKey = `${filters.device ?? ''}|${filters.channel ?? ''}|${filters.kind ?? ''}`;
  const [devices, setDevices] = useState<Device[]>([]);
  const [channels, setChannels] = useState<Channel[]>([]);
  const [events, setEvents] = useState<HikEvent[]>();
  const [nextBefore, setNextBefore] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<string>();
  const [opened, setOpened] = useState<HikEvent>();
  // Pictures announced before the page holding their event arrived (bounded).
  const pictures = useRef(new Map<string, string>());

  useEffect(() => {
    Promise.all([api<Device[]>('GET', '/api/v1/devices'), api<Channel[]>('GET', '/api/v1/channels')])
      .then(([deviceList, channelList]) => {
        setDevices(deviceList);
        setChannels(channelList);
      })
      .catch((failure: unknown) => setError(errorText(failure)));
  }, []);

  useEffect(() => {
    let current = true;
    setEvents(undefined);
    setError(undefined);
    loadPage(filters)
      .then((page) => {
        if (!current) return;
        setEvents(page.events.map((event) => withPicture(event, pictures.current)));
        setNextBefore(page.nextBefore);
      })
      .catch((failure: unknown) => current && setError(errorText(failure)));
    return () => {
      current = false;
    };
  }, [filterKey]);

  const onLive = useCallback(
    (message: LiveMessage) => {
      if (message.type === 'snapshot') {
        const { eventId, snapshotRef } = message.notice;
        remember(pictures.current, eventId, snapshotRef);
        setEvents((list) =>
          list?.some((event) => event.id === eventId)
            ? list.map((event) => (event.id === eventId ? { ...event, snapshotRef } : event))
            : list,
        );
        return;
      }
      const { event } = message;
      if (!matches(event, filters)) return;
      // The picture is only asked for once the gateway says it is saved (the snapshot notice).
      const live = withPicture({ ...event, snapshotRef: null }, pictures.current);
      setEvents((list) => {
        if (!list || list.some((each) => each.id === event.id)) return list;
        const next = [live, ...list];
        if (next.length <= MAX_SHOWN) return next;
        setNextBefore(next[MAX_SHOWN - 1]!.id);
        return next.slice(0, MAX_SHOWN);
      });
    },
    [filterKey],
  );
  useLiveEvents(onLive);

  const loadOlder = async () => {
    if (!nextBefore) return;
    setLoadingOlder(true);
    try {
      const page = await loadPage(filters, nextBefore);
      setEvents((list) => {
        const seen = new Set(list?.map((event) => event.id));
        return [...(list ?? []), ...page.events.filter((event) => !seen.has(event.id))];
      });
      setNextBefore(page.nextBefore);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setLoadingOlder(false);
    }
  };

  const deviceNames = new Map(devices.map((device) => [device.id, device.name]));
  const channelNames = new Map(channels.map((channel) => [channel.id, channel.name]));
  const filtered = Boolean(filters.device || filters.channel || filters.kind);

  return (
    <section class="events-screen">
      <h1>Events</h1>
      <FilterBar filters={filters} devices={devices} channels={channels} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {events === undefined && !error && <p role="status">Loading events…</p>}
      {events?.length === 0 && (
        <div class="card empty">
          {filtered ? (
            <>
              <h2>No events match these filters</h2>
              <p>
                New ones appear here as they happen. <a href={href('events')}>Show all events</a>.
              </p>
            </>
          ) : (
            <>
              <h2>No events yet</h2>
              <p>
                Motion, doorbell rings, doors opening and other alarms from your devices appear here as they
                happen, with a picture when the camera has one.
              </p>
            </>
          )}
        </div>
      )}
      {events && events.length > 0 && (
        <ol class="events" aria-label="Events, newest first">
          {events.map((event) => (
            <EventItem
              key={event.id}
              event={event}
              deviceName={deviceNames.get(event.deviceId)}
              channelName={event.channelId ? channelNames.get(event.channelId) : undefined}
              onOpen={() => setOpened(event)}
            />
          ))}
        </ol>
      )}
      {nextBefore && events && events.length > 0 && (
        <div class="actions">
          <button type="button" class="secondary" onClick={() => void loadOlder()} disabled={loadingOlder}>
            {loadingOlder ? 'Loading…' : 'Older events'}
          </button>
        </div>
      )}
      {opened && (
        <PictureDialog
          event={opened}
          title={describe(opened, deviceNames.get(opened.deviceId), channelNameOf(opened, channelNames))}
          onClose={() => setOpened(undefined)}
        />
      )}
    </section>
  );
}

function channelNameOf(event: HikEvent, names: Map<string, string>): string | undefined {
  return event.channelId ? names.get(event.channelId) : undefined;
}

function FilterBar({
  filters,
  devices,
  channels,
}: {
  filters: Filters;
  devices: Device[];
  channels: Channel[];
}) {
  const set = (change: Filters) => navigate(href('events', { ...filters, ...change }));
  const shownChannels = channels.filter((channel) => !filters.device || channel.deviceId === filters.device);
  return (
    <form class="filters" aria-label="Filter events" onSubmit={(event) => event.preventDefault()}>
      <label>
        Device
        <select
          value={filters.device ?? ''}
          onChange={(event) => {
            const device = event.currentTarget.value || undefined;
            const keepChannel = channels.some(
              (c) => c.id === filters.channel && (!device || c.deviceId === device),
            );
            set({ device, channel: keepChannel ? filters.channel : undefined });
          }}
        >
          <option value="">All devices</option>
          {devices.map((device) => (
            <option key={device.id} value={device.id}>
              {device.name}
            </option>
          ))}
          {filters.device && !devices.some((device) => device.id === filters.device) && (
            <option value={filters.device}>{filters.device}</option>
          )}
        </select>
      </label>
      <label>
        Camera
        <select
          value={filters.channel ?? ''}
          onChange={(event) => set({ channel: event.currentTarget.value || undefined })}
        >
          <option value="">All cameras</option>
          {shownChannels.map((channel) => (
            <option key={channel.id} value={channel.id}>
              {channel.name}
            </option>
          ))}
          {filters.channel && !shownChannels.some((channel) => channel.id === filters.channel) && (
            <option value={filters.channel}>{filters.channel}</option>
          )}
        </select>
      </label>
      <label>
        Kind
        <select
          value={filters.kind ?? ''}
          onChange={(event) => set({ kind: event.currentTarget.value || undefined })}
        >
          <option value="">All kinds</option>
          {Object.entries(KIND_WORDS).map(([kind, words]) => (
            <option key={kind} value={kind}>
              {words}
            </option>
          ))}
        </select>
      </label>
      {(filters.device || filters.channel || filters.kind) && (
        <a class="button secondary" href={href('events')}>
          Clear filters
        </a>
      )}
    </form>
  );
}

interface ItemProps {
  event: HikEvent;
  deviceName: string | undefined;
  channelName: string | undefined;
  onOpen(): void;
}

function EventItem({ event, deviceName, channelName, onOpen }: ItemProps) {
  const what = headline(event);
  const where = [
    deviceName ?? 'Removed device',
    channelName && channelName !== deviceName ? channelName : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  const when = timeFormat.format(new Date(event.at));
  const details = detailWords(event);
  return (
    <li data-event-id={event.id} data-kind={event.kind}>
      {event.snapshotRef ? (
        <button
          type="button"
          class="event-picture"
          onClick={onOpen}
          aria-label={`Show the picture of ${what}, ${when}, larger`}
        >
          <img
            src={pictureUrl(event)}
            alt={`${what} at ${channelName ?? deviceName ?? 'the camera'}`}
            loading="lazy"
            width="128"
            height="72"
          />
        </button>
      ) : (
        <div class="no-picture" aria-hidden="true" />
      )}
      <div class="event-text">
        <p class="event-what">
          <strong>{what}</strong>
          {details && <span class="hint"> · {details}</span>}
        </p>
        <p class="event-where">{where}</p>
        <p class="hint">
          <time dateTime={event.at}>{when}</time>
        </p>
        {event.channelId && (
          <a
            href={href('live', event.channelId)}
            aria-label={`Live view of ${channelName ?? deviceName ?? 'this camera'}`}
          >
            Live view
          </a>
        )}
      </div>
    </li>
  );
}

function PictureDialog({ event, title, onClose }: { event: HikEvent; title: string; onClose(): void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    // A modal <dialog> keeps focus inside, closes on Escape and gives focus back afterwards.
    element.showModal();
    const closed = () => onClose();
    element.addEventListener('close', closed);
    return () => {
      element.removeEventListener('close', closed);
      if (element.open) element.close();
    };
  }, [event.id]);
  return (
    <dialog ref={dialog} class="picture-dialog" aria-label={title}>
      <div class="picture-head">
        <h2>{title}</h2>
        <button type="button" class="secondary small" onClick={() => dialog.current?.close()}>
          Close
        </button>
      </div>
      <img src={pictureUrl(event)} alt={title} />
      {event.channelId && (
        <p>
          <a href={href('live', event.channelId)} onClick={() => dialog.current?.close()}>
            Live view
          </a>
        </p>
      )}
    </dialog>
  );
}

function describe(event: HikEvent, deviceName?: string, channelName?: string): string {
  const where = channelName ?? deviceName;
  return `${headline(event)}${where ? ` at ${where}` : ''}, ${timeFormat.format(new Date(event.at))}`;
}

function headline(event: HikEvent): string {
  const state = STATE_WORDS[event.state];
  return state ? `${kindWords(event.kind)} ${state}` : kindWords(event.kind);
}

/** What kind of target, which door or input: the parts of an event a person cares about. */
function detailWords(event: HikEvent): string {
  const parts: string[] = [];
  if (event.targets.length > 0) parts.push(event.targets.join(', '));
  const region = (event as HikEvent & { region?: number | null }).region;
  if (typeof region === 'number') {
    if (event.kind.startsWith('door') || event.kind.startsWith('lock') || event.kind === 'remote-open')
      parts.push(`door ${region}`);
    else if (event.kind === 'alarm-input') parts.push(`input ${region}`);
  }
  const plate = event.attributes.plate ?? event.attributes.plateNumber;
  if (typeof plate === 'string') parts.push(plate);
  return parts.join(' · ');
}

function pictureUrl(event: HikEvent): string {
  // The ref in the query: a picture saved again (a new ref) is not taken from the cache.
  return `/api/v1/events/${encodeURIComponent(event.id)}/snapshot.jpg?ref=${encodeURIComponent(event.snapshotRef ?? '')}`;
}

function matches(event: HikEvent, filters: Filters): boolean {
  return (
    (!filters.device || event.deviceId === filters.device) &&
    (!filters.channel || event.channelId === filters.channel) &&
    (!filters.kind || event.kind === filters.kind)
  );
}

function loadPage(filters: Filters, before?: string): Promise<Page> {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (filters.device) params.set('deviceId', filters.device);
  if (filters.channel) params.set('channelId', filters.channel);
  if (filters.kind) params.set('kind', filters.kind);
  if (before) params.set('before', before);
  return api<Page>('GET', `/api/v1/events?${params}`);
}

function withPicture(event: HikEvent, pictures: Map<string, string>): HikEvent {
  const ref = pictures.get(event.id);
  return ref && !event.snapshotRef ? { ...event, snapshotRef: ref } : event;
}

function remember(pictures: Map<string, string>, eventId: string, ref: string): void {
  pictures.set(eventId, ref);
  if (pictures.size > MAX_SHOWN) pictures.delete(pictures.keys().next().value!);
}
