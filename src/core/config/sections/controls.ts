/** Configuration section: changing devices (stream fixes, PTZ, detections, outputs, reboot). */
import { z } from 'zod';
import { section, wholeNumber } from '../schema-parts.ts';

export const controlsSection = section({
  ptzMaxMoveSeconds: wholeNumber(1, 300)
    .default(10)
    .describe(
      'A continuous PTZ move stops by itself after this many seconds when no stop arrives (a lost ' +
        'connection must not leave a camera turning).',
    ),
  rebootExpectedSeconds: wholeNumber(30, 3600)
    .default(300)
    .describe(
      'After a reboot asked through hikbridge, how long the device is expected to be away; the ' +
        'supervisor reports it as rebooting instead of raising alarms.',
    ),
  isapiPassthrough: z
    .boolean()
    .default(true)
    .describe(
      'Serve `/api/v1/devices/{id}/isapi/<path>` (GET/PUT/POST/DELETE under `/ISAPI/` only, every call ' +
        'logged with who made it) for what hikbridge has no route for yet.',
    ),
}).describe('Device controls');
