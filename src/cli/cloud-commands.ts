/**
 * `hikbridge cloud add|list|sync`: HikCentral Connect accounts through the running gateway's API.
 * Results go to stdout, progress and errors to stderr; errors are the API's words. Exit codes:
 * 0 done, 1 the API refused or a sync failed, 2 bad usage (missing credentials included),
 * 130 cancelled at a prompt.
 */
import { readFileSync } from 'node:fs';
import { CliError, type CloudAccount, type CloudCamera, type SyncOutcome } from './cloud-api.ts';
import { type Connection, type ConnectionOptions, connect } from './cloud-connect.ts';
import { formatAccounts, formatOutcome } from './cloud-format.ts';
import { promptHidden } from './cloud-prompt.ts';
import { followSync, ProgressDisplay } from './cloud-sync.ts';

export interface AddOptions extends ConnectionOptions {
  name: string;
  appKey: string;
  secretKeyFile?: string;
  baseUrl?: string;
  quality?: 'main' | 'sub';
  /** false with --no-sync. */
  sync: boolean;
}

export interface ListOptions extends ConnectionOptions {
  json?: boolean;
  cameras?: boolean;
}

const ACCOUNTS = '/api/v1/cloud/accounts';

export function runCloudAdd(options: AddOptions): Promise<void> {
  return withConnection('cloud add', options, async (connection) => {
    const { client, secrets } = connection;
    secrets.add(options.appKey);
    const secretKey = await readSecretKey(options.secretKeyFile);
    secrets.add(secretKey);
    const account = await client.post<CloudAccount>(ACCOUNTS, {
      name: options.name,
      appKey: options.appKey,
      secretKey,
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      ...(options.quality ? { quality: options.quality } : {}),
      sync: options.sync,
    });
    process.stdout.write(`Added the HikCentral Connect account "${account.name}" (id ${account.id}).\n`);
    if (!options.sync) {
      process.stdout.write(`Import its cameras with: hikbridge cloud sync ${account.id}\n`);
      return 0;
    }
    // A new account has no outcome yet: whatever sync shows up is the one just started.
    const outcome = await follow(connection, account, null);
    return report(account.name, outcome, (text) => secrets.clean(text));
  });
}

export function runCloudList(options: ListOptions): Promise<void> {
  return withConnection('cloud list', options, async ({ client, secrets }) => {
    const accounts = await client.get<CloudAccount[]>(ACCOUNTS);
    const cameras = options.cameras ? await client.get<CloudCamera[]>('/api/v1/cloud/cameras') : undefined;
    const text = options.json
      ? `${JSON.stringify({ accounts, ...(cameras ? { cameras } : {}) }, null, 2)}\n`
      : formatAccounts(accounts, cameras, Date.now());
    process.stdout.write(secrets.clean(text));
    return 0;
  });
}

/** Syncs one account (name or id) or every enabled one, one after another on screen. */
export function runCloudSync(account: string | undefined, options: ConnectionOptions): Promise<void> {
  return withConnection('cloud sync', options, async (connection) => {
    const { client, secrets } = connection;
    const clean = (text: string) => secrets.clean(text);
    const targets = pickAccounts(await client.get<CloudAccount[]>(ACCOUNTS), account);
    // Every sync starts first: each account has its own budget, so they run side by side.
    for (const target of targets) {
      await client.post(`${ACCOUNTS}/${encodeURIComponent(target.id)}/sync`);
    }
    let exitCode = 0;
    for (const target of targets) {
      const outcome = await follow(connection, target, target.lastSync?.startedAt ?? null);
      exitCode = Math.max(exitCode, report(target.name, outcome, clean));
    }
    return exitCode;
  });
}

/** The accounts `cloud sync [ACCOUNT]` means: by id, by name (exact, then any case), or every enabled one. */
export function pickAccounts(accounts: CloudAccount[], wanted: string | undefined): CloudAccount[] {
  if (wanted === undefined) {
    const enabled = accounts.filter((account) => account.enabled);
    if (enabled.length === 0) {
      throw new CliError(
        accounts.length === 0
          ? 'there is no cloud account yet; add one with `hikbridge cloud add`.'
          : 'every cloud account is disabled; name one to sync it anyway.',
      );
    }
    return enabled;
  }
  const byId = accounts.find((account) => account.id === wanted);
  if (byId) return [byId];
  const byName = accounts.filter((account) => account.name === wanted);
  const matches =
    byName.length > 0 ? byName : accounts.filter((a) => a.name.toLowerCase() === wanted.toLowerCase());
  if (matches.length === 1) return matches;
  if (matches.length > 1) {
    const ids = matches.map((account) => account.id).join(', ');
    throw new CliError(`several cloud accounts are named "${wanted}"; give the id of one: ${ids}`);
  }
  throw new CliError(
    `no cloud account is named "${wanted}" or has that id; \`hikbridge cloud list\` shows them.`,
  );
}

/** Shows the sync's progress until its outcome; Ctrl+C stops watching, not the sync. */
async function follow(
  connection: Connection,
  account: CloudAccount,
  previousStartedAt: string | null,
): Promise<SyncOutcome> {
  const clean = (text: string) => connection.secrets.clean(text);
  const display = new ProgressDisplay(process.stderr, account.name, clean);
  const stopFollowing = () => {
    display.end();
    process.stderr.write(
      'Stopped watching; the sync goes on in the gateway (`hikbridge cloud list` shows it).\n',
    );
    // A second Ctrl+C while the session ends exits at once (the handler is gone by then).
    void connection.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopFollowing);
  try {
    return await followSync(connection.client, account.id, display, { previousStartedAt });
  } finally {
    process.off('SIGINT', stopFollowing);
    display.end();
  }
}

/** The summary on stdout, the error of a failed sync on stderr; the exit code it deserves. */
function report(label: string, outcome: SyncOutcome, clean: (text: string) => string): number {
  process.stdout.write(`${clean(formatOutcome(label, outcome))}\n`);
  if (outcome.ok) return 0;
  process.stderr.write(`${clean(`${label}: ${outcome.error ?? 'the sync failed'}`)}\n`);
  return 1;
}

/** From --secret-key-file, HIKBRIDGE_CLOUD_SECRET or a prompt with echo off; never from a flag value. */
async function readSecretKey(file: string | undefined): Promise<string> {
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new CliError(
        `--secret-key-file: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`,
        2,
      );
    }
    const secret = text.trim();
    if (!secret) throw new CliError(`--secret-key-file: ${file} is empty`, 2);
    return secret;
  }
  const fromEnv = process.env.HIKBRIDGE_CLOUD_SECRET?.trim();
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new CliError('no SecretKey: give --secret-key-file FILE or set HIKBRIDGE_CLOUD_SECRET.', 2);
  }
  const typed = (await promptHidden('SecretKey of the HikCentral Connect account')).trim();
  if (!typed) throw new CliError('no SecretKey given.', 2);
  return typed;
}

/** Connects, runs `work`, ends the session; failures become one line on stderr and an exit code. */
async function withConnection(
  command: string,
  options: ConnectionOptions,
  work: (connection: Connection) => Promise<number>,
): Promise<void> {
  let connection: Connection | undefined;
  try {
    connection = await connect(options);
    process.exitCode = await work(connection);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    const clean = connection ? connection.secrets.clean(error.message) : error.message;
    process.stderr.write(`${command}: ${clean}\n`);
    process.exitCode = error.exitCode;
  } finally {
    await connection?.close();
  }
}
