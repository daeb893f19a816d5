/**
 * EventNotificationAlert (XML, v1.0 psialliance or v2.0 in any namespace) -> RawAlert without a
 * general XML parser: one pass over the tags with String.indexOf, reading only the handful of
 * local names we need. Namespace prefixes are ignored, standard entities decoded, a bare `&`
 * (seen in the field) is kept as text. Nothing here throws on bad input.
 */
import { clip, EXTRA_FIELDS, emptyAlert, toBool, toFloat, toInt } from './fields.ts';
import type { DetectionInfo, RawAlert } from './types.ts';

export type Extracted = { alert: RawAlert } | { failure: 'malformed' | 'truncated'; detail: string };

// Field codes. Top-level ones are only taken from direct children of the root, so a nested
// <dateTime> in some sub-structure cannot override the alert's own.
const IP = 1;
const MAC = 2;
const CHANNEL = 3;
const DYN_CHANNEL = 4;
const INPUT = 5;
const DYN_INPUT = 6;
const DATE_TIME = 7;
const POST_COUNT = 8;
const EVENT_TYPE = 9;
const EVENT_STATE = 10;
const DESCRIPTION = 11;
const CHANNEL_NAME = 12;
const LAST_TOP = 12;
const RELATION = 13; // DurationList/Duration/relationEvent, any depth
const ENTRY = 14; // DetectionRegionEntry (container)
const RECT = 15; // TargetRect (container)
const REGION = 16;
const TARGET = 17;
const RECT_X = 18;
const RECT_Y = 19;
const RECT_W = 20;
const RECT_H = 21;
const ACCESS = 22; // AccessControllerEvent (container; XML form of the doorbell JSON)
const MAJOR = 23;
const MINOR = 24;
const DOOR = 25;
const SERIAL = 26;
const CURRENT = 27;
const CARD = 28;
const PERSON = 29;
const EXTRA_BASE = 100;

const NAMES: Record<string, number> = {
  ipAddress: IP,
  macAddress: MAC,
  channelID: CHANNEL,
  dynChannelID: DYN_CHANNEL,
  inputIOPortID: INPUT,
  dynInputIOPortID: DYN_INPUT,
  dateTime: DATE_TIME,
  activePostCount: POST_COUNT,
  eventType: EVENT_TYPE,
  eventState: EVENT_STATE,
  eventDescription: DESCRIPTION,
  channelName: CHANNEL_NAME,
  relationEvent: RELATION,
  DetectionRegionEntry: ENTRY,
  TargetRect: RECT,
  regionID: REGION,
  detectionTarget: TARGET,
  X: RECT_X,
  Y: RECT_Y,
  width: RECT_W,
  height: RECT_H,
  AccessControllerEvent: ACCESS,
  majorEventType: MAJOR,
  subEventType: MINOR,
  doorNo: DOOR,
  serialNo: SERIAL,
  currentEvent: CURRENT,
  cardNo: CARD,
  name: PERSON,
};
EXTRA_FIELDS.forEach((name, index) => {
  NAMES[name] = EXTRA_BASE + index;
});

const ROOT = 'EventNotificationAlert';
const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const COLON = 0x3a;
const BANG = 0x21;
const QUESTION = 0x3f;
const QUOTE = 0x22;
const APOS = 0x27;

/**
 * Known names in a small hash table keyed by length, first and last character: a tag name is
 * recognised with one table read and one comparison, without hashing or slicing it first.
 */
const KNOWN = Object.keys(NAMES);
const KNOWN_CODES = KNOWN.map((name) => NAMES[name]!);
const TABLE_BITS = 10;
const HEADS = new Int16Array(1 << TABLE_BITS).fill(-1);
const CHAIN = new Int16Array(KNOWN.length).fill(-1);

function slotOf(length: number, first: number, last: number): number {
  return (
    (Math.imul(length, 0x9e3779b1) ^ Math.imul(first, 0x85ebca6b) ^ Math.imul(last, 0xc2b2ae35)) >>>
    (32 - TABLE_BITS)
  );
}

KNOWN.forEach((name, index) => {
  const slot = slotOf(name.length, name.charCodeAt(0), name.charCodeAt(name.length - 1));
  CHAIN[index] = HEADS[slot]!;
  HEADS[slot] = index;
});

