/**
 * One policy for every URL a user hands the gateway (a snapshot override, a webhook, the cloud
 * base URL, a talk source): which schemes it may use, whose credentials may go with it, whether
 * a redirect is followed, and how much and for how long an answer is read.
 *
 * The rule behind it: credentials belong to one origin (scheme, host, port). A device's go to the
 * device's origin only; a URL's own `user:password` to that URL's origin only; a redirect is
 * never followed to another origin, so nothing that was meant for one origin reaches another.
 *
 * Pure: no state, no I/O. Callers apply the verdicts (the HTTP client, the snapshot fetcher, the
 * modules that store such URLs).
 */
import type { Credentials } from './digest.ts';

export interface UrlRules {
  /** What the URL is, as the user knows it: named in every refusal. */
  label: string;
  /** Allowed schemes, lower case with the colon: `https:`. */
  schemes: readonly string[];
  /**
   * `own-origin`: the URL may carry `user:password`; they are taken out of it and go to the
   * URL's own origin only. `refused`: credentials belong in a setting of their own.
   */
  userinfo: 'own-origin' | 'refused';
  /** `none`: a 3xx answer is the answer. `same-origin`: followed within the URL's origin only. */
  redirects: 'none' | 'same-origin';
  /** Redirects followed at most (with `same-origin`). */
  maxRedirects: number;
  /** Longest URL accepted, in characters. */
  maxLength: number;
  /**
   * Largest answer body read; the rest is refused, not buffered. 0: the answer is a stream read
   * for as long as its session lasts, bounded by the caller's time limit instead.
   */
  maxResponseBytes: number;
  /** The exchange (connect, answer, body) must end within this; for a stream, its first data. */
  timeoutMs: number;
}

const WEB = ['http:', 'https:'] as const;
const MB = 1024 * 1024;

/** The rules for each kind of user-given URL the gateway knows. */
export const URL_RULES = {
  /** A picture URL replacing a channel's ISAPI snapshot path (a camera behind an NVR, another port). */
  snapshot: {
    label: 'snapshotUrlOverride',
    schemes: WEB,
    userinfo: 'own-origin',
    redirects: 'none',
    maxRedirects: 0,
    maxLength: 2048,
    maxResponseBytes: 8 * MB,
    timeoutMs: 10_000,
  },
  /** Where signed event deliveries are POSTed; the answer is only looked at, never kept. */
  webhook: {
    label: 'webhook url',
    schemes: WEB,
    userinfo: 'own-origin',
    redirects: 'none',
    maxRedirects: 0,
    maxLength: 2048,
    maxResponseBytes: 64 * 1024,
    timeoutMs: 10_000,
  },
  /** The HikCentral Connect bootstrap address; its key and secret are settings of their own. */
  cloud: {
    label: 'cloud base URL',
    schemes: WEB,
    userinfo: 'refused',
    redirects: 'none',
    maxRedirects: 0,
    maxLength: 512,
    maxResponseBytes: 16 * MB,
    timeoutMs: 10_000,
  },
  /** An audio source ffmpeg reads for two-way audio (a file on a web server, a live stream). */
  talkSource: {
    label: 'talk source URL',
    schemes: [...WEB, 'rtsp:', 'rtsps:', 'rtmp:', 'rtmps:', 'srt:'],
    userinfo: 'own-origin',
    redirects: 'none',
    maxRedirects: 0,
    maxLength: 2048,
    maxResponseBytes: 0,
    timeoutMs: 15_000,
  },
} as const satisfies Record<string, UrlRules>;

/** A user-given URL that broke its rules; the message names the URL's setting, never its secrets. */
export class UrlPolicyError extends TypeError {
  constructor(
    readonly label: string,
    detail: string,
  ) {
    super(`${label}: ${detail}`);
    this.name = 'UrlPolicyError';
  }
}

export interface CheckedUrl {
  /** The URL without user info (and without a fragment): what is requested. */
  url: URL;
  /** `scheme://host:port`, the port always written (see originOf). */
  origin: string;
  /** The URL's own `user:password`, for `origin` only. */
  credentials?: Credentials;
}

