/** Doorbell endpoints with state: call status/signal, remote door control, access work status. */
import { XMLValidator } from 'fast-xml-parser';
import type { DeviceContext, RouteRequest } from '../context.ts';
import { dig, rootOf, text } from '../dict.ts';
import { CALL_COMMANDS, type CallCommand } from '../intercom.ts';
import { sendJson, sendStatus, sendXml } from '../respond.ts';
import { childText, toXml } from '../xml.ts';
import type { Route } from './route.ts';

const DEFAULT_DOOR_COMMANDS = ['open', 'close', 'alwaysOpen', 'alwaysClose', 'resume'];

const isDoorbell = (device: DeviceContext): boolean => device.model.profile.kind === 'doorbell';
const hasDoors = (device: DeviceContext): boolean => device.model.doorCount > 0;

function badJson(r: RouteRequest, reason: string): void {
  sendStatus(r, 400, {
    statusCode: 6,
    statusString: 'Invalid Content',
    subStatusCode: 'badJsonContent',
    errorMsg: reason,
  });
}

function parseCallCommand(body: Buffer): CallCommand | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { CallSignal?: { cmdType?: unknown } };
    const cmd = parsed?.CallSignal?.cmdType;
    return CALL_COMMANDS.includes(cmd as CallCommand) ? (cmd as CallCommand) : undefined;
  } catch {
    return undefined;
  }
}

function allowedDoorCommands(r: RouteRequest): string[] {
  const opt = text(
    dig(rootOf(r.device.model.isapi, 'AccessControl/RemoteControl/door/capabilities'), 'cmd', '@opt'),
  );
  return opt ? opt.split(',').map((s) => s.trim()) : DEFAULT_DOOR_COMMANDS;
}

export const doorbellRoutes: Route[] = [
  {
    pattern: /^VideoIntercom\/callStatus$/,
    methods: ['GET'],
    when: isDoorbell,
    handle(r) {
      const status = r.device.intercom.status;
      if (r.json) return sendJson(r.res, 200, { CallStatus: { status } });
      const doc = { CallStatus: { '@version': '2.0', '@xmlns': r.device.model.namespace, status } };
      sendXml(r.res, 200, toXml(doc));
    },
  },
  {
    pattern: /^VideoIntercom\/callSignal$/,
    methods: ['PUT'],
    when: isDoorbell,
    handle(r) {
      const json = { ...r, json: true }; // this endpoint only speaks JSON
      const command = parseCallCommand(r.req.body);
      if (!command)
        return badJson(json, 'expected {"CallSignal":{"cmdType":"answer|hangUp|cancel|reject|bellTimeout"}}');
      if (!r.device.intercom.signal(command)) {
        // Nothing pending for that command: statusCode 4 / noRequest (notes/isapi.md).
        return sendStatus(json, 403, {
          statusCode: 4,
          statusString: 'Invalid Operation',
          subStatusCode: 'noRequest',
        });
      }
      sendStatus(json, 200);
    },
  },
  {
    pattern: /^AccessControl\/RemoteControl\/door\/(\d+)$/,
    methods: ['PUT'],
    when: hasDoors,
    handle(r, match) {
      const door = Number(match[1]);
      const xml = r.req.body.toString('utf8');
      if (XMLValidator.validate(xml) !== true) {
        return sendStatus(r, 400, {
          statusCode: 5,
          statusString: 'Invalid XML Format',
          subStatusCode: 'badXmlFormat',
        });
      }
      const cmd = childText(xml, 'cmd');
      if (!cmd || !allowedDoorCommands(r).includes(cmd)) {
        return sendStatus(r, 400, {
          statusCode: 6,
          statusString: 'Invalid XML Content',
          subStatusCode: 'badXmlContent',
        });
      }
      if (!r.device.intercom.hasDoor(door)) return sendStatus(r, 400);
      r.device.intercom.command(door, cmd);
      // Shape of the captured answer (relay_open.json): ResponseStatus version 1.0.
      const ok = {
        ResponseStatus: {
          '@version': '1.0',
          '@xmlns': r.device.model.namespace,
          requestURL: r.req.target,
          statusCode: '1',
          statusString: 'OK',
          subStatusCode: 'ok',
        },
      };
      sendXml(r.res, 200, toXml(ok));
    },
  },
  {
    pattern: /^AccessControl\/AcsWorkStatus$/,
    methods: ['GET'],
    when: hasDoors,
    handle(r) {
      sendJson(r.res, 200, r.device.intercom.workStatus());
    },
  },
];
