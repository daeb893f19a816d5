/** Configuration sections. Where events go out: webhooks and MQTT. */
import { z } from 'zod';
import { checkUserUrl, URL_RULES, UrlPolicyError } from '../../../protocols/http/url-policy.ts';
import { EVENT_KINDS } from '../../events.ts';
import { configFieldMeta, secret, section, topicPrefix, wholeNumber } from '../schema-parts.ts';

export const webhooksSection = section({
  subscriptions: z
    .record(z.string(), webhookSubscription())
    .check((context) => {
      // A custom issue: a failed key schema would be reported as "expected a map of settings".
      for (const id of Object.keys(context.value)) {
        if (/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) continue;
        context.issues.push({
          code: 'custom',
          path: [id],
          message: `subscription id "${id}" must be a slug: lower-case letters, digits and dashes, at most 63`,
          input: id,
        });
      }
    })
    .default({})
    .register(configFieldMeta, {
      expects: 'a map of subscription ids to { url, secret, events, timeoutMs, maxAttempts, maxAgeHours }',
    })
    .describe(
      'Where events are POSTed, by subscription id (a slug, e.g. `crm`): `url` (http/https), `secret` ' +
        '(HMAC-SHA256 key of the `x-hikbridge-signature` header, at least 16 characters, or `{ file: PATH }`), ' +
        '`events` (optional lists `kinds`, `deviceIds`, `channelIds`, `states`; an event must match every list ' +
        'given), `timeoutMs` (default 5000), `maxAttempts` (default: unlimited) and `maxAgeHours` (default ' +
        '24; older deliveries are dropped). Failed deliveries are retried in order per subscription. In the ' +
        'environment: JSON.',
    ),
  maxQueuedPerSubscription: wholeNumber(1)
    .default(100000)
    .describe(
      'Deliveries kept waiting per subscription while its receiver is down; beyond that the oldest are dropped.',
    ),
  minBackoffMs: wholeNumber(10)
    .default(1000)
    .describe('Wait before the first retry of a failed delivery, in milliseconds; doubles per failure.'),
  maxBackoffMs: wholeNumber(10)
    .default(300000)
    .describe('Longest wait between retries of a failed delivery, in milliseconds.'),
})
  .check((context) => {
    const { minBackoffMs, maxBackoffMs } = context.value;
    if (maxBackoffMs < minBackoffMs) {
      context.issues.push({
        code: 'custom',
        path: ['maxBackoffMs'],
        message: `must be at least webhooks.minBackoffMs (${minBackoffMs}), got ${maxBackoffMs}`,
        input: maxBackoffMs,
      });
    }
  })
  .describe('Webhooks');

export const mqttSection = section({
  url: z
    .url({ protocol: /^mqtts?$/ })
    .refine((url) => !new URL(url).username && !new URL(url).password, {
      message: 'put the credentials in mqtt.username and mqtt.password, not in the URL',
    })
    .optional()
    .register(configFieldMeta, { expects: 'an mqtt:// or mqtts:// URL without credentials' })
    .describe(
      'Broker to publish to, e.g. `mqtt://192.168.1.10:1883` or `mqtts://broker.example.com:8883`. ' +
        'MQTT (and Home Assistant discovery) is off while this is unset.',
    ),
  username: z.string().min(1).optional().describe('User name for the broker, if it requires one.'),
  password: secret(z.string().min(1)).optional().describe('Password for the broker.'),
  caFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      "PEM file with the certificate authority that signed the broker's certificate, for an `mqtts://` " +
        'broker with a private CA. The certificate is always verified; with this set, only this CA is ' +
        'trusted (not the system list).',
    ),
  baseTopic: topicPrefix()
    .default('hikbridge')
    .describe(
      'First level of every hikbridge topic: `<baseTopic>/bridge/state`, `<baseTopic>/<deviceId>/...`. ' +
        'Give each gateway on one broker its own.',
    ),
  discoveryPrefix: topicPrefix()
    .default('homeassistant')
    .describe('Discovery prefix Home Assistant listens on (its MQTT integration setting of the same name).'),
  discovery: z
    .boolean()
    .default(true)
    .describe(
      'Publish Home Assistant discovery configs. Turning it off removes the entities hikbridge created.',
    ),
  clientId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .register(configFieldMeta, { defaultText: '`hikbridge-<random>`, new on each start' })
    .describe('MQTT client id. Two clients with one id disconnect each other, so keep it unique.'),
  retainStates: z
    .boolean()
    .default(true)
    .describe(
      'Publish entity states and snapshots as retained messages, so a subscriber sees the last value at once. ' +
        'The doorbell ring event is never retained.',
    ),
  snapshotOnEvent: z
    .boolean()
    .default(true)
    .describe(
      'Publish a fresh picture to the channel snapshot topic when motion, a smart event or a ring starts.',
    ),
  keepaliveSeconds: wholeNumber(5, 3600)
    .default(30)
    .describe('MQTT keepalive: how often the connection is checked, in seconds.'),
})
  .check((context) => {
    const { url, caFile } = context.value;
    if (caFile && url && !url.startsWith('mqtts:')) {
      context.issues.push({
        code: 'custom',
        path: ['caFile'],
        message: 'is only used with an mqtts:// URL (mqtt.url is plain mqtt://)',
        input: caFile,
      });
    }
  })
  .describe('MQTT and Home Assistant discovery');

/** One webhook subscription (the id is its key in `webhooks.subscriptions`). */
function webhookSubscription() {
  const list = <T extends z.ZodType>(item: T) => z.array(item).optional();
  return z.strictObject({
    url: z
      .url({ protocol: /^https?$/ })
      .superRefine((url, context) => {
        // The one policy for user-given URLs (length, characters; user info only for its own origin).
        try {
          checkUserUrl(url, URL_RULES.webhook);
        } catch (error) {
          if (!(error instanceof UrlPolicyError)) throw error;
          context.addIssue({ code: 'custom', message: error.message.replace(/^webhook url: /, '') });
        }
      })
      .register(configFieldMeta, { expects: 'an http:// or https:// URL' }),
    secret: secret(z.string().min(16)),
    events: z
      .strictObject({
        kinds: list(z.enum(EVENT_KINDS)),
        deviceIds: list(z.string().min(1)),
        channelIds: list(z.string().min(1)),
        states: list(z.enum(['start', 'update', 'end', 'pulse'])),
      })
      .default({}),
    timeoutMs: wholeNumber(100, 60_000).default(5000),
    maxAttempts: wholeNumber(1).optional(),
    maxAgeHours: z.number().positive().max(720).default(24),
  });
}
