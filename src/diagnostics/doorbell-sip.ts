/**
 * A doorbell's SIP set-up (notes/sip-doorbell.md): without SIP a ring is only found by polling the
 * call status, about a second late; with SIP the doorbell must be registered to its SIP server and
 * its call button must call a room that has a number to ring. When hikbridge itself is the SIP
 * server ("emulate" mode) the gateway knows what the doorbell should hold and passes it in
 * (`ExpectedSip`): every difference is a failure, since calls then never reach hikbridge.
 *
 * Only reads (the phone number search is a POST, but a search). Runs for doorbells only.
 */
import { DeviceError } from '../protocols/http/errors.ts';
import {
  type KeyCfg,
  type PhoneNumberRecord,
  readKeyCfg,
  readPhoneNumberRecords,
  readSipServer,
  type SipServerSettings,
  SipSettingUnsupportedError,
} from '../protocols/isapi/sip-config.ts';
import { type CheckStatus, type DoctorCheck, skip } from './report.ts';
import { type DoctorSession, OUT_OF_TIME, OutOfTime, unreadable, withinBudget } from './session.ts';

/** What hikbridge in "emulate SIP proxy" mode expects the doorbell to hold. */
export interface ExpectedSip {
  /** hikbridge's address as the doorbell must reach it (the doorbell's SIP server). */
  proxy: string;
  /** hikbridge's SIP port for this doorbell. */
  port: number;
  /** The doorbell's own phone number (its SIP user name). */
  doorbellNumber: string;
  /** hikbridge's phone number: the one the doorbell's room must call. */
  proxyNumber: string;
  /** The room the call button calls (1-9999). */
  roomNumber: number;
  /** The call button (1-99). */
  buttonNumber: number;
}

const ID = 'doorbell-sip';
const SIP_ROUTE = 'PUT /api/v1/devices/{id}/sip';
const VIEW_ROUTE = 'GET /api/v1/devices/{id}/sip';
const CONFIGURE_ROUTE = 'POST /api/v1/devices/{id}/sip/configure';
/** The button a doorbell with one button calls with (keyCfg 1). */
const DEFAULT_BUTTON = 1;

/** Throws a TypeError in words when `expected` cannot be what a doorbell holds. */
export function checkExpectedSip(expected: ExpectedSip): void {
  const bad = (what: string) => {
    throw new TypeError(`expectedSip.${what}`);
  };
  const e = expected as Partial<Record<keyof ExpectedSip, unknown>>;
  const digits = (value: unknown) => typeof value === 'string' && /^\d{1,32}$/.test(value);
  const whole = (value: unknown, min: number, max: number) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
  if (typeof e.proxy !== 'string' || !/^[A-Za-z0-9.:[\]-]{1,253}$/.test(e.proxy))
    bad('proxy must be a host name or IP address');
  if (!whole(e.port, 1, 65535)) bad('port must be a port number 1-65535');
  if (!digits(e.doorbellNumber)) bad('doorbellNumber must be a phone number of 1-32 digits');
  if (!digits(e.proxyNumber)) bad('proxyNumber must be a phone number of 1-32 digits');
  if (!whole(e.roomNumber, 1, 9999)) bad('roomNumber must be a room number 1-9999');
  if (!whole(e.buttonNumber, 1, 99)) bad('buttonNumber must be a button number 1-99');
}

/** One thing seen; the check's status is the worst of them. */
interface Finding {
  status: CheckStatus;
  detail: string;
  fix: string | null;
}

const seen = (detail: string): Finding => ({ status: 'pass', detail, fix: null });
const problem = (status: 'warn' | 'fail', detail: string, fix: string): Finding => ({ status, detail, fix });

export async function doorbellSipCheck(session: DoctorSession, expected?: ExpectedSip): Promise<DoctorCheck> {
  const kind = session.facts.kind;
  if (kind !== 'doorbell') {
    return skip(ID, `not a doorbell (${kind ?? 'unknown kind'}): SIP calls are a doorbell feature`);
  }
  const server = await read(session, 'SIP server settings', HAND_CHECK.server, () =>
    readSipServer(session.client),
  );
  if ('finding' in server) return { id: ID, ...server.finding };
  const findings = [...serverFindings(server.value, expected)];
  if (!server.value.enabled && !expected) return combine(findings);

  const button = expected?.buttonNumber ?? DEFAULT_BUTTON;
  const key = await read(session, `call button ${button}`, HAND_CHECK.button(button), () =>
    readKeyCfg(session.client, button),
  );
  if ('finding' in key) return combine([...findings, key.finding]);
  // A button that calls no room needs no records to judge, unless hikbridge's room must be checked.
  if (key.value.callNumber === null && !expected) return combine([...findings, noRoom(key.value)]);
  const records = await read(session, 'phone number records', HAND_CHECK.records(key.value), () =>
    readPhoneNumberRecords(session.client),
  );
  if ('finding' in records) {
    const unmapped = key.value.callNumber === null ? [noRoom(key.value)] : [];
    return combine([...findings, ...unmapped, records.finding]);
  }
  findings.push(mappingFinding(key.value, records.value));
  if (expected) findings.push(...expectationFindings(expected, server.value, key.value, records.value));
  return combine(findings);
}