/** s[start...] spells `name` (a plain loop: measured cheaper than startsWith with a position). */
function sameChars(s: string, start: number, name: string): boolean {
  for (let k = name.length - 1; k >= 0; k--) if (s.charCodeAt(start + k) !== name.charCodeAt(k)) return false;
  return true;
}

/** Is s[lt, gt] the end tag `</[prefix:]EventNotificationAlert>`? */
function isRootEnd(s: string, lt: number, gt: number): boolean {
  let end = gt;
  while (end > lt + 2 && s.charCodeAt(end - 1) <= 32) end--;
  const start = end - ROOT.length;
  if (start < lt + 2 || !sameChars(s, start, ROOT)) return false;
  return start === lt + 2 || s.charCodeAt(start - 1) === COLON;
}

/** The code of the element name s[start, end), 0 when it is not one we read. */
function codeOf(s: string, start: number, end: number): number {
  const length = end - start;
  let index = HEADS[slotOf(length, s.charCodeAt(start), s.charCodeAt(end - 1))]!;
  while (index >= 0) {
    const name = KNOWN[index]!;
    if (name.length === length && sameChars(s, start, name)) return KNOWN_CODES[index]!;
    index = CHAIN[index]!;
  }
  return 0;
}

interface Walk {
  alert: RawAlert;
  /** The root element has a namespace prefix: children are read the careful way. */
  prefixed: boolean;
  dynChannel: number | null;
  dynInput: number | null;
  entry: DetectionInfo | null;
  entryDepth: number;
  rect: Array<number | null> | null;
  rectDepth: number;
  access: Record<number, string> | null;
  accessDepth: number;
  /** The body holds a '&' somewhere: only then are texts checked for entities. */
  amp: boolean;
  /** Bit per EXTRA_FIELDS index already taken (first occurrence wins). */
  extrasSeen: number;
}

const WALK: Walk = {
  alert: emptyAlert('xml'),
  prefixed: false,
  dynChannel: null,
  dynInput: null,
  entry: null,
  entryDepth: -1,
  rect: null,
  rectDepth: -1,
  access: null,
  accessDepth: -1,
  amp: false,
  extrasSeen: 0,
};

export function extractXml(s: string): Extracted {
  const root = findRoot(s);
  if (root.end < 0) return { failure: 'malformed', detail: 'no XML element in the part' };
  if (root.name !== ROOT) {
    return { failure: 'malformed', detail: `root element <${root.name}> is not an ${ROOT}` };
  }
  if (root.selfClosing) return { failure: 'malformed', detail: `the ${ROOT} element is empty` };
  // One walk state, reset per body: extraction is synchronous, and this saves an allocation.
  const w = WALK;
  w.alert = emptyAlert('xml');
  w.prefixed = root.prefixed;
  w.dynChannel = null;
  w.dynInput = null;
  w.entry = null;
  w.entryDepth = -1;
  w.rect = null;
  w.rectDepth = -1;
  w.access = null;
  w.accessDepth = -1;
  w.amp = s.indexOf('&') >= 0;
  w.extrasSeen = 0;
  if (!walk(s, root.end, w)) {
    return { failure: 'truncated', detail: `the ${ROOT} element is not closed` };
  }
  return finish(w);
}

interface Root {
  name: string;
  end: number;
  selfClosing: boolean;
  prefixed: boolean;
}

const NOT_FOUND: Root = { name: '', end: -1, selfClosing: false, prefixed: false };

/** The first element: its local name and where its start tag ends. Skips <?xml?> and comments. */
function findRoot(s: string): Root {
  let i = 0;
  for (;;) {
    const lt = s.indexOf('<', i);
    if (lt < 0) return NOT_FOUND;
    const c = s.charCodeAt(lt + 1);
    if (c === QUESTION || c === BANG) {
      i = skipSpecial(s, lt);
      if (i < 0) return NOT_FOUND;
      continue;
    }
    let j = lt + 1;
    let local = j;
    const usual = sameChars(s, j, ROOT); // <EventNotificationAlert without a prefix
    if (usual) j += ROOT.length;
    for (; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d <= 32 || d === GT || d === SLASH) break;
      if (d === COLON) local = j + 1;
    }
    const gt = s.indexOf('>', j);
    if (gt < 0) return NOT_FOUND;
    const name = usual && j === lt + 1 + ROOT.length ? ROOT : s.slice(local, j);
    return { name, end: gt + 1, selfClosing: s.charCodeAt(gt - 1) === SLASH, prefixed: local > lt + 1 };
  }
}

