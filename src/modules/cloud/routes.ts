/** The cloud routes: accounts, syncs with progress, cameras, and the old backend's initialize. */
import { Type } from 'typebox';
import { ErrorBody, IdParams, Nullable, type RoutePlugin } from '../../core/http.ts';
import type { CloudAccountRecord, CloudSyncOutcome } from '../../core/store/types.ts';
import type { StreamView } from '../media/index.ts';
import { startingProgress } from './sync.ts';
import type { AccountInput, CameraPatch, SyncProgress } from './types.ts';
import type { AccountViewType, CameraViewType } from './views.ts';

/** What the routes need of the cloud module. */
export interface CloudOperations {
  listAccounts(): Promise<AccountViewType[]>;
  getAccount(id: string): Promise<AccountViewType>;
  addAccount(input: AccountInput, options: { sync?: boolean }): Promise<AccountViewType>;
  updateAccount(id: string, patch: Partial<AccountInput>): Promise<AccountViewType>;
  removeAccount(id: string): Promise<void>;
  sync(id: string): Promise<CloudSyncOutcome>;
  startSync(id: string): void;
  progress(id: string): SyncProgress | null;
  syncAll(): Promise<Array<{ account: CloudAccountRecord; outcome: CloudSyncOutcome }>>;
  listCameras(accountId?: string): Promise<CameraViewType[]>;
  getCamera(id: string): Promise<CameraViewType>;
  updateCamera(id: string, patch: CameraPatch): Promise<CameraViewType>;
  removeCamera(id: string): Promise<void>;
  streamsOf(cameraId: string, requestHost: string): StreamView[];
}

const Quality = Type.Union([Type.Literal('main'), Type.Literal('sub')]);
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody };

const SyncProgressView = Type.Object(
  {
    phase: Type.String({ description: 'devices, cameras, addresses, done or failed' }),
    startedAt: Type.String(),
    devices: Type.Integer(),
    cameras: Type.Integer(),
    addressesTotal: Type.Integer(),
    addressesDone: Type.Integer(),
    calls: Type.Integer(),
    etaSeconds: Nullable(Type.Integer()),
    error: Nullable(Type.String()),
  },
  { $id: 'CloudSyncProgress' },
);

const SyncOutcomeView = Type.Object(
  {
    startedAt: Type.String(),
    finishedAt: Type.String(),
    ok: Type.Boolean(),
    error: Nullable(Type.String()),
    devices: Type.Integer(),
    cameras: Type.Integer(),
    added: Type.Integer(),
    updated: Type.Integer(),
    removed: Type.Integer(),
    failed: Type.Integer(),
    calls: Type.Integer(),
  },
  { $id: 'CloudSyncOutcome' },
);

const AccountView = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    appKeyHint: Type.String({
      description: 'The last 4 characters of the AppKey; the key itself is never shown',
    }),
    baseUrl: Type.String(),
    quality: Quality,
    enabled: Type.Boolean(),
    createdAt: Type.String(),
    updatedAt: Nullable(Type.String()),
    lastSync: Nullable(SyncOutcomeView),
    sync: Nullable(SyncProgressView),
    trouble: Nullable(Type.String({ description: 'Why the cloud could not be used lately, in words' })),
    nextRenewalAt: Nullable(Type.String()),
    cameras: Type.Object({
      total: Type.Integer(),
      ok: Type.Integer(),
      pending: Type.Integer(),
      offline: Type.Integer(),
      error: Type.Integer(),
      removed: Type.Integer(),
      disabled: Type.Integer(),
    }),
  },
  { $id: 'CloudAccount' },
);

const CameraView = Type.Object(
  {
    id: Type.String({ description: 'Also its channel id (`/api/v1/channels/{id}`)' }),
    accountId: Type.String(),
    deviceSerial: Type.String(),
    channelNo: Type.Integer(),
    resourceId: Type.String(),
    name: Type.String(),
    area: Nullable(Type.String()),
    deviceName: Nullable(Type.String()),
    online: Type.Boolean(),
    enabled: Type.Boolean(),
    status: Type.String({ description: 'pending, ok, offline, error, removed or disabled' }),
    lastError: Nullable(Type.String()),
    quality: Quality,
    qualityOverride: Nullable(Quality),
    streamCodeSet: Type.Boolean(),
    urlExpiresAt: Nullable(Type.String()),
    nextRenewalAt: Nullable(Type.String()),
    removedAt: Nullable(Type.String()),
    path: Nullable(Type.String({ description: 'MediaMTX path, e.g. `gate/main`' })),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'CloudCamera' },
);