// --- the SIP server and its registration -------------------------------------------------------

function serverFindings(server: SipServerSettings, expected: ExpectedSip | undefined): Finding[] {
  if (!server.enabled) {
    if (!expected) {
      return [
        problem(
          'warn',
          'SIP is off on the doorbell: a ring is only found by polling its call status (about 1 s late)',
          `For an instant ring, let hikbridge take the doorbell's calls over SIP: ${SIP_ROUTE} with mode ` +
            '"emulate" (hikbridge is the doorbell\'s SIP server and sets the doorbell up itself; no indoor station ' +
            'needed) or "client" (hikbridge registers as a phone on your SIP server or PBX, where the doorbell ' +
            'registers too).',
        ),
      ];
    }
    return [
      problem(
        'fail',
        `SIP is off on the doorbell, but hikbridge (emulate mode) expects it to register to ${expected.proxy}:${expected.port}`,
        reconfigureFix(expected),
      ),
    ];
  }
  if (server.proxy === '') {
    return [
      problem(
        'fail',
        'SIP is on but the doorbell has no SIP server address: it registers nowhere and its calls go nowhere',
        `Let hikbridge set the doorbell up (${SIP_ROUTE} with mode "emulate"), or enter your SIP server's ` +
          "address and port in the doorbell's SIP settings (web page).",
      ),
    ];
  }
  return [registrationFinding(server)];
}

function target(server: SipServerSettings): string {
  return server.proxyPort > 0 ? `${server.proxy}:${server.proxyPort}` : `${server.proxy} (no port set)`;
}

/** `registered` on the simulator and most firmware; some write `true`. */
const isRegistered = (status: string): boolean => /^(registered|true)$/i.test(status.trim());

function registrationFinding(server: SipServerSettings): Finding {
  const to = target(server);
  const user = server.userName ? ` as ${server.userName}` : '';
  const status = server.registerStatus;
  if (status === null) {
    return seen(`SIP on, server ${to}${user} (this firmware does not report whether it is registered)`);
  }
  if (isRegistered(status)) return seen(`registered to ${to}${user}`);
  const port = server.proxyPort > 0 ? server.proxyPort : 5060;
  const fix =
    `Check that ${to} is the address and port of the SIP server as the doorbell must reach it (with hikbridge as ` +
    `the SIP server, "emulate" mode: this machine's address and hikbridge's SIP port for this doorbell, both shown ` +
    `by ${VIEW_ROUTE}), that no firewall between them drops SIP (UDP ${port}), and that hikbridge's SIP mode for ` +
    `this doorbell is on (${VIEW_ROUTE}; switch it on with ${SIP_ROUTE}).`;
  if (/^registering$/i.test(status.trim())) {
    return problem(
      'warn',
      `SIP is on; the doorbell is still registering to ${to}${user}`,
      `Run the doctor again in a minute; if it is still not registered: ${fix}`,
    );
  }
  return problem(
    'fail',
    `SIP is on but the doorbell is not registered to ${to}${user} (status "${status}")`,
    fix,
  );
}

// --- the call button, its room and the room's numbers ------------------------------------------

function sameRoom(a: string, b: string): boolean {
  if (a.trim() === b.trim()) return true;
  return /^\d+$/.test(a.trim()) && /^\d+$/.test(b.trim()) && Number(a) === Number(b);
}

function recordOf(records: PhoneNumberRecord[], room: string): PhoneNumberRecord | undefined {
  return records.find((record) => sameRoom(record.roomNo, room) && record.phoneNumbers.length > 0);
}

function mappingFix(button: number, room: string | null): string {
  const where = room ? `room ${room}` : 'a room';
  return (
    `Let hikbridge set the doorbell up (${SIP_ROUTE} with mode "emulate": it writes the button, the room and ` +
    `its number), or in the doorbell's web page make call button ${button} call ${where} and give ${where} a ` +
    'phone number record with the number of the SIP phone to ring (hikbridge in emulate mode: its proxy number, ' +
    '10102 by default).'
  );
}

function noRoom(key: KeyCfg): Finding {
  return problem(
    'fail',
    `call button ${key.button} calls no room: a press calls nobody over SIP`,
    mappingFix(key.button, null),
  );
}

function mappingFinding(key: KeyCfg, records: PhoneNumberRecord[]): Finding {
  const room = key.callNumber;
  if (room === null) return noRoom(key);
  const record = recordOf(records, room);
  if (!record) {
    return problem(
      'fail',
      `call button ${key.button} calls room ${room}, which has no phone number record: a press calls nobody over SIP`,
      mappingFix(key.button, room),
    );
  }
  return seen(`call button ${key.button} calls room ${room}, which rings ${record.phoneNumbers.join(', ')}`);
}

