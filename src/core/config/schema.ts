/**
 * The one configuration schema. Validation, defaults, environment variable names, coercion of
 * environment strings and the reference in docs/config.md are all derived from it, so a key
 * added here is immediately settable, validated and documented.
 */
import { z } from 'zod';
import { cloudSection } from './sections/cloud.ts';
import { controlsSection } from './sections/controls.ts';
import { devicesSection, eventsSection } from './sections/devices.ts';
import { doorbellSection } from './sections/doorbell.ts';
import { mediaSection, talkSection } from './sections/media.ts';
import { mqttSection, webhooksSection } from './sections/outputs.ts';
import {
  authSection,
  databaseSection,
  logSection,
  runtimeSection,
  secretsSection,
  serverSection,
  uiSection,
} from './sections/server.ts';

export {
  type ConfigFieldMeta,
  configFieldMeta,
  logLevelSchema,
  secret,
} from './schema-parts.ts';

export const configSchema = z.strictObject({
  dataDir: z
    .string()
    .min(1)
    .default('./data')
    .describe(
      'Directory for the database, the secret key file and snapshots. Created on start if missing. ' +
        'A relative path is resolved against the working directory of the process.',
    ),

  server: serverSection,
  ui: uiSection,
  runtime: runtimeSection,
  database: databaseSection,
  secrets: secretsSection,
  auth: authSection,
  log: logSection,
  devices: devicesSection,
  events: eventsSection,
  webhooks: webhooksSection,
  media: mediaSection,
  talk: talkSection,
  mqtt: mqttSection,
  cloud: cloudSection,
  doorbell: doorbellSection,
  controls: controlsSection,
});
