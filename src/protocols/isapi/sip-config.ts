/**
 * A doorbell's SIP settings over ISAPI (notes/isapi.md, "Doorbells"; sip-doorbell.md, the
 * emulated proxy mode): the SIP server it registers to (`System/Network/SIP/1`, or the list form
 * `System/Network/SIP` on firmware without the single one), the phone numbers a room calls
 * (`VideoIntercom/PhoneNumberRecords`, JSON), the room a call button calls
 * (`VideoIntercom/keyCfg/{button}`) and the ring/talk times (`VideoIntercom/operationTime`).
 *
 * Pure protocol: typed calls over an IsapiClient, no application state. Inputs are checked before
 * anything is sent (SipSettingInputError). XML settings are written read-modify-write in the
 * device's own namespace, keeping every element the device returned that we do not understand,
 * so a write never clears a setting hikbridge does not know. An endpoint the device lacks gives
 * SipSettingUnsupportedError, whose message tells the user what to set in the web page instead.
 * The SIP password is write-only: never read back, never in an error message.
 */
import { randomUUID } from 'node:crypto';
import type { IsapiClient } from './client.ts';
import { InvalidResponseError, IsapiStatusError, isAbsentEndpoint, NotSupportedError } from './errors.ts';
import {
  bool,
  child,
  children,
  int,
  parseXml,
  text,
  type XmlDocument,
  type XmlNode,
  XmlSyntaxError,
  type XmlValue,
} from './xml.ts';

const SIP_PATH = '/ISAPI/System/Network/SIP';
const PHONE_RECORDS_PATH = '/ISAPI/VideoIntercom/PhoneNumberRecords';
const PHONE_SEARCH_PATH = '/ISAPI/VideoIntercom/PhoneNumberRecords/phoneSearch';
const OPERATION_TIME_PATH = '/ISAPI/VideoIntercom/operationTime';
const keyCfgPath = (button: number): string => `/ISAPI/VideoIntercom/keyCfg/${button}`;

/** Numbers one room may call (a bound of ours; the doorbell web pages offer a few). */
export const MAX_PHONE_NUMBERS = 16;
/** Pages of a phone record search: 9999 rooms at 30 a page fit. */
const MAX_SEARCH_PAGES = 400;
const SEARCH_PAGE_SIZE = 30;

// --- errors -------------------------------------------------------------------------------------

export type SipSetting = 'sipServer' | 'phoneNumberRecords' | 'keyCfg' | 'operationTime';

const WHAT: Record<SipSetting, string> = {
  sipServer: 'SIP server settings',
  phoneNumberRecords: 'phone number records',
  keyCfg: 'call button settings',
  operationTime: 'ring and talk times',
};

const INSTEAD: Record<SipSetting, string> = {
  sipServer:
    'enable SIP, enter the SIP server address and port it should register to, and its own phone number as user name and authentication ID',
  phoneNumberRecords: 'add a phone number record for the room, with the number it should call',
  keyCfg: 'make the call button call the room',
  operationTime: 'set the maximum ring time and talk time (Call Settings)',
};

/** The doorbell offers this setting not at all over ISAPI (or not in the form we need). */
export class SipSettingUnsupportedError extends NotSupportedError {
  readonly setting: SipSetting;

  constructor(host: string, path: string, setting: SipSetting, detail?: string) {
    super(host, path);
    this.setting = setting;
    const why = detail ?? `${path.split('?')[0]} is not supported`;
    this.message =
      `${host} has no ${WHAT[setting]} over ISAPI (${why}). ` +
      `Set it up in the doorbell's web page instead: ${INSTEAD[setting]}.`;
  }
}

/** A value given to a write was refused before anything was sent to the device. */
export class SipSettingInputError extends RangeError {
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = 'SipSettingInputError';
    this.field = field;
  }
}

/** Runs a call and turns "no such endpoint" into the setting's unsupported error. */
async function orUnsupported<T>(
  client: IsapiClient,
  path: string,
  setting: SipSetting,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isAbsentEndpoint(error)) throw new SipSettingUnsupportedError(client.host, path, setting);
    throw error;
  }
}