// --- what hikbridge expects (emulate mode) ------------------------------------------------------

function reconfigureFix(expected: ExpectedSip): string {
  return (
    `Let hikbridge write the doorbell's SIP settings again: ${CONFIGURE_ROUTE} (with auto-configuration on: ` +
    `${SIP_ROUTE} with "emulate": {"autoConfigure": true}); or set them in the doorbell's web page: SIP on, ` +
    `server ${expected.proxy} port ${expected.port}, user name ${expected.doorbellNumber}; a phone number record ` +
    `for room ${expected.roomNumber} calling ${expected.proxyNumber}; call button ${expected.buttonNumber} ` +
    `calling room ${expected.roomNumber}.`
  );
}

function expectationFindings(
  expected: ExpectedSip,
  server: SipServerSettings,
  key: KeyCfg,
  records: PhoneNumberRecord[],
): Finding[] {
  const fix = reconfigureFix(expected);
  const mismatch = (detail: string) => problem('fail', detail, fix);
  const found: Finding[] = [];
  const wantedTarget = `${expected.proxy}:${expected.port}`;
  const sameHost = server.proxy.toLowerCase() === expected.proxy.toLowerCase();
  if (server.enabled && (!sameHost || server.proxyPort !== expected.port)) {
    found.push(
      mismatch(`the doorbell's SIP server is ${target(server)}; hikbridge listens for it on ${wantedTarget}`),
    );
  }
  if (server.userName !== expected.doorbellNumber) {
    found.push(
      mismatch(
        `the doorbell's phone number (SIP user name) is ${server.userName || 'empty'}; hikbridge admits ` +
          `${expected.doorbellNumber}`,
      ),
    );
  }
  const room = String(expected.roomNumber);
  if (key.callNumber === null || !sameRoom(key.callNumber, room)) {
    found.push(
      mismatch(
        `call button ${expected.buttonNumber} calls ${key.callNumber ? `room ${key.callNumber}` : 'no room'}; ` +
          `hikbridge expects room ${room}`,
      ),
    );
  }
  const first = recordOf(records, room)?.phoneNumbers[0];
  if (first !== expected.proxyNumber) {
    found.push(
      mismatch(
        `room ${room} ${first ? `calls ${first} first` : 'has no phone number record'}; hikbridge answers ` +
          `${expected.proxyNumber}`,
      ),
    );
  }
  if (found.length === 0) found.push(seen(`as hikbridge expects (emulate mode, ${wantedTarget})`));
  return found;
}

// --- reading, and the verdict -------------------------------------------------------------------

/** What to look at in the web page when the doctor cannot read a setting. */
const HAND_CHECK = {
  server:
    "that SIP is on, the SIP server's address and port are right, and the registration status says registered",
  button: (button: number) => `that call button ${button} calls a room`,
  records: (key: KeyCfg) =>
    `that ${key.callNumber ? `room ${key.callNumber}` : `the room call button ${key.button} calls`} has a ` +
    'phone number record with the number of the SIP phone to ring',
};

type Read<T> = { value: T } | { finding: Finding };

/** Reads one setting; what stops it becomes a finding in words. Bugs (not DeviceErrors) propagate. */
async function read<T>(
  session: DoctorSession,
  what: string,
  handCheck: string,
  work: () => Promise<T>,
): Promise<Read<T>> {
  try {
    return { value: await withinBudget(session.budget, work()) };
  } catch (error) {
    if (error instanceof OutOfTime) return { finding: { status: 'skip', detail: OUT_OF_TIME, fix: null } };
    if (error instanceof SipSettingUnsupportedError) {
      return {
        finding: {
          status: 'skip',
          detail: `${what}: not available over ISAPI on this firmware (${error.path.split('?')[0]} is not supported)`,
          fix: `Check by hand in the doorbell's web page (SIP settings): ${handCheck}.`,
        },
      };
    }
    if (!(error instanceof DeviceError)) throw error;
    const { id: _, ...finding } = unreadable(ID, what, session.failure(error));
    return { finding };
  }
}

/** Fail over warn over skip (something could not be checked) over pass. */
const RANK: Record<CheckStatus, number> = { pass: 0, skip: 1, warn: 2, fail: 3 };

function combine(findings: Finding[]): DoctorCheck {
  const ordered = [...findings].sort((a, b) => RANK[b.status] - RANK[a.status]);
  const status = ordered[0]?.status ?? 'pass';
  const detail = ordered.map((finding) => finding.detail).join('; ');
  if (status === 'pass') return { id: ID, status, detail, fix: null };
  const fixes = ordered.filter((f) => f.status === status && f.fix).map((f) => f.fix!);
  const fix = [...new Set(fixes)].join(' ');
  return { id: ID, status, detail, fix: fix === '' ? null : fix };
}
