/** Request and response schemas of the device and channel routes (TypeBox: validation and OpenAPI). */
import { type Static, Type } from 'typebox';
import { Nullable } from '../../../core/http.ts';

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Host = Type.String({ minLength: 1, maxLength: 253 });
const Fingerprint = Type.String({ minLength: 64, maxLength: 128 });
const Channels = Type.Array(Type.Integer({ minimum: 1, maximum: 512 }), { minItems: 1, maxItems: 512 });
const StreamNo = Type.Integer({ minimum: 1, maximum: 9 });
const Url = Type.String({ minLength: 1, maxLength: 2048 });

const deviceSettings = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  host: Host,
  port: Port,
  https: Type.Boolean(),
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 128 }),
  tlsFingerprint: Nullable(Fingerprint),
  insecureTls: Type.Boolean(),
  httpPortOverride: Nullable(Port),
  snapshotUrlOverride: Nullable(Url),
  channelOverride: Nullable(Channels),
  defaultStream: Nullable(StreamNo),
  enabled: Type.Boolean(),
};

export const DeviceCreate = Type.Object(
  {
    ...Object.fromEntries(
      Object.entries(deviceSettings).map(([key, schema]) => [
        key,
        key === 'host' || key === 'password' ? schema : Type.Optional(schema),
      ]),
    ),
  } as { [K in keyof typeof deviceSettings]: (typeof deviceSettings)[K] },
  { additionalProperties: false },
);
export const DevicePatchBody = Type.Partial(Type.Object(deviceSettings), {
  additionalProperties: false,
  minProperties: 1,
});

export const Health = Type.Object({
  deviceId: Type.String(),
  state: Type.String(),
  lastError: Nullable(Type.String()),
  lastErrorCode: Nullable(Type.String()),
  lastSeen: Nullable(Type.String()),
  since: Type.String(),
  nextAttemptAt: Nullable(Type.String()),
});

/** A device as the API shows it: everything but the password. */
export const DeviceView = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    host: Type.String(),
    port: Type.Integer(),
    https: Type.Boolean(),
    username: Type.String(),
    tlsFingerprint: Nullable(Type.String()),
    insecureTls: Type.Boolean(),
    httpPortOverride: Nullable(Type.Integer()),
    snapshotUrlOverride: Nullable(Type.String()),
    channelOverride: Nullable(Type.Array(Type.Integer())),
    defaultStream: Nullable(Type.Integer()),
    kind: Type.String(),
    model: Nullable(Type.String()),
    serialNumber: Nullable(Type.String()),
    firmwareVersion: Nullable(Type.String()),
    macAddress: Nullable(Type.String()),
    rtspPort: Type.Integer(),
    twoWayAudio: Nullable(Type.Object({ channelId: Type.Integer(), codec: Type.String() })),
    doors: Type.Integer(),
    alarmInputs: Type.Integer(),
    alarmOutputs: Type.Integer(),
    enabled: Type.Boolean(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    health: Nullable(Health),
  },
  { $id: 'Device' },
);

export const Stream = Type.Object({
  id: Type.String(),
  streamNo: Type.Integer(),
  codec: Nullable(Type.String()),
  width: Nullable(Type.Integer()),
  height: Nullable(Type.Integer()),
  fps: Nullable(Type.Number()),
  audioCodec: Nullable(Type.String()),
  /** Browsers play H.264 everywhere; H.265 only in some. */
  browserCompatible: Type.Boolean(),
});

export const ChannelView = Type.Object(
  {
    id: Type.String(),
    deviceId: Type.String(),
    channelNo: Type.Integer(),
    name: Type.String(),
    source: Type.String(),
    model: Nullable(Type.String()),
    enabled: Type.Boolean(),
    online: Type.Boolean(),
    snapshotUrlOverride: Nullable(Type.String()),
    defaultStream: Nullable(Type.Integer()),
    keepWarm: Type.Boolean({
      description:
        'The stream the live wall shows is pulled all the time (instant start; always on the camera)',
    }),
    /** The stream used by default: the configured one, else the first H.264 one. */
    preferredStream: Nullable(Type.String()),
    streams: Type.Array(Stream),
    snapshotUrl: Type.String(),
    /** Cloud cameras only (`source: cloud`; `deviceId` is then the cloud account's id). */
    cloud: Type.Optional(
      Type.Object({
        accountId: Type.String(),
        deviceSerial: Type.String(),
        resourceId: Type.String(),
        status: Type.String(),
        lastError: Nullable(Type.String()),
        urlExpiresAt: Nullable(Type.String()),
      }),
    ),
  },
  { $id: 'Channel' },
);

export const ChannelPatchBody = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    snapshotUrlOverride: Type.Optional(Nullable(Url)),
    defaultStream: Type.Optional(Nullable(StreamNo)),
    keepWarm: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const EntityView = Type.Object({
  id: Type.String(),
  deviceId: Type.String(),
  kind: Type.String(),
  key: Type.String(),
  name: Type.String(),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  /** Off: not in Home Assistant; a tamper sensor that is off reports its alarms as motion. */
  enabled: Type.Boolean(),
});

export const EntityParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  key: Type.String({ minLength: 1, maxLength: 64 }),
});

export const EntityPatchBody = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false });

export const SnapshotQuery = Type.Object(
  {
    width: Type.Optional(Type.Integer({ minimum: 16, maximum: 7680 })),
    height: Type.Optional(Type.Integer({ minimum: 16, maximum: 4320 })),
  },
  { additionalProperties: false },
);

export const DoctorReportView = Type.Object({
  device: Type.Object({ model: Nullable(Type.String()), kind: Nullable(Type.String()), host: Type.String() }),
  checks: Type.Array(
    Type.Object({
      id: Type.String(),
      status: Type.String(),
      detail: Type.String(),
      fix: Nullable(Type.String()),
    }),
  ),
  /** HTTPS only: the certificate the device showed, to look at and pin (`pinned`: it is the pinned one). */
  certificate: Type.Optional(Type.Object({ fingerprint: Type.String(), pinned: Type.Boolean() })),
  /** Every channel the device lists (an NVR: its IP channels), when the doctor could log in. */
  channels: Type.Optional(
    Type.Array(Type.Object({ id: Type.Integer(), name: Type.String(), source: Type.String() })),
  ),
});

export type DeviceCreateBody = Static<typeof DeviceCreate>;
export type DevicePatchBodyType = Static<typeof DevicePatchBody>;
export type DeviceViewType = Static<typeof DeviceView>;
export type ChannelViewType = Static<typeof ChannelView>;
export type ChannelPatchBodyType = Static<typeof ChannelPatchBody>;
