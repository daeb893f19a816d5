/** A device's alarm outputs: each one's state as the device answers it, switched on or off. */
import { api, type Device } from '../../api.ts';
import { enc, Part, Status, Switch, useAction, usePart } from './part.tsx';
import type { AlarmOutput } from './types.ts';

export function OutputControls({ device }: { device: Device }) {
  const base = `/api/v1/devices/${enc(device.id)}/outputs`;
  const { state, update } = usePart<AlarmOutput[]>(base);
  // A device that lists none has nothing to show.
  if (state.kind === 'ready' && state.value.length === 0) return null;
  return (
    <Part title="Alarm outputs" id={`outputs-${device.id}`} state={state}>
      {(outputs) => (
        <ul class="control-list">
          {outputs.map((output) => (
            <OutputRow
              key={output.id}
              path={`${base}/${output.id}`}
              output={output}
              onAnswer={(after) =>
                update((list) => list.map((item) => (item.id === after.id ? after : item)))
              }
            />
          ))}
        </ul>
      )}
    </Part>
  );
}

function OutputRow({
  path,
  output,
  onAnswer,
}: {
  path: string;
  output: AlarmOutput;
  onAnswer: (after: AlarmOutput) => void;
}) {
  const action = useAction();
  const name = output.name ? `Output ${output.id} (${output.name})` : `Output ${output.id}`;
  const toggle = (on: boolean) =>
    action.run(
      `Switching ${name} ${on ? 'on' : 'off'}…`,
      () => api<AlarmOutput>('POST', path, { state: on ? 'on' : 'off' }),
      (after) => {
        onAnswer(after);
        return `The device says ${name} is ${after.state}.`;
      },
    );
  return (
    <li data-output={output.id}>
      <div class="row">
        <span class="control-name">{name}</span>
        <Switch label={name} on={output.state === 'on'} busy={action.busy !== undefined} onToggle={toggle} />
      </div>
      <Status busy={action.busy} outcome={action.outcome} />
    </li>
  );
}