/** Past a <?...?>, <!--...-->, <![CDATA[...]]> or <!...> at lt; -1 when it never ends. */
function skipSpecial(s: string, lt: number): number {
  let close = '>';
  if (s.charCodeAt(lt + 1) === QUESTION) close = '?>';
  else if (s.charCodeAt(lt + 2) === 0x2d && s.charCodeAt(lt + 3) === 0x2d) close = '-->';
  else if (s.startsWith('[CDATA[', lt + 2)) close = ']]>';
  const end = s.indexOf(close, lt + 2);
  return end < 0 ? -1 : end + close.length;
}

/** Where the local part of the name scanned last starts (scanName's second result, no allocation). */
let scannedLocal = 0;

/** End of a tag name that has a prefix or attributes after it; sets scannedLocal. */
function scanName(s: string, from: number, to: number): number {
  let j = from;
  scannedLocal = from;
  for (; j < to; j++) {
    const d = s.charCodeAt(j);
    if (d <= 32 || d === SLASH) break;
    if (d === COLON) scannedLocal = j + 1;
  }
  return j;
}

/**
 * Walks the root's content; true when the root's end tag was reached. Per element it costs two
 * native indexOf calls: whitespace between tags is skipped inline, a known name is recognised by
 * length/first/last character plus one comparison, and a leaf's end tag is jumped over by length.
 */
function walk(s: string, from: number, w: Walk): boolean {
  const n = s.length;
  let depth = 1;
  let i = from;
  for (;;) {
    let lt = i;
    while (lt < n && s.charCodeAt(lt) <= 32) lt++;
    if (s.charCodeAt(lt) !== LT) {
      lt = s.indexOf('<', lt);
      if (lt < 0) return false;
    }
    const c = s.charCodeAt(lt + 1);
    if (c === SLASH) {
      i = s.indexOf('>', lt) + 1;
      if (i === 0) return false; // an end tag cut short
      if (depth === 1) {
        // Only the root's own complete end tag ends the alert; a stray end tag is ignored.
        if (isRootEnd(s, lt, i - 1)) return true;
        continue;
      }
      depth--;
      closeContainers(w, depth);
      continue;
    }
    if (c === QUESTION || c === BANG) {
      i = skipSpecial(s, lt);
      if (i < 0) return false;
      continue;
    }
    const gt = s.indexOf('>', lt + 1);
    if (gt < 0) return false;
    const selfClosing = s.charCodeAt(gt - 1) === SLASH;
    let nameEnd = selfClosing ? gt - 1 : gt;
    let local = lt + 1;
    const last = s.charCodeAt(nameEnd - 1);
    if (w.prefixed || last === QUOTE || last === APOS || last <= 32) {
      nameEnd = scanName(s, local, nameEnd); // attributes, a prefix or spaces in the tag
      local = scannedLocal;
    }
    const code = nameEnd > local ? codeOf(s, local, nameEnd) : 0;
    if (selfClosing) {
      if (code !== 0) leaf(w, code, '', depth); // <activePostCount/>
      i = gt + 1;
      continue;
    }
    const next = s.indexOf('<', gt + 1);
    if (next < 0) return false;
    if (s.charCodeAt(next + 1) === SLASH) {
      // A leaf: <name>text</name>. Its end tag mirrors the start tag; depth does not change.
      if (code !== 0) leaf(w, code, s.slice(gt + 1, next), depth);
      const closeEnd = next + 1 + (nameEnd - lt);
      i = s.charCodeAt(closeEnd) === GT ? closeEnd + 1 : s.indexOf('>', next) + 1;
      if (i === 0) return false;
      continue;
    }
    if (code !== 0 && s.startsWith('<![CDATA[', next)) {
      const end = s.indexOf(']]>', next);
      if (end < 0) return false;
      leaf(w, code, s.slice(next + 9, end), depth);
    }
    depth++;
    if (code === ENTRY || code === RECT || code === ACCESS) openContainer(w, code, depth);
    i = next;
  }
}

function openContainer(w: Walk, code: number, depth: number): void {
  if (code === ENTRY && w.entry === null) {
    w.entry = { regionId: null, target: null, rect: null };
    w.entryDepth = depth;
  } else if (code === RECT && w.entry !== null && w.rect === null) {
    w.rect = [null, null, null, null];
    w.rectDepth = depth;
  } else if (code === ACCESS && depth === 2 && w.access === null) {
    w.access = {};
    w.accessDepth = depth;
  }
}

