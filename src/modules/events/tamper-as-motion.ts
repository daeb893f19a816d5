/**
 * "When the user disables the tamper entity, tamper is reported as motion instead" (the rule of
 * the plugin hikbridge replaces). A doorbell whose case switch trips on wind or a passer-by is
 * more use as a motion sensor than as a tamper alarm: a tamper alarm starts a motion episode and
 * the device's "tamper restored" ends it. The tamper latch is then never set (it follows tamper
 * events only).
 */
import type { EventKind } from '../../core/events.ts';
import type { EntityRecord } from '../../core/store/types.ts';

/** How an alert goes into the episodes: its kind, and whether it starts/updates or ends one. */
export interface AlertReading {
  kind: EventKind;
  /** For lasting kinds: `true` is the device's "active", `false` its "inactive". */
  active: boolean;
}

/**
 * The alert as reported: access-control tamper (1/1028) and tamper restored (1/1029) become
 * motion start and end while the device's tamper sensor is switched off; anything else is
 * unchanged.
 */
export function tamperAsMotion(reading: AlertReading, tamperSensorOn: boolean): AlertReading {
  if (tamperSensorOn) return reading;
  if (reading.kind === 'access-tamper') return { kind: 'motion', active: true };
  if (reading.kind === 'access-tamper-restored') return { kind: 'motion', active: false };
  return reading;
}

/** Whether tamper is reported as tamper: yes unless the device's tamper entity is switched off. */
export function tamperSensorOn(entities: readonly EntityRecord[]): boolean {
  return entities.find((entity) => entity.kind === 'tamper')?.enabled ?? true;
}

/** Logged when the switch changes (and at the start when it is off). */
export function tamperSwitchNote(tamperOn: boolean): string {
  return tamperOn
    ? 'tamper alarms are reported as tamper again (the tamper entity is on)'
    : 'tamper alarms are reported as motion (the tamper entity is off)';
}