/** Checks a user-given URL against `rules`; throws UrlPolicyError saying what is wrong. */
export function checkUserUrl(input: string, rules: UrlRules): CheckedUrl {
  if (input.length > rules.maxLength)
    throw new UrlPolicyError(rules.label, `longer than ${rules.maxLength} characters`);
  // Spaces and control characters would be encoded away silently: say so instead of requesting another URL.
  if (/[\s\u0000-\u001f\u007f]/.test(input)) {
    throw new UrlPolicyError(rules.label, 'contains spaces or control characters');
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UrlPolicyError(rules.label, `not a URL (expected ${rules.schemes[0]}//host[:port]/path)`);
  }
  if (!rules.schemes.includes(url.protocol)) {
    const allowed = rules.schemes.map((scheme) => `${scheme}//`).join(', ');
    throw new UrlPolicyError(rules.label, `${url.protocol}// is not allowed here (allowed: ${allowed})`);
  }
  if (!url.hostname) throw new UrlPolicyError(rules.label, 'the URL has no host');
  const credentials = takeUserinfo(url, rules);
  url.hash = '';
  return { url, origin: originOf(url), ...(credentials ? { credentials } : {}) };
}

function takeUserinfo(url: URL, rules: UrlRules): Credentials | undefined {
  if (!url.username && !url.password) return undefined;
  if (rules.userinfo === 'refused') {
    throw new UrlPolicyError(
      rules.label,
      'must not contain a user name or password; they have settings of their own',
    );
  }
  let credentials: Credentials;
  try {
    credentials = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  } catch {
    throw new UrlPolicyError(rules.label, 'the user name or password in it is not properly %-encoded');
  }
  url.username = '';
  url.password = '';
  return credentials;
}

/** Well-known ports, so that `http://cam` and `http://cam:80` are one origin. */
const DEFAULT_PORTS: Record<string, string> = {
  'http:': '80',
  'https:': '443',
  'rtsp:': '554',
  'rtsps:': '322',
  'rtmp:': '1935',
  'rtmps:': '443',
};

/**
 * `scheme://host:port` with the port always written and the host in lower case. URL.origin
 * cannot be used: it is "null" for schemes the URL standard does not know (rtsp:).
 */
export function originOf(url: URL | string): string {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  const port = parsed.port || DEFAULT_PORTS[parsed.protocol] || '';
  return `${parsed.protocol}//${parsed.hostname.toLowerCase()}:${port}`;
}

/** Same scheme, host and port. An unparsable URL is nobody's origin. */
export function sameOrigin(a: URL | string, b: URL | string): boolean {
  try {
    return originOf(a) === originOf(b);
  } catch {
    return false;
  }
}

/** Credentials and the one origin they belong to. */
export interface OriginCredentials {
  /** Any URL of that origin (only scheme, host and port count). */
  origin: URL | string;
  credentials: Credentials;
}

/**
 * The credentials that may go to `target`: those of the first grant whose origin is the
 * target's; undefined when none is, and then no Authorization may be sent there at all, not
 * even in answer to the target's own 401 challenge.
 */
export function credentialsFor(
  target: URL | string,
  grants: readonly OriginCredentials[],
): Credentials | undefined {
  return grants.find((grant) => sameOrigin(grant.origin, target))?.credentials;
}

export type RedirectVerdict = { follow: true; url: URL } | { follow: false; reason: string };

/**
 * Whether to follow a 3xx answer from `from` to `location` (its Location header), after
 * `followed` redirects already. Only within the origin, so the credentials of that origin may go
 * on with it; never anywhere else, with or without them.
 */
export function redirectVerdict(
  from: URL,
  location: string | undefined,
  rules: UrlRules,
  followed: number,
): RedirectVerdict {
  const refuse = (reason: string): RedirectVerdict => ({
    follow: false,
    reason: `${rules.label}: ${reason}`,
  });
  if (rules.redirects === 'none') return refuse('the answer was a redirect, and redirects are not followed');
  if (followed >= rules.maxRedirects) return refuse(`more than ${rules.maxRedirects} redirects`);
  if (!location) return refuse('a redirect without a Location');
  let url: URL;
  try {
    url = new URL(location, from);
  } catch {
    return refuse('a redirect to something that is not a URL');
  }
  if (url.username || url.password) return refuse('a redirect to a URL with a user name or password in it');
  if (!sameOrigin(url, from))
    return refuse(`a redirect to another origin (${originOf(url)}) is not followed`);
  url.hash = '';
  return { follow: true, url };
}

/**
 * A request path in origin form (`/path?query`), which can only ever address the origin the
 * connection goes to. `//host/path` is refused: some servers and proxies read it as another host.
 */
export function isOriginFormPath(path: string): boolean {
  return path.startsWith('/') && !path.startsWith('//') && !/[\s\u0000-\u001f\u007f]/.test(path);
}

/** Origin and path only, for logs and messages: a query or user info may hold a token. */
export function urlForLog(url: URL | string): string {
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    return `${originOf(parsed)}${parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}
