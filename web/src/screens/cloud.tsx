/**
 * HikCentral Connect: the accounts (add, change, remove; keys are sent, never shown back), their
 * syncs with progress (polled while one runs), and the cloud cameras with their state in words,
 * live address expiry, on/off, quality and verification code. A camera's name opens it live.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { href } from '../router.ts';
import './cloud.css';

type Quality = 'main' | 'sub';

interface SyncProgress {
  phase: 'token' | 'devices' | 'cameras' | 'addresses' | 'done' | 'failed';
  startedAt: string;
  devices: number;
  cameras: number;
  addressesTotal: number;
  addressesDone: number;
  calls: number;
  etaSeconds: number | null;
  error: string | null;
}

interface SyncOutcome {
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  error: string | null;
  devices: number;
  cameras: number;
  added: number;
  updated: number;
  removed: number;
  failed: number;
}

interface CloudAccount {
  id: string;
  name: string;
  appKeyHint: string;
  baseUrl: string;
  quality: Quality;
  enabled: boolean;
  lastSync: SyncOutcome | null;
  sync: SyncProgress | null;
  trouble: string | null;
  cameras: {
    total: number;
    ok: number;
    pending: number;
    offline: number;
    error: number;
    removed: number;
    disabled: number;
  };
}

interface CloudCamera {
  id: string;
  accountId: string;
  deviceSerial: string;
  channelNo: number;
  name: string;
  area: string | null;
  deviceName: string | null;
  online: boolean;
  enabled: boolean;
  status: 'pending' | 'ok' | 'offline' | 'error' | 'removed' | 'disabled';
  lastError: string | null;
  quality: Quality;
  qualityOverride: Quality | null;
  streamCodeSet: boolean;
  urlExpiresAt: string | null;
  nextRenewalAt: string | null;
}

const POLL_MS = 700;
/** Polls that may still show the previous sync after "Sync now" (about 10 s). */
const MAX_STALE_ANSWERS = 15;

export function CloudScreen() {
  const [accounts, setAccounts] = useState<CloudAccount[]>();
  const [cameras, setCameras] = useState<CloudCamera[]>([]);
  const [error, setError] = useState<string>();
  const [adding, setAdding] = useState(false);

  const reload = useCallback(async () => {
    try {
      const [allAccounts, allCameras] = await Promise.all([
        api<CloudAccount[]>('GET', '/api/v1/cloud/accounts'),
        api<CloudCamera[]>('GET', '/api/v1/cloud/cameras'),
      ]);
      setAccounts(allAccounts);
      setCameras(allCameras);
      setError(undefined);
    } catch (failure) {
      setError(errorText(failure));
    }
  }, []);

  useEffect(() => {
    reload();
  }, [reload]);

  // The account's counts change with its cameras: read them again too.
  const replaceCamera = (changed: CloudCamera) => {
    setCameras((all) => all.map((each) => (each.id === changed.id ? changed : each)));
    reload();
  };

  return (
    <section class="cloud" aria-labelledby="cloud-title">
      <h1 id="cloud-title">HikCentral Connect</h1>
      <p class="hint">
        Cameras of a HikCentral Connect account play here and on the live wall like local ones. The account's
        AppKey and SecretKey come from the HikCentral Connect portal (OpenAPI); they are checked with the
        cloud before anything is saved, and never shown again.
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!accounts && !error && <p role="status">Loading accounts…</p>}
      {accounts && (
        <>
          <h2>Accounts</h2>
          {accounts.length === 0 && !adding && <p>No account yet.</p>}
          <ul class="cloud-accounts">
            {accounts.map((account) => (
              <li key={account.id}>
                <AccountCard account={account} onChanged={reload} />
              </li>
            ))}
          </ul>
          {adding ? (
            <AddAccountForm
              onAdded={async () => {
                setAdding(false);
                await reload();
              }}
              onCancel={() => setAdding(false)}
            />
          ) : (
            <div class="actions">
              <button type="button" onClick={() => setAdding(true)}>
                Add an account
              </button>
            </div>
          )}
          {accounts.length > 0 && (
            <CameraList accounts={accounts} cameras={cameras} onCamera={replaceCamera} onRemoved={reload} />
          )}
        </>
      )}
    </section>
  );
}

// --- accounts ------------------------------------------------------------------------------------

