/**
 * Active deterrence settings: the camera's siren (sound, volume, times it plays) and a channel's
 * strobe (how long and how fast it flashes). They say what happens when a detection linked to
 * them fires (the detections' "what it does"). Saved with a button; shown as read back.
 */
import { useState } from 'preact/hooks';
import { api, type Channel, type Device } from '../../api.ts';
import { enc, Part, Status, useAction, usePart } from './part.tsx';
import type { Range, Siren, Strobe } from './types.ts';

const FREQUENCY_WORDS: Record<string, string> = {
  high: 'Fast',
  medium: 'Medium',
  low: 'Slow',
  normallyOn: 'Steady (no flashing)',
};

const frequencyName = (frequency: string) => FREQUENCY_WORDS[frequency] ?? frequency;

const rangeHint = (range: Range | null, unit = '') =>
  range ? `${range.min}–${range.max}${unit}` : undefined;

export function SirenControls({ device }: { device: Device }) {
  const path = `/api/v1/devices/${enc(device.id)}/siren`;
  const { state, set } = usePart<Siren>(path);
  // Here, not in the form: the form starts afresh from each answer, the words stay.
  const action = useAction();
  return (
    <Part title="Siren" id={`siren-${device.id}`} state={state}>
      {(siren) => (
        <SirenForm key={JSON.stringify(siren)} path={path} siren={siren} onAnswer={set} action={action} />
      )}
    </Part>
  );
}

type Action = ReturnType<typeof useAction>;

function SirenForm({
  path,
  siren,
  onAnswer,
  action,
}: {
  path: string;
  siren: Siren;
  onAnswer: (after: Siren) => void;
  action: Action;
}) {
  const [soundId, setSoundId] = useState(siren.soundId);
  const [volume, setVolume] = useState(siren.volume);
  const [times, setTimes] = useState(siren.times);
  const change: Record<string, number> = {};
  if (soundId !== siren.soundId) change.soundId = soundId;
  if (volume !== null && volume !== siren.volume) change.volume = volume;
  if (times !== null && times !== siren.times) change.times = times;
  const save = () =>
    action.run(
      'Saving the siren settings…',
      () => api<Siren>('PUT', path, change),
      (after) => {
        onAnswer(after);
        const sound =
          after.sounds.find((item) => item.id === after.soundId)?.name ?? `sound ${after.soundId}`;
        return `The camera says: ${sound}, volume ${after.volume ?? 'unknown'}, plays ${after.times ?? '?'} times.`;
      },
    );
  return (
    <form
      class="control-form"
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <p class="hint">What the camera plays when a detection set to sound the siren fires.</p>
      <label>
        Siren sound
        <select value={soundId} onChange={(event) => setSoundId(Number(event.currentTarget.value))}>
          {siren.sounds.map((sound) => (
            <option key={sound.id} value={sound.id}>
              {sound.name ?? `Sound ${sound.id}`}
            </option>
          ))}
        </select>
      </label>
      {volume !== null && (
        <label class="slider">
          <span>
            Siren volume: <span class="slider-value">{volume}</span>
          </span>
          <input
            type="range"
            min={siren.volumeRange?.min ?? 0}
            max={siren.volumeRange?.max ?? 100}
            value={volume}
            onInput={(event) => setVolume(Number(event.currentTarget.value))}
          />
        </label>
      )}
      {times !== null && (
        <label>
          Times the sound plays {rangeHint(siren.timesRange) && `(${rangeHint(siren.timesRange)})`}
          <input
            type="number"
            inputMode="numeric"
            min={siren.timesRange?.min}
            max={siren.timesRange?.max}
            value={times}
            required
            onInput={(event) => setTimes(Number(event.currentTarget.value))}
          />
        </label>
      )}
      <div class="actions">
        <button type="submit" disabled={action.busy !== undefined || Object.keys(change).length === 0}>
          Save siren settings
        </button>
      </div>
      <Status busy={action.busy} outcome={action.outcome} />
    </form>
  );
}

export function StrobeControls({ channel }: { channel: Channel }) {
  const path = `/api/v1/channels/${enc(channel.id)}/strobe`;
  const { state, set } = usePart<Strobe>(path);
  const action = useAction();
  return (
    <Part title={`Strobe light: ${channel.name}`} id={`strobe-${channel.id}`} state={state}>
      {(strobe) => (
        <StrobeForm key={JSON.stringify(strobe)} path={path} strobe={strobe} onAnswer={set} action={action} />
      )}
    </Part>
  );
}

function StrobeForm({
  path,
  strobe,
  onAnswer,
  action,
}: {
  path: string;
  strobe: Strobe;
  onAnswer: (after: Strobe) => void;
  action: Action;
}) {
  const [duration, setDuration] = useState(strobe.duration);
  const [frequency, setFrequency] = useState(strobe.frequency);
  const change: { duration?: number; frequency?: string } = {};
  if (duration !== null && duration !== strobe.duration) change.duration = duration;
  if (frequency !== null && frequency !== strobe.frequency) change.frequency = frequency;
  const frequencies = strobe.frequencies ?? (strobe.frequency ? [strobe.frequency] : []);
  const save = () =>
    action.run(
      'Saving the strobe settings…',
      () => api<Strobe>('PUT', path, change),
      (after) => {
        onAnswer(after);
        return `The camera says: flashes ${after.frequency ? frequencyName(after.frequency).toLowerCase() : '(unknown)'} for ${after.duration ?? '?'} s.`;
      },
    );
  return (
    <form
      class="control-form"
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <p class="hint">
        What the light does when a detection set to flash the strobe fires
        {strobe.scope === 'device' ? ' (one setting for the whole device)' : ''}.
      </p>
      {duration !== null && (
        <label>
          Flashing time in seconds {rangeHint(strobe.durationRange) && `(${rangeHint(strobe.durationRange)})`}
          <input
            type="number"
            inputMode="numeric"
            min={strobe.durationRange?.min}
            max={strobe.durationRange?.max}
            value={duration}
            required
            onInput={(event) => setDuration(Number(event.currentTarget.value))}
          />
        </label>
      )}
      {frequency !== null && frequencies.length > 0 && (
        <label>
          Flashing speed
          <select value={frequency} onChange={(event) => setFrequency(event.currentTarget.value)}>
            {frequencies.map((item) => (
              <option key={item} value={item}>
                {frequencyName(item)}
              </option>
            ))}
          </select>
        </label>
      )}
      <div class="actions">
        <button type="submit" disabled={action.busy !== undefined || Object.keys(change).length === 0}>
          Save strobe settings
        </button>
      </div>
      <Status busy={action.busy} outcome={action.outcome} />
    </form>
  );
}
