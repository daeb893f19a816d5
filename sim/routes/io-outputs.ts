/**
 * Alarm outputs with state. `System/IO/outputs/{n}/status` is captured (one output on every
 * camera and NVR capture); `PUT System/IO/outputs/{n}/trigger` with
 * `IOPortData/outputState` high|low sets its `ioState` active|inactive. **Invented:** the list
 * `System/IO/outputs` when the profile has none (no camera or NVR capture has it): one
 * `IOOutputPort` with only its `id` per status entry, in the shape of the doorbell capture
 * `test/fixtures/doorbell/other/isapi_system_io_outputs.xml`.
 */
import type { RouteRequest } from '../context.ts';
import { rootOf, text } from '../dict.ts';
import { INVENTED_HEADER } from '../invented.ts';
import { sendOk, sendXml } from '../respond.ts';
import { toXml } from '../xml.ts';
import { serveFixture } from './fixture.ts';
import type { Route } from './route.ts';
import { badContent, readXmlBody } from './xml-body.ts';

export const OUTPUT_LIST_INVENTED =
  'System/IO/outputs: in none of the camera or NVR captures; one IOOutputPort per captured output status, shape of the doorbell capture';

const STATUS_PATH = /^System\/IO\/outputs\/(\d+)\/status$/;

function outputIds(r: RouteRequest): number[] {
  return Object.keys(r.device.model.isapi)
    .map((path) => STATUS_PATH.exec(path)?.[1])
    .filter((id): id is string => id !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

function serveList(r: RouteRequest): void {
  if (r.device.model.isapi[r.path]) {
    serveFixture(r);
    return;
  }
  const namespace = r.device.model.namespace;
  const ports = outputIds(r).map((id) => ({ '@version': '2.0', '@xmlns': namespace, id: String(id) }));
  const doc = {
    IOOutputPortList: {
      '@version': '2.0',
      '@xmlns': namespace,
      ...(ports.length ? { IOOutputPort: ports } : {}),
    },
  };
  sendXml(r.res, 200, toXml(doc), { [INVENTED_HEADER]: OUTPUT_LIST_INVENTED });
}

function trigger(r: RouteRequest, id: string): void {
  const status = rootOf(r.device.model.isapi, `System/IO/outputs/${id}/status`);
  if (!status) {
    serveFixture(r); // 404 notSupport: no such output
    return;
  }
  const sent = readXmlBody(r, 'IOPortData');
  if (!sent) return;
  const state = text(sent.outputState);
  if (state !== 'high' && state !== 'low') {
    badContent(r);
    return;
  }
  status.ioState = state === 'high' ? 'active' : 'inactive';
  sendOk(r);
}

export const ioOutputRoutes: Route[] = [
  { pattern: /^System\/IO\/outputs$/, methods: ['GET'], handle: serveList },
  {
    pattern: /^System\/IO\/outputs\/(\d+)\/trigger$/,
    methods: ['PUT'],
    handle: (r, match) => trigger(r, match[1]!),
  },
];
