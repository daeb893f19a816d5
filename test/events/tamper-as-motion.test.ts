/** The plugin's rule "when the user disables the tamper entity, tamper is reported as motion". */
import { describe, expect, it } from 'vitest';
import type { EntityRecord } from '../../src/core/store/types.ts';
import { tamperAsMotion, tamperSensorOn } from '../../src/modules/events/tamper-as-motion.ts';

const NOW = '2026-01-01T00:00:00.000Z';

function entity(kind: EntityRecord['kind'], enabled: boolean): EntityRecord {
  return {
    id: kind,
    deviceId: 'dev-1',
    kind,
    key: kind,
    name: kind,
    attributes: {},
    enabled,
    createdAt: NOW,
  };
}

describe('tamper as motion', () => {
  it('turns tamper into motion start and tamper restored into motion end while the sensor is off', () => {
    expect(tamperAsMotion({ kind: 'access-tamper', active: true }, false)).toEqual({
      kind: 'motion',
      active: true,
    });
    // "Restored" comes as an active alert too: it is what ends the motion.
    expect(tamperAsMotion({ kind: 'access-tamper-restored', active: true }, false)).toEqual({
      kind: 'motion',
      active: false,
    });
  });

  it('leaves everything else alone, and tamper too while the sensor is on', () => {
    for (const reading of [
      { kind: 'access-tamper' as const, active: true },
      { kind: 'access-tamper-restored' as const, active: true },
    ]) {
      expect(tamperAsMotion(reading, true)).toEqual(reading);
    }
    for (const reading of [
      { kind: 'tamper' as const, active: true },
      { kind: 'door-open' as const, active: true },
      { kind: 'motion' as const, active: false },
    ]) {
      expect(tamperAsMotion(reading, false)).toEqual(reading);
    }
  });

  it('reads the switch of the tamper entity; a device without one reports tamper as tamper', () => {
    expect(tamperSensorOn([entity('lock', false), entity('tamper', false)])).toBe(false);
    expect(tamperSensorOn([entity('lock', false), entity('tamper', true)])).toBe(true);
    expect(tamperSensorOn([entity('lock', false)])).toBe(true);
    expect(tamperSensorOn([])).toBe(true);
  });
});
