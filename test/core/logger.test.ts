import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, type LoggerOptions, redactSecretsInText } from '../../src/core/logger.ts';

/** A logger whose output is collected as text. */
function capture(options: Partial<LoggerOptions> = {}) {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: 'info', ...options, destination });
  const text = () => chunks.join('');
  const records = () =>
    text()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, text, records };
}

describe('levels', () => {
  it('filters by the root level and by per-module levels', () => {
    const { logger, records } = capture({ level: 'info', modules: { devices: 'debug', api: 'warn' } });
    logger.debug('root debug');
    logger.info('root info');
    logger.forModule('devices').debug('devices debug');
    logger.forModule('devices').trace('devices trace');
    logger.forModule('api').info('api info');
    logger.forModule('api').warn('api warn');
    logger.forModule('mqtt').info('mqtt info');
    logger.forModule('mqtt').debug('mqtt debug');
    expect(records().map((record) => [record.module, record.msg])).toEqual([
      [undefined, 'root info'],
      ['devices', 'devices debug'],
      ['api', 'api warn'],
      ['mqtt', 'mqtt info'],
    ]);
  });

  it('lets a dotted module fall back to its parent module', () => {
    const { logger, records } = capture({
      level: 'warn',
      modules: { devices: 'debug', 'devices.sip': 'error' },
    });
    logger.forModule('devices.supervisor').debug('inherits devices');
    logger.forModule('devices.sip').warn('own level');
    expect(records().map((record) => record.msg)).toEqual(['inherits devices']);
  });

  it('keeps the module binding and level on children', () => {
    const { logger, records } = capture({ level: 'info', modules: { devices: 'debug' } });
    const child = logger.forModule('devices').child({ deviceId: 'cam-1' });
    child.debug('child debug');
    expect(records()).toEqual([
      expect.objectContaining({ module: 'devices', deviceId: 'cam-1', level: 'debug' }),
    ]);
  });

  it('writes nothing when silent', async () => {
    const { logger, text } = capture({ level: 'silent' });
    logger.fatal('not shown');
    await logger.flush();
    expect(text()).toBe('');
  });
});

describe('redaction', () => {
  it('masks secret-named keys at depth 1 to 3', () => {
    const { logger, text, records } = capture();
    logger.info(
      {
        password: 'pw-depth-1',
        device: { password: 'pw-depth-2', token: 'tok-depth-2' },
        cloud: { account: { appSecret: 'sec-depth-3', key: 'key-depth-3' } },
      },
      'saved',
    );
    expect(records()[0]).toMatchObject({
      password: '***',
      device: { password: '***', token: '***' },
      cloud: { account: { appSecret: '***', key: '***' } },
    });
    expect(text()).not.toMatch(/depth-\d/);
  });

  it('masks secret-named keys in child bindings', () => {
    const { logger, text } = capture();
    logger.child({ password: 'bound-secret', url: 'rtsp://admin:bound-pass@cam/1' }).info('bound');
    expect(text()).not.toContain('bound-secret');
    expect(text()).not.toContain('bound-pass');
    expect(text()).toContain('rtsp://admin:***@cam/1');
  });

  it('masks URL credentials in messages, format arguments and string fields', () => {
    const { logger, text, records } = capture();
    logger.info(
      { url: 'rtsp://admin:field-pass@10.0.0.5:554/Streaming/101' },
      'probing http://admin:msg-pass@cam',
    );
    logger.info('forwarding %s', 'rtmp://user:arg-pass@cloud/live');
    expect(records().map((record) => [record.msg, record.url])).toEqual([
      ['probing http://admin:***@cam', 'rtsp://admin:***@10.0.0.5:554/Streaming/101'],
      ['forwarding rtmp://user:***@cloud/live', undefined],
    ]);
    expect(text()).not.toMatch(/(field|msg|arg)-pass/);
  });

  it('masks cloud live-URL keys and cloud credentials', () => {
    const { logger, text } = capture();
    logger.info(
      { appKey: 'key-17', secretKey: 'sec-42', streamCode: 'ABCDEF' },
      'pulling rtmp://vtm.ezvizlife.com:1935/v3/openlive#SN1_1_2?expire=1&id=a1&c=c2&t=t3secret&ev=100 now',
    );
    logger.info('token call with appKey=key-18&secretKey=sec-43');
    const said = text();
    expect(said).toContain('/v3/openlive#SN1_1_2?***');
    for (const secret of ['t3secret', 'key-17', 'sec-42', 'ABCDEF', 'key-18', 'sec-43']) {
      expect(said).not.toContain(secret);
    }
  });

  it('masks URL credentials in error messages and stacks', () => {
    const { logger, text, records } = capture();
    const failure = new Error('connect failed for http://admin:stack-pass@192.168.1.64/ISAPI');
    logger.error(failure);
    logger.error({ err: failure, deviceId: 'cam-1' }, 'device failed');
    logger.warn({ error: new Error('token=abc123 rejected') }, 'cloud refused');
    const [first, second, third] = records();
    expect(first!.msg).toBe('connect failed for http://admin:***@192.168.1.64/ISAPI');
    const err = first!.err as { message: string; stack: string };
    expect(err.message).toBe('connect failed for http://admin:***@192.168.1.64/ISAPI');
    expect(err.stack).toContain('Error: connect failed for http://admin:***@192.168.1.64/ISAPI');
    expect(second!.err).toMatchObject({ message: 'connect failed for http://admin:***@192.168.1.64/ISAPI' });
    expect(third!.error).toMatchObject({ message: 'token=*** rejected' });
    expect(text()).not.toContain('stack-pass');
    expect(text()).not.toContain('abc123');
  });

  it('masks credentials carried by an error cause', () => {
    const { logger, text } = capture();
    const cause = new Error('upstream http://u:cause-pass@host');
    logger.error({ err: new Error('request failed', { cause }) }, 'failed');
    expect(text()).toContain('http://u:***@host');
    expect(text()).not.toContain('cause-pass');
  });

  it('masks Authorization header values, as fields and inside text', () => {
    const { logger, text, records } = capture();
    logger.info({ headers: { authorization: 'Basic YWRtaW46aHVudGVyMg==' } }, 'request');
    logger.info({ request: { headers: { Authorization: 'Bearer eyJhbGciOi.payload.sig' } } }, 'request');
    logger.warn(
      'retrying with Authorization: Digest username="admin", realm="IP Camera", response="d41d8cd9"',
    );
    const [basic, bearer, digest] = records();
    expect(basic!.headers).toEqual({ authorization: '***' });
    expect(bearer!.request).toEqual({ headers: { Authorization: '***' } });
    expect(digest!.msg).toBe('retrying with Authorization: Digest ***');
    expect(text()).not.toMatch(/YWRtaW46|eyJhbGciOi|d41d8cd9/);
  });
});

