/**
 * The checks every later check depends on, in the order a user meets the problems: can the
 * device be reached, is its certificate what we expect, how does it ask for a login, are the
 * credentials accepted, is it activated. The first problem that makes the rest meaningless closes
 * the gate and names the reason the remaining checks are skipped.
 *
 * One unauthenticated request comes first: it shows the certificate, the login challenge and the
 * device's lock state without spending a login attempt. After that exactly one credentialed login
 * is made, so a wrong password costs one attempt on the device's lockout counter, never more.
 */
import { hasBasicChallenge, parseWwwAuthenticate, pickDigestChallenge } from '../protocols/http/digest.ts';
import {
  type BadCredentialsError,
  DeviceError,
  type LockedOutError,
  TlsFingerprintMismatchError,
  TlsUntrustedError,
} from '../protocols/http/errors.ts';
import { HttpClient } from '../protocols/http/index.ts';
import type { HttpResponse, TlsOptions } from '../protocols/http/types.ts';
import { IsapiClient, inspectIsapiAuthFailure } from '../protocols/isapi/client.ts';
import { mentionsNotActivated } from '../protocols/isapi/errors.ts';
import type { XmlNode } from '../protocols/isapi/xml.ts';
import { type DoctorCheck, fail, pass, skip, warn } from './report.ts';
import type { LoginState } from './session.ts';

export const DEVICE_INFO = '/ISAPI/System/deviceInfo';
/** 401 pages and deviceInfo are small; anything bigger is not what we asked for. */
const PROBE_BODY_LIMIT = 64 * 1024;

export interface GateSettings {
  baseUrl: string;
  host: string;
  username: string;
  password: string;
  tls: TlsOptions;
  timeoutMs: number;
  connectTimeoutMs: number;
  budget: AbortSignal;
}

export type GateOutcome = (
  | { open: false; checks: DoctorCheck[]; skipReason: string }
  | { open: true; checks: DoctorCheck[]; client: IsapiClient; deviceInfo: XmlNode; login: LoginState }
) & { certificate?: PresentedCertificate };

/**
 * The certificate an HTTPS device showed, so a user can look at its fingerprint and pin it
 * (`pinned`: it is the one that was pinned).
 */
export interface PresentedCertificate {
  fingerprint: string;
  pinned: boolean;
}

type CertificateVerdict =
  | { kind: 'http' }
  | { kind: 'trusted'; fingerprint: string | undefined }
  | { kind: 'pinned'; fingerprint: string }
  | { kind: 'untrusted'; fingerprint: string | undefined; reason: string; insecure: boolean };

type ProbeOutcome =
  | {
      kind: 'answered';
      response: HttpResponse;
      elapsedMs: number;
      /** TLS settings that worked, used for every later request. */
      tls: TlsOptions;
      certificate: CertificateVerdict;
    }
  | { kind: 'unreachable'; error: DeviceError }
  | { kind: 'tls-refused'; error: DeviceError };

export async function passGate(settings: GateSettings): Promise<GateOutcome> {
  const probe = await probeAnonymously(settings);
  const outcome = await openGate(settings, probe);
  const certificate = presentedCertificate(probe);
  return certificate ? { ...outcome, certificate } : outcome;
}

function presentedCertificate(probe: ProbeOutcome): PresentedCertificate | undefined {
  if (probe.kind === 'answered') {
    const verdict = probe.certificate;
    if (verdict.kind === 'http' || !verdict.fingerprint) return undefined;
    return { fingerprint: verdict.fingerprint, pinned: verdict.kind === 'pinned' };
  }
  if (probe.error instanceof TlsFingerprintMismatchError) {
    return { fingerprint: probe.error.actual, pinned: false };
  }
  if (probe.error instanceof TlsUntrustedError && probe.error.fingerprint) {
    return { fingerprint: probe.error.fingerprint, pinned: false };
  }
  return undefined;
}

