/**
 * `GET /api/v1/webhooks`: the configured subscriptions and how their deliveries go. Read-only:
 * subscriptions live in the config file. A URL's user info and query values may be credentials,
 * so they are masked; the secret is never shown.
 */
import { Type } from 'typebox';
import { Nullable, type RoutePlugin } from '../../core/http.ts';

const EventFilter = Type.Object({
  kinds: Nullable(Type.Array(Type.String())),
  deviceIds: Nullable(Type.Array(Type.String())),
  channelIds: Nullable(Type.Array(Type.String())),
  states: Nullable(Type.Array(Type.String())),
});

const Delivery = Type.Object({
  queued: Type.Integer({ description: 'Events waiting to be delivered (in the store, shared by gateways)' }),
  lastSuccessAt: Nullable(Type.String({ description: 'Since this gateway started' })),
  lastFailureAt: Nullable(Type.String({ description: 'Since this gateway started' })),
  lastFailure: Nullable(Type.String({ description: 'Why the last attempt failed, in words' })),
  retrying: Nullable(
    Type.Object(
      {
        attempts: Type.Integer(),
        nextAttemptAt: Type.String(),
        error: Nullable(Type.String({ description: 'Why the waiting event failed, in words' })),
      },
      { description: 'The head of the queue, when it already failed at least once' },
    ),
  ),
  delivered: Type.Integer({ description: 'Deliveries by this gateway since it started' }),
  failed: Type.Integer({ description: 'Failed attempts by this gateway since it started' }),
});

export const WebhookView = Type.Object(
  {
    id: Type.String(),
    url: Type.String({ description: 'User info and query values masked as ***' }),
    events: EventFilter,
    timeoutMs: Type.Integer(),
    maxAttempts: Nullable(Type.Integer()),
    maxAgeHours: Type.Number(),
    delivery: Delivery,
  },
  { $id: 'Webhook' },
);

export interface WebhookViewType {
  id: string;
  url: string;
  events: {
    kinds: string[] | null;
    deviceIds: string[] | null;
    channelIds: string[] | null;
    states: string[] | null;
  };
  timeoutMs: number;
  maxAttempts: number | null;
  maxAgeHours: number;
  delivery: {
    queued: number;
    lastSuccessAt: string | null;
    lastFailureAt: string | null;
    lastFailure: string | null;
    retrying: { attempts: number; nextAttemptAt: string; error: string | null } | null;
    delivered: number;
    failed: number;
  };
}

export function webhooksRoutes(list: () => Promise<WebhookViewType[]>): RoutePlugin {
  return (app) => {
    app.get(
      '/api/v1/webhooks',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Configured webhooks and their delivery state (change them in the config file)',
          description:
            'Each subscription of `webhooks.subscriptions` with its URL (credentials masked), its event filter ' +
            'and its deliveries: events queued, the last success and failure seen by this gateway, and the ' +
            'waiting event being retried. Secrets are never shown.',
          response: { 200: Type.Array(WebhookView) },
        },
      },
      async () => list(),
    );
  };
}

/** The URL with its user info and every query value replaced by `***` (any may be a token). */
export function maskedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(invalid URL)';
  }
  const userInfo = parsed.username || parsed.password ? '***@' : '';
  const query = [...parsed.searchParams.keys()].map((key) => `${encodeURIComponent(key)}=***`).join('&');
  return `${parsed.protocol}//${userInfo}${parsed.host}${parsed.pathname}${query ? `?${query}` : ''}`;
}

/** A delivery error as `deliver` reports it (`HTTP 503`, `timeout`, a socket code), in words. */
export function failureInWords(error: string | null, timeoutMs: number): string | null {
  if (!error) return null;
  const status = /^HTTP (\d{3})$/.exec(error);
  if (status) return `The receiver answered HTTP ${status[1]} (only 2xx counts as delivered).`;
  if (error === 'timeout') return `The receiver did not answer within ${timeoutMs} ms.`;
  return SOCKET_ERRORS[error] ?? `The request failed (${error}).`;
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'The receiver refused the connection: nothing listens at that address and port.',
  ECONNRESET: 'The receiver closed the connection before answering.',
  ENOTFOUND: "The receiver's host name could not be resolved (DNS).",
  EAI_AGAIN: "The receiver's host name could not be resolved right now (DNS).",
  EHOSTUNREACH: 'The receiver cannot be reached (no route to the host).',
  ENETUNREACH: 'The receiver cannot be reached (network unreachable).',
  ETIMEDOUT: 'Connecting to the receiver timed out.',
  UND_ERR_SOCKET: 'The connection to the receiver broke.',
  UND_ERR_CONNECT_TIMEOUT: 'Connecting to the receiver timed out.',
  CERT_HAS_EXPIRED: "The receiver's TLS certificate has expired.",
  DEPTH_ZERO_SELF_SIGNED_CERT: "The receiver's TLS certificate is self-signed and not trusted.",
  SELF_SIGNED_CERT_IN_CHAIN: "The receiver's TLS certificate chain is not trusted.",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "The receiver's TLS certificate could not be verified.",
  ERR_TLS_CERT_ALTNAME_INVALID: "The receiver's TLS certificate is for another host name.",
};