// --- input checks -------------------------------------------------------------------------------

function fail(field: string, message: string): never {
  throw new SipSettingInputError(field, message);
}

function checkInt(value: unknown, field: string, min: number, max: number, what = 'a whole number'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `${field} must be ${what} ${min}-${max} (got ${JSON.stringify(value)})`);
  }
  return value;
}

const checkPort = (value: unknown, field: string): number =>
  checkInt(value, field, 1, 65535, 'a port number');

function checkText(value: unknown, field: string, pattern: RegExp, rule: string, secret = false): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    fail(field, `${field} must be ${rule}${secret ? '' : ` (got ${JSON.stringify(value)})`}`);
  }
  return value;
}

/** A room number 1-9999, as the device writes it (no leading zeros). */
export function checkRoomNo(value: unknown, field = 'roomNo'): string {
  const digits = typeof value === 'number' ? String(value) : value;
  if (typeof digits !== 'string' || !/^\d{1,4}$/.test(digits) || Number(digits) < 1) {
    fail(field, `${field} must be a room number 1-9999 (got ${JSON.stringify(value)})`);
  }
  return String(Number(digits));
}

/** A SIP phone number: digits only, at most 32. */
export function checkPhoneNumber(value: unknown, field = 'phoneNumber'): string {
  return checkText(value, field, /^\d{1,32}$/, 'a phone number of 1-32 digits');
}

export function checkButton(value: unknown): number {
  return checkInt(value, 'button', 1, 99, 'a button number');
}

// --- XML documents, read-modify-write --------------------------------------------------------------

interface DeviceDocument extends XmlDocument {
  /** The root's namespace as the device wrote it; a rewrite goes back in it. */
  namespace: string | undefined;
}

async function getDocument(client: IsapiClient, path: string): Promise<DeviceDocument> {
  const response = await client.call({ method: 'GET', path });
  const body = response.body.toString('utf8');
  let doc: XmlDocument;
  try {
    doc = parseXml(body);
  } catch (error) {
    throw new InvalidResponseError(
      client.host,
      path,
      error instanceof XmlSyntaxError ? error.message : 'not XML',
    );
  }
  return { ...doc, namespace: rootNamespace(body, doc.root) };
}

/** The parser drops namespace declarations; the root's is read from the text. */
function rootNamespace(body: string, root: string): string | undefined {
  const open = new RegExp(`<(?:[\\w.-]+:)?${root}(\\s[^>]*)?>`).exec(body);
  return open?.[1] ? /\sxmlns(?::[\w.-]+)?\s*=\s*"([^"]*)"/.exec(open[1])?.[1] : undefined;
}

async function putDocument(client: IsapiClient, path: string, doc: DeviceDocument): Promise<void> {
  const node: XmlNode = doc.namespace ? { ...doc.node, '@xmlns': doc.namespace } : doc.node;
  await client.sendXml('PUT', path, doc.root, node);
}

/**
 * `existing` with `values` written in: elements keep their place, a new one goes after the
 * nearest element before it in `order` (devices list them in that order), `drop` is left out.
 * Everything else the device sent stays as it was.
 */
function merge(
  existing: XmlNode,
  order: readonly string[],
  values: Record<string, XmlValue | undefined>,
  drop: readonly string[] = [],
): XmlNode {
  const keys = Object.keys(existing).filter((key) => !drop.includes(key));
  order.forEach((key, index) => {
    if (values[key] === undefined || keys.includes(key)) return;
    let at = -1;
    for (let before = index - 1; before >= 0 && at < 0; before--) at = keys.indexOf(order[before]!);
    if (at < 0) at = keys.findIndex((k) => !k.startsWith('@')) - 1;
    keys.splice(at < -1 ? keys.length : at + 1, 0, key);
  });
  const out: XmlNode = {};
  for (const key of keys) out[key] = values[key] ?? existing[key]!;
  return out;
}

// --- SIP server ---------------------------------------------------------------------------------

