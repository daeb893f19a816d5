/**
 * Environment variable names. Names are generated from schema paths only; an environment name is
 * never parsed back into a path, because `DATA_DIR` could equally be `data.dir` or `dataDir`.
 */

export const ENV_PREFIX = 'HIKBRIDGE_';

/** Suffix that makes a secret's variable name a path to a file holding the value. */
export const SECRET_FILE_SUFFIX = '_FILE';

/** `HIKBRIDGE_*` variables that are not config keys, with what they do. */
export const NON_CONFIG_ENV: Readonly<Record<string, string>> = {
  HIKBRIDGE_CONFIG:
    'Path of the YAML config file, used when no file is given on the command line (`--config`).',
  HIKBRIDGE_DATA:
    'Data directory, an alias of `HIKBRIDGE_DATA_DIR` (the `--data` flag as a variable, handy in container ' +
    'images). Setting both to different values is an error.',
  HIKBRIDGE_TOKEN: 'API token the `hikbridge cloud` commands send to the gateway (not read by `start`).',
  HIKBRIDGE_PASSWORD:
    'Password the `hikbridge cloud` commands log in with when no token is given (not read by `start`).',
  HIKBRIDGE_CLOUD_SECRET: 'SecretKey `hikbridge cloud add` sends for the new account (not read by `start`).',
};

/** `['auth', 'login', 'maxAttempts']` → `HIKBRIDGE_AUTH_LOGIN_MAX_ATTEMPTS`. */
export function envNameFor(path: string[]): string {
  return ENV_PREFIX + path.map(upperSnake).join('_');
}

/** `maxAttempts` → `MAX_ATTEMPTS`, `requestTimeoutMs` → `REQUEST_TIMEOUT_MS`, `HTTPServer` → `HTTP_SERVER`. */
function upperSnake(segment: string): string {
  return segment
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}
