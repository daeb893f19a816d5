/** Response helpers shared by the routes. */
import type { RouteRequest } from './context.ts';
import type { HttpResponse } from './http/connection.ts';
import {
  JSON_CONTENT_TYPE,
  responseStatusJson,
  responseStatusXml,
  type StatusInfo,
  statusInfoFor,
  XML_CONTENT_TYPE,
} from './xml.ts';

/** `extra` headers: e.g. the invented-data marker (sim/invented.ts). */
export function sendXml(
  res: HttpResponse,
  status: number,
  xml: string,
  extra: Record<string, string> = {},
): void {
  res.send(status, { 'Content-Type': XML_CONTENT_TYPE, ...extra }, xml);
}

export function sendJson(
  res: HttpResponse,
  status: number,
  value: unknown,
  extra: Record<string, string> = {},
): void {
  res.send(status, { 'Content-Type': JSON_CONTENT_TYPE, ...extra }, JSON.stringify(value));
}

/** A ResponseStatus in the format the client asked for (JSON with format=json, else XML). */
export function sendStatus(
  r: RouteRequest,
  httpStatus: number,
  info: Partial<StatusInfo> & { errorMsg?: string } = {},
): void {
  const options = {
    ...statusInfoFor(httpStatus),
    ...info,
    requestURL: r.req.target,
    namespace: r.device.model.namespace,
  };
  if (r.json) r.res.send(httpStatus, { 'Content-Type': JSON_CONTENT_TYPE }, responseStatusJson(options));
  else sendXml(r.res, httpStatus, responseStatusXml(options));
}

export function sendOk(r: RouteRequest): void {
  sendStatus(r, 200);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
