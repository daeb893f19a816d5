/**
 * The devices list (kind, model, address, health and the last error in words, kept up to date)
 * and the add-device screen (the form, the doctor's findings before saving, then the fixes).
 */
import { useState } from 'preact/hooks';
import { api, type Device, errorText } from '../api.ts';
import { href } from '../router.ts';
import {
  AddedDevice,
  type DeviceDetail,
  DeviceForm,
  HEALTH_REFRESH_MS,
  HealthText,
  kindName,
  usePolling,
} from './device-form.tsx';
import './devices.css';

export function DevicesScreen() {
  const [devices, setDevices] = useState<Device[]>();
  const [error, setError] = useState<string>();

  usePolling(
    async () => {
      try {
        setDevices(await api<Device[]>('GET', '/api/v1/devices'));
        setError(undefined);
      } catch (failure) {
        setError(errorText(failure));
      }
    },
    HEALTH_REFRESH_MS,
    [],
  );

  return (
    <section class="devices" aria-labelledby="devices-title">
      <header class="row devices-head">
        <h1 id="devices-title">Devices</h1>
        <a class="button" href={href('devices', 'add')}>
          Add a device
        </a>
      </header>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!devices && !error && <p role="status">Loading devices…</p>}
      {devices?.length === 0 && (
        <div class="empty">
          <p>
            No devices yet. Add a Hikvision camera, NVR or doorbell on your network: hikbridge checks it with
            the doctor before saving, then shows its cameras on the live wall.
          </p>
          <p class="hint">
            Cloud cameras come from a <a href={href('cloud')}>HikCentral Connect account</a> instead.
          </p>
        </div>
      )}
      {devices && devices.length > 0 && (
        <ul class="device-list">
          {devices.map((device) => (
            <li key={device.id} class="card" data-device={device.id}>
              <a class="device-name" href={href('devices', device.id)}>
                {device.name}
              </a>
              <span class="device-kind">
                {kindName(device.kind)}
                {device.model ? ` · ${device.model}` : ''}
              </span>
              <span class="device-host">
                {device.host}:{device.port}
                {device.https ? ' (HTTPS)' : ''}
              </span>
              <HealthText device={device} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function AddDeviceScreen() {
  const [added, setAdded] = useState<DeviceDetail>();
  // A new form each time "Add another device" is chosen.
  const [round, setRound] = useState(0);

  if (added) {
    return (
      <AddedDevice
        device={added}
        onAnother={() => {
          setAdded(undefined);
          setRound(round + 1);
        }}
      />
    );
  }
  return (
    <section class="add-device" aria-labelledby="add-title">
      <p>
        <a href={href('devices')}>← Devices</a>
      </p>
      <h1 id="add-title">Add a device</h1>
      <p class="hint">
        A Hikvision camera, NVR/DVR or doorbell on your network. Use an account of the device (admin, or a
        user with live view, events and playback rights).
      </p>
      <DeviceForm key={round} onSaved={setAdded} />
    </section>
  );
}