async function openGate(settings: GateSettings, probe: ProbeOutcome): Promise<GateOutcome> {
  if (probe.kind === 'unreachable') {
    return closed([unreachable(probe.error, settings)], 'device not reachable');
  }
  if (probe.kind === 'tls-refused') {
    const reachable = pass('reachability', `TLS handshake with ${settings.host} completed`);
    return closed(
      [reachable, certificateRefused(probe.error)],
      'HTTPS certificate refused: nothing was sent to the device',
    );
  }
  const checks = [
    pass('reachability', `HTTP ${probe.response.status} from ${settings.host} in ${probe.elapsedMs} ms`),
    certificateCheck(probe.certificate),
    authMethodCheck(probe.response, settings.baseUrl.startsWith('https:')),
  ];
  const body = probe.response.body.toString('utf8');
  if (mentionsNotActivated(body)) {
    checks.push(
      skip('credentials', 'the device is not activated: it has no users yet'),
      notActivated(settings),
    );
    return closed(checks, 'device not activated');
  }
  const login =
    probe.response.status === 401 ? inspectIsapiAuthFailure(settings.host, probe.response.body) : {};
  if (login.lockedForSeconds !== undefined) {
    checks.push(lockedOut(settings, login.lockedForSeconds, 'before any password was sent'));
    return closed(checks, 'login locked: nothing else can be checked');
  }
  return logIn(settings, probe.tls, checks, { attemptsLeft: login.attemptsLeft });
}

function closed(checks: DoctorCheck[], skipReason: string): GateOutcome {
  return { open: false, checks, skipReason };
}

// --- reachability and certificate -------------------------------------------------------------

async function probeAnonymously(settings: GateSettings): Promise<ProbeOutcome> {
  const https = settings.baseUrl.startsWith('https:');
  const pinned = settings.tls.pinnedFingerprint;
  // Ask for normal verification first (or the pin): that is how we learn whether the certificate is trusted.
  const firstTls: TlsOptions = pinned ? { pinnedFingerprint: pinned } : {};
  try {
    const answer = await sendProbe(settings, firstTls);
    const certificate: CertificateVerdict = !https
      ? { kind: 'http' }
      : pinned
        ? { kind: 'pinned', fingerprint: answer.fingerprint ?? pinned }
        : { kind: 'trusted', fingerprint: answer.fingerprint };
    return { kind: 'answered', ...answer, tls: firstTls, certificate };
  } catch (error) {
    if (error instanceof TlsUntrustedError) return probeTrustingOnce(settings, error);
    return probeFailure(error);
  }
}

/**
 * A self-signed certificate (the usual case) is trusted for this run only, pinned to what the
 * device just showed, so the remaining checks can run; the certificate check still warns.
 */
async function probeTrustingOnce(
  settings: GateSettings,
  untrusted: TlsUntrustedError,
): Promise<ProbeOutcome> {
  const fingerprint = untrusted.fingerprint;
  const tls: TlsOptions | undefined = fingerprint
    ? { pinnedFingerprint: fingerprint }
    : settings.tls.insecure
      ? { insecure: true }
      : undefined;
  if (!tls) return { kind: 'tls-refused', error: untrusted };
  const reason = /not trusted \(([^)]+)\)/.exec(untrusted.message)?.[1] ?? 'not trusted';
  const certificate: CertificateVerdict = {
    kind: 'untrusted',
    fingerprint,
    reason,
    insecure: settings.tls.insecure === true,
  };
  try {
    return { kind: 'answered', ...(await sendProbe(settings, tls)), tls, certificate };
  } catch (error) {
    return probeFailure(error);
  }
}

function probeFailure(error: unknown): ProbeOutcome {
  if (error instanceof TlsFingerprintMismatchError || error instanceof TlsUntrustedError) {
    return { kind: 'tls-refused', error };
  }
  if (error instanceof DeviceError) return { kind: 'unreachable', error };
  throw error;
}

async function sendProbe(
  settings: GateSettings,
  tls: TlsOptions,
): Promise<{ response: HttpResponse; elapsedMs: number; fingerprint: string | undefined }> {
  const http = new HttpClient({
    baseUrl: settings.baseUrl,
    auth: 'none',
    tls,
    connectTimeoutMs: settings.connectTimeoutMs,
    requestTimeoutMs: settings.timeoutMs,
    maxConcurrent: 1,
  });
  const started = performance.now();
  try {
    const response = await http.request({
      path: DEVICE_INFO,
      signal: settings.budget,
      maxBodyBytes: PROBE_BODY_LIMIT,
    });
    return {
      response,
      elapsedMs: Math.round(performance.now() - started),
      fingerprint: http.certificateFingerprint,
    };
  } finally {
    await http.close();
  }
}