describe('redactSecretsInText', () => {
  it.each([
    ['rtsp://admin:Hik12345@10.0.0.2:554/x', 'rtsp://admin:***@10.0.0.2:554/x'],
    ['http://admin:p@ss@host/path', 'http://admin:***@host/path'],
    ['https://host:8443/path?x=a@b', 'https://host:8443/path?x=a@b'],
    ['GET /ISAPI?user=admin&password=Hik12345&x=1', 'GET /ISAPI?user=admin&password=***&x=1'],
    ['url?accessToken=at.123&appSecret=zz', 'url?accessToken=***&appSecret=***'],
    ['body {"password":"p\\"w","name":"x"}', 'body {"password":"***","name":"x"}'],
    ['Authorization: Basic YWRtaW4=', 'Authorization: Basic ***'],
    ['authorization: bearer abc.def', 'authorization: bearer ***'],
    [
      'Proxy-Authorization: Digest username="a", response="b"\nnext line',
      'Proxy-Authorization: Digest ***\nnext line',
    ],
    ['Cookie: session=abc; other=def', 'Cookie: ***'],
    ['nothing secret here: port=8080', 'nothing secret here: port=8080'],
  ])('%s', (input, expected) => {
    expect(redactSecretsInText(input)).toBe(expected);
  });
});

const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;
const plain = (text: string) => text.replace(ANSI_ESCAPE, '');

/** A destination that says it is a terminal, as process.stdout does on one. */
function terminalCapture(options: Partial<LoggerOptions> = {}) {
  const chunks: string[] = [];
  const destination = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    { isTTY: true },
  );
  const logger = createLogger({ level: 'info', ...options, destination });
  return { logger, text: () => chunks.join('') };
}

