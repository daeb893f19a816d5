/** A dynamic ISAPI endpoint: path pattern (relative to /ISAPI/), methods, and when it exists. */
import type { DeviceContext, RouteRequest } from '../context.ts';

export interface Route {
  pattern: RegExp;
  methods: string[];
  /** The endpoint exists on this device (else the fixture answers, usually 404 notSupport). */
  when?: (device: DeviceContext) => boolean;
  handle: (r: RouteRequest, match: RegExpExecArray) => void | Promise<void>;
}
