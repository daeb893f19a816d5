/** A doorbell's SIP settings: what the API takes, the defaults (the plugin's), and the checks. */
import { InputError } from '../../core/errors.ts';
import type {
  DoorbellClientSettings,
  DoorbellEmulateSettings,
  DoorbellSipMode,
  DoorbellSipRecord,
} from '../../core/store/types.ts';

export interface DoorbellSipInput {
  mode: DoorbellSipMode;
  emulate?: Partial<DoorbellEmulateSettings>;
  client?: Partial<DoorbellClientSettings> & { server: string; username: string };
  /** Left out = keep the stored one; null = none. */
  password?: string | null;
}

/** The Scrypted doorbell plugin's defaults, so a user moving over keeps the same numbers. */
export const EMULATE_DEFAULTS: DoorbellEmulateSettings = {
  port: null,
  roomNumber: 1,
  proxyNumber: '10102',
  doorbellNumber: '10101',
  buttonNumber: 1,
  autoConfigure: true,
  digestUsername: null,
};

const CLIENT_DEFAULTS = {
  port: 5060,
  transport: 'udp',
  authUsername: null,
  domain: null,
  expiresSeconds: 300,
} as const;

/** The record to store for `input`, on top of what is stored (`current`). Throws InputError in words. */
export function recordFromInput(
  deviceId: string,
  input: DoorbellSipInput,
  current: DoorbellSipRecord | undefined,
): Omit<DoorbellSipRecord, 'updatedAt'> {
  const emulate: DoorbellEmulateSettings = { ...EMULATE_DEFAULTS, ...current?.emulate, ...input.emulate };
  const client: DoorbellClientSettings | null = input.client
    ? { ...CLIENT_DEFAULTS, ...current?.client, ...input.client }
    : (current?.client ?? null);
  const password = input.password === undefined ? (current?.password ?? null) : input.password;
  if (input.mode === 'client' && !client) {
    throw new InputError(
      'client: "connect to SIP proxy" mode needs the PBX server and the user name',
      'client',
    );
  }
  if (emulate.proxyNumber === emulate.doorbellNumber) {
    throw new InputError(
      `emulate: our phone number and the doorbell's (${emulate.proxyNumber}) must differ`,
      'emulate.proxyNumber',
    );
  }
  if (input.mode === 'emulate' && emulate.digestUsername && !password) {
    throw new InputError(
      'password: a digest user name needs a password too (or set digestUsername to null)',
      'password',
    );
  }
  if (client && /[\s/@]/.test(client.server)) {
    throw new InputError(
      'client.server: a host name or address, without user, path or spaces',
      'client.server',
    );
  }
  return { deviceId, mode: input.mode, emulate, client, password };
}
