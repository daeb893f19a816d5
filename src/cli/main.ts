/** The `hikbridge` command. Each subcommand lives in its own file; this one only wires them. */
import { Command, Option } from 'commander';
import { registerCloudCommand } from './cloud.ts';
import { registerDoctorCommand } from './doctor.ts';
import { parseChannelList, parseCount, parseFingerprint, parsePort, parseTimeoutMs } from './options.ts';
import { describeFailure, EXIT, exitCodeFor, formatProbeText, probe } from './probe.ts';

const program = new Command();
program
  .name('hikbridge')
  .description('Gateway for Hikvision cameras, NVRs and doorbells')
  .showHelpAfterError()
  // Set before the subcommands are added, so each inherits it: a usage error exits with 2 everywhere.
  .exitOverride((error) => {
    process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });

program
  .command('probe')
  .description('describe one device: model, kind, channels, streams, two-way audio, doors, alarm I/O')
  .argument('<url>', 'http[s]://user:password@host[:port] (URL-encode special characters in the password)')
  .option('--json', 'print one JSON object (the stable contract)')
  .option('--insecure', 'accept any HTTPS certificate')
  .option(
    '--fingerprint <sha256>',
    'accept only the HTTPS certificate with this SHA-256 fingerprint',
    parseFingerprint,
  )
  .option('--channels <list>', 'only these channel numbers, e.g. 1,2,5', parseChannelList)
  .option('--timeout <ms>', 'connect and response timeout in milliseconds', parseTimeoutMs)
  .option('--show-credentials', 'print RTSP URLs with the password instead of ***')
  .action(async (url: string, options) => {
    try {
      const progress = options.json ? undefined : (line: string) => process.stderr.write(`${line}\n`);
      const result = await probe(url, options, progress);
      process.stdout.write(`${options.json ? JSON.stringify(result, null, 2) : formatProbeText(result)}\n`);
    } catch (error) {
      process.stderr.write(`probe failed: ${describeFailure(error, url)}\n`);
      process.exitCode = exitCodeFor(error);
    }
  });

registerDoctorCommand(program);

program
  .command('sim')
  .description('serve simulated Hikvision devices (fixture profiles, camera, nvr:N, doorbell)')
  .option(
    '--profile <profile...>',
    'camera | doorbell | nvr[:N] | path to a fixture JSON (repeat for several devices)',
    ['camera'],
  )
  .option(
    '--port <n>',
    'port of the first device (next devices use the following ports); 0 = any free port',
    parsePort,
    0,
  )
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .option('--user <name>', 'device user', 'admin')
  .option('--password <password>', 'device password', 'Hik12345!')
  .option('--https', 'serve HTTPS with the simulator certificate')
  .option(
    '--count <n>',
    'serve N copies of each profile (a fleet; each copy gets its own serial number)',
    parseCount,
    1,
  )
  .option(
    '--cloud',
    'serve a simulated HikCentral Connect cloud too (alone unless --profile is given); prints its URL and keys',
  )
  .option('--cloud-devices <n>', 'devices in the simulated cloud account', parseCount, 3)
  .option(
    '--cloud-cameras <n>',
    'cameras in the simulated cloud account, spread over its devices',
    parseCount,
    20,
  )
  .action(async (options, command: Command) => {
    // Loaded on use: the gateway and simulator pull in much more than probe/doctor need.
    const { runSim } = await import('./sim.ts');
    // `--cloud` alone serves the cloud only; the default --profile applies without --cloud, or when given.
    const profileGiven = command.getOptionValueSource('profile') !== 'default';
    await runSim({ ...options, profile: options.cloud && !profileGiven ? [] : options.profile });
  });

program
  .command('start')
  .description('run the gateway (defaults: SQLite in ./data, HTTP on 8080)')
  .option('--config <file>', 'configuration file (YAML); also HIKBRIDGE_CONFIG')
  .option('--data <dir>', 'data directory (database, key file); also HIKBRIDGE_DATA')
  .option('--port <n>', 'HTTP port of the API', parsePort)
  .option('--demo', 'also start simulated devices and add them')
  .addOption(
    new Option(
      '--log-format <format>',
      'log lines for people (pretty) or programs (json); auto: pretty on a terminal. Also HIKBRIDGE_LOG_FORMAT',
    ).choices(['auto', 'json', 'pretty']),
  )
  .action(async (options) => {
    const { runStart } = await import('./start.ts');
    await runStart(options);
  });

// HikCentral Connect accounts through the running gateway's API (add, list, sync with progress).
registerCloudCommand(program);

await program.parseAsync(process.argv);
