/**
 * A channel's detections: each switched on or off (the switch shows the state the device answered
 * after the change), and what it does when it fires: notify the surveillance center (without it
 * hikbridge never hears of the event, said in words), sound the siren, flash the strobe.
 */
import { useState } from 'preact/hooks';
import { api, type Channel } from '../../api.ts';
import { enc, Part, Status, Switch, useAction, usePart } from './part.tsx';
import type { Detection, DetectionLinkage } from './types.ts';

const KIND_WORDS: Record<string, string> = {
  motion: 'Motion detection',
  tamper: 'Video tampering',
  intrusion: 'Intrusion',
  'line-crossing': 'Line crossing',
  'region-entrance': 'Region entrance',
  'region-exit': 'Region exit',
  'scene-change': 'Scene change',
};

export function detectionName(kind: string): string {
  return KIND_WORDS[kind] ?? kind;
}

const NOT_NOTIFIED = 'Notify surveillance center is off: hikbridge will not receive these events.';

export function DetectionControls({ channel }: { channel: Channel }) {
  const base = `/api/v1/channels/${enc(channel.id)}/detections`;
  const { state, update } = usePart<Detection[]>(base);
  return (
    <Part title={`Detections: ${channel.name}`} id={`detections-${channel.id}`} state={state}>
      {(detections) =>
        detections.length === 0 ? (
          <p class="hint">This channel has no detections hikbridge can switch.</p>
        ) : (
          <ul class="control-list detections">
            {detections.map((detection) => (
              <DetectionRow
                key={detection.kind}
                base={base}
                detection={detection}
                onAnswer={(after) =>
                  update((list) =>
                    list.map((item) => (item.kind === after.kind ? { ...item, ...after } : item)),
                  )
                }
              />
            ))}
          </ul>
        )
      }
    </Part>
  );
}

function DetectionRow({
  base,
  detection,
  onAnswer,
}: {
  base: string;
  detection: Detection;
  /** What the device answered about this detection (all of it, or just its notify-center). */
  onAnswer: (after: Pick<Detection, 'kind'> & Partial<Detection>) => void;
}) {
  const action = useAction();
  const [open, setOpen] = useState(false);
  const name = detectionName(detection.kind);
  const toggle = (enabled: boolean) =>
    action.run(
      `Switching ${name.toLowerCase()} ${enabled ? 'on' : 'off'}…`,
      () => api<Detection>('PUT', `${base}/${enc(detection.kind)}`, { enabled }),
      (after) => {
        onAnswer(after);
        return after.enabled === enabled
          ? `${name} is ${after.enabled ? 'on' : 'off'}.`
          : `The device kept ${name.toLowerCase()} ${after.enabled ? 'on' : 'off'}.`;
      },
    );
  const panel = `linkage-${base.replace(/[^a-zA-Z0-9-]/g, '')}-${detection.kind}`;
  return (
    <li data-detection={detection.kind}>
      <div class="row">
        <span class="control-name">{name}</span>
        <Switch label={name} on={detection.enabled} busy={action.busy !== undefined} onToggle={toggle} />
        {/* Without a trigger it does nothing when it fires: there is nothing to link. */}
        {detection.notifiesCenter !== null && (
          <button
            type="button"
            class="small link"
            aria-expanded={open}
            aria-controls={panel}
            onClick={() => setOpen(!open)}
          >
            {open ? 'Hide' : 'Show'} what {name.toLowerCase()} does
          </button>
        )}
      </div>
      {detection.notifiesCenter === null && (
        <p class="hint">The device has no alarm actions for {name.toLowerCase()}: it notifies nobody.</p>
      )}
      {detection.enabled && detection.notifiesCenter === false && !open && <p class="warn">{NOT_NOTIFIED}</p>}
      <Status busy={action.busy} outcome={action.outcome} />
      {open && (
        <div id={panel}>
          <LinkageSwitches
            path={`${base}/${enc(detection.kind)}/linkage`}
            name={name}
            onNotify={(notifiesCenter) => onAnswer({ kind: detection.kind, notifiesCenter })}
          />
        </div>
      )}
    </li>
  );
}

function LinkageSwitches({
  path,
  name,
  onNotify,
}: {
  path: string;
  name: string;
  onNotify: (notifiesCenter: boolean | null) => void;
}) {
  const { state, set } = usePart<DetectionLinkage>(path);
  const action = useAction();
  if (state.kind === 'absent') return <p class="hint">The device has no alarm actions for {name}.</p>;
  if (state.kind === 'loading') return <p class="hint">Reading what {name.toLowerCase()} does…</p>;
  if (state.kind === 'failed') {
    return (
      <p class="error" role="alert">
        {state.error}
      </p>
    );
  }
  const linkage = state.value;
  const change = (field: 'notifyCenter' | 'siren' | 'strobe', words: string, on: boolean) =>
    action.run(
      `${on ? 'Switching on' : 'Switching off'}: ${words}…`,
      () => api<DetectionLinkage>('PUT', path, { [field]: on }),
      (after) => {
        set(after);
        onNotify(after.notifyCenter);
        return `${words}: ${after[field] ? 'on' : 'off'}.`;
      },
    );
  const rows: Array<{ field: 'notifyCenter' | 'siren' | 'strobe'; words: string }> = [
    { field: 'notifyCenter', words: 'Notify surveillance center' },
    { field: 'siren', words: 'Sound the siren' },
    { field: 'strobe', words: 'Flash the strobe' },
  ];
  return (
    <fieldset class="linkage">
      <legend>When {name.toLowerCase()} fires</legend>
      {rows.map(({ field, words }) => {
        const value = linkage[field];
        if (value === null) return null;
        return (
          <div class="row" key={field}>
            <span class="control-name">{words}</span>
            <Switch
              label={`${name}: ${words}`}
              on={value}
              busy={action.busy !== undefined}
              onToggle={(on) => change(field, words, on)}
            />
          </div>
        );
      })}
      {linkage.notifyCenter === false && (
        <p class="warn" role="note">
          {NOT_NOTIFIED}
        </p>
      )}
      {linkage.notifyCenter === null && (
        <p class="hint">The device has no trigger for {name.toLowerCase()}: it notifies nobody.</p>
      )}
      <Status busy={action.busy} outcome={action.outcome} />
    </fieldset>
  );
}
