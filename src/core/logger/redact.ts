/**
 * Masking of credentials in free text and in log records. This is defence in depth: code should
 * not log secrets in the first place, but device URLs, HTTP errors and stack traces carry them
 * in unexpected places (an `rtsp://admin:pass@` inside an error message, a Digest header echoed
 * by a failing request).
 */

export const MASK = '***';

/**
 * Object keys whose values are always replaced by the mask in log records. Matched exactly (pino
 * redact paths are not patterns), so the usual spellings are listed.
 */
export const SECRET_KEY_NAMES = [
  'password',
  'pass',
  'passwd',
  'adminPassword',
  'secret',
  'appSecret',
  'appKey',
  'secretKey',
  'streamCode',
  'token',
  'apiToken',
  'accessToken',
  'refreshToken',
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'key',
] as const;

/** Redaction depth for pino paths: `password`, `*.password` and `*.*.password`. */
const REDACT_DEPTH = 3;

export function secretKeyRedactPaths(): string[] {
  const prefixes = Array.from({ length: REDACT_DEPTH }, (_, depth) => '*.'.repeat(depth));
  return SECRET_KEY_NAMES.flatMap((name) => prefixes.map((prefix) => `${prefix}${name}`));
}

// `scheme://user:password@` — the password may itself contain `@` when it was not URL-encoded,
// so the password part runs greedily to the last `@` of the authority. Quotes and backslashes
// end it so that masking never swallows the surrounding JSON or code.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#"'\\]*):([^\s/?#"'\\]*)@/gi;

// `password=…`, `access_token=…`, `appSecret=…`, `secretKey=…` in query strings and key=value text.
const SECRET_ASSIGNMENT =
  /\b([\w.-]*(?:password|passwd|pwd|secret|secretkey|token|api[_-]?key|app[_-]?key)|pass)=([^&\s"',;]+)/gi;

// A cloud live URL's query (`…/openlive/SN_1_2?expire=…&id=…&t=…`) is the key to the stream.
const CLOUD_LIVE_QUERY = /(\/openlive[/#][^\s?"'\\]*\?)[^\s"'\\]+/gi;

// `"password":"…"` as it appears in JSON bodies quoted in error messages.
const SECRET_JSON_FIELD =
  /("[\w.-]*(?:password|passwd|secret|token|api[_-]?key|authorization|cookie)"\s*:\s*")((?:[^"\\]|\\.)*)"/gi;

// `Authorization: Basic …`, `Proxy-Authorization: Digest …`, `authorization="Bearer …"`.
// A Digest value is a comma-separated list with quotes inside, so it is masked to the end of
// the line; Basic and Bearer tokens are a single word.
const AUTHORIZATION_DIGEST = /(authorization["']?\s*[:=]\s*["']?)(digest)\s+[^\r\n]*/gi;
const AUTHORIZATION_TOKEN = /(authorization["']?\s*[:=]\s*["']?)(basic|bearer)\s+[^\s"',;]+/gi;

// `Cookie: session=…` header lines.
const COOKIE_HEADER = /\b((?:set-)?cookie\s*:\s*)[^\r\n]+/gi;

/**
 * Masks URL credentials, `password=`/`token=` values, cloud live-URL queries, Authorization and
 * Cookie header values.
 */
export function redactSecretsInText(text: string): string {
  return text
    .replace(URL_CREDENTIALS, `$1$2:${MASK}@`)
    .replace(CLOUD_LIVE_QUERY, `$1${MASK}`)
    .replace(SECRET_JSON_FIELD, `$1${MASK}"`)
    .replace(SECRET_ASSIGNMENT, `$1=${MASK}`)
    .replace(AUTHORIZATION_DIGEST, `$1$2 ${MASK}`)
    .replace(AUTHORIZATION_TOKEN, `$1$2 ${MASK}`)
    .replace(COOKIE_HEADER, `$1${MASK}`);
}

const MAX_WALK_DEPTH = 6;
const SECRET_KEYS: ReadonlySet<string> = new Set(SECRET_KEY_NAMES);

/**
 * Masks values under secret key names at any depth (pino's redact paths stop at three levels)
 * and applies redactSecretsInText to every string inside plain objects and arrays. Returns the
 * input itself when nothing changed, so the common case allocates nothing. Class instances
 * (errors, buffers, dates) are left to their serializers.
 */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactSecretsInText(value) as T;
  if (depth >= MAX_WALK_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const mapped = value.map((item) => redactDeep(item, depth + 1));
    return (mapped.some((item, index) => item !== value[index]) ? mapped : value) as T;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const redacted = SECRET_KEYS.has(key) && item != null ? MASK : redactDeep(item, depth + 1);
    if (redacted === item) continue;
    copy ??= { ...value };
    copy[key] = redacted;
  }
  return (copy ?? value) as T;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
