/**
 * ISAPI XML codec.
 *
 * Devices answer in several namespaces (hikvision.com, isapi.org, std-cgi.com, psialliance v1)
 * and sometimes with prefixes, so everything is read by local name. Values stay strings
 * (serial numbers and ids have leading zeros) and are converted by the accessors below.
 * DTDs are removed before parsing so no entity from the document is ever expanded.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

export type XmlValue = string | XmlNode | XmlValue[];
export interface XmlNode {
  [name: string]: XmlValue;
}

export interface XmlDocument {
  /** Local name of the root element, e.g. `DeviceInfo`. */
  root: string;
  node: XmlNode;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

const DOCTYPE = /<!DOCTYPE[^[>]*(\[[\s\S]*?\])?\s*>/gi;

export class XmlSyntaxError extends Error {}

/** Parses an XML document; throws XmlSyntaxError when there is no element at all. */
export function parseXml(text: string): XmlDocument {
  let parsed: Record<string, unknown>;
  try {
    parsed = parser.parse(text.replace(DOCTYPE, '')) as Record<string, unknown>;
  } catch (error) {
    throw new XmlSyntaxError(`not valid XML: ${(error as Error).message}`);
  }
  const root = Object.keys(parsed).find((key) => !key.startsWith('?') && !key.startsWith('#'));
  if (!root) throw new XmlSyntaxError('no XML element found');
  return { root, node: asNode(parsed[root]) };
}

/** True when the text looks like an XML document (cheap check before parsing). */
export function looksLikeXml(text: string): boolean {
  return /^\s*(<\?xml|<[A-Za-z])/.test(text);
}

/** Empty elements parse as '' and elements with only text as strings; give callers an object always. */
function asNode(value: unknown): XmlNode {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as XmlNode;
  if (typeof value === 'string' && value !== '') return { '#text': value };
  return {};
}

/** First child element with this local name. */
export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  const value = node?.[name];
  if (value === undefined) return undefined;
  return asNode(Array.isArray(value) ? value[0] : value);
}

/** All child elements with this local name (a single element is a list of one). */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const value = node?.[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(asNode);
}

/** Follows a slash-separated path of local names, taking the first element at each step. */
export function descend(node: XmlNode | undefined, path: string): XmlNode | undefined {
  let current = node;
  for (const name of path.split('/')) {
    current = child(current, name);
    if (!current) return undefined;
  }
  return current;
}

/** Text content of a child element (or of `path`), trimmed; undefined when absent or empty. */
export function text(node: XmlNode | undefined, path: string): string | undefined {
  const slash = path.lastIndexOf('/');
  const parent = slash < 0 ? node : descend(node, path.slice(0, slash));
  const value = parent?.[path.slice(slash + 1)];
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first === '' ? undefined : first;
  if (first && typeof first === 'object') {
    const inner = (first as XmlNode)['#text'];
    return typeof inner === 'string' && inner !== '' ? inner : undefined;
  }
  return undefined;
}

/** Integer value of a child element; undefined when absent or not a number. */
export function int(node: XmlNode | undefined, path: string): number | undefined {
  const value = text(node, path);
  if (value === undefined || !/^-?\d+$/.test(value)) return undefined;
  return Number(value);
}

export function bool(node: XmlNode | undefined, path: string): boolean | undefined {
  const value = text(node, path)?.toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** An attribute of the element at `path` (e.g. attr(node, 'doorNo', 'max')). */
export function attr(node: XmlNode | undefined, path: string, name: string): string | undefined {
  const value = descend(node, path)?.[`@${name}`];
  return typeof value === 'string' ? value : undefined;
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  suppressEmptyNode: true,
  format: false,
});

/** Serialises a request body with the namespace ISAPI devices expect. */
export function buildXml(root: string, body: Record<string, unknown>): string {
  const node = { '@version': '2.0', '@xmlns': 'http://www.isapi.org/ver20/XMLSchema', ...body };
  return `<?xml version="1.0" encoding="UTF-8"?>${builder.build({ [root]: node })}`;
}
