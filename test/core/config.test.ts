import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  type ConfigProblem,
  envNameFor,
  type LoadConfigOptions,
  listConfigKeys,
  loadConfig,
  renderConfigDocs,
} from '../../src/core/config/index.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hikbridge-config-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Loads with no ambient environment and paths relative to the test's temp dir. */
function load(options: LoadConfigOptions = {}) {
  return loadConfig({ env: {}, cwd: dir, ...options });
}

function problemsOf(options: LoadConfigOptions): { error: ConfigError; problems: ConfigProblem[] } {
  try {
    load(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { error: error as ConfigError, problems: (error as ConfigError).problems };
  }
  throw new Error('expected loadConfig to fail');
}

describe('defaults', () => {
  it('gives a complete config with no file and no variables', () => {
    const config = load();
    expect(config.server).toEqual({
      host: '0.0.0.0',
      port: 8080,
      bodyLimitBytes: 1048576,
      trustProxy: false,
    });
    expect(config.auth).toEqual({
      adminUsername: 'admin',
      sessionTtlHours: 168,
      login: { maxAttempts: 5, windowSeconds: 300 },
    });
    expect(config.log).toEqual({ level: 'info', modules: {}, format: 'auto' });
    expect(config.devices).toEqual({
      requestTimeoutMs: 10000,
      endCallAfterDoorOpenSeconds: 2,
      maxConcurrentPerDevice: 2,
      supervisor: {
        checkIntervalSeconds: 30,
        minBackoffSeconds: 2,
        maxBackoffSeconds: 300,
        startsPerSecond: 200,
      },
    });
    expect(config.cloud).toEqual({
      enabled: true,
      defaultBaseUrl: 'https://isgp.hikcentralconnect.com',
      urlLifetimeSeconds: 604_800,
      renewAtFraction: 0.5,
      resyncMinutes: 360,
      offlineRetryMinSeconds: 60,
      offlineRetryMaxSeconds: 3600,
      requestTimeoutMs: 10_000,
    });
    expect(config.doorbell).toEqual({
      sipHost: '0.0.0.0',
      sipPort: 0,
      advertisedHost: '',
      registerExpiresSeconds: 60,
      registerWaitSeconds: 60,
      configureRetryMinSeconds: 10,
      configureRetryMaxSeconds: 600,
      stopRingingHangUpMs: 500,
      sipT1Ms: 500,
    });
    expect(config.controls).toEqual({
      ptzMaxMoveSeconds: 10,
      rebootExpectedSeconds: 300,
      isapiPassthrough: true,
    });
    expect(config.runtime).toEqual({ heapGrowthPercent: 40 });
    expect(config.auth.adminPassword).toBeUndefined();
    expect(config.secrets.key).toBeUndefined();
  });

  it('derives the database and key file from dataDir, resolved against the working directory', () => {
    const config = load();
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.database.url).toBe(`sqlite:${join(dir, 'data', 'hikbridge.db')}`);
    expect(config.secrets.keyFile).toBe(join(dir, 'data', 'secret.key'));
  });

  it('follows a dataDir set in the environment', () => {
    const config = load({ env: { HIKBRIDGE_DATA_DIR: 'state' } });
    expect(config.database.url).toBe(`sqlite:${join(dir, 'state', 'hikbridge.db')}`);
    expect(config.secrets.keyFile).toBe(join(dir, 'state', 'secret.key'));
  });

  it('keeps explicit paths, relative to the working directory rather than dataDir', () => {
    const config = load({
      overrides: { dataDir: '/srv/hik', secrets: { keyFile: 'keys/k' }, database: { url: 'sqlite:db/x.db' } },
    });
    expect(config.dataDir).toBe('/srv/hik');
    expect(config.secrets.keyFile).toBe(join(dir, 'keys', 'k'));
    expect(config.database.url).toBe(`sqlite:${join(dir, 'db', 'x.db')}`);
  });

  it('accepts the documented database URL forms', () => {
    const urlFor = (url: string) => load({ overrides: { database: { url } } }).database.url;
    expect(urlFor('postgres://u:p@db:5432/hik')).toBe('postgres://u:p@db:5432/hik');
    expect(urlFor('postgresql://db/hik')).toBe('postgresql://db/hik');
    expect(urlFor('sqlite:///var/lib/hik.db')).toBe('sqlite:/var/lib/hik.db');
    expect(urlFor('sqlite::memory:')).toBe('sqlite::memory:');
    expect(urlFor('plain.db')).toBe(`sqlite:${join(dir, 'plain.db')}`);
  });

  it('rejects other database schemes', () => {
    const { problems } = problemsOf({ env: { HIKBRIDGE_DATABASE_URL: 'mysql://root:hunter22@db/hik' } });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('database.url');
    expect(problems[0]!.message).toContain('unsupported database "mysql:"');
    expect(problems[0]!.message).not.toContain('hunter22');
  });

  it('honours HIKBRIDGE_DATA as the data directory, and refuses a disagreeing HIKBRIDGE_DATA_DIR', () => {
    expect(load({ env: { HIKBRIDGE_DATA: 'box' } }).dataDir).toBe(join(dir, 'box'));
    const { problems } = problemsOf({ env: { HIKBRIDGE_DATA: 'box', HIKBRIDGE_DATA_DIR: 'other' } });
    expect(problems).toEqual([{ path: 'dataDir', message: expect.stringContaining('disagree') }]);
  });
});

