/**
 * The live wall: every enabled camera channel (local and cloud) as a tile playing its sub stream;
 * opening a tile shows its main stream large. Each tile says its state in words.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Channel, type Device, errorText } from '../api.ts';
import { Player, type PlayerState } from '../components/player.tsx';
import { href, navigate } from '../router.ts';

export function WallScreen({ focus }: { focus?: string | undefined }) {
  const [channels, setChannels] = useState<Channel[]>();
  const [devices, setDevices] = useState<Device[]>([]);
  const [error, setError] = useState<string>();

  useEffect(() => {
    Promise.all([api<Channel[]>('GET', '/api/v1/channels'), api<Device[]>('GET', '/api/v1/devices')]).then(
      ([all, allDevices]) => {
        setChannels(all.filter((c) => c.enabled));
        setDevices(allDevices);
      },
      (failure: unknown) => setError(errorText(failure)),
    );
  }, []);

  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!channels) return <p role="status">Loading cameras…</p>;
  if (channels.length === 0) return <EmptyState />;

  const deviceOf = (id: string) => devices.find((d) => d.id === id);
  const countOf = (deviceId: string) => channels.filter((c) => c.deviceId === deviceId).length;
  const opened = focus ? channels.find((c) => c.id === focus) : undefined;
  if (opened) {
    return (
      <OpenedTile
        channel={opened}
        title={tileTitle(opened, deviceOf(opened.deviceId), countOf(opened.deviceId))}
      />
    );
  }
  return (
    <section aria-labelledby="wall-title">
      <h1 id="wall-title" class="visually-hidden">
        Live
      </h1>
      <ul class="wall">
        {channels.map((channel) => (
          <li key={channel.id}>
            <Tile
              channel={channel}
              device={deviceOf(channel.deviceId)}
              channelsOfDevice={countOf(channel.deviceId)}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A one-camera device is named by the user's name for it; an NVR's camera by its own, then the NVR's. */
function tileTitle(channel: Channel, device: Device | undefined, channelsOfDevice: number): string {
  if (!device) return channel.name;
  if (channelsOfDevice <= 1) return device.name;
  return device.name === channel.name ? channel.name : `${channel.name} · ${device.name}`;
}

/** Whether the channel's picture can be asked for: its device (or cloud camera) is online. */
function reachable(channel: Channel, device: Device | undefined): boolean {
  return device ? device.health?.state === 'online' : channel.online;
}

function Tile({
  channel,
  device,
  channelsOfDevice,
}: {
  channel: Channel;
  device: Device | undefined;
  channelsOfDevice: number;
}) {
  const [state, setState] = useState<PlayerState>({ kind: 'connecting' });
  const title = tileTitle(channel, device, channelsOfDevice);
  return (
    <article class="tile" aria-label={title} data-channel={channel.id} data-state={state.kind}>
      <Player
        channelId={channel.id}
        prefer="sub"
        label={title}
        poster={reachable(channel, device)}
        onState={setState}
      />
      <footer>
        <a href={href('live', channel.id)} class="tile-title">
          {title}
        </a>
        <span class={`badge ${state.kind}`}>
          {state.kind === 'live' ? `live · ${state.via}` : state.kind}
        </span>
        {channel.source !== 'cloud' && <KeepWarm channel={channel} title={title} />}
      </footer>
    </article>
  );
}

/**
 * Keeps the tile's stream running in MediaMTX so it starts at once (at the price of one camera
 * stream always on). The pressed state is what the gateway answered.
 */
function KeepWarm({ channel, title }: { channel: Channel; title: string }) {
  const [warm, setWarm] = useState(channel.keepWarm);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  async function toggle() {
    setBusy(true);
    setError(undefined);
    try {
      const updated = await api<Channel>('PATCH', `/api/v1/channels/${encodeURIComponent(channel.id)}`, {
        keepWarm: !warm,
      });
      setWarm(updated.keepWarm);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button
        type="button"
        class="small secondary"
        aria-pressed={warm}
        aria-label={`Keep warm: ${title}`}
        title="Keep this stream running for an instant start (the camera streams all the time)"
        disabled={busy}
        onClick={toggle}
      >
        Keep warm
      </button>
      {error && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

function OpenedTile({ channel, title }: { channel: Channel; title: string }) {
  return (
    <section class="opened" aria-labelledby="opened-title">
      <header class="row">
        <button type="button" class="link" onClick={() => navigate(href('live'))}>
          ← All cameras
        </button>
        <h1 id="opened-title">{title}</h1>
        <a href={href('events', undefined, { channel: channel.id })}>Events</a>
        {channel.source !== 'cloud' && <a href={href('devices', channel.deviceId)}>Device</a>}
      </header>
      <Player channelId={channel.id} prefer="main" label={title} />
    </section>
  );
}

function EmptyState() {
  return (
    <section class="empty" aria-labelledby="empty-title">
      <h1 id="empty-title">No cameras yet</h1>
      <p>
        Add a Hikvision camera, NVR or doorbell on your network, or bring in your HikCentral Connect cloud
        cameras.
      </p>
      <div class="actions">
        <a class="button" href={href('devices', 'add')}>
          Add a device
        </a>
        <a class="button secondary" href={href('cloud')}>
          Connect a HikCentral Connect account
        </a>
      </div>
      <p class="hint">
        Just trying hikbridge? Start it with <code>npx hikbridge start --demo</code> to see simulated devices.
      </p>
    </section>
  );
}
