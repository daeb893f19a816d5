/**
 * XML out of xmltodict-style dicts (the fixture format) and the ISAPI ResponseStatus bodies.
 * Devices write one element per line without indentation; we do the same so byte-level client
 * tests see realistic bodies.
 */
import type { XmlDict, XmlValue } from './types.ts';

export const NS_HIKVISION = 'http://www.hikvision.com/ver20/XMLSchema';
export const NS_ISAPI = 'http://www.isapi.org/ver20/XMLSchema';
export const NS_PSIA = 'urn:psialliance-org';
export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
export const XML_CONTENT_TYPE = 'application/xml; charset="UTF-8"';
export const JSON_CONTENT_TYPE = 'application/json; charset="UTF-8"';

export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;');
}

function isDict(value: XmlValue): value is XmlDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function element(name: string, value: XmlValue, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) element(name, item, out);
    return;
  }
  if (value === null) {
    out.push(`<${name}/>`);
    return;
  }
  if (!isDict(value)) {
    out.push(`<${name}>${escapeText(String(value))}</${name}>`);
    return;
  }
  let attrs = '';
  const children: Array<[string, XmlValue]> = [];
  let text: string | undefined;
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith('@')) attrs += ` ${key.slice(1)}="${escapeAttr(String(child))}"`;
    else if (key === '#text') text = String(child);
    else children.push([key, child]);
  }
  if (children.length === 0 && text === undefined) {
    out.push(`<${name}${attrs}/>`);
    return;
  }
  if (children.length === 0) {
    out.push(`<${name}${attrs}>${escapeText(text ?? '')}</${name}>`);
    return;
  }
  out.push(`<${name}${attrs}>`);
  if (text !== undefined) out.push(escapeText(text));
  for (const [key, child] of children) element(key, child, out);
  out.push(`</${name}>`);
}

/** Serialise a document dict (one root key) with the XML declaration. */
export function toXml(doc: XmlDict): string {
  const out: string[] = [];
  for (const [name, value] of Object.entries(doc)) element(name, value, out);
  return `${XML_DECL}${out.join('\n')}\n`;
}

/** The root element's namespace, or the Hikvision one when the document has none. */
export function namespaceOf(doc: XmlDict | undefined): string {
  const root = doc ? Object.values(doc)[0] : undefined;
  if (root && isDict(root) && typeof root['@xmlns'] === 'string') return root['@xmlns'];
  return NS_HIKVISION;
}

export interface StatusInfo {
  statusCode: number;
  statusString: string;
  subStatusCode: string;
}

/** ResponseStatus fields per HTTP status (choices documented in sim/README.md). */
export function statusInfoFor(httpStatus: number): StatusInfo {
  switch (httpStatus) {
    case 400:
      return { statusCode: 6, statusString: 'Invalid XML Content', subStatusCode: 'badParameters' };
    case 403:
      // What a real NVR answered with HTTP 403 for an IO input it does not have.
      return { statusCode: 4, statusString: 'Invalid Operation', subStatusCode: 'invalidOperation' };
    case 404:
      return { statusCode: 4, statusString: 'Invalid Operation', subStatusCode: 'notSupport' };
    case 405:
      return { statusCode: 4, statusString: 'Invalid Operation', subStatusCode: 'methodNotAllowed' };
    case 500:
      return { statusCode: 3, statusString: 'Device Error', subStatusCode: 'deviceError' };
    case 503:
      return { statusCode: 2, statusString: 'Device Busy', subStatusCode: 'deviceBusy' };
  }
  if (httpStatus < 300) return { statusCode: 1, statusString: 'OK', subStatusCode: 'ok' };
  if (httpStatus < 500) {
    return { statusCode: 4, statusString: 'Invalid Operation', subStatusCode: 'invalidOperation' };
  }
  return { statusCode: 3, statusString: 'Device Error', subStatusCode: 'deviceError' };
}

export interface ResponseStatusOptions extends StatusInfo {
  requestURL: string;
  /** JSON answers only: a human-readable reason (devices use errorMsg for this). */
  errorMsg?: string;
  namespace?: string;
  version?: string;
}

export function responseStatusXml(options: ResponseStatusOptions): string {
  const namespace = options.namespace ?? NS_HIKVISION;
  return toXml({
    ResponseStatus: {
      // Captured: version 1.0 in the hikvision.com namespace, 2.0 in the isapi.org one.
      '@version': options.version ?? (namespace === NS_HIKVISION ? '1.0' : '2.0'),
      '@xmlns': namespace,
      requestURL: options.requestURL,
      statusCode: String(options.statusCode),
      statusString: options.statusString,
      subStatusCode: options.subStatusCode,
    },
  });
}

export function responseStatusJson(options: ResponseStatusOptions): string {
  return JSON.stringify({
    requestURL: options.requestURL,
    statusCode: options.statusCode,
    statusString: options.statusString,
    subStatusCode: options.subStatusCode,
    ...(options.errorMsg ? { errorMsg: options.errorMsg } : {}),
  });
}

/** Real body of an NVR answering `Streaming/channels/{id}/picture` for a proxied camera. */
export function badXmlContentPictureBody(requestURL: string): string {
  // Verbatim from test/fixtures/alerts/picture_badXmlContent.xml, requestURL substituted.
  return (
    '<?xml version="1.0" encoding="UTF-8" ?>\n' +
    '<ResponseStatus version="1.0"\n' +
    '  xmlns="http://www.hikvision.com/ver20/XMLSchema">\n' +
    `  <requestURL>${escapeText(requestURL)}</requestURL>\n` +
    '  <statusCode>6</statusCode>\n' +
    '  <statusString>Invalid XML Content</statusString>\n' +
    '  <subStatusCode>badXmlContent</subStatusCode>\n' +
    '</ResponseStatus>\n'
  );
}

/** Real body of a snapshot that the NVR could not take (test/fixtures/alerts/picture_deviceError.xml). */
export function deviceErrorPictureBody(): string {
  return (
    '<?xml version="1.0" encoding="UTF-8" ?>\n' +
    '<ResponseStatus version="2.0"\n' +
    '  xmlns="http://www.isapi.org/ver20/XMLSchema">\n' +
    '  <statusCode>3</statusCode>\n' +
    '  <statusString>Device Error</statusString>\n' +
    '  <subStatusCode>deviceError</subStatusCode>\n' +
    '</ResponseStatus>\n'
  );
}

/** The HTML page devices answer for paths outside /ISAPI/ (captured from a DS-KV8213 doorbell). */
export function htmlNotFound(path: string): string {
  return (
    '<!DOCTYPE html>\n<html><head><title>Document Error: Not Found</title></head>\n' +
    `<body><h2>Access Error: 404 -- Not Found</h2>\n<p>Can't locate document: ${escapeText(path)}</p>\n</body>\n</html>\n`
  );
}

/** Text of a child element by local name (good enough for the small bodies clients PUT). */
export function childText(xml: string, name: string): string | undefined {
  const match = new RegExp(`<(?:[\\w-]+:)?${name}(?:\\s[^>]*)?>([^<]*)</(?:[\\w-]+:)?${name}>`).exec(xml);
  return match?.[1]?.trim();
}
