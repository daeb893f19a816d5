/** `hikbridge start`: the long-running gateway, stopped cleanly by SIGTERM/SIGINT. */

import { type Gateway, startGateway } from '../app.ts';
import { ConfigError } from '../core/config/index.ts';
import type { LogFormat } from '../core/logger.ts';
import { type Demo, startDemoDevices } from './demo.ts';
import { stopOnSignal } from './signals.ts';

export interface StartCommandOptions {
  config?: string;
  data?: string;
  port?: number;
  demo?: boolean;
  logFormat?: LogFormat;
}

export async function runStart(options: StartCommandOptions): Promise<void> {
  const starting = startAll(options);
  // Installed before anything starts: a SIGTERM during start-up, or one sent the moment the
  // "running" line appears, must still stop everything cleanly. Without a handler the signal
  // kills the process on the spot and leaves MediaMTX behind.
  stopOnSignal(async () => {
    const { gateway, demo } = await starting;
    await gateway.stop();
    await demo?.stop();
  });
  const { gateway } = await starting;
  const { host, port } = gateway.address;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  process.stdout.write(
    `hikbridge is running: http://${shown}:${port}  (open it in a browser; API: /api/v1, docs: /api/v1/openapi.json)\n`,
  );
  if (!options.demo)
    process.stdout.write('Tip: `npx hikbridge start --demo` adds simulated devices to try it out.\n');
}

async function startAll(options: StartCommandOptions): Promise<{ gateway: Gateway; demo: Demo | undefined }> {
  const overrides: Record<string, unknown> = {};
  if (options.data) overrides.dataDir = options.data;
  if (options.port !== undefined) overrides.server = { port: options.port };
  if (options.logFormat) overrides.log = { format: options.logFormat };

  let gateway: Gateway;
  try {
    gateway = await startGateway({
      // Without --config the loader reads HIKBRIDGE_CONFIG itself.
      ...(options.config ? { configFile: options.config } : {}),
      overrides,
      onProgress: (message) => process.stdout.write(`${message}\n`),
      onAdminCreated: (username, password) => {
        if (!password) return;
        // Printed once to the console, never to the log.
        process.stdout.write(
          `\nCreated the admin account "${username}" with password: ${password}\n` +
            'It is shown only this once. Set HIKBRIDGE_AUTH_ADMIN_PASSWORD before the first start to choose it.\n\n',
        );
      },
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`hikbridge cannot start, the configuration has problems:\n${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const demo = options.demo ? await startDemoDevices(gateway) : undefined;
  return { gateway, demo };
}
