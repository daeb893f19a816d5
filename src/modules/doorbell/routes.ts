/** The doorbell module's routes: a doorbell's SIP settings and their state. */
import { type Static, Type } from 'typebox';
import { ErrorBody, IdParams, Nullable, type RoutePlugin } from '../../core/http.ts';
import type { DoorbellSipInput } from './settings.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };

const Mode = Type.Union([Type.Literal('off'), Type.Literal('client'), Type.Literal('emulate')], {
  description:
    '`off`: ring from polling callStatus (about 1 s); `client`: hikbridge registers as a phone on your PBX; ' +
    "`emulate`: hikbridge is the doorbell's SIP server (no indoor station needed)",
});
const Digits = Type.String({ pattern: '^[0-9]{1,32}$' });
const Transport = Type.Union([Type.Literal('udp'), Type.Literal('tcp')]);

const EmulateInput = Type.Object(
  {
    port: Type.Optional(
      Nullable(Type.Integer({ minimum: 1, maximum: 65535, description: 'null = the shared port' })),
    ),
    roomNumber: Type.Optional(Type.Integer({ minimum: 1, maximum: 9999 })),
    proxyNumber: Type.Optional(Digits),
    doorbellNumber: Type.Optional(Digits),
    buttonNumber: Type.Optional(Type.Integer({ minimum: 1, maximum: 99 })),
    autoConfigure: Type.Optional(Type.Boolean()),
    digestUsername: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
  },
  { additionalProperties: false },
);

const ClientInput = Type.Object(
  {
    server: Type.String({ minLength: 1, maxLength: 253, description: 'PBX host name or address' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    transport: Type.Optional(Transport),
    username: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._+-]+$' }),
    authUsername: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64 }))),
    domain: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 253 }))),
    expiresSeconds: Type.Optional(Type.Integer({ minimum: 30, maximum: 86_400 })),
    callerNumber: Type.Optional(
      Nullable(
        Type.String({
          minLength: 1,
          maxLength: 64,
          description:
            "The doorbell's number on the PBX: calls from other numbers do not ring (null = any caller)",
        }),
      ),
    ),
  },
  { additionalProperties: false },
);

const SipInput = Type.Object(
  {
    mode: Mode,
    emulate: Type.Optional(EmulateInput),
    client: Type.Optional(ClientInput),
    password: Type.Optional(
      Nullable(
        Type.String({
          minLength: 1,
          maxLength: 128,
          description:
            'client: the PBX password; emulate: the digest password doorbells must register with. Left out = keep; null = none',
        }),
      ),
    ),
  },
  { additionalProperties: false },
);

const AutoConfigView = Type.Object({
  state: Type.String({ description: 'manual, configuring, waiting-for-register, done, retrying or failed' }),
  error: Nullable(Type.String()),
  attempts: Type.Integer(),
  changed: Type.Array(Type.String()),
  lastAttemptAt: Nullable(Type.String()),
  nextAttemptAt: Nullable(Type.String()),
  confirmedAt: Nullable(Type.String()),
});

const SipView = Type.Object(
  {
    deviceId: Type.String(),
    mode: Mode,
    emulate: Type.Object({
      port: Nullable(Type.Integer()),
      roomNumber: Type.Integer(),
      proxyNumber: Type.String(),
      doorbellNumber: Type.String(),
      buttonNumber: Type.Integer(),
      autoConfigure: Type.Boolean(),
      digestUsername: Nullable(Type.String()),
    }),
    client: Nullable(
      Type.Object({
        server: Type.String(),
        port: Type.Integer(),
        transport: Transport,
        username: Type.String(),
        authUsername: Nullable(Type.String()),
        domain: Nullable(Type.String()),
        expiresSeconds: Type.Integer(),
        callerNumber: Type.Optional(Nullable(Type.String())),
      }),
    ),
    passwordSet: Type.Boolean(),
    status: Type.Object({
      state: Type.String({
        description: 'off, starting, registered, not-registered, retrying or error',
      }),
      detail: Nullable(Type.String({ description: 'What is wrong or what is awaited, in words' })),
      listenPort: Nullable(Type.Integer({ description: 'Our SIP port for this doorbell (UDP and TCP)' })),
      localAddress: Nullable(Type.String({ description: 'Our address as the doorbell or PBX sees it' })),
      registeredAt: Nullable(Type.String()),
      expiresAt: Nullable(Type.String()),
      autoConfig: Nullable(AutoConfigView),
      call: Type.String({ description: 'ringing, in call or idle (SIP calls only)' }),
    }),
  },
  { $id: 'DoorbellSip' },
);

export type SipViewType = Static<typeof SipView>;

export interface DoorbellOperations {
  view(deviceId: string): Promise<SipViewType>;
  update(deviceId: string, input: DoorbellSipInput): Promise<SipViewType>;
  reconfigure(deviceId: string): Promise<SipViewType>;
}

export function doorbellRoutes(doorbell: DoorbellOperations): RoutePlugin {
  return (app) => {
    app.get(
      '/api/v1/devices/:id/sip',
      {
        schema: {
          tags: ['doorbells'],
          summary: "A doorbell's SIP mode, settings and state (registration, auto-configuration, call)",
          params: IdParams,
          response: { 200: SipView, ...errors },
        },
      },
      async (request) => doorbell.view(request.params.id),
    );

    app.put(
      '/api/v1/devices/:id/sip',
      {
        schema: {
          tags: ['doorbells'],
          summary:
            "Sets a doorbell's SIP mode and settings; applied at once (emulate mode configures the doorbell)",
          params: IdParams,
          body: SipInput,
          response: { 200: SipView, ...errors },
        },
      },
      async (request) => doorbell.update(request.params.id, request.body),
    );

    app.post(
      '/api/v1/devices/:id/sip/configure',
      {
        schema: {
          tags: ['doorbells'],
          summary:
            'Emulate mode: writes the SIP set-up into the doorbell again now (after fixing what it refused)',
          params: IdParams,
          response: { 200: SipView, ...errors },
        },
      },
      async (request) => doorbell.reconfigure(request.params.id),
    );
  };
}
