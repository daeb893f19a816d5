/** Configuration sections. Devices and their events. */
import { z } from 'zod';
import { section, wholeNumber } from '../schema-parts.ts';

export const devicesSection = section({
  requestTimeoutMs: wholeNumber(100, 600_000)
    .default(10000)
    .describe('Time limit for one request to a device, in milliseconds.'),
  endCallAfterDoorOpenSeconds: z
    .number()
    .min(0)
    .max(60)
    .default(2)
    .describe(
      'After a door of a doorbell is opened while it rings or a call is up, the call is ended this many ' +
        'seconds later (the visitor hears the door, then the call closes); 0 = leave the call alone.',
    ),
  maxConcurrentPerDevice: wholeNumber(1, 8)
    .default(2)
    .describe(
      'Requests sent to one device at the same time; small devices (doorbells) cope badly with more.',
    ),
  supervisor: section({
    checkIntervalSeconds: wholeNumber(1)
      .default(30)
      .describe('How often each device is checked for reachability, in seconds.'),
    minBackoffSeconds: wholeNumber(1)
      .default(2)
      .describe(
        'First wait before reconnecting to an unreachable device, in seconds; doubles on each failure.',
      ),
    maxBackoffSeconds: wholeNumber(1)
      .default(300)
      .describe('Longest wait between reconnection attempts, in seconds.'),
    startsPerSecond: wholeNumber(1, 100_000)
      .default(200)
      .describe(
        'Devices connected per second when many start together (gateway start, bulk import): 1000 ' +
          'devices come up in 5 s instead of all at once, which keeps memory and event latency steady.',
      ),
  })
    .check((context) => {
      const { minBackoffSeconds, maxBackoffSeconds } = context.value;
      if (maxBackoffSeconds < minBackoffSeconds) {
        context.issues.push({
          code: 'custom',
          path: ['maxBackoffSeconds'],
          message: `must be at least devices.supervisor.minBackoffSeconds (${minBackoffSeconds}), got ${maxBackoffSeconds}`,
          input: maxBackoffSeconds,
        });
      }
    })
    .describe('Reconnecting to unreachable devices'),
}).describe('Devices');

export const eventsSection = section({
  quietSeconds: z
    .number()
    .positive()
    .max(3600)
    .default(10)
    .describe(
      'A motion (or other lasting) event ends after this many seconds without a new alert: devices rarely ' +
        'say when motion stops.',
    ),
  updateEverySeconds: z
    .number()
    .min(0)
    .max(60)
    .default(1)
    .describe(
      'Least time between two `update`s of one ongoing event; devices repeat "active" many times a second.',
    ),
  idleTimeoutSeconds: z
    .number()
    .positive()
    .max(600)
    .default(30)
    .describe(
      'An event stream that sends nothing (not even a heartbeat) this long is reopened: the classic ' +
        '"events stop until restart" failure.',
    ),
  reconnectMaxSeconds: z
    .number()
    .positive()
    .max(600)
    .default(30)
    .describe(
      'Longest wait between attempts to reopen a lost event stream (back-off with jitter up to this).',
    ),
  maxEventAgeSeconds: wholeNumber(1)
    .default(300)
    .describe(
      'Alerts older than this by the device’s own clock (its offset from ours is learned, so a camera ' +
        'without NTP keeps its events) are replays of the past and are dropped, counted and logged.',
    ),
  snapshotOnStart: z
    .boolean()
    .default(true)
    .describe('Take a snapshot when an event starts on a channel and the device sent no picture with it.'),
  callStatusPollMs: wholeNumber(200, 60_000)
    .default(1000)
    .describe(
      'How often doorbells are asked whether they ring (milliseconds); their firmware does not push it.',
    ),
  retentionDays: wholeNumber(1, 3650)
    .default(30)
    .describe('Stored events and their pictures are kept this many days.'),
  maxRows: wholeNumber(1000)
    .default(1_000_000)
    .describe('At most this many stored events; the oldest go first.'),
  push: section({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        'Listen for events that devices POST to an "HTTP listening host" (httpHosts), for firmware that ' +
          'cannot keep an event stream open. Point the device at http://<gateway>:<port>/events/<deviceId>.',
      ),
    host: z.string().min(1).default('0.0.0.0').describe('Address the push listener binds to.'),
    port: wholeNumber(0, 65535).default(8090).describe('Port of the push listener (0 = any free port).'),
  }).describe('Events pushed by devices'),
  stream: section({
    heartbeatSeconds: wholeNumber(1, 300)
      .default(15)
      .describe(
        'Seconds between keep-alive comments on `/api/v1/events/stream` (and pings on the WebSocket), so ' +
          'proxies keep idle connections open.',
      ),
    maxQueuedMessages: wholeNumber(10)
      .default(1000)
      .describe(
        'Messages waiting for one slow event-stream client before it is disconnected; one client that does ' +
          'not read never slows the others or grows memory.',
      ),
    maxQueuedBytes: wholeNumber(16384)
      .default(4194304)
      .describe('Bytes waiting for one slow event-stream client before it is disconnected.'),
    maxReplay: wholeNumber(0, 1000)
      .default(1000)
      .describe(
        'Most events replayed to a client that reconnects with `Last-Event-ID`; after them it continues live.',
      ),
    maxClients: wholeNumber(1)
      .default(100)
      .describe('Event-stream clients (SSE and WebSocket together) connected at the same time.'),
  }).describe('Live events over SSE and WebSocket'),
}).describe('Events');