function unreachable(error: DeviceError, settings: GateSettings): DoctorCheck {
  const slow = error.code === 'timeout';
  return fail(
    'reachability',
    error.message,
    `Check the address and port in the URL (ISAPI answers on the web port: usually 80, or 443 for https://), ` +
      `that the device is powered and on a network this machine can reach, and that no firewall blocks it.` +
      (slow ? ` On a slow link, allow more time (--timeout, now ${settings.timeoutMs} ms).` : ''),
  );
}

function certificateCheck(verdict: CertificateVerdict): DoctorCheck {
  switch (verdict.kind) {
    case 'http':
      return skip(
        'https-certificate',
        'plain HTTP: no certificate to check. Video, events and settings travel unencrypted; ' +
          'a Digest login still never sends the password itself',
      );
    case 'trusted':
      return pass(
        'https-certificate',
        `certificate trusted by this system (SHA-256 ${verdict.fingerprint ?? '?'})`,
      );
    case 'pinned':
      return pass('https-certificate', `certificate matches the pinned fingerprint ${verdict.fingerprint}`);
    case 'untrusted':
      return warn(
        'https-certificate',
        `certificate not trusted (${verdict.reason}), SHA-256 fingerprint ${verdict.fingerprint ?? 'unknown'}` +
          (verdict.insecure ? '; accepted because insecure mode is on' : '') +
          '; the doctor trusted it for this run only',
        verdict.fingerprint
          ? `Pin it: give hikbridge the fingerprint (--fingerprint ${verdict.fingerprint}) so it accepts exactly ` +
              'this certificate and refuses any other, or install a certificate this system trusts on the device.'
          : 'Install a certificate on the device (Configuration > Network > Advanced Settings > HTTPS), then pin its fingerprint.',
      );
  }
}

function certificateRefused(error: DeviceError): DoctorCheck {
  if (error instanceof TlsFingerprintMismatchError) {
    return fail(
      'https-certificate',
      `the device presented certificate ${error.actual}, not the pinned ${error.expected}`,
      'If you replaced the certificate or the device, pin the new fingerprint. Otherwise something may be ' +
        'intercepting the connection: find out why before sending credentials to this address.',
    );
  }
  return fail(
    'https-certificate',
    error.message,
    'Check that this is an HTTPS port of the device; install a certificate on it, then pin its fingerprint.',
  );
}

// --- how the device asks for a login ----------------------------------------------------------

function authMethodCheck(response: HttpResponse, https: boolean): DoctorCheck {
  if (response.status !== 401) {
    if (response.status >= 200 && response.status < 300) {
      return warn(
        'auth-method',
        `the device answered deviceInfo without asking for a login (HTTP ${response.status})`,
        'Anyone on the network can read this device: in its web page (Configuration > System > Security) ' +
          'turn off anonymous access and set Web Authentication to digest.',
      );
    }
    return skip('auth-method', `no login challenge seen (deviceInfo answered HTTP ${response.status})`);
  }
  const offered = parseWwwAuthenticate(response.headers['www-authenticate']);
  if (offered.length === 0) {
    return fail(
      'auth-method',
      'the device answered 401 without a WWW-Authenticate challenge, so no client can log in',
      'In the web page (Configuration > System > Security > Authentication) set Web Authentication to digest, ' +
        'and check that the user exists.',
    );
  }
  const digest = pickDigestChallenge(offered);
  const basic = hasBasicChallenge(offered);
  if (digest) {
    const scheme = `Digest (${digest.algorithm ?? 'MD5'}${digest.qop.length ? `, qop=${digest.qop.join(',')}` : ''})`;
    if (basic && !https) {
      return warn(
        'auth-method',
        `the device offers ${scheme} and also Basic`,
        'hikbridge uses Digest, but other apps may pick Basic, which sends the password readable with every ' +
          'request on plain HTTP. Set Web Authentication to digest only (Configuration > System > Security > Authentication).',
      );
    }
    return pass(
      'auth-method',
      `the device asks for ${scheme}${basic ? ' (Basic also offered, over HTTPS)' : ''}`,
    );
  }
  if (basic) {
    return warn(
      'auth-method',
      'the device only offers Basic authentication',
      'Basic sends the user name and password, merely base64-encoded, with every request' +
        (https ? '' : ': on plain HTTP anyone who can see the traffic can read them') +
        '. Set Web Authentication to digest (Configuration > System > Security > Authentication).',
    );
  }
  const schemes = [...new Set(offered.map((c) => c.scheme))].join(', ');
  return fail(
    'auth-method',
    `the device only offers authentication hikbridge cannot answer (${schemes})`,
    'Set Web Authentication to digest (Configuration > System > Security > Authentication).',
  );
}