describe('pretty format', () => {
  it('writes one line per record: local time, level, module, message, fields', () => {
    const { logger, text } = capture({ format: 'pretty', color: false });
    logger.forModule('devices').info({ deviceId: 'cam 1', channels: 4, password: 'pw' }, 'online');
    logger.warn({ paths: ['a', 'b'] }, 'second');
    expect(text()).toMatch(
      /^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}\[devices\] online deviceId="cam 1" channels=4 password=\*\*\*\n\d{2}:\d{2}:\d{2}\.\d{3} WARN {2}second paths=\["a","b"\]\n$/,
    );
    expect(text()).not.toMatch(ANSI_ESCAPE);
  });

  it('colours the level, module and field names when asked', () => {
    const { logger, text } = capture({ format: 'pretty', color: true });
    logger.forModule('media').error({ path: 'cam1' }, 'engine failed');
    logger.info('fine');
    const [failed, fine] = text().split('\n');
    expect(failed).toContain('\u001b[31m\u001b[1mERROR\u001b[0m');
    expect(failed).toContain('\u001b[36m[media]\u001b[0m');
    expect(fine).toContain('\u001b[32mINFO \u001b[0m');
    expect(plain(failed!)).toMatch(/^\S+ ERROR \[media\] engine failed path=cam1$/);
  });

  it('keeps an error on the record line: type, message, code, where it was thrown', () => {
    const { logger, text } = capture({ format: 'pretty', color: false });
    const refused = Object.assign(new TypeError('connect refused'), { code: 'ECONNREFUSED' });
    logger.error({ err: refused, deviceId: 'cam-1' }, 'device unreachable');
    logger.error(new Error('bad http://u:pretty-pass@h'));
    const lines = text().split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /ERROR device unreachable err="TypeError: connect refused \(code ECONNREFUSED\) at \S*logger\.test\.ts:\d+:\d+" deviceId=cam-1$/,
    );
    // The record's message already says what the error says: only the type and place remain.
    expect(lines[1]).toMatch(/ERROR bad http:\/\/u:\*\*\*@h err="Error at \S*logger\.test\.ts:\d+:\d+"$/);
    expect(text()).not.toContain('pretty-pass');
  });

  it('prints control characters from untrusted text escaped, so a record stays one inert line', () => {
    const { logger, text } = capture({ format: 'pretty', color: false });
    logger.info({ name: 'Yard\u001b[2J\u0007' }, 'line one\nline two\tend\u009b');
    expect(text().split('\n')).toEqual([
      expect.stringMatching(/INFO {2}line one\\nline two\\tend\\u009b name=Yard\\u001b\[2J\\u0007$/),
      '',
    ]);
  });

  it('auto is pretty on a terminal (coloured unless NO_COLOR) and JSON anywhere else', () => {
    const piped = capture({ format: 'auto' });
    piped.logger.info('to a pipe');
    expect(piped.records()).toEqual([expect.objectContaining({ msg: 'to a pipe', level: 'info' })]);

    const terminal = terminalCapture({ format: 'auto' });
    terminal.logger.info('to a person');
    expect(terminal.text()).toMatch(ANSI_ESCAPE);
    expect(plain(terminal.text())).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}to a person\n$/);

    const before = process.env.NO_COLOR;
    process.env.NO_COLOR = '1';
    try {
      const noColor = terminalCapture({ format: 'auto' });
      noColor.logger.info('no colour please');
      expect(noColor.text()).toMatch(/INFO {2}no colour please\n$/);
      expect(noColor.text()).not.toMatch(ANSI_ESCAPE);
    } finally {
      if (before === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = before;
    }
  });
});

describe('secrets in every format', () => {
  const SECRET = 'Hunter2-Secret!';
  const logEverywhere = (logger: ReturnType<typeof createLogger>) => {
    logger.info({ password: SECRET, device: { auth: { token: SECRET } } }, 'fields');
    logger.info(`message http://admin:${SECRET}@192.0.2.1/ISAPI`);
    logger.info('argument %s', `rtsp://admin:${SECRET}@192.0.2.1:554/101`);
    logger.child({ password: SECRET, url: `http://admin:${SECRET}@cam` }).info('bound');
    logger.warn(
      { headers: { authorization: `Basic ${Buffer.from(`admin:${SECRET}`).toString('base64')}` } },
      'h',
    );
    const cause = new Error(`upstream http://u:${SECRET}@host`);
    logger.error({ err: new Error(`failed http://admin:${SECRET}@cam`, { cause }) }, 'with cause');
    logger.error(new Error(`bare http://admin:${SECRET}@cam`));
    logger.info(`query ?password=${SECRET}&x=1`);
  };

  for (const format of ['json', 'pretty'] as const) {
    for (const color of [false, true]) {
      if (format === 'json' && color) continue;
      it(`a password logged in any way never shows in ${format}${color ? ' (coloured)' : ''}`, () => {
        const { logger, text } = capture({ format, color });
        logEverywhere(logger);
        expect(text().split('\n').filter(Boolean)).toHaveLength(8);
        expect(text()).not.toContain(SECRET);
        expect(text()).not.toContain(encodeURIComponent(SECRET));
        expect(text()).not.toContain(Buffer.from(`admin:${SECRET}`).toString('base64'));
        expect(text()).toContain('***');
      });
    }
  }
});

describe('flush', () => {
  it('resolves after the lines are written', async () => {
    const { logger, records } = capture();
    logger.info('before flush');
    await logger.flush();
    expect(records()).toHaveLength(1);
  });
});
