/**
 * The secret key and the encryption of secrets at rest (device passwords, cloud app secrets).
 *
 * One 32-byte key, AES-256-GCM. The key comes from config/env (base64) or from a key file next
 * to the data; on first start the file is created. Key material never appears in messages,
 * return values other than `key`, or logs.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

export const SECRET_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT_PREFIX = 'v1:';

export interface LoadedSecretKey {
  key: Buffer;
  source: 'config' | 'file' | 'created';
  /** Set when the key file is readable by group/others; worth a warning in the log. */
  warning?: string;
}

export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
}

export class SecretDecryptError extends Error {
  override name = 'SecretDecryptError';

  constructor(detail?: string, options?: { cause?: unknown }) {
    const base = 'stored secret cannot be decrypted: wrong key file?';
    super(detail ? `${base} (${detail})` : base, options);
  }
}

export async function loadOrCreateSecretKey(options: {
  keyFile: string;
  key?: string;
}): Promise<LoadedSecretKey> {
  // An empty value is what an unset-but-declared env variable looks like: treat it as absent.
  const configured = options.key?.trim();
  if (configured) {
    return { key: decodeConfiguredKey(configured), source: 'config' };
  }
  const existing = await readKeyFile(options.keyFile);
  if (existing) return existing;
  return createKeyFile(options.keyFile);
}

function decodeConfiguredKey(text: string): Buffer {
  const key = decodeBase64Key(text);
  if (!key) {
    throw new SecretKeyError(
      `the configured secret key must be base64 of exactly ${SECRET_KEY_BYTES} bytes ` +
        `(${describeLength(text)}); generate one with "openssl rand -base64 32"`,
    );
  }
  return key;
}

/** Strict base64 (standard or URL alphabet) of exactly 32 bytes, else undefined. */
function decodeBase64Key(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
  return bytes.length === SECRET_KEY_BYTES ? bytes : undefined;
}

function describeLength(text: string): string {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return 'it is not base64';
  return `it decodes to ${Buffer.from(text, 'base64').length} bytes`;
}

async function readKeyFile(keyFile: string): Promise<LoadedSecretKey | undefined> {
  let content: Buffer;
  try {
    content = await readFile(keyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SecretKeyError(`cannot read the secret key file ${keyFile}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const key =
    content.length === SECRET_KEY_BYTES ? content : decodeBase64Key(content.toString('utf8').trim());
  if (!key) {
    throw new SecretKeyError(
      `the secret key file ${keyFile} must hold ${SECRET_KEY_BYTES} raw bytes or base64 of ` +
        `${SECRET_KEY_BYTES} bytes (it has ${content.length} bytes)`,
    );
  }
  const warning = await permissionWarning(keyFile);
  return warning ? { key, source: 'file', warning } : { key, source: 'file' };
}

async function permissionWarning(keyFile: string): Promise<string | undefined> {
  // POSIX modes mean nothing on Windows.
  if (process.platform === 'win32') return undefined;
  const mode = (await stat(keyFile)).mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  return `the secret key file ${keyFile} is accessible by other users (mode ${mode.toString(8).padStart(4, '0')}); run "chmod 600 ${keyFile}"`;
}

/**
 * Writes a fresh key to a temp file and links it into place. `link` fails when another
 * process created the key first, so concurrent first starts agree on one key instead of the
 * last `rename` silently replacing a key that a sibling already used to encrypt.
 */
async function createKeyFile(keyFile: string): Promise<LoadedSecretKey> {
  const dir = dirname(keyFile);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const key = randomBytes(SECRET_KEY_BYTES);
  const temp = `${keyFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(key);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (!(await linkIntoPlace(temp, keyFile))) {
      // Another process won the race: use its key.
      const winner = await readKeyFile(keyFile);
      if (!winner) throw new SecretKeyError(`the secret key file ${keyFile} vanished while it was created`);
      return winner;
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  await syncDirectory(dir);
  return { key, source: 'created' };
}

/** True when our file is now in place, false when one already existed. */
async function linkIntoPlace(temp: string, target: string): Promise<boolean> {
  try {
    await link(temp, target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // Some filesystems have no hard links: fall back to an atomic rename.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') {
      await rename(temp, target);
      return true;
    }
    throw error;
  }
}

/** Makes the new directory entry durable; best effort (not possible on every platform). */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The key is written and fsynced; only the directory entry's durability is not guaranteed.
  }
}

function assertKey(key: Buffer): void {
  if (key.length !== SECRET_KEY_BYTES) {
    throw new SecretKeyError(`the secret key must be ${SECRET_KEY_BYTES} bytes, got ${key.length}`);
  }
}

/** `v1:` + base64(iv | tag | ciphertext); a fresh random IV per call. */
export function encryptSecret(key: Buffer, plaintext: string): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return FORMAT_PREFIX + Buffer.concat([iv, tag, ciphertext]).toString('base64');
}

/** Whether a stored value is in the encrypted format (and not text written before encryption). */
export function isEncryptedSecret(stored: string): boolean {
  return typeof stored === 'string' && stored.startsWith(FORMAT_PREFIX);
}

export function decryptSecret(key: Buffer, stored: string): string {
  assertKey(key);
  if (typeof stored !== 'string' || !stored.startsWith(FORMAT_PREFIX)) {
    throw new SecretDecryptError('unknown format');
  }
  const raw = Buffer.from(stored.slice(FORMAT_PREFIX.length), 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretDecryptError('truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    return plain.toString('utf8');
  } catch (error) {
    // GCM authentication failed: another key, or the stored value was altered.
    throw new SecretDecryptError(undefined, { cause: error });
  }
}
