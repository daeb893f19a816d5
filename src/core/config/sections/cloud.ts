/** Configuration section: HikCentral Connect cloud cameras (accounts themselves live in the store). */
import { z } from 'zod';
import { checkUserUrl, URL_RULES, UrlPolicyError } from '../../../protocols/http/url-policy.ts';
import { section, wholeNumber } from '../schema-parts.ts';

const DAY = 86_400;

export const cloudSection = section({
  enabled: z
    .boolean()
    .default(true)
    .describe(
      'Import and serve HikCentral Connect cloud cameras of the accounts added through the API or CLI.',
    ),
  defaultBaseUrl: z
    .string()
    .default('https://isgp.hikcentralconnect.com')
    .check((context) => {
      try {
        checkUserUrl(context.value, URL_RULES.cloud);
      } catch (error) {
        if (!(error instanceof UrlPolicyError)) throw error;
        context.issues.push({ code: 'custom', message: error.message, input: context.value });
      }
    })
    .describe(
      "Bootstrap address of an account's region when the account does not name one: " +
        '`https://isgp.hikcentralconnect.com` (Asia-Pacific), `ieu` (Europe), `isa` (South America), `ius` ' +
        '(North America). Tokens come from here; every other call goes to the area address the token answer names.',
    ),
  urlLifetimeSeconds: wholeNumber(30, 720 * DAY)
    .default(7 * DAY)
    .describe(
      'Lifetime asked for each live URL, in seconds (the API takes 30 s to 720 days). Long lifetimes ' +
        'mean few calls: a URL is renewed only when part of its lifetime has passed.',
    ),
  renewAtFraction: z
    .number()
    .min(0.1)
    .max(0.9)
    .default(0.5)
    .describe(
      'Share of the lifetime the cloud returned after which a live URL is renewed (0.5 = halfway), ' +
        'leaving the rest as room for retries while the cloud or the camera is away.',
    ),
  resyncMinutes: wholeNumber(0)
    .default(360)
    .describe(
      'How often each account is synced again to pick up new, renamed and removed cameras; 0 = never.',
    ),
  offlineRetryMinSeconds: wholeNumber(5)
    .default(60)
    .describe('First wait before asking again for the live URL of a camera the cloud says is offline.'),
  offlineRetryMaxSeconds: wholeNumber(5)
    .default(3600)
    .describe('Longest wait between attempts for an offline camera (the wait doubles per failure).'),
  requestTimeoutMs: wholeNumber(1000, 120_000)
    .default(10_000)
    .describe('Deadline of one HikCentral Connect API call, in milliseconds.'),
})
  .check((context) => {
    const { offlineRetryMinSeconds, offlineRetryMaxSeconds } = context.value;
    if (offlineRetryMaxSeconds < offlineRetryMinSeconds) {
      context.issues.push({
        code: 'custom',
        path: ['offlineRetryMaxSeconds'],
        message: `must be at least cloud.offlineRetryMinSeconds (${offlineRetryMinSeconds}), got ${offlineRetryMaxSeconds}`,
        input: offlineRetryMaxSeconds,
      });
    }
  })
  .describe('HikCentral Connect');
