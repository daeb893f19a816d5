/**
 * `hikbridge cloud add|list|sync`: the command definitions. Light on purpose: main.ts loads it
 * for every command, and the work itself (cloud-commands.ts, the config loader) is loaded on use.
 */
import { type Command, Option } from 'commander';
import { DEFAULT_TIMEOUT_MS } from './cloud-api.ts';
import { parseTimeoutMs } from './options.ts';

const CONNECTION_HELP = `
Reaching the gateway (it must be running; the CLI never calls the cloud itself):
  --url defaults to http://127.0.0.1:<server.port> of the configuration \`hikbridge start\` reads
  (--config FILE or HIKBRIDGE_CONFIG, and HIKBRIDGE_* variables such as HIKBRIDGE_SERVER_PORT).
  Authentication: an API token in HIKBRIDGE_TOKEN (or --token), else a login as --user (admin)
  with the password from HIKBRIDGE_PASSWORD, or asked for on the terminal with echo off.`;

/** Options every cloud subcommand takes to reach and log in to the gateway. */
function withConnectionOptions(command: Command): Command {
  return command
    .option('--url <url>', 'gateway address, e.g. http://127.0.0.1:8080 (default: from the configuration)')
    .option('--config <file>', 'configuration file to read the port from; also HIKBRIDGE_CONFIG')
    .option('--token <token>', 'API token; prefer HIKBRIDGE_TOKEN (a flag value stays in the shell history)')
    .option('--user <name>', 'user to log in as when there is no token', 'admin')
    .option(
      '--timeout <ms>',
      `deadline of each request to the gateway (default ${DEFAULT_TIMEOUT_MS})`,
      parseTimeoutMs,
    )
    .addHelpText('after', CONNECTION_HELP);
}

export function registerCloudCommand(program: Command): void {
  const cloud = program
    .command('cloud')
    .description(
      'HikCentral Connect cloud accounts: add one, list them with their cameras, sync with progress',
    );

  withConnectionOptions(
    cloud
      .command('add')
      .description('add an account (its key and secret are checked with the cloud) and import its cameras')
      .requiredOption('--name <name>', 'name of the account in hikbridge')
      .requiredOption('--app-key <key>', 'AppKey from the OpenAPI settings of HikCentral Connect')
      .option(
        '--secret-key-file <file>',
        'file holding the SecretKey; else HIKBRIDGE_CLOUD_SECRET, else asked for with echo off',
      )
      .option('--base-url <url>', "the region's address, e.g. https://ieu.hikcentralconnect.com")
      .addOption(new Option('--quality <quality>', 'stream to import: main or sub').choices(['main', 'sub']))
      .option('--no-sync', 'only add the account; import its cameras later with `hikbridge cloud sync`'),
  ).action(async (options) => {
    const { runCloudAdd } = await import('./cloud-commands.ts');
    await runCloudAdd(options);
  });

  withConnectionOptions(
    cloud
      .command('list')
      .description('accounts with their region, cameras, last sync and trouble')
      .option('--cameras', 'also each camera: serial/channel, status, live URL expiry, last error')
      .option('--json', 'print the API answers as one JSON object: {accounts[, cameras]}'),
  ).action(async (options) => {
    const { runCloudList } = await import('./cloud-commands.ts');
    await runCloudList(options);
  });

  withConnectionOptions(
    cloud
      .command('sync')
      .description('sync an account, or every enabled one, showing the progress; a summary line at the end')
      .argument('[account]', 'name or id of the account (default: every enabled account)'),
  ).action(async (account: string | undefined, options) => {
    const { runCloudSync } = await import('./cloud-commands.ts');
    await runCloudSync(account, options);
  });
}
