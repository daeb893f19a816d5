/**
 * A device's page: what it is, its health and last error in words, its channels (shown on the
 * wall or not, a link to each live view), changing its settings (the add form, prefilled),
 * removing it, probing it again, retrying a refused login, the doctor on demand and its stream
 * fixes. Panels built elsewhere mount here: the device controls (`#controls`) and a doorbell's panel.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, type Channel, errorText } from '../api.ts';
import { DeviceControls } from '../components/device-controls.tsx';
import { DoorbellPanel } from '../components/doorbell-panel.tsx';
import { href, navigate } from '../router.ts';
import {
  type DeviceDetail,
  DeviceDoctor,
  DeviceForm,
  HEALTH_REFRESH_MS,
  HealthText,
  kindName,
  StreamFixes,
  usePolling,
} from './device-form.tsx';
import './devices.css';

export function DeviceScreen({ id }: { id: string }) {
  const [device, setDevice] = useState<DeviceDetail>();
  const [channels, setChannels] = useState<Channel[]>();
  const [error, setError] = useState<string>();
  const [editing, setEditing] = useState(false);
  const path = `/api/v1/devices/${encodeURIComponent(id)}`;

  const reload = async () => {
    try {
      const [next, nextChannels] = await Promise.all([
        api<DeviceDetail>('GET', path),
        api<Channel[]>('GET', `${path}/channels`),
      ]);
      setDevice(next);
      setChannels(nextChannels);
      setError(undefined);
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  usePolling(reload, HEALTH_REFRESH_MS, [id]);

  if (!device) {
    return error ? (
      <section>
        <p>
          <a href={href('devices')}>← Devices</a>
        </p>
        <p class="error" role="alert">
          {error}
        </p>
      </section>
    ) : (
      <p role="status">Loading the device…</p>
    );
  }

  return (
    <section class="device-page" aria-labelledby="device-title" data-device={device.id}>
      <p>
        <a href={href('devices')}>← Devices</a>
      </p>
      <h1 id="device-title">{device.name}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {editing ? (
        <section aria-labelledby="edit-title">
          <h2 id="edit-title">Change settings</h2>
          <DeviceForm
            device={device}
            onSaved={(saved) => {
              setDevice(saved);
              setEditing(false);
              void reload();
            }}
            onCancel={() => setEditing(false)}
          />
        </section>
      ) : (
        <Facts device={device} onEdit={() => setEditing(true)} onChanged={reload} />
      )}

      <ChannelList channels={channels ?? []} onChanged={reload} />

      {/* Mount point: the device controls panel (DeviceControls: PTZ, detections, outputs, lights,
          storage, reboot) is built separately and goes in this section. */}
      <section id="controls" aria-label="Controls">
        <DeviceControls device={device} channels={channels ?? []} />
      </section>

      {device.kind === 'doorbell' && <DoorbellPanel device={device} />}

      <section aria-labelledby="doctor-title">
        <h2 id="doctor-title">Doctor</h2>
        <p class="hint">
          Checks the device for the usual problems: permissions, motion, codecs, clock, storage.
        </p>
        <DeviceDoctor deviceId={device.id} />
      </section>

      <OnDemand label="Look for stream fixes">
        <StreamFixes deviceId={device.id} />
      </OnDemand>

      <RemoveDevice device={device} />
    </section>
  );
}

