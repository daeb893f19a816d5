/**
 * Device maintenance over ISAPI: reboot (`PUT System/reboot`, no body). The device answers
 * before it goes away; it is unreachable for a minute or more after (NVRs take longest).
 *
 * Pure protocol: no application state; what "rebooting" means for supervision is the caller's.
 */
import type { IsapiClient } from './client.ts';

const REBOOT_PATH = '/ISAPI/System/reboot';

/** Asks the device to restart; resolves once it has accepted. */
export async function reboot(client: IsapiClient): Promise<void> {
  await client.call({ method: 'PUT', path: REBOOT_PATH });
}
