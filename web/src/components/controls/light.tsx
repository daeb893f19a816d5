/**
 * A camera's supplement light: its mode (from the modes the camera offers) and its white and
 * infrared brightness. A slider sends its value when let go; what is shown after is what the
 * camera answered.
 */
import { useState } from 'preact/hooks';
import { api, type Channel } from '../../api.ts';
import { enc, Part, Status, useAction, usePart } from './part.tsx';
import type { SupplementLight } from './types.ts';

const MODE_WORDS: Record<string, string> = {
  colorVuWhiteLight: 'White light',
  irLight: 'Infrared',
  eventIntelligence: 'Smart: infrared, white light on events',
  close: 'Off',
};

export const lightModeName = (mode: string): string => MODE_WORDS[mode] ?? mode;

export function LightControls({ channel }: { channel: Channel }) {
  const path = `/api/v1/channels/${enc(channel.id)}/light`;
  const { state, set } = usePart<SupplementLight>(path);
  const action = useAction();
  // Bumped after every change: the sliders go back to what the camera answered (or kept).
  const [round, setRound] = useState(0);
  const change = async (body: Partial<SupplementLight>, words: string) => {
    await action.run(
      `Changing the ${words}…`,
      () => api<SupplementLight>('PUT', path, body),
      (after) => {
        set(after);
        return `The camera says: ${lightModeName(after.mode)}${brightnessWords(after)}.`;
      },
    );
    setRound((n) => n + 1);
  };
  const id = `light-${channel.id}`;
  return (
    <Part title={`Supplement light: ${channel.name}`} id={id} state={state}>
      {(light) => (
        <div class="light">
          {light.modes && light.modes.length > 0 ? (
            <label>
              Light mode
              <select
                value={light.mode}
                disabled={action.busy !== undefined}
                onChange={(event) => void change({ mode: event.currentTarget.value }, 'light mode')}
              >
                {(light.modes.includes(light.mode) ? light.modes : [light.mode, ...light.modes]).map(
                  (mode) => (
                    <option key={mode} value={mode}>
                      {lightModeName(mode)}
                    </option>
                  ),
                )}
              </select>
            </label>
          ) : (
            <p>Light mode: {lightModeName(light.mode)} (the camera offers no other).</p>
          )}
          {light.whiteBrightness !== null && (
            <Brightness
              key={`white-${round}`}
              label="White light brightness"
              value={light.whiteBrightness}
              busy={action.busy !== undefined}
              onCommit={(value) => change({ whiteBrightness: value }, 'white light brightness')}
            />
          )}
          {light.irBrightness !== null && (
            <Brightness
              key={`ir-${round}`}
              label="Infrared brightness"
              value={light.irBrightness}
              busy={action.busy !== undefined}
              onCommit={(value) => change({ irBrightness: value }, 'infrared brightness')}
            />
          )}
          <Status busy={action.busy} outcome={action.outcome} />
        </div>
      )}
    </Part>
  );
}

function brightnessWords(light: SupplementLight): string {
  const parts = [
    light.whiteBrightness !== null ? `white ${light.whiteBrightness} %` : '',
    light.irBrightness !== null ? `infrared ${light.irBrightness} %` : '',
  ].filter(Boolean);
  return parts.length ? `, brightness ${parts.join(', ')}` : '';
}

/** A 0-100 slider with its value in words; sent when let go (or changed by keys). */
function Brightness({
  label,
  value,
  busy,
  onCommit,
}: {
  label: string;
  value: number;
  busy: boolean;
  onCommit: (value: number) => void;
}) {
  const [shown, setShown] = useState(value);
  return (
    <label class="slider">
      <span>
        {label}: <span class="slider-value">{shown} %</span>
      </span>
      <input
        type="range"
        min={0}
        max={100}
        step={1}
        value={shown}
        disabled={busy}
        aria-valuetext={`${shown} %`}
        onInput={(event) => setShown(Number(event.currentTarget.value))}
        onChange={(event) => onCommit(Number(event.currentTarget.value))}
      />
    </label>
  );
}
