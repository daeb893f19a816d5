/** Configuration section: doorbell calls over SIP (each doorbell's own SIP settings live in the store). */
import { z } from 'zod';
import { section, wholeNumber } from '../schema-parts.ts';

export const doorbellSection = section({
  sipHost: z
    .string()
    .min(1)
    .default('0.0.0.0')
    .describe(
      'Address the SIP server for doorbells in "emulate SIP proxy" mode listens on (UDP and TCP), and ' +
        'the phones of "connect to SIP proxy" mode bind to.',
    ),
  sipPort: wholeNumber(0, 65535)
    .default(0)
    .describe(
      'SIP port shared by doorbells in "emulate SIP proxy" mode that do not name their own. 0 = pick a ' +
        'free port once and keep it across restarts (the doorbells are configured with it).',
    ),
  advertisedHost: z
    .string()
    .default('')
    .describe(
      'Address doorbells should send SIP to (written into them by auto-configuration, and put in our ' +
        'Contact and SDP). Empty = the address this machine uses to reach each doorbell.',
    ),
  registerExpiresSeconds: wholeNumber(30, 3600)
    .default(60)
    .describe(
      'Registration lifetime auto-configuration gives doorbells; they register again before it ends.',
    ),
  registerWaitSeconds: wholeNumber(5, 600)
    .default(60)
    .describe(
      'After auto-configuration, how long to wait for the doorbell to register before saying its SIP ' +
        'set-up did not take.',
    ),
  configureRetryMinSeconds: wholeNumber(1)
    .default(10)
    .describe('First wait before configuring an unreachable doorbell again (doubles per failure).'),
  configureRetryMaxSeconds: wholeNumber(1)
    .default(600)
    .describe('Longest wait between attempts to configure an unreachable doorbell.'),
  stopRingingHangUpMs: wholeNumber(0, 10_000)
    .default(500)
    .describe(
      '"Stop ringing" picks the call up and hangs up this many milliseconds later, so the doorbell ' +
        'goes quiet without the busy tone a refusal plays.',
    ),
  sipT1Ms: wholeNumber(50, 5000)
    .default(500)
    .describe('SIP timer T1 (round-trip estimate) in milliseconds; retransmission timers derive from it.'),
})
  .check((context) => {
    const { configureRetryMinSeconds, configureRetryMaxSeconds } = context.value;
    if (configureRetryMaxSeconds < configureRetryMinSeconds) {
      context.issues.push({
        code: 'custom',
        path: ['configureRetryMaxSeconds'],
        message: `must be at least doorbell.configureRetryMinSeconds (${configureRetryMinSeconds}), got ${configureRetryMaxSeconds}`,
        input: configureRetryMaxSeconds,
      });
    }
  })
  .describe('Doorbell SIP');
