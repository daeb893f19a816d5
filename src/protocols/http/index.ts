export { HttpClient, normalizeFingerprint, normalizeHeaders } from './client.ts';
export {
  type AuthChallenge,
  buildBasicAuthorization,
  buildDigestAuthorization,
  type Credentials,
  computeDigestResponse,
  type DigestChallenge,
  DigestSession,
  parseWwwAuthenticate,
  pickDigestChallenge,
} from './digest.ts';
export * from './errors.ts';
export { ConcurrencyLimiter, type LimiterOptions, type Release } from './limiter.ts';
export { isSha256Fingerprint } from './tls.ts';
export type * from './types.ts';
export * from './url-policy.ts';
