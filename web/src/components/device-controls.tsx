/**
 * The device page's controls: per channel its PTZ, detections, supplement light and strobe; for
 * the device its alarm outputs, siren, storage and reboot. The gateway is asked first which parts
 * the device has (`/controls`), then each part for its state, so a part the device lacks is neither
 * asked for nor shown; everything shown is what the device answered. A recorder with many
 * channels shows one channel's controls at a time (each asks the device several things).
 */
import { useRef, useState } from 'preact/hooks';
import type { Channel, Device } from '../api.ts';
import { DetectionControls } from './controls/detections.tsx';
import { SirenControls, StrobeControls } from './controls/deterrence.tsx';
import { LightControls } from './controls/light.tsx';
import { OutputControls } from './controls/outputs.tsx';
import { enc, usePart } from './controls/part.tsx';
import { PtzControls } from './controls/ptz.tsx';
import { RebootControl } from './controls/reboot.tsx';
import { StorageControls } from './controls/storage.tsx';
import type { ControlsAvailability } from './controls/types.ts';
import './device-controls.css';

export function DeviceControls({ device, channels }: { device: Device; channels: Channel[] }) {
  const reachable = useSeenOnline(device);
  return (
    <div class="device-controls" data-controls={device.id}>
      <h2>Controls</h2>
      {!device.enabled ? (
        <p class="hint">{device.name} is disabled: enable it to use its controls.</p>
      ) : !reachable ? (
        <p class="hint" role="status">
          {device.name} is not online yet: its controls show when hikbridge reaches it.
        </p>
      ) : (
        <Parts device={device} channels={channels} />
      )}
      {device.enabled && <RebootControl device={device} />}
    </div>
  );
}

/**
 * Whether the device has been online since the page opened: the parts then stay, also while it
 * reboots (what they show says when a change fails).
 */
function useSeenOnline(device: Device): boolean {
  const seen = useRef(false);
  // A device disabled and enabled again starts afresh.
  if (!device.enabled) seen.current = false;
  else if (device.health?.state === 'online') seen.current = true;
  return seen.current;
}

/** What the device has, then those parts. */
function Parts({ device, channels }: { device: Device; channels: Channel[] }) {
  const { state, reload } = usePart<ControlsAvailability>(`/api/v1/devices/${enc(device.id)}/controls`);
  if (state.kind === 'loading') {
    return (
      <p class="hint" role="status">
        Asking {device.name} which controls it has…
      </p>
    );
  }
  if (state.kind !== 'ready') {
    return (
      <div class="actions">
        <p class="error" role="alert">
          {state.kind === 'failed' ? state.error : `${device.name} cannot be controlled now.`}
        </p>
        <button type="button" class="secondary" onClick={() => void reload()}>
          Ask again
        </button>
      </div>
    );
  }
  const has = state.value;
  return (
    <>
      <ChannelControls channels={channels} has={has} />
      <div class="control-grid">
        <OutputControls device={device} />
        {has.siren && <SirenControls device={device} />}
        <StorageControls device={device} />
      </div>
    </>
  );
}

function ChannelControls({ channels, has }: { channels: Channel[]; has: ControlsAvailability }) {
  const sorted = [...channels].sort((a, b) => a.channelNo - b.channelNo);
  const [chosenId, setChosenId] = useState<string>();
  const chosen = sorted.find((channel) => channel.id === chosenId) ?? sorted[0];
  if (!chosen) return null;
  const parts = has.channels.find((channel) => channel.channelId === chosen.id);
  return (
    <div class="channel-controls">
      {sorted.length > 1 && (
        <label class="channel-picker">
          Channel to control
          <select value={chosen.id} onChange={(event) => setChosenId(event.currentTarget.value)}>
            {sorted.map((channel) => (
              <option key={channel.id} value={channel.id}>
                {channel.channelNo}. {channel.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {/* Keyed by channel: a new channel's parts start afresh (and a held PTZ move stops). */}
      <div class="control-grid" key={chosen.id}>
        {parts?.ptz && <PtzControls channel={chosen} />}
        <DetectionControls channel={chosen} />
        {parts?.light && <LightControls channel={chosen} />}
        {parts?.strobe && <StrobeControls channel={chosen} />}
      </div>
    </div>
  );
}
