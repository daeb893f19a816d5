/**
 * `runDoctor`: the classic Hikvision troubleshooting list, automated. Pure: it talks to one
 * device through src/protocols and holds no application state.
 *
 * It never throws for a device problem: every problem becomes a check with what was seen and what
 * to do. It only reads (one picture, one event-stream open that is closed at once; on doorbells a
 * phone number search, which is a POST), makes exactly one credentialed login attempt before it
 * knows the password works, keeps at most two requests in flight, and stops asking after a time
 * budget (20 s by default) so a slow device cannot hang it.
 */
import { setMaxListeners } from 'node:events';
import { isSha256Fingerprint } from '../protocols/http/tls.ts';
import type { IsapiClient } from '../protocols/isapi/client.ts';
import { type DeviceKind, detectKind, kindFromModel } from '../protocols/isapi/discovery.ts';
import { children, int, text, type XmlNode } from '../protocols/isapi/xml.ts';
import { deviceClockCheck } from './clock.ts';
import { checkExpectedSip, doorbellSipCheck, type ExpectedSip } from './doorbell-sip.ts';
import { type GateSettings, type PresentedCertificate, passGate } from './gate.ts';
import { snapshotPathCheck, streamCodecCheck, twoWayAudioCodecCheck } from './media.ts';
import { motionDetectionCheck, motionNotifyCenterCheck } from './motion.ts';
import {
  doorControlPermissionCheck,
  eventsPermissionCheck,
  liveViewPermissionCheck,
  playbackPermissionCheck,
  snapshotPermissionCheck,
  twoWayAudioPermissionCheck,
} from './permissions.ts';
import { nvrChannelsCheck } from './recorder.ts';
import { CHECK_IDS, type CheckId, type DoctorCheck, skip, warn } from './report.ts';
import { integrationCheck, lockoutPolicyCheck } from './security.ts';
import { type Channel, type DeviceFacts, DoctorSession } from './session.ts';
import { storageCheck } from './storage.ts';
import { streamTuningCheck } from './stream-tuning.ts';

export type { ExpectedSip } from './doorbell-sip.ts';
export type { PresentedCertificate } from './gate.ts';
export { CHECK_IDS, type CheckId, type CheckStatus, type DoctorCheck } from './report.ts';

export interface DoctorReport {
  device: { model: string | null; kind: string | null; host: string };
  checks: DoctorCheck[];
}

export type ListedChannel = Channel;

/**
 * The report and what the doctor learnt on the way that a set-up screen can use before the
 * device is saved. The report alone stays the CLI's JSON contract.
 */
export interface DoctorFindings {
  report: DoctorReport;
  /** HTTPS only: the certificate the device showed (to pin it), when it showed one. */
  certificate?: PresentedCertificate;
  /** Every channel the device lists (an NVR: its IP channels), when the doctor could log in. */
  channels?: ListedChannel[];
}