describe('YAML file', () => {
  it('reads values, nested sections and maps', () => {
    const file = writeFile(
      'config.yaml',
      [
        'server:',
        '  port: 9000',
        '  publicUrl: https://cams.example.com',
        'log:',
        '  level: warn',
        '  modules: { devices: debug }',
        'devices:',
        '  supervisor:',
        '    maxBackoffSeconds: 60',
      ].join('\n'),
    );
    const config = load({ file });
    expect(config.server.port).toBe(9000);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.server.publicUrl).toBe('https://cams.example.com');
    expect(config.log).toEqual({ level: 'warn', modules: { devices: 'debug' }, format: 'auto' });
    expect(config.devices.supervisor).toEqual({
      checkIntervalSeconds: 30,
      minBackoffSeconds: 2,
      maxBackoffSeconds: 60,
      startsPerSecond: 200,
    });
  });

  it('treats an empty file, or one with only comments, as all defaults', () => {
    expect(load({ file: writeFile('empty.yaml', '') })).toEqual(load());
    expect(load({ file: writeFile('comments.yaml', '# nothing yet\n') })).toEqual(load());
  });

  it('resolves a relative file name against the working directory', () => {
    writeFile('relative.yaml', 'server:\n  port: 7000\n');
    expect(load({ file: 'relative.yaml' }).server.port).toBe(7000);
  });

  it('uses HIKBRIDGE_CONFIG when no file is given', () => {
    const file = writeFile('from-env.yaml', 'server:\n  port: 7001\n');
    expect(load({ env: { HIKBRIDGE_CONFIG: file } }).server.port).toBe(7001);
  });

  it('fails when a named file does not exist', () => {
    const { problems } = problemsOf({ file: 'missing.yaml' });
    expect(problems).toEqual([
      { path: 'missing.yaml', message: `config file not found (${join(dir, 'missing.yaml')})` },
    ]);
  });

  it('reports syntax errors with line and column', () => {
    const file = writeFile('bad.yaml', 'server:\n  port: 9000\n  host: a: b\n');
    const { problems, error } = problemsOf({ file });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe(`${file}:3:9`);
    expect(problems[0]!.message).toMatch(/^YAML syntax error: /);
    expect(error.message).toContain(`${file}:3:9: YAML syntax error`);
  });

  it('rejects a file whose top level is not a map', () => {
    const file = writeFile('list.yaml', '- port: 1\n');
    const { problems } = problemsOf({ file });
    expect(problems).toEqual([
      { path: file, message: expect.stringContaining('expected a map of settings') },
    ]);
  });

  it('points problems at the line of the offending key', () => {
    const file = writeFile('lines.yaml', 'log:\n  level: info\nserver:\n  port: 70000\n');
    const { problems } = problemsOf({ file });
    expect(problems).toEqual([
      { path: 'server.port', message: `expected a whole number 0-65535, got 70000 (from ${file}:4:3)` },
    ]);
  });
});

