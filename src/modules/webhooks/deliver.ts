/**
 * One delivery attempt: a signed POST with a time limit. Receivers verify
 * `x-hikbridge-signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` with the shared
 * secret and may refuse stale timestamps (replays).
 */
import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { checkUserUrl, URL_RULES } from '../../protocols/http/url-policy.ts';

export interface DeliveryRequest {
  url: string;
  secret: string;
  eventId: string;
  body: string;
  timeoutMs: number;
  /** Aborts the attempt when the module stops. */
  signal: AbortSignal;
}

export type DeliveryResult =
  | { ok: true; status: number }
  | { ok: false; status: number | null; error: string; aborted: boolean };

export function signature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export async function deliver(attempt: DeliveryRequest): Promise<DeliveryResult> {
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    // user:password in the URL go to that URL's origin only, as Basic; undici follows no redirect.
    const { url, credentials } = checkUserUrl(attempt.url, URL_RULES.webhook);
    const answer = await request(url, {
      method: 'POST',
      headers: {
        ...(credentials ? { authorization: basicAuthorization(credentials) } : {}),
        'content-type': 'application/json',
        'user-agent': 'hikbridge-webhooks',
        'x-hikbridge-event-id': attempt.eventId,
        'x-hikbridge-timestamp': String(timestamp),
        'x-hikbridge-signature': signature(attempt.secret, timestamp, attempt.body),
      },
      body: attempt.body,
      headersTimeout: attempt.timeoutMs,
      bodyTimeout: attempt.timeoutMs,
      // headersTimeout does not cover connecting; the overall limit does.
      signal: AbortSignal.any([attempt.signal, AbortSignal.timeout(attempt.timeoutMs)]),
    });
    await answer.body.dump({ limit: URL_RULES.webhook.maxResponseBytes }).catch(() => undefined);
    const status = answer.statusCode;
    if (status >= 200 && status < 300) return { ok: true, status };
    return { ok: false, status, error: `HTTP ${status}`, aborted: false };
  } catch (error) {
    return { ok: false, status: null, error: describe(error), aborted: attempt.signal.aborted };
  }
}

function basicAuthorization(credentials: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** A code or name, never the message: some carry the request URL, which may hold a token. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'request failed';
  const code = (error as NodeJS.ErrnoException).code;
  if (
    error.name === 'TimeoutError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return 'timeout';
  }
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  return code ?? cause ?? error.name;
}
