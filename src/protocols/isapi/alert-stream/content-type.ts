/** Content-Type handling: the stream's boundary parameter and what kind of body a part holds. */

/**
 * The `boundary` parameter of a multipart Content-Type, unquoted; undefined when absent.
 * Devices that advertise a boundary they do not use are handled by the parser, not here.
 */
export function boundaryFromContentType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const match = /(?:^|;)\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  const value = (match?.[1] ?? match?.[2] ?? '').trim();
  return value === '' ? undefined : value;
}

export type PartKind = 'xml' | 'json' | 'image' | 'unknown';

/**
 * What a part holds, by its first bytes: devices mislabel parts or send no type at all, and
 * sniffing avoids reading the Content-Type of every part. Undefined: ask the Content-Type.
 */
export function sniffKind(body: Buffer, start: number, end: number): PartKind | undefined {
  let i = start;
  while (i < end && isSpaceOrBom(body[i]!)) i++;
  const first = i < end ? body[i] : -1;
  if (first === 0x3c) return 'xml';
  if (first === 0x7b) return 'json';
  if (first === 0xff && body[i + 1] === 0xd8) return 'image';
  return undefined;
}

/** The kind a Content-Type names (when sniffing could not tell). */
export function kindOfType(contentType: string): PartKind {
  const type = contentType.toLowerCase();
  if (type.startsWith('image/')) return 'image';
  if (type.includes('xml')) return 'xml';
  if (type.includes('json')) return 'json';
  return 'unknown';
}

function isSpaceOrBom(byte: number): boolean {
  return (
    byte === 0x20 ||
    byte === 0x0d ||
    byte === 0x0a ||
    byte === 0x09 ||
    byte === 0xef ||
    byte === 0xbb ||
    byte === 0xbf
  );
}

/** The type to report for an image part (a sniffed JPEG may have none). */
export function imageType(contentType: string): string {
  const type = contentType.split(';')[0]!.trim();
  return type === '' ? 'image/jpeg' : type;
}
