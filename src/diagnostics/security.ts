/**
 * Security settings worth knowing about: the illegal-login lock and the integration protocols.
 * Both endpoints are read defensively: their names and shapes come from public clients, not from
 * captures (see notes/isapi.md), so a 404 is a skip that says so.
 */
import { bool, child, int, text, type XmlNode } from '../protocols/isapi/xml.ts';
import { type DoctorCheck, pass, skip, warn } from './report.ts';
import { type DoctorSession, unreadable } from './session.ts';

const LOGIN_LOCK = '/ISAPI/Security/illegalLoginLock';
const INTEGRATE = '/ISAPI/System/Network/Integrate';

export async function lockoutPolicyCheck(session: DoctorSession): Promise<DoctorCheck> {
  const result = await session.read(LOGIN_LOCK);
  if (!result.ok) return unreadable('lockout-policy', 'illegal-login lock settings', result);
  const node = result.doc.node;
  const enabled = bool(node, 'enabled');
  const attemptsLeft = session.login.attemptsLeft;
  const now = attemptsLeft !== undefined ? `; ${attemptsLeft} attempts left right now` : '';
  if (enabled === false) {
    return warn(
      'lockout-policy',
      `illegal-login lock is off: passwords can be guessed without limit${now}`,
      'Turn on Illegal Login Lock (Configuration > System > Security > Security Service). hikbridge stops after ' +
        'one refused login, so the lock never catches it out.',
    );
  }
  const attempts = int(node, 'maxIllegalLoginTimes');
  const duration = int(node, 'lockDuration');
  const rule = [
    attempts !== undefined ? `after ${attempts} failed logins` : undefined,
    duration !== undefined ? `lock duration ${duration}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return pass(
    'lockout-policy',
    `illegal-login lock is ${enabled ? 'on' : 'reported without an enabled flag'}${rule ? ` (${rule})` : ''}${now}; ` +
      'hikbridge makes one login attempt and stops when it is refused',
  );
}

export async function integrationCheck(session: DoctorSession): Promise<DoctorCheck> {
  const result = await session.read(INTEGRATE);
  if (!result.ok) {
    if (result.reason === 'absent') {
      return skip(
        'integration',
        'System/Network/Integrate is not answered by this firmware (the endpoint name is unverified; ' +
          'ISAPI evidently works, since the doctor is talking to it)',
      );
    }
    return unreadable('integration', 'integration protocol settings', result);
  }
  const flags = ['ISAPI', 'CGI', 'ONVIF'].map((name) => protocolFlag(result.doc.node, name)).filter(Boolean);
  const detail = flags.length > 0 ? flags.join(', ') : 'no protocol flags in the answer';
  if (bool(child(result.doc.node, 'ISAPI'), 'enable') === false) {
    return warn(
      'integration',
      `${detail}: the device reports ISAPI integration off`,
      'Enable ISAPI under Configuration > Network > Advanced Settings > Integration Protocol: third-party ' +
        'access (event stream, configuration) may stop working while it is off.',
    );
  }
  return pass('integration', detail);
}

/** `CGI on (digest)`, `ONVIF off`; undefined when the device has no such block. */
function protocolFlag(node: XmlNode, name: string): string | undefined {
  const block = child(node, name);
  if (!block) return undefined;
  const enabled = bool(block, 'enable') ?? bool(block, 'enabled');
  const auth = text(block, 'certificateType');
  const state = enabled === undefined ? 'present' : enabled ? 'on' : 'off';
  return `${name} ${state}${auth ? ` (${auth})` : ''}`;
}