function Facts({
  device,
  onEdit,
  onChanged,
}: {
  device: DeviceDetail;
  onEdit: () => void;
  onChanged: () => Promise<void>;
}) {
  const path = `/api/v1/devices/${encodeURIComponent(device.id)}`;
  const [busy, setBusy] = useState<string>();
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();

  async function act(words: string, run: () => Promise<string>) {
    setBusy(words);
    setMessage(undefined);
    try {
      setMessage({ ok: true, text: await run() });
      await onChanged();
    } catch (failure) {
      setMessage({ ok: false, text: errorText(failure) });
    } finally {
      setBusy(undefined);
    }
  }

  const refresh = () =>
    act('Asking the device for its channels…', async () => {
      await api('POST', `${path}/refresh`);
      return 'Read the device again: channels and names are up to date.';
    });
  const retryLogin = () =>
    act('Logging in…', async () => {
      const health = await api<{ state: string; lastError: string | null }>('POST', `${path}/retry-login`);
      return health.state === 'online'
        ? 'Logged in: the device is online.'
        : `Tried again: ${health.lastError ?? health.state}`;
    });

  const health = device.health;
  return (
    <section class="card facts" aria-labelledby="facts-title">
      <h2 id="facts-title" class="visually-hidden">
        About this device
      </h2>
      <dl>
        <dt>Health</dt>
        <dd>
          <HealthText device={device} />
          {health?.lastSeen && health.state !== 'online' && (
            <span class="hint"> Last seen {new Date(health.lastSeen).toLocaleString()}.</span>
          )}
          {health?.nextAttemptAt && (
            <span class="hint"> Next try {new Date(health.nextAttemptAt).toLocaleTimeString()}.</span>
          )}
        </dd>
        <dt>Kind</dt>
        <dd>{kindName(device.kind)}</dd>
        <dt>Model</dt>
        <dd>{device.model ?? 'Unknown'}</dd>
        <dt>Firmware</dt>
        <dd>{device.firmwareVersion ?? 'Unknown'}</dd>
        <dt>Serial number</dt>
        <dd>{device.serialNumber ?? 'Unknown'}</dd>
        <dt>Address</dt>
        <dd>
          {device.https ? 'https' : 'http'}://{device.host}:{device.port}
          {device.https && device.tlsFingerprint && (
            <span class="hint">
              {' '}
              Certificate <code class="fingerprint">{device.tlsFingerprint}</code>
            </span>
          )}
        </dd>
        <dt>Login</dt>
        <dd>{device.username}</dd>
      </dl>
      {busy && <p role="status">{busy}</p>}
      {message && (
        <p class={message.ok ? 'ok' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={onEdit}>
          Change settings
        </button>
        <button
          type="button"
          class="secondary"
          onClick={refresh}
          disabled={busy !== undefined || !device.enabled}
        >
          Look for new channels
        </button>
        {health?.state === 'auth-failed' && (
          <button type="button" class="secondary" onClick={retryLogin} disabled={busy !== undefined}>
            Retry login
          </button>
        )}
      </div>
    </section>
  );
}

function ChannelList({ channels, onChanged }: { channels: Channel[]; onChanged: () => Promise<void> }) {
  const [error, setError] = useState<string>();
  // The switch shows the user's choice at once, while the gateway is asked.
  const [pending, setPending] = useState<{ id: string; enabled: boolean }>();
  async function setEnabled(channel: Channel, enabled: boolean) {
    setPending({ id: channel.id, enabled });
    setError(undefined);
    try {
      await api('PATCH', `/api/v1/channels/${encodeURIComponent(channel.id)}`, { enabled });
      await onChanged();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setPending(undefined);
    }
  }
  const shown = (channel: Channel) => (pending?.id === channel.id ? pending.enabled : channel.enabled);
  return (
    <section aria-labelledby="channels-title">
      <h2 id="channels-title">Channels</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {channels.length === 0 ? (
        <p>This device has no camera channels.</p>
      ) : (
        <ul class="channel-list">
          {channels.map((channel) => (
            <li key={channel.id} class="card" data-channel={channel.id}>
              <span class="channel-name">
                {channel.channelNo}. {channel.name}
              </span>
              <span class={`badge ${channel.online ? 'online' : 'offline'}`}>
                {channel.online ? 'Online' : 'Offline'}
              </span>
              <span class="hint">{streamSummary(channel)}</span>
              <label class="inline">
                <input
                  type="checkbox"
                  checked={shown(channel)}
                  disabled={pending !== undefined}
                  onChange={(e) => void setEnabled(channel, e.currentTarget.checked)}
                />
                Show {channel.name} on the live wall
              </label>
              {shown(channel) && (
                <a href={href('live', channel.id)} aria-label={`Watch live: ${channel.name}`}>
                  Watch live
                </a>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function streamSummary(channel: Channel): string {
  return channel.streams
    .map((stream) => {
      const name = ['Main', 'Sub', 'Third'][stream.streamNo - 1] ?? `Stream ${stream.streamNo}`;
      const size = stream.width && stream.height ? ` ${stream.width}×${stream.height}` : '';
      return `${name}: ${stream.codec ?? 'unknown codec'}${size}`;
    })
    .join(' · ');
}

/** Something that asks the device when opened, so the page itself does not. */
function OnDemand({ label, children }: { label: string; children: ComponentChildren }) {
  const [open, setOpen] = useState(false);
  if (open) return <>{children}</>;
  return (
    <div class="actions">
      <button type="button" class="secondary" onClick={() => setOpen(true)}>
        {label}
      </button>
    </div>
  );
}

function RemoveDevice({ device }: { device: DeviceDetail }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  async function remove() {
    setBusy(true);
    setError(undefined);
    try {
      await api('DELETE', `/api/v1/devices/${encodeURIComponent(device.id)}`);
      navigate(href('devices'));
    } catch (failure) {
      setError(errorText(failure));
      setBusy(false);
    }
  }
  return (
    <section class="remove" aria-labelledby="remove-title">
      <h2 id="remove-title">Remove</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {asking ? (
        <div class="card">
          <p>
            Remove “{device.name}” with its channels and entities? Its cameras leave the live wall and Home
            Assistant; the device itself is not changed.
          </p>
          <div class="actions">
            <button type="button" class="danger" onClick={remove} disabled={busy}>
              {busy ? 'Removing…' : `Yes, remove ${device.name}`}
            </button>
            <button type="button" class="secondary" onClick={() => setAsking(false)} disabled={busy}>
              Keep it
            </button>
          </div>
        </div>
      ) : (
        <button type="button" class="danger" onClick={() => setAsking(true)}>
          Remove this device
        </button>
      )}
    </section>
  );
}