export interface SipServerSettings {
  id: number;
  enabled: boolean;
  /** The proxy/registrar the doorbell registers to ('' = none). */
  proxy: string;
  /** 0 when the device did not say. */
  proxyPort: number;
  /** The doorbell's own SIP port; 0 when the device did not say. */
  localPort: number;
  displayName: string;
  /** The doorbell's phone number (the user part it registers and calls from). */
  userName: string;
  authId: string;
  /** REGISTER expiry in seconds; 0 when the device did not say. */
  expires: number;
  /** `Standard/registerStatus` as the device words it (e.g. `registered`, `true`); null when absent. */
  registerStatus: string | null;
  /** Whether a password is set, when the device tells (the password itself is never read). */
  passwordSet?: boolean;
}

/** What to change; anything left out keeps the device's value (a left-out password too). */
export interface SipServerWrite {
  id?: number;
  enabled?: boolean;
  proxy?: string;
  proxyPort?: number;
  localPort?: number;
  displayName?: string;
  userName?: string;
  authId?: string;
  password?: string;
  expires?: number;
}

export type SipServerForm = 'single' | 'list';

interface LoadedServer {
  form: SipServerForm;
  doc: DeviceDocument;
  /** The SIPServer element; undefined when the list has none with that id. */
  server: XmlNode | undefined;
}

const SERVER_ORDER = ['id', 'localPort', 'streamID', 'Standard'] as const;
const STANDARD_ORDER = [
  'enabled',
  'proxy',
  'proxyPort',
  'displayName',
  'userName',
  'authID',
  'password',
  'expires',
] as const;

/** The single form, else the list form; the unsupported error when the device has neither. */
async function loadSipServer(client: IsapiClient, id: number): Promise<LoadedServer> {
  const single = `${SIP_PATH}/${id}`;
  try {
    const doc = await getDocument(client, single);
    return { form: 'single', doc, server: intercomServer(client, single, doc.node) };
  } catch (error) {
    if (!isAbsentEndpoint(error)) throw error;
  }
  const doc = await orUnsupported(client, SIP_PATH, 'sipServer', () => getDocument(client, SIP_PATH));
  const servers = children(doc.node, 'SIPServer');
  for (const server of servers) intercomServer(client, SIP_PATH, server);
  return { form: 'list', doc, server: servers.find((s) => text(s, 'id') === String(id)) };
}

/**
 * The intercom SIP settings have a `Standard` section. Cameras answer the same path with their
 * GB28181 platform access, which is something else entirely: never rewrite that.
 */
function intercomServer(client: IsapiClient, path: string, server: XmlNode): XmlNode {
  if (!child(server, 'Standard')) {
    const detail = `${path} holds no intercom SIP server (no Standard section; GB28181 platform access?)`;
    throw new SipSettingUnsupportedError(client.host, path, 'sipServer', detail);
  }
  return server;
}

function readSettings(id: number, server: XmlNode): SipServerSettings {
  const standard = child(server, 'Standard');
  const settings: SipServerSettings = {
    id: int(server, 'id') ?? id,
    enabled: bool(standard, 'enabled') ?? false,
    proxy: text(standard, 'proxy') ?? '',
    proxyPort: int(standard, 'proxyPort') ?? 0,
    localPort: int(server, 'localPort') ?? 0,
    displayName: text(standard, 'displayName') ?? '',
    userName: text(standard, 'userName') ?? '',
    authId: text(standard, 'authID') ?? '',
    expires: int(standard, 'expires') ?? 0,
    registerStatus: text(standard, 'registerStatus') ?? text(server, 'registerStatus') ?? null,
  };
  if (standard?.password !== undefined) settings.passwordSet = text(standard, 'password') !== undefined;
  return settings;
}

/** The doorbell's SIP server `id` (1 on doorbells). Never returns the password. */
export async function readSipServer(client: IsapiClient, id = 1): Promise<SipServerSettings> {
  checkInt(id, 'id', 1, 99);
  const loaded = await loadSipServer(client, id);
  if (!loaded.server) {
    throw new InvalidResponseError(client.host, SIP_PATH, `the SIP server list has no server ${id}`);
  }
  return readSettings(id, loaded.server);
}