export interface DoctorOptions {
  username: string;
  password: string;
  /** `http://host[:port]` or `https://host[:port]`, without credentials. */
  baseUrl: string;
  tls?: { pinnedFingerprint?: string; insecure?: boolean };
  /** Per-request timeout, also used to connect (default 5000 ms). */
  timeoutMs?: number;
  /** Only these channels (default: every channel the device lists). */
  channels?: number[];
  /** Addition: overall time budget; checks not done by then are skipped (default 20000 ms). */
  budgetMs?: number;
  /**
   * Addition: what hikbridge in "emulate SIP proxy" mode expects a doorbell to hold (our address and
   * SIP port, the numbers, room and button); any difference fails `doorbell-sip`. Left out, that
   * check judges the doorbell's SIP set-up on its own.
   */
  expectedSip?: ExpectedSip;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_BUDGET_MS = 20_000;
/** Checks x the requests each may have queued at once, with room to spare. */
const MAX_BUDGET_LISTENERS = 100;

type CheckRunner = (session: DoctorSession) => Promise<DoctorCheck>;

/** The checks that need a logged-in session, by id (the gate produces the others). */
const SESSION_CHECKS: Partial<Record<CheckId, CheckRunner>> = {
  'lockout-policy': lockoutPolicyCheck,
  integration: integrationCheck,
  'permission-events': eventsPermissionCheck,
  'permission-snapshot': snapshotPermissionCheck,
  'permission-live-view': liveViewPermissionCheck,
  'permission-playback': playbackPermissionCheck,
  'permission-two-way-audio': twoWayAudioPermissionCheck,
  'permission-door-control': doorControlPermissionCheck,
  'motion-detection': motionDetectionCheck,
  'motion-notify-center': motionNotifyCenterCheck,
  'stream-codec': streamCodecCheck,
  'two-way-audio-codec': twoWayAudioCodecCheck,
  'nvr-channels': nvrChannelsCheck,
  'snapshot-path': snapshotPathCheck,
  'device-clock': deviceClockCheck,
  storage: storageCheck,
  'stream-tuning': streamTuningCheck,
};

/**
 * Runs every check against one device. Throws only for invalid options (TypeError), never for
 * what the device does.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  return (await examineDevice(options)).report;
}

/** `runDoctor` with the certificate the device showed and the channels it lists. */
export async function examineDevice(options: DoctorOptions): Promise<DoctorFindings> {
  const settings = gateSettings(options);
  const gate = await passGate(settings);
  const certificate = gate.certificate ? { certificate: gate.certificate } : {};
  if (!gate.open) {
    const device = { model: null, kind: null, host: settings.host };
    return { report: finish(options, device, gate.checks, gate.skipReason), ...certificate };
  }
  try {
    const { facts, listed } = await readFacts(gate.client, gate.deviceInfo, options.channels, settings);
    const session = new DoctorSession(gate.client, facts, gate.login, settings.budget, settings.timeoutMs);
    const runners: Partial<Record<CheckId, CheckRunner>> = {
      ...SESSION_CHECKS,
      'doorbell-sip': (s) => doorbellSipCheck(s, options.expectedSip),
    };
    // All checks start together; the client keeps at most two requests in flight and queues the rest.
    const checks = await Promise.all(
      Object.entries(runners).map(([id, run]) => guarded(id as CheckId, run!, session)),
    );
    const device = { model: facts.model, kind: facts.kind, host: settings.host };
    const report = finish(options, device, [...gate.checks, ...checks], 'not checked');
    return { report, ...certificate, channels: listed };
  } finally {
    await gate.client.close();
  }
}

function gateSettings(options: DoctorOptions): GateSettings {
  const url = parseBaseUrl(options.baseUrl);
  const pinned = options.tls?.pinnedFingerprint;
  if (pinned !== undefined && !isSha256Fingerprint(pinned)) {
    throw new TypeError(
      'the pinned fingerprint must be a SHA-256 fingerprint (64 hex digits, e.g. AB:CD:...)',
    );
  }
  const timeoutMs = positive(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs');
  const budgetMs = positive(options.budgetMs, DEFAULT_BUDGET_MS, 'budgetMs');
  for (const channel of options.channels ?? []) {
    if (!Number.isInteger(channel) || channel < 1) throw new TypeError(`invalid channel number ${channel}`);
  }
  if (options.expectedSip !== undefined) checkExpectedSip(options.expectedSip);
  return {
    baseUrl: url.origin,
    host: url.host,
    username: options.username,
    password: options.password,
    tls: { ...options.tls },
    timeoutMs,
    connectTimeoutMs: timeoutMs,
    budget: budgetSignal(budgetMs),
  };
}

/**
 * Every request of every check listens to the budget while it waits in the client's queue: with
 * all checks started at once that is more than Node's default of 10 listeners, and no leak.
 */
function budgetSignal(budgetMs: number): AbortSignal {
  const signal = AbortSignal.timeout(budgetMs);
  setMaxListeners(MAX_BUDGET_LISTENERS, signal);
  return signal;
}

function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(
      `baseUrl "${baseUrl}" is not a URL; expected http://host[:port] or https://host[:port]`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`baseUrl must be http:// or https://, got ${url.protocol}`);
  }
  if (url.username || url.password) throw new TypeError('baseUrl must not contain credentials');
  return url;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number of ms`);
  return value;
}

/** A check that throws (a bug, not a device problem) still ends up in the report. */
async function guarded(id: CheckId, run: CheckRunner, session: DoctorSession): Promise<DoctorCheck> {
  try {
    return await run(session);
  } catch (error) {
    return warn(
      id,
      `the doctor could not finish this check (${error instanceof Error ? error.message : String(error)})`,
      'Run the doctor again; if it keeps happening, report it together with the device model.',
    );
  }
}

/** Every id exactly once, in the contract order; the password never appears in any text. */
function finish(
  options: DoctorOptions,
  device: DoctorReport['device'],
  checks: DoctorCheck[],
  skipReason: string,
): DoctorReport {
  const byId = new Map(checks.map((check) => [check.id, check]));
  const ordered = CHECK_IDS.map((id) => byId.get(id) ?? skip(id, skipReason));
  return { device, checks: ordered.map((check) => redact(check, options.password)) };
}

function redact(check: DoctorCheck, password: string): DoctorCheck {
  // Short passwords would mask ordinary words; no text here is built from the password anyway.
  if (password.length < 3) return check;
  const clean = (value: string) => value.split(password).join('***');
  return { ...check, detail: clean(check.detail), fix: check.fix === null ? null : clean(check.fix) };
}

// --- facts about the device -------------------------------------------------------------------

async function readFacts(
  client: IsapiClient,
  deviceInfo: XmlNode,
  wanted: number[] | undefined,
  settings: GateSettings,
): Promise<{ facts: DeviceFacts; listed: Channel[] }> {
  const model = text(deviceInfo, 'model') ?? null;
  const kind = await kindOf(client, text(deviceInfo, 'deviceType') ?? null, model);
  const listed = await listChannels(client, kind, settings);
  return { facts: { model, kind, channels: selectChannels(listed, wanted, kind) }, listed };
}

async function kindOf(
  client: IsapiClient,
  rawType: string | null,
  model: string | null,
): Promise<DeviceKind> {
  try {
    return await detectKind(client, rawType, model ?? '');
  } catch {
    // The capability probes failed (slow or busy device): the model name is the next best guess.
    return kindFromModel(model ?? '') ?? 'camera';
  }
}

async function listChannels(
  client: IsapiClient,
  kind: DeviceKind,
  settings: GateSettings,
): Promise<Channel[]> {
  const local = kind === 'nvr' ? [] : await readChannelList(client, settings, 'local');
  const proxy = kind === 'nvr' || kind === 'dvr' ? await readChannelList(client, settings, 'proxy') : [];
  const byId = new Map<number, Channel>();
  for (const channel of [...local, ...proxy]) if (!byId.has(channel.id)) byId.set(channel.id, channel);
  // Cameras and doorbells that hide their input list still have their one sensor.
  if (byId.size === 0 && kind !== 'nvr') byId.set(1, { id: 1, name: 'Camera 1', source: 'local' });
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

async function readChannelList(
  client: IsapiClient,
  settings: GateSettings,
  source: Channel['source'],
): Promise<Channel[]> {
  const [path, element] =
    source === 'local'
      ? ['/ISAPI/System/Video/inputs/channels', 'VideoInputChannel']
      : ['/ISAPI/ContentMgmt/InputProxy/channels', 'InputProxyChannel'];
  try {
    const doc = await client.getXml(path, { signal: settings.budget });
    return children(doc.node, element).flatMap((node) => {
      const id = int(node, 'id');
      return id === undefined ? [] : [{ id, name: text(node, 'name') ?? `Camera ${id}`, source }];
    });
  } catch {
    return []; // the list is missing or forbidden on many models: the channel checks then say so
  }
}

function selectChannels(listed: Channel[], wanted: number[] | undefined, kind: DeviceKind): Channel[] {
  if (!wanted || wanted.length === 0) return listed;
  const source: Channel['source'] = kind === 'nvr' ? 'proxy' : 'local';
  return wanted.map((id) => listed.find((c) => c.id === id) ?? { id, name: `Camera ${id}`, source });
}