function closeContainers(w: Walk, depth: number): void {
  if (w.rect !== null && depth < w.rectDepth) {
    const [x, y, width, height] = w.rect;
    if (w.entry && x != null && y != null && width != null && height != null) {
      w.entry.rect = { x, y, width, height };
    }
    w.rect = null;
  }
  if (w.entry !== null && depth < w.entryDepth) {
    w.alert.detections.push(w.entry);
    w.entry = null;
  }
  if (w.access !== null && depth < w.accessDepth) w.accessDepth = Number.POSITIVE_INFINITY;
}

function leaf(w: Walk, code: number, raw: string, depth: number): void {
  const text = clean(raw, w.amp);
  if (code <= LAST_TOP) {
    if (depth === 1) top(w, code, text);
  } else if (code === RELATION) {
    w.alert.relationEvent ??= text === '' ? null : text;
  } else if (code <= TARGET) {
    if (w.entry !== null && depth === w.entryDepth) {
      if (code === REGION) w.entry.regionId ??= toInt(text);
      else if (code === TARGET && text !== '') w.entry.target ??= text.toLowerCase();
    }
  } else if (code <= RECT_H) {
    if (w.rect !== null && depth === w.rectDepth) w.rect[code - RECT_X] = toFloat(text);
  } else if (code < EXTRA_BASE) {
    if (w.access !== null && depth === w.accessDepth && !(code in w.access)) w.access[code] = text;
  } else {
    extra(w, code - EXTRA_BASE, text);
  }
}

function top(w: Walk, code: number, text: string): void {
  const a = w.alert;
  const value = text === '' ? null : text;
  switch (code) {
    case IP:
      a.ipAddress ??= value;
      break;
    case MAC:
      a.macAddress ??= value;
      break;
    case CHANNEL:
      a.channelId ??= toInt(text);
      break;
    case DYN_CHANNEL:
      w.dynChannel ??= toInt(text);
      break;
    case INPUT:
      a.inputPortId ??= toInt(text);
      break;
    case DYN_INPUT:
      w.dynInput ??= toInt(text);
      break;
    case DATE_TIME:
      a.dateTime ??= value;
      break;
    case POST_COUNT:
      a.activePostCount ??= toInt(text);
      break;
    case EVENT_TYPE:
      if (a.eventType === '') a.eventType = text;
      break;
    case EVENT_STATE:
      if (value !== null) a.eventState = value.toLowerCase();
      break;
    case DESCRIPTION:
      a.description ??= value;
      break;
    case CHANNEL_NAME:
      a.channelName ??= value;
      break;
  }
}

function extra(w: Walk, index: number, text: string): void {
  const bit = 1 << index;
  if (text === '' || (w.extrasSeen & bit) !== 0) return;
  w.extrasSeen |= bit;
  w.alert.extra[EXTRA_FIELDS[index]!] = clip(text);
}

function finish(w: Walk): Extracted {
  const a = w.alert;
  if (a.eventType === '') return { failure: 'malformed', detail: 'the alert has no eventType' };
  a.channelId ??= w.dynChannel;
  a.inputPortId ??= w.dynInput;
  if (w.entry !== null) a.detections.push(w.entry);
  const access = w.access;
  if (access !== null) {
    const major = toInt(access[MAJOR]);
    const minor = toInt(access[MINOR]);
    if (major !== null && minor !== null) {
      a.access = {
        major,
        minor,
        door: toInt(access[DOOR]),
        serialNo: toInt(access[SERIAL]),
        currentEvent: toBool(access[CURRENT]),
        cardNo: access[CARD] || null,
        name: access[PERSON] || null,
      };
    }
  }
  return { alert: a };
}

/** Trimmed text with entities decoded; the fast path (no '&', no padding) allocates nothing new. */
function clean(raw: string, amp: boolean): string {
  const text = amp && raw.indexOf('&') >= 0 ? decodeEntities(raw) : raw;
  const n = text.length;
  if (n === 0 || (text.charCodeAt(0) > 32 && text.charCodeAt(n - 1) > 32)) return text;
  return text.trim();
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Standard and numeric entities; anything else (a bare `&`, an unknown name) stays as sent. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);/g, (whole, ref: string) => {
    if (ref.charCodeAt(0) !== 0x23) return ENTITIES[ref] ?? whole;
    const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}