function checkSipServer(settings: SipServerWrite): {
  server: Record<string, string>;
  standard: Record<string, string>;
} {
  const server: Record<string, string> = {};
  const standard: Record<string, string> = {};
  const s = settings;
  if (s.localPort !== undefined) server.localPort = String(checkPort(s.localPort, 'localPort'));
  if (s.enabled !== undefined) {
    if (typeof s.enabled !== 'boolean') fail('enabled', 'enabled must be true or false');
    standard.enabled = String(s.enabled);
  }
  if (s.proxy !== undefined)
    standard.proxy = checkText(s.proxy, 'proxy', /^[A-Za-z0-9.:[\]-]{0,128}$/, 'a host name or IP address');
  if (s.proxyPort !== undefined) standard.proxyPort = String(checkPort(s.proxyPort, 'proxyPort'));
  if (s.displayName !== undefined)
    standard.displayName = checkText(
      s.displayName,
      'displayName',
      /^[^\p{Cc}]{0,32}$/u,
      'at most 32 characters',
    );
  const user = /^[A-Za-z0-9._~+-]{1,32}$/;
  const userRule = '1-32 letters, digits or . _ ~ + -';
  if (s.userName !== undefined) standard.userName = checkText(s.userName, 'userName', user, userRule);
  if (s.authId !== undefined) standard.authID = checkText(s.authId, 'authId', user, userRule);
  if (s.password !== undefined)
    standard.password = checkText(s.password, 'password', /^[^\p{Cc}]{1,64}$/u, '1-64 characters', true);
  if (s.expires !== undefined) standard.expires = String(checkInt(s.expires, 'expires', 1, 86400, 'seconds'));
  return { server, standard };
}

/**
 * Writes the doorbell's SIP server: read, change what `settings` gives, write back in the form
 * the device offers (single, else list). Resolves the form used.
 */
export async function writeSipServer(client: IsapiClient, settings: SipServerWrite): Promise<SipServerForm> {
  const id = checkInt(settings.id ?? 1, 'id', 1, 99);
  const values = checkSipServer(settings);
  const loaded = await loadSipServer(client, id);
  const existing = loaded.server ?? { id: String(id) };
  const standard = merge(child(existing, 'Standard') ?? {}, STANDARD_ORDER, values.standard, [
    'registerStatus',
  ]);
  const server = merge(existing, SERVER_ORDER, { ...values.server, Standard: standard }, ['registerStatus']);
  if (loaded.form === 'single') {
    await putDocument(client, `${SIP_PATH}/${id}`, { ...loaded.doc, node: server });
    return 'single';
  }
  const servers = children(loaded.doc.node, 'SIPServer');
  const list = loaded.server ? servers.map((s) => (s === loaded.server ? server : s)) : [...servers, server];
  const node = merge(loaded.doc.node, ['SIPServer'], { SIPServer: list.length === 1 ? list[0] : list });
  await putDocument(client, SIP_PATH, { ...loaded.doc, node });
  return 'list';
}

// --- phone number records -----------------------------------------------------------------------

export interface PhoneNumberRecord {
  roomNo: string;
  phoneNumbers: string[];
  /** The device's record id, when its search shows one. */
  id?: string;
}

/** The device refused a new record because the room has one (its words vary: `...AlreadyExist`). */
function recordExists(error: unknown): boolean {
  if (!(error instanceof IsapiStatusError) || !error.status) return false;
  const { subStatusCode = '', errorMsg = '', statusString = '' } = error.status;
  return /already\s*exist|duplicat/i.test(`${subStatusCode} ${errorMsg} ${statusString}`);
}

