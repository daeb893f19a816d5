import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  decryptSecret,
  encryptSecret,
  loadOrCreateSecretKey,
  SecretDecryptError,
  SecretKeyError,
} from '../../src/core/secrets.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hikbridge-secrets-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadOrCreateSecretKey', () => {
  it('creates a 32-byte key file with mode 0600 in a new 0700 directory, then reuses it', async () => {
    const keyFile = join(dir, 'nested', 'data', 'secret.key');
    const created = await loadOrCreateSecretKey({ keyFile });
    expect(created.source).toBe('created');
    expect(created.key).toHaveLength(32);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'nested', 'data'))).mode & 0o777).toBe(0o700);
    expect(await readFile(keyFile)).toEqual(created.key);

    const again = await loadOrCreateSecretKey({ keyFile });
    expect(again.source).toBe('file');
    expect(again.key.equals(created.key)).toBe(true);
    expect(again.warning).toBeUndefined();
  });

  it('agrees on one key when several loads race to create it', async () => {
    const keyFile = join(dir, 'secret.key');
    const loads = await Promise.all(Array.from({ length: 6 }, () => loadOrCreateSecretKey({ keyFile })));
    const onDisk = await readFile(keyFile);
    for (const loaded of loads) expect(loaded.key.equals(onDisk)).toBe(true);
    expect(loads.filter((loaded) => loaded.source === 'created')).toHaveLength(1);
    // No temp files left behind.
    expect(await readdir(dir)).toEqual(['secret.key']);
  });

  it('accepts a key file holding base64 text of 32 bytes', async () => {
    const key = randomBytes(32);
    const keyFile = join(dir, 'secret.key');
    await writeFile(keyFile, `${key.toString('base64')}\n`, { mode: 0o600 });
    const loaded = await loadOrCreateSecretKey({ keyFile });
    expect(loaded.source).toBe('file');
    expect(loaded.key.equals(key)).toBe(true);
  });

  it('rejects a key file of the wrong length without echoing its content', async () => {
    const keyFile = join(dir, 'secret.key');
    await writeFile(keyFile, 'c2hvcnQta2V5LWNvbnRlbnQ=', { mode: 0o600 });
    const failure = loadOrCreateSecretKey({ keyFile });
    await expect(failure).rejects.toBeInstanceOf(SecretKeyError);
    await expect(failure).rejects.toThrow(/32 raw bytes or base64 of 32 bytes/);
    await expect(failure).rejects.not.toThrow(/c2hvcnQta2V5/);
    await writeFile(keyFile, randomBytes(31));
    await expect(loadOrCreateSecretKey({ keyFile })).rejects.toThrow(/it has 31 bytes/);
  });

  it('warns (without the key) when the key file is readable by others', async () => {
    const key = randomBytes(32);
    const keyFile = join(dir, 'secret.key');
    await writeFile(keyFile, key);
    await chmod(keyFile, 0o644);
    const loaded = await loadOrCreateSecretKey({ keyFile });
    expect(loaded.key.equals(key)).toBe(true);
    expect(loaded.warning).toMatch(/mode 0644.*chmod 600/);
    expect(loaded.warning).not.toContain(key.toString('base64'));
  });

  it('prefers a configured base64 key and does not touch the key file', async () => {
    const key = randomBytes(32);
    const keyFile = join(dir, 'secret.key');
    const loaded = await loadOrCreateSecretKey({ keyFile, key: key.toString('base64') });
    expect(loaded).toEqual({ key, source: 'config' });
    await expect(stat(keyFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects a configured key that is not base64 of exactly 32 bytes', async () => {
    const keyFile = join(dir, 'secret.key');
    const short = randomBytes(16).toString('base64');
    await expect(loadOrCreateSecretKey({ keyFile, key: short })).rejects.toThrow(
      /base64 of exactly 32 bytes \(it decodes to 16 bytes\)/,
    );
    await expect(loadOrCreateSecretKey({ keyFile, key: 'not base64 at all!' })).rejects.toThrow(/not base64/);
    await expect(loadOrCreateSecretKey({ keyFile, key: short })).rejects.not.toThrow(short);
  });

  it('treats an empty configured key as absent (an unset env variable)', async () => {
    const loaded = await loadOrCreateSecretKey({ keyFile: join(dir, 'secret.key'), key: '  ' });
    expect(loaded.source).toBe('created');
  });
});

describe('encryptSecret / decryptSecret', () => {
  const key = randomBytes(32);

  it('round-trips text, including unicode and the empty string', () => {
    for (const plain of ['hunter2', 'Pässwört ✓ 密码', '']) {
      const stored = encryptSecret(key, plain);
      expect(stored).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
      expect(decryptSecret(key, stored)).toBe(plain);
    }
  });

  it('lays out iv | tag | ciphertext and uses a fresh IV each time', () => {
    const a = encryptSecret(key, 'same');
    const b = encryptSecret(key, 'same');
    expect(a).not.toBe(b);
    const raw = Buffer.from(a.slice(3), 'base64');
    expect(raw).toHaveLength(12 + 16 + Buffer.byteLength('same'));
    expect(raw.subarray(0, 12).equals(Buffer.from(b.slice(3), 'base64').subarray(0, 12))).toBe(false);
  });

  it('throws SecretDecryptError for another key', () => {
    const stored = encryptSecret(key, 'secret');
    expect(() => decryptSecret(randomBytes(32), stored)).toThrow(SecretDecryptError);
    expect(() => decryptSecret(randomBytes(32), stored)).toThrow(
      'stored secret cannot be decrypted: wrong key file?',
    );
  });

  it('throws SecretDecryptError when the ciphertext or tag was altered', () => {
    const raw = Buffer.from(encryptSecret(key, 'secret').slice(3), 'base64');
    for (const index of [5, 20, raw.length - 1]) {
      const tampered = Buffer.from(raw);
      tampered[index]! ^= 0x01;
      expect(() => decryptSecret(key, `v1:${tampered.toString('base64')}`)).toThrow(SecretDecryptError);
    }
  });

  it('throws SecretDecryptError for values that are not in the v1 format', () => {
    expect(() => decryptSecret(key, 'plain-password')).toThrow(SecretDecryptError);
    expect(() => decryptSecret(key, 'v1:AAAA')).toThrow(SecretDecryptError);
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => encryptSecret(randomBytes(16), 'x')).toThrow(/32 bytes/);
  });
});
