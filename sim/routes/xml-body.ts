/** Reading XML request bodies of PUTs the way devices do: one parser, the same 400 answers. */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { RouteRequest } from '../context.ts';
import { isDict } from '../dict.ts';
import { sendStatus } from '../respond.ts';
import type { XmlDict, XmlValue } from '../types.ts';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** Devices answer malformed XML with 400 statusCode 5 and a wrong root with statusCode 6. */
export function badContent(r: RouteRequest, subStatusCode = 'badXmlContent'): void {
  sendStatus(r, 400, { statusCode: 6, statusString: 'Invalid XML Content', subStatusCode });
}

/**
 * The root element `root` of the body, or undefined after answering 400. `withElements`: an
 * empty root (`<StreamingChannel/>`) is refused as bad content too.
 */
export function readXmlBody(r: RouteRequest, root: string, withElements = false): XmlDict | undefined {
  const xml = r.req.body.toString('utf8');
  if (/<!DOCTYPE/i.test(xml) || XMLValidator.validate(xml) !== true) {
    sendStatus(r, 400, { statusCode: 5, statusString: 'Invalid XML Format', subStatusCode: 'badXmlFormat' });
    return undefined;
  }
  const node = (parser.parse(xml) as Record<string, XmlValue>)[root];
  if (node === undefined || (withElements && !isDict(node))) {
    badContent(r);
    return undefined;
  }
  return isDict(node) ? node : {};
}