async function sendJsonBody(
  client: IsapiClient,
  method: 'POST' | 'PUT',
  path: string,
  body: unknown,
): Promise<void> {
  await client.call({
    method,
    path: `${path}?format=json`,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
}

/**
 * Makes `roomNo` call `phoneNumbers` (the first is called first). A new record is POSTed; when the
 * device answers that the room has one, the same record is PUT to replace its numbers.
 */
export async function writePhoneNumberRecord(
  client: IsapiClient,
  record: { roomNo: number | string; phoneNumbers: string[] },
): Promise<'created' | 'updated'> {
  const roomNo = checkRoomNo(record.roomNo);
  const numbers = record.phoneNumbers;
  if (!Array.isArray(numbers) || numbers.length === 0 || numbers.length > MAX_PHONE_NUMBERS) {
    fail('phoneNumbers', `phoneNumbers must hold 1-${MAX_PHONE_NUMBERS} numbers`);
  }
  const checked = numbers.map((n, i) => checkPhoneNumber(n, `phoneNumbers[${i}]`));
  const body = {
    PhoneNumberRecord: { roomNo, PhoneNumbers: checked.map((phoneNumber) => ({ phoneNumber })) },
  };
  try {
    await orUnsupported(client, PHONE_RECORDS_PATH, 'phoneNumberRecords', () =>
      sendJsonBody(client, 'POST', PHONE_RECORDS_PATH, body),
    );
    return 'created';
  } catch (error) {
    if (!recordExists(error)) throw error;
  }
  try {
    await sendJsonBody(client, 'PUT', PHONE_RECORDS_PATH, body);
  } catch (error) {
    if (!isAbsentEndpoint(error)) throw error;
    const detail = `room ${roomNo} has a record and the device takes no PUT to change it`;
    throw new SipSettingUnsupportedError(client.host, PHONE_RECORDS_PATH, 'phoneNumberRecords', detail);
  }
  return 'updated';
}

/** One record as a search lists it (numbers may come as JSON numbers on some firmware). */
interface RawPhoneRecord {
  id?: unknown;
  roomNo?: unknown;
  PhoneNumbers?: Array<{ phoneNumber?: unknown } | null>;
}

interface PhoneSearchAnswer {
  PhoneSearchResult?: {
    responseStatusStrg?: string;
    PhoneNumberRecords?: Array<RawPhoneRecord | null>;
  };
}

function recordOf(raw: RawPhoneRecord | null): PhoneNumberRecord {
  const numbers = Array.isArray(raw?.PhoneNumbers) ? raw.PhoneNumbers : [];
  const record: PhoneNumberRecord = {
    roomNo: String(raw?.roomNo ?? ''),
    phoneNumbers: numbers
      .map((n) => n?.phoneNumber)
      .filter((n): n is string | number => typeof n === 'string' || typeof n === 'number')
      .map(String),
  };
  if (raw?.id !== undefined && raw.id !== null) record.id = String(raw.id);
  return record;
}

/**
 * Every phone number record, by the search public clients use
 * (`POST VideoIntercom/PhoneNumberRecords/phoneSearch?format=json`, pages of 30).
 */
export async function readPhoneNumberRecords(client: IsapiClient): Promise<PhoneNumberRecord[]> {
  const searchID = randomUUID().replace(/-/g, '');
  const records: PhoneNumberRecord[] = [];
  for (let page = 0; page < MAX_SEARCH_PAGES; page++) {
    const description = {
      PhoneSearchDescription: {
        searchID,
        searchResultPosition: records.length,
        maxResults: SEARCH_PAGE_SIZE,
        RoomNoList: [],
      },
    };
    const answer = await orUnsupported(client, PHONE_SEARCH_PATH, 'phoneNumberRecords', () =>
      client.sendJson<PhoneSearchAnswer>('POST', PHONE_SEARCH_PATH, description),
    );
    const result = answer.PhoneSearchResult;
    const status = result?.responseStatusStrg;
    if (!result || (status !== 'OK' && status !== 'MORE' && status !== 'NO MATCH')) {
      throw new InvalidResponseError(client.host, PHONE_SEARCH_PATH, 'no PhoneSearchResult');
    }
    const found = Array.isArray(result.PhoneNumberRecords) ? result.PhoneNumberRecords : [];
    records.push(...found.map(recordOf));
    if (status !== 'MORE') return records;
    // MORE with nothing in it would ask for the same page forever.
    if (found.length === 0)
      throw new InvalidResponseError(client.host, PHONE_SEARCH_PATH, 'MORE without records');
  }
  throw new InvalidResponseError(client.host, PHONE_SEARCH_PATH, `more than ${MAX_SEARCH_PAGES} pages`);
}

// --- call buttons -------------------------------------------------------------------------------

export interface KeyCfg {
  button: number;
  /** The room (call number) the button calls; null when none is set. */
  callNumber: string | null;
  moduleId: number | null;
  templateNo: number | null;
}

const KEY_ORDER = ['id', 'callNumber', 'moduleId', 'templateNo'] as const;

export async function readKeyCfg(client: IsapiClient, button: number): Promise<KeyCfg> {
  checkButton(button);
  const path = keyCfgPath(button);
  const doc = await orUnsupported(client, path, 'keyCfg', () => getDocument(client, path));
  return {
    button,
    callNumber: text(doc.node, 'callNumber') ?? null,
    moduleId: int(doc.node, 'moduleId') ?? null,
    templateNo: int(doc.node, 'templateNo') ?? null,
  };
}

/** Makes call button `button` call `callNumber` (a room number); read-modify-write. */
export async function writeKeyCfg(
  client: IsapiClient,
  key: { button: number; callNumber: number | string; moduleId?: number; templateNo?: number },
): Promise<void> {
  const button = checkButton(key.button);
  const callNumber = checkPhoneNumber(
    typeof key.callNumber === 'number' ? String(key.callNumber) : key.callNumber,
    'callNumber',
  );
  const moduleId = checkInt(key.moduleId ?? 1, 'moduleId', 1, 255);
  const templateNo = checkInt(key.templateNo ?? 0, 'templateNo', 0, 255);
  const path = keyCfgPath(button);
  const doc = await orUnsupported(client, path, 'keyCfg', () => getDocument(client, path));
  const values = {
    id: String(button),
    callNumber,
    moduleId: String(moduleId),
    templateNo: String(templateNo),
  };
  await putDocument(client, path, { ...doc, node: merge(doc.node, KEY_ORDER, values) });
}

// --- ring and talk times ------------------------------------------------------------------------

export interface OperationTime {
  /** Seconds the doorbell rings before it gives up; null when the device did not say. */
  maxRingTime: number | null;
  /** Longest conversation in seconds; null when the device did not say. */
  talkTime: number | null;
}

const OPERATION_ORDER = ['maxRingTime', 'talkTime'] as const;

export async function readOperationTime(client: IsapiClient): Promise<OperationTime> {
  const doc = await orUnsupported(client, OPERATION_TIME_PATH, 'operationTime', () =>
    getDocument(client, OPERATION_TIME_PATH),
  );
  return { maxRingTime: int(doc.node, 'maxRingTime') ?? null, talkTime: int(doc.node, 'talkTime') ?? null };
}

/**
 * Changes the ring and/or talk time (seconds); read-modify-write. The device may have narrower
 * limits (one door station takes maxRingTime 65-255 only) and refuses outside them.
 */
export async function writeOperationTime(
  client: IsapiClient,
  times: { maxRingTime?: number; talkTime?: number },
): Promise<void> {
  if (times.maxRingTime === undefined && times.talkTime === undefined) {
    fail('maxRingTime', 'give maxRingTime, talkTime or both');
  }
  const values: Record<string, string> = {};
  if (times.maxRingTime !== undefined)
    values.maxRingTime = String(checkInt(times.maxRingTime, 'maxRingTime', 1, 3600, 'seconds'));
  if (times.talkTime !== undefined)
    values.talkTime = String(checkInt(times.talkTime, 'talkTime', 1, 3600, 'seconds'));
  const doc = await orUnsupported(client, OPERATION_TIME_PATH, 'operationTime', () =>
    getDocument(client, OPERATION_TIME_PATH),
  );
  await putDocument(client, OPERATION_TIME_PATH, { ...doc, node: merge(doc.node, OPERATION_ORDER, values) });
}