describe('environment variables', () => {
  it('names variables from the path: camelCase segments in UPPER_SNAKE_CASE', () => {
    expect(envNameFor(['auth', 'login', 'maxAttempts'])).toBe('HIKBRIDGE_AUTH_LOGIN_MAX_ATTEMPTS');
    expect(envNameFor(['dataDir'])).toBe('HIKBRIDGE_DATA_DIR');
    expect(envNameFor(['devices', 'requestTimeoutMs'])).toBe('HIKBRIDGE_DEVICES_REQUEST_TIMEOUT_MS');
    expect(envNameFor(['server', 'HTTPServer'])).toBe('HIKBRIDGE_SERVER_HTTP_SERVER');
  });

  it('coerces each kind of value', () => {
    const config = load({
      env: {
        HIKBRIDGE_SERVER_PORT: '9090',
        HIKBRIDGE_SERVER_TRUST_PROXY: 'yes',
        HIKBRIDGE_SERVER_HOST: '127.0.0.1',
        HIKBRIDGE_LOG_LEVEL: 'DEBUG',
        HIKBRIDGE_LOG_FORMAT: 'pretty',
        HIKBRIDGE_AUTH_LOGIN_MAX_ATTEMPTS: '3',
        HIKBRIDGE_DEVICES_SUPERVISOR_CHECK_INTERVAL_SECONDS: '15',
      },
    });
    expect(config.server).toMatchObject({ port: 9090, trustProxy: true, host: '127.0.0.1' });
    expect(config.log).toMatchObject({ level: 'debug', format: 'pretty' });
    expect(config.auth.login.maxAttempts).toBe(3);
    expect(config.devices.supervisor.checkIntervalSeconds).toBe(15);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['no', false],
    ['0', false],
    ['FALSE', false],
  ])('reads boolean %s as %s', (text, expected) => {
    expect(load({ env: { HIKBRIDGE_SERVER_TRUST_PROXY: text } }).server.trustProxy).toBe(expected);
  });

  it('reads a map as name=level pairs or as JSON', () => {
    const pairs = load({ env: { HIKBRIDGE_LOG_MODULES: 'devices=debug, api=WARN' } });
    expect(pairs.log.modules).toEqual({ devices: 'debug', api: 'warn' });
    const json = load({ env: { HIKBRIDGE_LOG_MODULES: '{"mqtt":"trace"}' } });
    expect(json.log.modules).toEqual({ mqtt: 'trace' });
  });

  it('rejects a malformed map', () => {
    const { problems } = problemsOf({ env: { HIKBRIDGE_LOG_MODULES: 'devices' } });
    expect(problems).toEqual([
      {
        path: 'log.modules',
        message: expect.stringMatching(/name=value pairs.*\(from HIKBRIDGE_LOG_MODULES\)$/),
      },
    ]);
  });

  it('rejects a number with trailing text, naming the variable', () => {
    const { problems, error } = problemsOf({ env: { HIKBRIDGE_SERVER_PORT: '12abc' } });
    expect(problems).toEqual([
      {
        path: 'server.port',
        message: 'expected a whole number 0-65535, got "12abc" (from HIKBRIDGE_SERVER_PORT)',
      },
    ]);
    expect(error.message).toContain(
      'server.port: expected a whole number 0-65535, got "12abc" (from HIKBRIDGE_SERVER_PORT)',
    );
  });

  it('rejects an unknown word for a boolean or a choice', () => {
    const { problems } = problemsOf({
      env: { HIKBRIDGE_SERVER_TRUST_PROXY: 'maybe', HIKBRIDGE_LOG_LEVEL: 'loud' },
    });
    expect(problems.map((problem) => problem.path)).toEqual(['server.trustProxy', 'log.level']);
    expect(problems[0]!.message).toBe(
      'expected true or false, got "maybe" (from HIKBRIDGE_SERVER_TRUST_PROXY)',
    );
    expect(problems[1]!.message).toContain(
      'expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
  });

  it('treats an empty variable as unset', () => {
    expect(load({ env: { HIKBRIDGE_SERVER_PORT: '' } }).server.port).toBe(8080);
  });

  it('reports unknown HIKBRIDGE_ variables, with a suggestion', () => {
    const { problems } = problemsOf({
      env: { HIKBRIDGE_SERVR_PORT: '1', HIKBRIDGE_PORT: '2', HIKBRIDGE_NOTHING_LIKE_IT: '3' },
    });
    expect(problems).toEqual([
      { path: 'HIKBRIDGE_NOTHING_LIKE_IT', message: 'unknown environment variable' },
      {
        path: 'HIKBRIDGE_PORT',
        message: 'unknown environment variable; did you mean HIKBRIDGE_SERVER_PORT?',
      },
      {
        path: 'HIKBRIDGE_SERVR_PORT',
        message: 'unknown environment variable; did you mean HIKBRIDGE_SERVER_PORT?',
      },
    ]);
  });

  it('ignores unrelated variables and allows the non-config HIKBRIDGE_ ones', () => {
    const file = writeFile('c.yaml', '');
    expect(() => load({ env: { PATH: '/bin', HIKBRIDGE_CONFIG: file, HIKBRIDGE_DATA: 'd' } })).not.toThrow();
  });

  it('gives every key its own variable and a description', () => {
    const keys = listConfigKeys();
    expect(new Set(keys.map((key) => key.env)).size).toBe(keys.length);
    for (const key of keys) {
      expect(key.env).toBe(envNameFor(key.path.split('.')));
      expect(key.description.length, key.path).toBeGreaterThan(10);
    }
  });
});

describe('precedence', () => {
  it('applies file, then environment, then overrides', () => {
    const file = writeFile(
      'config.yaml',
      'server:\n  port: 1001\n  host: file.local\n  bodyLimitBytes: 2048\nlog:\n  modules: { devices: debug }\n',
    );
    const config = load({
      file,
      env: {
        HIKBRIDGE_SERVER_PORT: '1002',
        HIKBRIDGE_SERVER_HOST: 'env.local',
        HIKBRIDGE_LOG_MODULES: 'api=warn',
      },
      overrides: { server: { port: 1003, host: undefined } },
    });
    expect(config.server.port).toBe(1003);
    expect(config.server.host).toBe('env.local');
    expect(config.server.bodyLimitBytes).toBe(2048);
    expect(config.log.modules).toEqual({ devices: 'debug', api: 'warn' });
  });

  it('does not modify the overrides it is given', () => {
    writeFile('pw', 'long-enough-password\n');
    const overrides = { auth: { adminPassword: { file: 'pw' } } };
    expect(load({ overrides }).auth.adminPassword).toBe('long-enough-password');
    expect(overrides).toEqual({ auth: { adminPassword: { file: 'pw' } } });
  });
});

describe('problems', () => {
  it('lists every problem at once, each with its path', () => {
    const file = writeFile(
      'config.yaml',
      'server:\n  port: "abc"\nauth:\n  login:\n    maxAttempts: 0\nlog:\n  format: xml\n',
    );
    const { problems, error } = problemsOf({ file });
    expect(problems.map((problem) => problem.path)).toEqual([
      'server.port',
      'auth.login.maxAttempts',
      'log.format',
    ]);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('invalid configuration (3 problems):');
    expect(lines.slice(1)).toEqual([
      `  server.port: expected a whole number 0-65535, got "abc" (from ${file}:2:3)`,
      `  auth.login.maxAttempts: expected a whole number of at least 1, got 0 (from ${file}:5:5)`,
      `  log.format: expected one of auto, json, pretty, got "xml" (from ${file}:7:3)`,
    ]);
  });

  it('rejects unknown keys at every level, suggesting a close key', () => {
    const file = writeFile(
      'config.yaml',
      'sever:\n  port: 1\nserver:\n  prot: 1\nauth:\n  login:\n    maxAttempt: 3\n',
    );
    const { problems } = problemsOf({ file });
    expect(problems).toEqual([
      { path: 'server.prot', message: `unknown key; did you mean "port"? (from ${file}:4:3)` },
      {
        path: 'auth.login.maxAttempt',
        message: `unknown key; did you mean "maxAttempts"? (from ${file}:7:5)`,
      },
      { path: 'sever', message: `unknown key; did you mean "server"? (from ${file}:1:1)` },
    ]);
  });

  it('says nothing is close when nothing is', () => {
    const { problems } = problemsOf({ overrides: { zigbee: { broker: 'x' } } });
    expect(problems).toEqual([{ path: 'zigbee', message: 'unknown key (from overrides)' }]);
  });

  it('checks that the longest reconnect wait is not below the first one', () => {
    const { problems } = problemsOf({ env: { HIKBRIDGE_DEVICES_SUPERVISOR_MAX_BACKOFF_SECONDS: '1' } });
    expect(problems).toEqual([
      {
        path: 'devices.supervisor.maxBackoffSeconds',
        message:
          'must be at least devices.supervisor.minBackoffSeconds (2), got 1 (from HIKBRIDGE_DEVICES_SUPERVISOR_MAX_BACKOFF_SECONDS)',
      },
    ]);
  });

  it('checks the cloud settings: retry waits in order, a region address without credentials', () => {
    const order = problemsOf({ env: { HIKBRIDGE_CLOUD_OFFLINE_RETRY_MAX_SECONDS: '30' } }).problems;
    expect(order).toEqual([
      {
        path: 'cloud.offlineRetryMaxSeconds',
        message:
          'must be at least cloud.offlineRetryMinSeconds (60), got 30 (from HIKBRIDGE_CLOUD_OFFLINE_RETRY_MAX_SECONDS)',
      },
    ]);
    const address = problemsOf({
      overrides: { cloud: { defaultBaseUrl: 'https://key:secret@ieu.hikcentralconnect.com' } },
    });
    expect(address.problems.map((problem) => problem.path)).toEqual(['cloud.defaultBaseUrl']);
    expect(address.error.message).toContain('must not contain a user name or password');
    expect(address.error.message).not.toContain('secret@');
  });

  it('masks credentials in a URL shown as a rejected value', () => {
    const { error } = problemsOf({ overrides: { server: { publicUrl: 'ftp://me:pa55word@host/' } } });
    expect(error.message).toContain(
      'server.publicUrl: expected an http:// or https:// URL, got "ftp://me:***@host/"',
    );
    expect(error.message).not.toContain('pa55word');
  });
});

describe('secrets', () => {
  const validKey = Buffer.alloc(32, 7).toString('base64');

  it('takes a plain value from YAML or the environment', () => {
    const file = writeFile('c.yaml', 'auth:\n  adminPassword: from-the-file\n');
    expect(load({ file }).auth.adminPassword).toBe('from-the-file');
    expect(load({ file, env: { HIKBRIDGE_AUTH_ADMIN_PASSWORD: 'from-the-env' } }).auth.adminPassword).toBe(
      'from-the-env',
    );
    expect(load({ env: { HIKBRIDGE_SECRETS_KEY: validKey } }).secrets.key).toBe(validKey);
  });

  it('reads { file } in YAML, trimmed, relative to the working directory', () => {
    writeFile('admin.pw', '  s3cret-password \n');
    const file = writeFile('c.yaml', 'auth:\n  adminPassword: { file: admin.pw }\n');
    expect(load({ file }).auth.adminPassword).toBe('s3cret-password');
  });

  it('reads HIKBRIDGE_X_FILE', () => {
    const path = writeFile('db.url', 'postgres://hik:pw@db/hik\n');
    const config = load({ env: { HIKBRIDGE_DATABASE_URL_FILE: path } });
    expect(config.database.url).toBe('postgres://hik:pw@db/hik');
  });

  it('refuses both HIKBRIDGE_X and HIKBRIDGE_X_FILE', () => {
    const { problems } = problemsOf({
      env: { HIKBRIDGE_AUTH_ADMIN_PASSWORD: 'a-password', HIKBRIDGE_AUTH_ADMIN_PASSWORD_FILE: '/x' },
    });
    expect(problems).toEqual([
      {
        path: 'auth.adminPassword',
        message: 'set either HIKBRIDGE_AUTH_ADMIN_PASSWORD or HIKBRIDGE_AUTH_ADMIN_PASSWORD_FILE, not both',
      },
    ]);
  });

  it('names an unreadable secret file without its content', () => {
    const { problems } = problemsOf({ env: { HIKBRIDGE_AUTH_ADMIN_PASSWORD_FILE: 'nope.txt' } });
    expect(problems).toEqual([
      {
        path: 'auth.adminPassword',
        message: `cannot read secret file "${join(dir, 'nope.txt')}" (ENOENT) (from HIKBRIDGE_AUTH_ADMIN_PASSWORD_FILE)`,
      },
    ]);
  });

  it('never shows a secret value in a problem', () => {
    writeFile('short.pw', 'tiny7\n');
    const file = writeFile(
      'c.yaml',
      'auth:\n  adminPassword: { file: short.pw }\nsecrets:\n  key: not-a-key-but-secret\n',
    );
    const { error, problems } = problemsOf({
      file,
      env: { HIKBRIDGE_DATABASE_URL: 'oracle://scott:tiger-pass@db' },
    });
    expect(problems.map((problem) => problem.path)).toEqual([
      'database.url',
      'secrets.key',
      'auth.adminPassword',
    ]);
    expect(error.message).toContain(
      'auth.adminPassword: expected a string of at least 8 characters (or { file: PATH }), got ***',
    );
    for (const secretText of ['tiny7', 'not-a-key-but-secret', 'tiger-pass']) {
      expect(error.message).not.toContain(secretText);
    }
  });

  it('masks a secret given with the wrong shape', () => {
    const { error } = problemsOf({ overrides: { auth: { adminPassword: { path: 'hunter2-hunter2' } } } });
    expect(error.message).toContain('auth.adminPassword: expected a string of at least 8 characters');
    expect(error.message).toContain('got ***');
    expect(error.message).not.toContain('hunter2');
  });

  it('does not offer HIKBRIDGE_SECRETS_KEY_FILE for the key: that variable is secrets.keyFile', () => {
    const keys = listConfigKeys();
    expect(keys.find((key) => key.path === 'secrets.keyFile')!.env).toBe('HIKBRIDGE_SECRETS_KEY_FILE');
    expect(load({ env: { HIKBRIDGE_SECRETS_KEY_FILE: 'k' } }).secrets).toEqual({ keyFile: join(dir, 'k') });
  });

  it('marks secret keys in the key list', () => {
    const secrets = listConfigKeys().filter((key) => key.secret);
    expect(secrets.map((key) => key.path).sort()).toEqual([
      'auth.adminPassword',
      'database.url',
      'media.apiPassword',
      'mqtt.password',
      'secrets.key',
    ]);
  });
});

describe('docs/config.md', () => {
  it('is up to date with the schema', () => {
    const committed = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');
    expect(committed, 'docs/config.md is out of date: run `npm run docs:config` and commit the result').toBe(
      renderConfigDocs(),
    );
  });

  it('documents every key and every variable', () => {
    const docs = renderConfigDocs();
    for (const key of listConfigKeys()) {
      expect(docs).toContain(`| \`${key.path}\` | \`${key.env}\``);
    }
    expect(docs).toContain('`HIKBRIDGE_AUTH_ADMIN_PASSWORD_FILE`');
    expect(docs).toContain('`HIKBRIDGE_CONFIG`');
    expect(docs).toContain('`HIKBRIDGE_DATA`');
  });
});
