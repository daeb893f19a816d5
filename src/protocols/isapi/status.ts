/**
 * ResponseStatus: how ISAPI reports the outcome of a call, in XML or JSON, sometimes with
 * HTTP 200 and an error inside. Numbers arrive as numbers or strings; both are accepted.
 */
import { int, looksLikeXml, parseXml, text, type XmlNode } from './xml.ts';

export interface ResponseStatus {
  /** 1 OK, 2 busy, 3 device error, 4 invalid operation, 5 bad XML format, 6 bad XML content, 7 reboot needed. */
  statusCode: number;
  statusString?: string;
  subStatusCode?: string;
  errorCode?: number;
  errorMsg?: string;
  requestURL?: string;
}

export const STATUS_OK = 1;
export const STATUS_BUSY = 2;
export const STATUS_DEVICE_ERROR = 3;
export const STATUS_INVALID_OPERATION = 4;
export const STATUS_INVALID_XML_CONTENT = 6;

/** Reads a ResponseStatus out of an XML or JSON body; undefined when the body is something else. */
export function parseResponseStatus(body: string): ResponseStatus | undefined {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{')) return fromJson(trimmed);
  if (looksLikeXml(trimmed)) return fromXml(trimmed);
  return undefined;
}

function fromXml(body: string): ResponseStatus | undefined {
  let doc: ReturnType<typeof parseXml>;
  try {
    doc = parseXml(body);
  } catch {
    return undefined;
  }
  if (doc.root !== 'ResponseStatus') return undefined;
  return fromFields(doc.node);
}

function fromJson(body: string): ResponseStatus | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const record = parsed as Record<string, unknown>;
  const inner = (record.ResponseStatus ?? record) as Record<string, unknown>;
  if (inner.statusCode === undefined) return undefined;
  const asNode: XmlNode = {};
  for (const [key, value] of Object.entries(inner)) {
    if (typeof value === 'string' || typeof value === 'number') asNode[key] = String(value);
  }
  return fromFields(asNode);
}

function fromFields(node: XmlNode): ResponseStatus | undefined {
  const statusCode = int(node, 'statusCode');
  if (statusCode === undefined) return undefined;
  const status: ResponseStatus = { statusCode };
  const statusString = text(node, 'statusString');
  const subStatusCode = text(node, 'subStatusCode');
  const errorCode = int(node, 'errorCode');
  const errorMsg = text(node, 'errorMsg');
  const requestURL = text(node, 'requestURL');
  if (statusString !== undefined) status.statusString = statusString;
  if (subStatusCode !== undefined) status.subStatusCode = subStatusCode;
  if (errorCode !== undefined) status.errorCode = errorCode;
  if (errorMsg !== undefined) status.errorMsg = errorMsg;
  if (requestURL !== undefined) status.requestURL = requestURL;
  return status;
}

export function isOk(status: ResponseStatus): boolean {
  return status.statusCode === STATUS_OK || status.statusCode === 0;
}

/** Short human form: "Invalid Operation (notSupport)". */
export function describeStatus(status: ResponseStatus): string {
  const main = status.statusString ?? `status ${status.statusCode}`;
  const sub = status.subStatusCode && status.subStatusCode !== 'ok' ? ` (${status.subStatusCode})` : '';
  const msg = status.errorMsg && status.errorMsg !== status.subStatusCode ? `: ${status.errorMsg}` : '';
  return `${main}${sub}${msg}`;
}
