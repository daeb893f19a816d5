/** One XML or JSON body -> RawAlert; used by the stream parser and by the push (httpHosts) listener. */
import { kindOfType, sniffKind } from './content-type.ts';
import { extractJson } from './extract-json.ts';
import { type Extracted, extractXml } from './extract-xml.ts';
import type { RawAlert } from './types.ts';

/** Decodes body[start, end) as XML or JSON (per `kind`); UTF-8, a leading BOM ignored. */
export function extractBody(body: Buffer, start: number, end: number, kind: 'xml' | 'json'): Extracted {
  let text = body.toString('utf8', start, end);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return kind === 'xml' ? extractXml(text) : extractJson(text);
}

/** One alert body (XML EventNotificationAlert or JSON), or undefined when it is not a readable alert. */
export function decodeAlertBody(body: Buffer, contentType?: string): RawAlert | undefined {
  const kind = sniffKind(body, 0, body.length) ?? kindOfType(contentType ?? '');
  if (kind !== 'xml' && kind !== 'json') return undefined;
  const result = extractBody(body, 0, body.length, kind);
  return 'alert' in result ? result.alert : undefined;
}