function AddAccountForm({ onAdded, onCancel }: { onAdded: () => Promise<void>; onCancel: () => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    setBusy(true);
    setError(undefined);
    try {
      await api('POST', '/api/v1/cloud/accounts', {
        name: text('name'),
        appKey: text('appKey'),
        secretKey: text('secretKey'),
        baseUrl: text('baseUrl') || null,
        quality: text('quality') as Quality,
        sync: form.get('sync') === 'on',
      });
      await onAdded();
    } catch (failure) {
      setError(errorText(failure));
      setBusy(false);
    }
  }

  return (
    <form class="card cloud-form" onSubmit={submit} aria-labelledby="add-account-title">
      <h2 id="add-account-title">Add a HikCentral Connect account</h2>
      <label>
        Name
        <input name="name" required maxLength={100} placeholder="e.g. Shops" />
      </label>
      <label>
        AppKey
        <input name="appKey" required maxLength={64} autocomplete="off" spellcheck={false} />
      </label>
      <label>
        SecretKey
        <input name="secretKey" type="password" required maxLength={64} autocomplete="new-password" />
      </label>
      <label>
        Cloud address (optional)
        <input name="baseUrl" type="url" maxLength={512} placeholder="the gateway's default region" />
      </label>
      <label>
        Video quality
        <select name="quality">
          <option value="main">Main stream (full resolution)</option>
          <option value="sub">Sub stream (smaller, less data)</option>
        </select>
      </label>
      <label class="inline">
        <input name="sync" type="checkbox" defaultChecked />
        Import the cameras now
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Checking with the cloud…' : 'Add account'}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function AccountCard({ account, onChanged }: { account: CloudAccount; onChanged: () => Promise<void> }) {
  const [mode, setMode] = useState<'view' | 'edit' | 'remove'>('view');
  const [error, setError] = useState<string>();
  const { progress, running, start } = useSync(account, onChanged, setError);

  async function remove() {
    try {
      await api('DELETE', `/api/v1/cloud/accounts/${encodeURIComponent(account.id)}`);
      await onChanged();
    } catch (failure) {
      setError(errorText(failure));
      setMode('view');
    }
  }

  return (
    <article class="card cloud-account" aria-label={`Account ${account.name}`}>
      <header class="row">
        <h3>{account.name}</h3>
        {!account.enabled && <span class="badge">switched off</span>}
        <span class="hint">
          AppKey {account.appKeyHint} · {account.baseUrl} · {account.quality === 'sub' ? 'sub' : 'main'}{' '}
          stream
        </span>
      </header>
      <p>{cameraSummary(account)}</p>
      {account.trouble && <p class="error">{account.trouble}</p>}
      {progress && isRunning(progress) ? (
        <SyncBar progress={progress} />
      ) : running ? (
        <p role="status">Starting a sync…</p>
      ) : (
        <LastSync account={account} progress={progress} />
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {mode === 'edit' && (
        <EditAccountForm
          account={account}
          onDone={async (changed) => {
            setMode('view');
            if (changed) await onChanged();
          }}
        />
      )}
      {mode === 'remove' && (
        <div class="cloud-confirm">
          <p>
            Remove {account.name} and its {account.cameras.total} cameras from hikbridge? The cloud keeps
            them.
          </p>
          <div class="actions">
            <button type="button" class="danger" onClick={remove}>
              Remove {account.name}
            </button>
            <button type="button" class="secondary" onClick={() => setMode('view')}>
              Keep it
            </button>
          </div>
        </div>
      )}
      {mode === 'view' && (
        <div class="actions">
          <button type="button" onClick={start} disabled={running || !account.enabled}>
            {running ? 'Syncing…' : 'Sync now'}
          </button>
          <button type="button" class="secondary" onClick={() => setMode('edit')}>
            Edit
          </button>
          <button type="button" class="secondary" onClick={() => setMode('remove')}>
            Remove
          </button>
        </div>
      )}
    </article>
  );
}

function cameraSummary(account: CloudAccount): string {
  const { total, ok, pending, offline, error, removed, disabled } = account.cameras;
  if (total === 0) return 'No cameras imported yet.';
  const parts = [
    `${ok} ready`,
    pending ? `${pending} waiting for a live address` : '',
    offline ? `${offline} offline` : '',
    error ? `${error} with errors` : '',
    removed ? `${removed} no longer in the cloud` : '',
    disabled ? `${disabled} switched off` : '',
  ].filter(Boolean);
  return `${total} ${total === 1 ? 'camera' : 'cameras'}: ${parts.join(', ')}.`;
}

function isRunning(progress: SyncProgress): boolean {
  return progress.phase !== 'done' && progress.phase !== 'failed';
}

/** The account's sync progress, polled while a sync runs; `onOver` reloads when it ends. */
function useSync(account: CloudAccount, onOver: () => Promise<void>, setError: (text?: string) => void) {
  const [progress, setProgress] = useState<SyncProgress | null>(account.sync);
  /**
   * Set by "Sync now" to the start time of the sync shown before: the answer to starting one may
   * still be the last one's final progress (the new one starts a moment later), so polling goes
   * on until a newer sync shows up and ends.
   */
  const [awaiting, setAwaiting] = useState<string | null>(null);
  const running = progress !== null && isRunning(progress);
  const polling = running || awaiting !== null;

  useEffect(() => setProgress(account.sync), [account.sync?.phase, account.sync?.startedAt]);

  useEffect(() => {
    if (!polling) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let staleAnswers = 0;
    const poll = async () => {
      try {
        const next = await api<SyncProgress | null>(
          'GET',
          `/api/v1/cloud/accounts/${encodeURIComponent(account.id)}/sync`,
        );
        if (stopped) return;
        const stale = awaiting !== null && next !== null && !isRunning(next) && next.startedAt === awaiting;
        if (stale && ++staleAnswers < MAX_STALE_ANSWERS) {
          timer = setTimeout(poll, POLL_MS);
          return;
        }
        setProgress(next);
        if (next && isRunning(next)) {
          timer = setTimeout(poll, POLL_MS);
          return;
        }
        setAwaiting(null);
        await onOver();
      } catch (failure) {
        if (!stopped) {
          setError(errorText(failure));
          setAwaiting(null);
        }
      }
    };
    timer = setTimeout(poll, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [polling, account.id]);

  const start = async () => {
    setError(undefined);
    const before = progress?.startedAt ?? '';
    try {
      const answer = await api<SyncProgress>(
        'POST',
        `/api/v1/cloud/accounts/${encodeURIComponent(account.id)}/sync`,
      );
      if (isRunning(answer) || answer.startedAt !== before) setProgress(answer);
      setAwaiting(before);
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  return { progress, running: polling, start };
}

const PHASE_WORDS: Record<SyncProgress['phase'], string> = {
  token: 'Signing in to the cloud',
  devices: 'Listing devices',
  cameras: 'Listing cameras',
  addresses: 'Fetching live addresses',
  done: 'Done',
  failed: 'Failed',
};

function SyncBar({ progress }: { progress: SyncProgress }) {
  const counting = progress.phase === 'addresses' && progress.addressesTotal > 0;
  const found = `${progress.devices} ${progress.devices === 1 ? 'device' : 'devices'}, ${progress.cameras} ${
    progress.cameras === 1 ? 'camera' : 'cameras'
  } found`;
  const addresses = counting
    ? `; live addresses ${progress.addressesDone} of ${progress.addressesTotal}`
    : '';
  const eta = progress.etaSeconds ? ` (about ${progress.etaSeconds} s left)` : '';
  return (
    <div class="cloud-sync">
      {counting ? (
        <progress max={progress.addressesTotal} value={progress.addressesDone} aria-label="Sync progress" />
      ) : (
        <progress aria-label="Sync progress" />
      )}
      <p role="status">
        Syncing: {PHASE_WORDS[progress.phase]}… {found}
        {addresses}
        {eta}
      </p>
    </div>
  );
}

function LastSync({ account, progress }: { account: CloudAccount; progress: SyncProgress | null }) {
  const last = account.lastSync;
  if (progress?.phase === 'failed' && progress.error && !last?.error) {
    return <p class="error">Sync failed: {progress.error}</p>;
  }
  if (!last) return <p class="hint">Not synced yet.</p>;
  const when = formatTime(last.finishedAt);
  if (!last.ok) {
    return (
      <p class="error" role="status">
        Sync at {when} failed: {last.error ?? 'no reason given'}. The last good camera list is kept.
      </p>
    );
  }
  return (
    <p class="hint" role="status">
      Synced at {when}: {last.devices} {last.devices === 1 ? 'device' : 'devices'}, {last.cameras}{' '}
      {last.cameras === 1 ? 'camera' : 'cameras'} ({last.added} new, {last.updated} updated, {last.removed}{' '}
      gone{last.failed ? `, ${last.failed} without a live address` : ''}).
    </p>
  );
}

function EditAccountForm({
  account,
  onDone,
}: {
  account: CloudAccount;
  onDone: (changed: boolean) => Promise<void>;
}) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const patch: Record<string, unknown> = {};
    if (text('name') !== account.name) patch.name = text('name');
    if (text('appKey')) patch.appKey = text('appKey');
    if (text('secretKey')) patch.secretKey = text('secretKey');
    if (text('baseUrl') !== account.baseUrl) patch.baseUrl = text('baseUrl') || null;
    if (text('quality') !== account.quality) patch.quality = text('quality');
    const enabled = form.get('enabled') === 'on';
    if (enabled !== account.enabled) patch.enabled = enabled;
    if (Object.keys(patch).length === 0) return onDone(false);
    setBusy(true);
    setError(undefined);
    try {
      await api('PATCH', `/api/v1/cloud/accounts/${encodeURIComponent(account.id)}`, patch);
      await onDone(true);
    } catch (failure) {
      setError(errorText(failure));
      setBusy(false);
    }
  }

  return (
    <form class="cloud-form" onSubmit={submit} aria-label={`Change ${account.name}`}>
      <label>
        Name
        <input name="name" required maxLength={100} defaultValue={account.name} />
      </label>
      <label>
        New AppKey
        <input name="appKey" maxLength={64} autocomplete="off" placeholder="unchanged" />
      </label>
      <label>
        New SecretKey
        <input
          name="secretKey"
          type="password"
          maxLength={64}
          autocomplete="new-password"
          placeholder="unchanged"
        />
      </label>
      <label>
        Cloud address
        <input name="baseUrl" type="url" maxLength={512} defaultValue={account.baseUrl} />
      </label>
      <label>
        Video quality
        <select name="quality" defaultValue={account.quality}>
          <option value="main">Main stream (full resolution)</option>
          <option value="sub">Sub stream (smaller, less data)</option>
        </select>
      </label>
      <label class="inline">
        <input name="enabled" type="checkbox" defaultChecked={account.enabled} />
        Use this account
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" class="secondary" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

// --- cameras -------------------------------------------------------------------------------------

const STATUS_WORDS: Record<CloudCamera['status'], { text: string; badge: string }> = {
  ok: { text: 'ready', badge: 'online' },
  pending: { text: 'waiting for a live address', badge: 'connecting' },
  offline: { text: 'offline in the cloud', badge: 'offline' },
  error: { text: 'error', badge: 'error' },
  removed: { text: 'no longer in the cloud', badge: 'warn' },
  disabled: { text: 'switched off', badge: '' },
};

function CameraList({
  accounts,
  cameras,
  onCamera,
  onRemoved,
}: {
  accounts: CloudAccount[];
  cameras: CloudCamera[];
  onCamera: (camera: CloudCamera) => void;
  onRemoved: () => Promise<void>;
}) {
  return (
    <>
      <h2>Cameras</h2>
      {cameras.length === 0 && <p>No cloud cameras yet: sync an account to import them.</p>}
      {accounts.map((account) => {
        const own = cameras.filter((camera) => camera.accountId === account.id);
        if (own.length === 0) return null;
        return (
          <section key={account.id} aria-label={`Cameras of ${account.name}`}>
            {accounts.length > 1 && <h3>{account.name}</h3>}
            <ul class="cloud-cameras">
              {own.map((camera) => (
                <li key={camera.id}>
                  <CameraItem camera={camera} account={account} onCamera={onCamera} onRemoved={onRemoved} />
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </>
  );
}

function cameraTitle(camera: CloudCamera): string {
  return camera.deviceName && camera.deviceName !== camera.name
    ? `${camera.name} · ${camera.deviceName}`
    : camera.name;
}

function CameraItem({
  camera,
  account,
  onCamera,
  onRemoved,
}: {
  camera: CloudCamera;
  account: CloudAccount;
  onCamera: (camera: CloudCamera) => void;
  onRemoved: () => Promise<void>;
}) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState<Partial<CloudCamera>>({});
  const shown = { ...camera, ...pending };
  const title = cameraTitle(camera);
  const status = STATUS_WORDS[camera.status] ?? { text: camera.status, badge: '' };

  /** Sends a change; `shown` is what the controls show meanwhile (a click must not flip back). */
  async function patch(body: Record<string, unknown>, shown: Partial<CloudCamera> = {}): Promise<boolean> {
    setBusy(true);
    setPending(shown);
    setError(undefined);
    try {
      onCamera(
        await api<CloudCamera>('PATCH', `/api/v1/cloud/cameras/${encodeURIComponent(camera.id)}`, body),
      );
      return true;
    } catch (failure) {
      setError(errorText(failure));
      return false;
    } finally {
      setPending({});
      setBusy(false);
    }
  }

  async function remove() {
    try {
      await api('DELETE', `/api/v1/cloud/cameras/${encodeURIComponent(camera.id)}`);
      await onRemoved();
    } catch (failure) {
      setError(errorText(failure));
    }
  }

  return (
    <article class="cloud-camera" aria-label={title} data-camera={camera.id}>
      <header class="row">
        {camera.status === 'removed' ? (
          <strong>{title}</strong>
        ) : (
          <a href={href('live', camera.id)} class="cloud-camera-title">
            {title}
          </a>
        )}
        <span class={`badge ${status.badge}`}>{status.text}</span>
      </header>
      <p class="hint">
        {camera.area ? `${camera.area} · ` : ''}
        {camera.deviceSerial} channel {camera.channelNo} · {expiryWords(camera)}
      </p>
      {camera.lastError && camera.status !== 'disabled' && <p class="error">{camera.lastError}</p>}
      {camera.status === 'removed' ? (
        <div class="actions">
          <button type="button" class="small secondary" onClick={remove}>
            Delete {title}
          </button>
        </div>
      ) : (
        <div class="cloud-camera-controls">
          <label class="inline">
            <input
              type="checkbox"
              checked={shown.enabled}
              disabled={busy}
              aria-label={`${title}: on`}
              onChange={(event) => {
                const enabled = (event.currentTarget as HTMLInputElement).checked;
                patch({ enabled }, { enabled });
              }}
            />
            On
          </label>
          <label class="inline">
            Quality
            <select
              value={shown.qualityOverride ?? ''}
              disabled={busy}
              aria-label={`${title}: quality`}
              onChange={(event) => {
                const value = (event.currentTarget as HTMLSelectElement).value;
                const quality = value === 'main' || value === 'sub' ? value : null;
                patch({ quality }, { qualityOverride: quality });
              }}
            >
              <option value="">Account's ({account.quality})</option>
              <option value="main">Main</option>
              <option value="sub">Sub</option>
            </select>
          </label>
          <StreamCode
            camera={camera}
            title={title}
            busy={busy}
            onSave={(code) => patch({ streamCode: code })}
          />
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </article>
  );
}

/** The device's verification code, for cameras whose stream is encrypted; written, never read back. */
function StreamCode({
  camera,
  title,
  busy,
  onSave,
}: {
  camera: CloudCamera;
  title: string;
  busy: boolean;
  onSave: (code: string | null) => Promise<boolean>;
}) {
  const [open, setOpen] = useState(false);
  if (!open) {
    return (
      <button
        type="button"
        class="small secondary"
        aria-label={`${title}: verification code (${camera.streamCodeSet ? 'set' : 'not set'})`}
        onClick={() => setOpen(true)}
      >
        Verification code: {camera.streamCodeSet ? 'set' : 'not set'}
      </button>
    );
  }
  async function submit(event: Event) {
    event.preventDefault();
    const code = String(new FormData(event.currentTarget as HTMLFormElement).get('code') ?? '').trim();
    if (await onSave(code || null)) setOpen(false);
  }
  return (
    <form class="row cloud-code" onSubmit={submit}>
      <label class="inline">
        Verification code
        <input
          name="code"
          type="password"
          maxLength={32}
          autocomplete="off"
          aria-label={`${title}: verification code`}
          placeholder={camera.streamCodeSet ? 'leave empty to clear' : 'on the device label'}
        />
      </label>
      <button type="submit" class="small" disabled={busy}>
        Save code
      </button>
      <button type="button" class="small secondary" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </form>
  );
}

// --- times ---------------------------------------------------------------------------------------

const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const dateAndClock = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Math.abs(Date.now() - date.getTime()) < 12 * 3600_000
    ? clock.format(date)
    : dateAndClock.format(date);
}

function inWords(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes < 1) return 'less than a minute';
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

function expiryWords(camera: CloudCamera): string {
  if (camera.status === 'disabled') return 'no live address while switched off';
  if (!camera.urlExpiresAt) return 'no live address yet';
  const left = Date.parse(camera.urlExpiresAt) - Date.now();
  const at = formatTime(camera.urlExpiresAt);
  return left > 0
    ? `live address valid until ${at} (${inWords(left)} left)`
    : `live address expired at ${at} (${inWords(left)} ago)`;
}
