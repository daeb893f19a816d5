/**
 * Reaching the running gateway for `hikbridge cloud`: its address (--url, or the port of the
 * configuration `start` would read), and who we are: an API token (--token, HIKBRIDGE_TOKEN) or
 * a login (--user with HIKBRIDGE_PASSWORD or a prompt with echo off). A login's session is
 * ended when the command is done, so no session outlives it.
 */
import { ConfigError, loadConfig } from '../core/config/index.ts';
import { CliError, DEFAULT_TIMEOUT_MS, GatewayClient, parseGatewayUrl, Secrets } from './cloud-api.ts';
import { promptHidden } from './cloud-prompt.ts';

export interface ConnectionOptions {
  url?: string;
  config?: string;
  token?: string;
  user?: string;
  timeout?: number;
}

/** Variables of the `cloud` commands: not configuration keys, so the config loader must not see them. */
export const CLOUD_CLI_ENV = ['HIKBRIDGE_TOKEN', 'HIKBRIDGE_PASSWORD', 'HIKBRIDGE_CLOUD_SECRET'] as const;

export interface Connection {
  client: GatewayClient;
  secrets: Secrets;
  /** Ends the login's session (nothing for a token); never throws. */
  close(): Promise<void>;
}

type Env = Record<string, string | undefined>;

export async function connect(options: ConnectionOptions, env: Env = process.env): Promise<Connection> {
  const secrets = new Secrets();
  const url = options.url ? parseGatewayUrl(options.url) : gatewayUrlFromConfig(options.config, env);
  const client = new GatewayClient({ url, timeoutMs: options.timeout ?? DEFAULT_TIMEOUT_MS, secrets });
  const token = options.token || env.HIKBRIDGE_TOKEN || undefined;
  if (token) {
    client.useToken(token);
    return { client, secrets, close: async () => {} };
  }
  const username = options.user ?? 'admin';
  const password = env.HIKBRIDGE_PASSWORD || (await askPassword(username));
  secrets.add(password);
  const session = await client.post<{ token: string }>('/api/v1/auth/login', { username, password });
  client.useToken(session.token);
  return {
    client,
    secrets,
    close: () =>
      client.post('/api/v1/auth/logout').then(
        () => {},
        () => {},
      ),
  };
}

function askPassword(username: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new CliError(
      `no credentials: set HIKBRIDGE_TOKEN (an API token) or HIKBRIDGE_PASSWORD (the password of "${username}").`,
      2,
    );
  }
  return promptHidden(`Password of the hikbridge user "${username}"`);
}

/**
 * The gateway `hikbridge start` would run with the same --config / HIKBRIDGE_CONFIG and
 * environment: on this machine, at its configured port (loopback when it listens everywhere).
 */
export function gatewayUrlFromConfig(file: string | undefined, env: Env): string {
  const configEnv = Object.fromEntries(
    Object.entries(env).filter(([name]) => !(CLOUD_CLI_ENV as readonly string[]).includes(name)),
  );
  let server: { host: string; port: number };
  try {
    server = loadConfig({ ...(file ? { file } : {}), env: configEnv }).server;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CliError(
      `cannot find the gateway's address in the configuration; give it with --url.\n${error.message}`,
      2,
    );
  }
  if (server.port === 0) {
    throw new CliError(
      'the configuration lets the gateway pick any free port (server.port 0): give --url.',
      2,
    );
  }
  return `http://${loopbackFor(server.host)}:${server.port}`;
}

/** Where to reach a server listening on `host` from this machine. */
function loopbackFor(host: string): string {
  // Node listens on both IPv4 and IPv6 for `::`, so 127.0.0.1 reaches either wildcard.
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