// --- credentials and activation ---------------------------------------------------------------

async function logIn(
  settings: GateSettings,
  tls: TlsOptions,
  checks: DoctorCheck[],
  login: LoginState,
): Promise<GateOutcome> {
  const client = new IsapiClient({
    baseUrl: settings.baseUrl,
    username: settings.username,
    password: settings.password,
    tls,
    connectTimeoutMs: settings.connectTimeoutMs,
    requestTimeoutMs: settings.timeoutMs,
    maxConcurrent: 2,
    // One refused login is all the doctor ever spends; never retry within this run.
    authRetryDelayMs: 60 * 60_000,
  });
  try {
    const doc = await client.getXml(DEVICE_INFO, { signal: settings.budget });
    checks.push(
      pass('credentials', `logged in as "${settings.username}"`),
      pass('activation', 'the device is activated (it has users and answered deviceInfo)'),
    );
    return { open: true, checks, client, deviceInfo: doc.node, login };
  } catch (error) {
    await client.close();
    if (!(error instanceof DeviceError)) throw error;
    return closed([...checks, ...loginFailure(error, settings)], skipReasonFor(error));
  }
}

function loginFailure(error: DeviceError, settings: GateSettings): DoctorCheck[] {
  switch (error.code) {
    case 'not_activated':
      return [
        skip('credentials', 'the device is not activated: it has no users yet'),
        notActivated(settings),
      ];
    case 'bad_credentials':
      return [badCredentials(error as BadCredentialsError, settings)];
    case 'locked_out':
      return [lockedOut(settings, (error as LockedOutError).unlockInSeconds ?? 0, 'at login')];
    case 'auth_unsupported':
      return [
        fail(
          'credentials',
          error.message,
          'Check that the user exists on the device and that Web Authentication is set to digest ' +
            '(Configuration > System > Security > Authentication).',
        ),
      ];
    default:
      return [
        warn(
          'credentials',
          `the login could not be completed: ${error.message}`,
          'Run the doctor again; if the device stays slow or busy, reboot it.',
        ),
      ];
  }
}

function skipReasonFor(error: DeviceError): string {
  switch (error.code) {
    case 'not_activated':
      return 'device not activated';
    case 'bad_credentials':
      return 'credentials not accepted';
    case 'locked_out':
      return 'login locked: nothing else can be checked';
    default:
      return 'not logged in: nothing else can be checked';
  }
}

function badCredentials(error: BadCredentialsError, settings: GateSettings): DoctorCheck {
  const left =
    error.attemptsLeft !== undefined
      ? ` The device allows ${error.attemptsLeft} more attempt${error.attemptsLeft === 1 ? '' : 's'} before it locks the user.`
      : '';
  return fail(
    'credentials',
    `${settings.host} rejected the user "${settings.username}" with this password (one login attempt was made)`,
    `Check the user name and password by logging in to the device's web page with them.${left} ` +
      'Special characters in the password (@ : / # %) must be percent-encoded in the URL. If the password was ' +
      'changed on the device, update it in every app that uses this account, or they will lock it.',
  );
}

function lockedOut(settings: GateSettings, seconds: number, when: string): DoctorCheck {
  const duration = seconds > 0 ? `about ${Math.ceil(seconds / 60)} min` : 'a while (often 30 min)';
  return fail(
    'credentials',
    `${settings.host} reports the login locked after too many failed attempts (seen ${when}); it unlocks in ${duration}`,
    `Wait ${duration} without any login attempt (every failed try, from any app, can extend the lock), ` +
      'correct the password in every app that uses this account, then run the doctor again.',
  );
}

function notActivated(settings: GateSettings): DoctorCheck {
  return fail(
    'activation',
    `${settings.host} has never been activated (no admin password is set yet)`,
    'Activate it once: open its web page (or SADP / Hik-Connect), set the admin password, then run the doctor ' +
      'with that password.',
  );
}
