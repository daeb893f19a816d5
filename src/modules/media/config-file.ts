/** Writing mediamtx.yml atomically: MediaMTX watches the file and must never read half of it. */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

const HEADER =
  '# Written by hikbridge; it is rewritten on every change, so edits here are lost.\n' +
  '# Camera credentials are in the path sources: keep this file private.\n';

export async function writeMediamtxConfig(file: string, config: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, HEADER + stringify(config), { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
