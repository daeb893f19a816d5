/**
 * A doorbell's phone number records (JSON only): which SIP numbers a room calls.
 * `POST VideoIntercom/PhoneNumberRecords?format=json` adds one
 * (`{"PhoneNumberRecord":{"roomNo":"1","PhoneNumbers":[{"phoneNumber":"10102"}]}}`, notes/isapi.md),
 * `PUT` on the same path replaces the room's numbers, and
 * `POST VideoIntercom/PhoneNumberRecords/phoneSearch?format=json` lists them (the search public
 * clients use: `PhoneSearchDescription` in, `PhoneSearchResult` with `responseStatusStrg`
 * OK / MORE / NO MATCH out). A POST for a room that has a record answers 400 statusCode 6
 * `roomNoAlreadyExist`: the simulator's choice (no capture shows that answer; the name follows
 * the `...AlreadyExist` sub codes Hikvision uses elsewhere).
 */
import type { DeviceContext, RouteRequest } from '../context.ts';
import { sendJson, sendStatus } from '../respond.ts';
import { serveFixture } from './fixture.ts';
import type { Route } from './route.ts';
import { invented, overridden } from './sip-config.ts';

/** Numbers one room may call; a bound of the simulator's (devices keep a few). */
const MAX_NUMBERS = 16;
const MAX_RESULTS = 100;

const isDoorbell = (device: DeviceContext): boolean => device.model.profile.kind === 'doorbell';

class BadJson extends Error {}

function badJson(r: RouteRequest, reason: string): void {
  sendStatus({ ...r, json: true }, 400, {
    statusCode: 6,
    statusString: 'Invalid Content',
    subStatusCode: 'badJsonContent',
    errorMsg: reason,
  });
}

function parseBody(r: RouteRequest): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(r.req.body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new BadJson('the body is not a JSON object');
}

interface PhoneRecord {
  roomNo: string;
  numbers: string[];
}

function readRecord(body: Record<string, unknown>): PhoneRecord {
  const record = body.PhoneNumberRecord as Record<string, unknown> | undefined;
  if (!record || typeof record !== 'object') throw new BadJson('expected {"PhoneNumberRecord":{...}}');
  const roomNo = typeof record.roomNo === 'number' ? String(record.roomNo) : record.roomNo;
  if (typeof roomNo !== 'string' || !/^\d{1,4}$/.test(roomNo) || Number(roomNo) < 1)
    throw new BadJson('roomNo must be a room number 1..9999');
  const list = record.PhoneNumbers;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_NUMBERS)
    throw new BadJson(`PhoneNumbers must hold 1..${MAX_NUMBERS} numbers`);
  const numbers = list.map((item) => (item as { phoneNumber?: unknown } | null)?.phoneNumber);
  if (!numbers.every((n): n is string => typeof n === 'string' && /^\d{1,32}$/.test(n)))
    throw new BadJson('each phoneNumber must be 1..32 digits');
  return { roomNo: String(Number(roomNo)), numbers };
}

/** Runs a handler whose bad input answers badJsonContent. */
function guarded(r: RouteRequest, run: () => void): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof BadJson)) throw error;
    badJson(r, error.message);
  }
}

const recordsRoute: Route = {
  pattern: /^VideoIntercom\/PhoneNumberRecords$/,
  methods: ['POST', 'PUT'],
  when: isDoorbell,
  handle(r) {
    if (overridden(r)) return serveFixture(r);
    guarded(r, () => {
      const { roomNo, numbers } = readRecord(parseBody(r));
      const { sip } = r.device;
      if (r.req.method === 'POST' && sip.phoneNumberRecords.has(roomNo)) {
        return sendStatus({ ...r, json: true }, 400, {
          statusCode: 6,
          statusString: 'Invalid Content',
          subStatusCode: 'roomNoAlreadyExist',
          errorMsg: `room ${roomNo} already has a phone number record`,
        });
      }
      sip.phoneNumberRecords.set(roomNo, numbers);
      sip.changed();
      sendStatus({ ...r, json: true }, 200);
    });
  },
};

function searchPosition(body: Record<string, unknown>): { searchID: string; from: number; max: number } {
  const cond = body.PhoneSearchDescription as Record<string, unknown> | undefined;
  if (!cond || typeof cond !== 'object') throw new BadJson('expected {"PhoneSearchDescription":{...}}');
  const from = cond.searchResultPosition ?? 0;
  const max = cond.maxResults ?? 30;
  if (!Number.isInteger(from) || (from as number) < 0) throw new BadJson('searchResultPosition must be ≥ 0');
  if (!Number.isInteger(max) || (max as number) < 1) throw new BadJson('maxResults must be ≥ 1');
  return {
    searchID: String(cond.searchID ?? ''),
    from: from as number,
    max: Math.min(max as number, MAX_RESULTS),
  };
}

const searchRoute: Route = {
  pattern: /^VideoIntercom\/PhoneNumberRecords\/phoneSearch$/,
  methods: ['POST'],
  when: isDoorbell,
  handle(r) {
    if (overridden(r)) return serveFixture(r);
    guarded(r, () => {
      const { searchID, from, max } = searchPosition(parseBody(r));
      const all = [...r.device.sip.phoneNumberRecords].sort(([a], [b]) => Number(a) - Number(b));
      const page = all.slice(from, from + max);
      const more = from + page.length < all.length;
      const result = {
        searchID,
        responseStatusStrg: page.length === 0 ? 'NO MATCH' : more ? 'MORE' : 'OK',
        numOfMatches: page.length,
        totalMatches: all.length,
        PhoneNumberRecords: page.map(([roomNo, numbers]) => ({
          roomNo,
          PhoneNumbers: numbers.map((phoneNumber) => ({ phoneNumber })),
        })),
      };
      sendJson(r.res, 200, { PhoneSearchResult: result }, invented());
    });
  },
};

export const phoneRecordRoutes: Route[] = [recordsRoute, searchRoute];