const Key = Type.String({ minLength: 1, maxLength: 64 });
const AccountCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    appKey: Key,
    secretKey: Key,
    baseUrl: Type.Optional(Nullable(Type.String({ maxLength: 512 }))),
    quality: Type.Optional(Quality),
    enabled: Type.Optional(Type.Boolean()),
    sync: Type.Optional(Type.Boolean({ description: 'Start a sync once saved (default true)' })),
  },
  { additionalProperties: false },
);
const AccountPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    appKey: Type.Optional(Key),
    secretKey: Type.Optional(Key),
    baseUrl: Type.Optional(Nullable(Type.String({ maxLength: 512 }))),
    quality: Type.Optional(Quality),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
const CameraPatchBody = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    quality: Type.Optional(Nullable(Quality)),
    streamCode: Type.Optional(
      Nullable(
        Type.String({ minLength: 1, maxLength: 32, description: 'Verification code, for stream encryption' }),
      ),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
const SyncQuery = Type.Object(
  { wait: Type.Optional(Type.Boolean({ description: 'Answer when the sync is over, with its outcome' })) },
  { additionalProperties: false },
);

const InitializeCamera = Type.Object({
  id: Type.String(),
  cameraId: Type.String({ description: 'Same as id (the old backend called it so)' }),
  name: Type.String(),
  serial: Type.String(),
  resourceId: Type.String(),
  channelNo: Type.Integer(),
  enabled: Type.Boolean(),
  status: Type.String(),
  path: Nullable(Type.String()),
  viewerUrl: Nullable(Type.String({ description: 'WebRTC player page with a viewer token' })),
  whep: Nullable(Type.String()),
  hls: Nullable(Type.String()),
  rtsp: Nullable(Type.String()),
});

export function cloudRoutes(cloud: CloudOperations): RoutePlugin {
  return (app) => {
    app.get(
      '/api/v1/cloud/accounts',
      {
        schema: {
          tags: ['cloud'],
          summary: 'HikCentral Connect accounts',
          response: { 200: Type.Array(AccountView) },
        },
      },
      async () => cloud.listAccounts(),
    );

    app.post(
      '/api/v1/cloud/accounts',
      {
        schema: {
          tags: ['cloud'],
          summary: 'Add an account: its key and secret are checked with the cloud first, then a sync starts',
          body: AccountCreate,
          response: { 201: AccountView, ...errors },
        },
      },
      async (request, reply) => {
        const { sync, ...input } = request.body;
        const account = await cloud.addAccount(input, { sync: sync ?? true });
        reply.code(201);
        return account;
      },
    );

    app.get(
      '/api/v1/cloud/accounts/:id',
      { schema: { tags: ['cloud'], params: IdParams, response: { 200: AccountView, ...errors } } },
      async (request) => cloud.getAccount(request.params.id),
    );

    app.patch(
      '/api/v1/cloud/accounts/:id',
      {
        schema: {
          tags: ['cloud'],
          summary: 'Change an account; a new key, secret or address is checked with the cloud first',
          params: IdParams,
          body: AccountPatch,
          response: { 200: AccountView, ...errors },
        },
      },
      async (request) => cloud.updateAccount(request.params.id, request.body),
    );

    app.delete(
      '/api/v1/cloud/accounts/:id',
      {
        schema: {
          tags: ['cloud'],
          summary: 'Remove an account with its cameras and their paths',
          params: IdParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await cloud.removeAccount(request.params.id);
        reply.code(204);
        return null;
      },
    );

    app.post(
      '/api/v1/cloud/accounts/:id/sync',
      {
        schema: {
          tags: ['cloud'],
          summary: 'Sync an account: devices, cameras, and live URLs for the cameras that need one',
          description:
            'Starts a sync, or joins the one running. Answers 202 with its progress at once, or with `wait=true` ' +
            '200 with its outcome when it is over. A failed sync keeps the last good camera list.',
          params: IdParams,
          querystring: SyncQuery,
          response: { 200: SyncOutcomeView, 202: SyncProgressView, ...errors },
        },
      },
      async (request, reply) => {
        if (request.query.wait) return cloud.sync(request.params.id);
        await cloud.getAccount(request.params.id);
        cloud.startSync(request.params.id);
        reply.code(202);
        return cloud.progress(request.params.id) ?? startingProgress(new Date().toISOString());
      },
    );

    app.get(
      '/api/v1/cloud/accounts/:id/sync',
      {
        schema: {
          tags: ['cloud'],
          summary: 'Progress of the running sync, or the final progress of the last one',
          params: IdParams,
          response: { 200: Nullable(SyncProgressView), ...errors },
        },
      },
      async (request) => {
        await cloud.getAccount(request.params.id);
        return cloud.progress(request.params.id);
      },
    );

    app.get(
      '/api/v1/cloud/cameras',
      {
        schema: {
          tags: ['cloud'],
          summary: 'Cloud cameras with their status and live URL expiry (never the URL)',
          querystring: Type.Object(
            { accountId: Type.Optional(Type.String()) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Array(CameraView) },
        },
      },
      async (request) => cloud.listCameras(request.query.accountId),
    );

    app.get(
      '/api/v1/cloud/cameras/:id',
      { schema: { tags: ['cloud'], params: IdParams, response: { 200: CameraView, ...errors } } },
      async (request) => cloud.getCamera(request.params.id),
    );

    app.patch(
      '/api/v1/cloud/cameras/:id',
      {
        schema: {
          tags: ['cloud'],
          summary: 'Switch a cloud camera, pick its quality, or give its verification code',
          params: IdParams,
          body: CameraPatchBody,
          response: { 200: CameraView, ...errors },
        },
      },
      async (request) => cloud.updateCamera(request.params.id, request.body),
    );

    app.delete(
      '/api/v1/cloud/cameras/:id',
      {
        schema: {
          tags: ['cloud'],
          summary: 'Delete a camera the cloud no longer lists',
          params: IdParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await cloud.removeCamera(request.params.id);
        reply.code(204);
        return null;
      },
    );

    app.post(
      '/api/hikvision/initialize',
      {
        schema: {
          tags: ['cloud'],
          summary: "The old backend's import, kept for its callers: syncs every account, answers the cameras",
          description:
            'Alias of `POST /api/v1/cloud/accounts/{id}/sync?wait=true` for every enabled account, answering each ' +
            'camera with its viewer URLs (WebRTC page, WHEP, HLS, RTSP, with a viewer token). Authenticated like ' +
            'every other route. Any request body is ignored.',
          response: {
            200: Type.Object({
              accounts: Type.Array(
                Type.Object({
                  id: Type.String(),
                  name: Type.String(),
                  ok: Type.Boolean(),
                  error: Nullable(Type.String()),
                }),
              ),
              cameras: Type.Array(InitializeCamera),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const results = await cloud.syncAll();
        const cameras = await cloud.listCameras();
        return {
          accounts: results.map(({ account, outcome }) => ({
            id: account.id,
            name: account.name,
            ok: outcome.ok,
            error: outcome.error,
          })),
          cameras: cameras.map((camera) => {
            const stream = cloud.streamsOf(camera.id, request.host)[0];
            return {
              id: camera.id,
              cameraId: camera.id,
              name: camera.name,
              serial: camera.deviceSerial,
              resourceId: camera.resourceId,
              channelNo: camera.channelNo,
              enabled: camera.enabled,
              status: camera.status,
              path: camera.path,
              viewerUrl: stream?.urls.webrtc ?? null,
              whep: stream?.urls.whep ?? null,
              hls: stream?.urls.hls ?? null,
              rtsp: stream?.urls.rtsp ?? null,
            };
          }),
        };
      },
    );
  };
}
