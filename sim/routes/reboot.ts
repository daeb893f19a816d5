/**
 * `PUT System/reboot`: answered OK, then the device is away for `rebootMs` (option, default
 * 3 s): its alertStreams drop and every request meanwhile loses its connection unanswered, the
 * way a restarting device stops answering. Afterwards it answers as before (state kept: a real
 * device keeps its settings across a reboot).
 */
import type { DeviceContext } from '../context.ts';
import { sendOk } from '../respond.ts';
import type { Route } from './route.ts';

/** Until when (ms since epoch) each device is rebooting. */
const rebootingUntil = new WeakMap<DeviceContext, number>();

export function isRebooting(device: DeviceContext): boolean {
  const until = rebootingUntil.get(device);
  return until !== undefined && Date.now() < until;
}

export const rebootRoutes: Route[] = [
  {
    // First in the list: while rebooting nothing answers.
    pattern: /^/,
    methods: ['GET', 'PUT', 'POST', 'DELETE'],
    when: isRebooting,
    handle(r) {
      r.res.destroy();
    },
  },
  {
    pattern: /^System\/reboot$/,
    methods: ['PUT'],
    handle(r) {
      sendOk(r);
      if (r.device.rebootMs <= 0) return;
      rebootingUntil.set(r.device, Date.now() + r.device.rebootMs);
      r.device.alerts.closeAll();
    },
  },
];
