/**
 * Settings: the signed-in user's password, the users (added and removed here; every user is an
 * administrator), API tokens (made here, value shown once), and what
 * the config file decides — MQTT with the broker's state, webhooks with their deliveries, how
 * long things are kept. Those are read-only here: each names its config key and environment
 * variable, since the gateway reads them at start.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import './settings.css';

interface ApiToken {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

interface User {
  id: string;
  username: string;
  createdAt: string;
  /** The signed-in user. */
  you: boolean;
}

interface Webhook {
  id: string;
  url: string;
  events: {
    kinds: string[] | null;
    deviceIds: string[] | null;
    channelIds: string[] | null;
    states: string[] | null;
  };
  timeoutMs: number;
  maxAttempts: number | null;
  maxAgeHours: number;
  delivery: {
    queued: number;
    lastSuccessAt: string | null;
    lastFailureAt: string | null;
    lastFailure: string | null;
    retrying: { attempts: number; nextAttemptAt: string; error: string | null } | null;
    delivered: number;
    failed: number;
  };
}

interface MqttHealth {
  broker: string;
  problem?: string;
}

/** The effective configuration as `/api/v1/settings` shows it (secrets are `***`). */
type Config = Record<string, unknown>;

export function SettingsScreen() {
  const [config, setConfig] = useState<Config>();
  const [error, setError] = useState<string>();
  // A removed user's API tokens go with it: the token list reads again when this changes.
  const [usersRemoved, setUsersRemoved] = useState(0);

  useEffect(() => {
    api<Config>('GET', '/api/v1/settings').then(setConfig, (failure: unknown) =>
      setError(errorText(failure)),
    );
  }, []);

  return (
    <section class="settings" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <p class="hint">
        Some settings are made here; the rest come from the config file (
        <code>hikbridge start --config FILE</code>, or the file named by <code>HIKBRIDGE_CONFIG</code>) or
        from environment variables, and are read when hikbridge starts: change them there, then restart. Each
        one below names its key and variable.
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <AccountSection config={config} />
      <UsersSection onRemoved={() => setUsersRemoved((count) => count + 1)} />
      <TokensSection usersRemoved={usersRemoved} />
      <MqttSection config={config} />
      <WebhooksSection />
      <RetentionSection config={config} />
    </section>
  );
}

// --- the user and the password -------------------------------------------------------------------

function AccountSection({ config }: { config: Config | undefined }) {
  const [username, setUsername] = useState<string | null>();
  useEffect(() => {
    api<{ username: string | null }>('GET', '/api/v1/auth/me').then(
      (me) => setUsername(me.username),
      () => setUsername(null),
    );
  }, []);
  return (
    <section class="card" aria-labelledby="account-title">
      <h2 id="account-title">Your account</h2>
      <p>
        {username ? (
          <>
            Signed in as <strong>{username}</strong>.{' '}
          </>
        ) : null}
        Each person gets a user of their own (below); programs use API tokens.
      </p>
      <ConfigTable
        config={config}
        rows={[
          { key: 'auth.adminUsername', note: 'the first user, made at the very first start' },
          { key: 'auth.sessionTtlHours', note: 'hours a sign-in lasts' },
          { key: 'auth.login.maxAttempts', note: 'wrong passwords before a pause' },
        ]}
      />
      {username && <PasswordForm />}
    </section>
  );
}

/** Changes the password; a wrong current one is the form's error (401 `wrong_password`), not a sign-out. */
async function changePassword(currentPassword: string, newPassword: string): Promise<number> {
  const answer = await api<{ endedSessions?: number }>('POST', '/api/v1/auth/password', {
    currentPassword,
    newPassword,
  });
  return answer?.endedSessions ?? 0;
}

function PasswordForm() {
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const current = String(form.get('current') ?? '');
    const next = String(form.get('next') ?? '');
    if (next !== String(form.get('repeat') ?? '')) {
      setMessage({ ok: false, text: 'The new password and its repetition differ; type them again.' });
      return;
    }
    setBusy(true);
    setMessage(undefined);
    try {
      const ended = await changePassword(current, next);
      formElement.reset();
      const others =
        ended === 0
          ? 'No other session was open.'
          : `${ended} other ${ended === 1 ? 'session was' : 'sessions were'} signed out.`;
      setMessage({ ok: true, text: `Password changed. ${others}` });
    } catch (failure) {
      setMessage({ ok: false, text: errorText(failure) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="settings-form" onSubmit={submit} aria-labelledby="password-title">
      <h3 id="password-title">Change your password</h3>
      <label>
        Current password
        <input name="current" type="password" autocomplete="current-password" required maxLength={256} />
      </label>
      <label>
        New password
        <input
          name="next"
          type="password"
          autocomplete="new-password"
          required
          minLength={8}
          maxLength={256}
        />
      </label>
      <label>
        New password again
        <input
          name="repeat"
          type="password"
          autocomplete="new-password"
          required
          minLength={8}
          maxLength={256}
        />
      </label>
      <p class="hint">At least 8 characters. Your other sessions are signed out; this one stays.</p>
      {message &&
        (message.ok ? (
          <p class="ok" role="status">
            {message.text}
          </p>
        ) : (
          <p class="error" role="alert">
            {message.text}
          </p>
        ))}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </div>
    </form>
  );
}

// --- users -------------------------------------------------------------------------------------------

function UsersSection({ onRemoved }: { onRemoved: () => void }) {
  const [users, setUsers] = useState<User[]>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [confirming, setConfirming] = useState<string>();

  const reload = useCallback(async () => {
    try {
      setUsers(await api<User[]>('GET', '/api/v1/users'));
    } catch (failure) {
      setError(errorText(failure));
    }
  }, []);
  useEffect(() => {
    reload();
  }, [reload]);

  async function remove(user: User) {
    setError(undefined);
    setDone(undefined);
    try {
      await api('DELETE', `/api/v1/users/${encodeURIComponent(user.id)}`);
      setConfirming(undefined);
      setDone(`Removed ${user.username}; their sessions and API tokens stopped working.`);
      onRemoved();
      await reload();
    } catch (failure) {
      setError(errorText(failure));
    }
  }

  return (
    <section class="card" aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <p class="hint">
        Everyone who signs in to hikbridge. Every user is an administrator (there are no roles yet): they can
        do everything you can, including adding and removing users.
      </p>
      {users && (
        <ul class="settings-list" aria-label="Users">
          {users.map((user) => (
            <UserRow
              key={user.id}
              user={user}
              confirming={confirming === user.id}
              onAsk={() => setConfirming(user.id)}
              onKeep={() => setConfirming(undefined)}
              onRemove={() => remove(user)}
            />
          ))}
        </ul>
      )}
      {done && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <AddUserForm
        onAdded={() => {
          setDone(undefined);
          setError(undefined);
          reload();
        }}
      />
    </section>
  );
}

function UserRow(props: {
  user: User;
  confirming: boolean;
  onAsk: () => void;
  onKeep: () => void;
  onRemove: () => void;
}) {
  const { user, confirming } = props;
  const askButton = useRef<HTMLButtonElement>(null);
  const keepButton = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);
  // The button pressed disappears: keep the keyboard's place on the row as it changes.
  useEffect(() => {
    if (confirming) keepButton.current?.focus();
    else if (wasConfirming.current) askButton.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);

  return (
    <li aria-label={user.username}>
      <div>
        <strong>{user.username}</strong>
        {user.you && <span class="badge online">you</span>}
        <span class="hint"> added {formatTime(user.createdAt)}</span>
      </div>
      {user.you ? (
        <span class="hint">Signed in now; another user can remove this one.</span>
      ) : confirming ? (
        <div class="actions settings-confirm">
          <span>
            Remove <strong>{user.username}</strong>? Their sessions and API tokens stop working at once.
          </span>
          <button type="button" class="danger small" onClick={props.onRemove}>
            Remove {user.username}
          </button>
          <button type="button" class="secondary small" ref={keepButton} onClick={props.onKeep}>
            Keep {user.username}
          </button>
        </div>
      ) : (
        <button
          type="button"
          class="secondary small"
          ref={askButton}
          aria-label={`Remove ${user.username}…`}
          onClick={props.onAsk}
        >
          Remove…
        </button>
      )}
    </li>
  );
}

function AddUserForm({ onAdded }: { onAdded: () => void }) {
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const username = String(form.get('username') ?? '');
    const password = String(form.get('password') ?? '');
    if (password !== String(form.get('repeat') ?? '')) {
      setMessage({ ok: false, text: 'The password and its repetition differ; type them again.' });
      return;
    }
    setBusy(true);
    setMessage(undefined);
    try {
      // The API checks the name and the password and says what is wrong in its own words.
      const user = await api<User>('POST', '/api/v1/users', { username, password });
      formElement.reset();
      setMessage({ ok: true, text: `Added ${user.username}; they can sign in now.` });
      onAdded();
    } catch (failure) {
      setMessage({ ok: false, text: errorText(failure) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="settings-form" onSubmit={submit} aria-labelledby="add-user-title">
      <h3 id="add-user-title">Add a user</h3>
      <label>
        Username
        <input name="username" required maxLength={64} autocomplete="off" spellcheck={false} />
      </label>
      <label>
        Password
        <input name="password" type="password" autocomplete="new-password" required maxLength={256} />
      </label>
      <label>
        Password again
        <input name="repeat" type="password" autocomplete="new-password" required maxLength={256} />
      </label>
      <p class="hint">
        A username has 1-64 letters, digits, dots, underscores or hyphens, and differs from the others in more
        than case. The password has at least 8 characters; tell it to the person yourself.
      </p>
      {message &&
        (message.ok ? (
          <p class="ok" role="status">
            {message.text}
          </p>
        ) : (
          <p class="error" role="alert">
            {message.text}
          </p>
        ))}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Adding…' : 'Add user'}
        </button>
      </div>
    </form>
  );
}

// --- API tokens ----------------------------------------------------------------------------------

function TokensSection({ usersRemoved }: { usersRemoved: number }) {
  const [tokens, setTokens] = useState<ApiToken[]>();
  const [error, setError] = useState<string>();
  const [created, setCreated] = useState<{ name: string; token: string }>();
  const [confirming, setConfirming] = useState<string>();
  const [busy, setBusy] = useState(false);

  const reload = useCallback(async () => {
    try {
      setTokens(await api<ApiToken[]>('GET', '/api/v1/tokens'));
    } catch (failure) {
      setError(errorText(failure));
    }
  }, []);
  // Reads again after a user is removed (the count is only a signal; any value reads).
  useEffect(() => {
    if (usersRemoved >= 0) reload();
  }, [reload, usersRemoved]);

  async function create(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const name = String(new FormData(formElement).get('name') ?? '').trim();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api<{ id: string; name: string; token: string }>('POST', '/api/v1/tokens', {
        name,
      });
      setCreated({ name: answer.name, token: answer.token });
      formElement.reset();
      await reload();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(token: ApiToken) {
    setError(undefined);
    try {
      await api('DELETE', `/api/v1/tokens/${encodeURIComponent(token.id)}`);
      setConfirming(undefined);
      await reload();
    } catch (failure) {
      setError(errorText(failure));
    }
  }

  return (
    <section class="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p class="hint">
        For programs (Home Assistant, scripts) that call the API: send{' '}
        <code>Authorization: Bearer &lt;token&gt;</code>. A token is shown once, when it is made.
      </p>
      {created && <NewToken name={created.name} token={created.token} onDone={() => setCreated(undefined)} />}
      {tokens && tokens.length === 0 && <p>No API tokens.</p>}
      {tokens && tokens.length > 0 && (
        <ul class="settings-list" aria-label="API tokens">
          {tokens.map((token) => (
            <li key={token.id} aria-label={token.name}>
              <div>
                <strong>{token.name}</strong>
                <span class="hint">
                  {' '}
                  made {formatTime(token.createdAt)} ·{' '}
                  {token.lastUsedAt ? `last used ${formatTime(token.lastUsedAt)}` : 'never used'}
                  {token.expiresAt ? ` · expires ${formatTime(token.expiresAt)}` : ''}
                </span>
              </div>
              {confirming === token.id ? (
                <div class="actions">
                  <span>Programs using it stop working.</span>
                  <button type="button" class="danger small" onClick={() => revoke(token)}>
                    Revoke {token.name}
                  </button>
                  <button type="button" class="secondary small" onClick={() => setConfirming(undefined)}>
                    Keep it
                  </button>
                </div>
              ) : (
                <button
                  type="button"
                  class="secondary small"
                  aria-label={`Revoke ${token.name}…`}
                  onClick={() => setConfirming(token.id)}
                >
                  Revoke…
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form class="row settings-token-form" onSubmit={create}>
        <label>
          New token’s name
          <input name="name" required maxLength={100} placeholder="e.g. Home Assistant" />
        </label>
        <button type="submit" disabled={busy}>
          Create token
        </button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function NewToken({ name, token, onDone }: { name: string; token: string; onDone: () => void }) {
  const [copy, setCopy] = useState<string>();
  async function copyToken() {
    try {
      await navigator.clipboard.writeText(token);
      setCopy('Copied.');
    } catch {
      setCopy('The browser did not allow copying; select the token and copy it yourself.');
    }
  }
  return (
    <section class="settings-new-token" aria-label="New token">
      <p>
        The token “{name}”. <strong>Copy it now: it is not shown again.</strong>
      </p>
      <code class="settings-token-value">{token}</code>
      <div class="actions">
        <button type="button" onClick={copyToken}>
          Copy token
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          Done
        </button>
        {copy && <span role="status">{copy}</span>}
      </div>
    </section>
  );
}

// --- MQTT ----------------------------------------------------------------------------------------

const BROKER_WORDS: Record<string, string> = {
  connected: 'connected',
  connecting: 'connecting…',
  refused: 'refused by the broker',
  untrusted: 'broker certificate not trusted',
  unreachable: 'broker unreachable',
  stopped: 'stopped',
};

function MqttSection({ config }: { config: Config | undefined }) {
  const [health, setHealth] = useState<MqttHealth | null>();
  const url = pick(config, 'mqtt.url');

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      try {
        const answer = await api<{ mqtt?: MqttHealth }>('GET', '/health');
        if (!stopped) setHealth(answer.mqtt ?? null);
      } catch {
        if (!stopped) setHealth(null);
      }
      // The broker's state changes by itself: look again now and then while the page is open.
      if (!stopped) timer = setTimeout(read, 5000);
    };
    read();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  return (
    <section class="card" aria-labelledby="mqtt-title">
      <h2 id="mqtt-title">MQTT and Home Assistant</h2>
      {config && !url && (
        <p>
          MQTT is off. Set <code>mqtt.url</code> (<code>HIKBRIDGE_MQTT_URL</code>), e.g.{' '}
          <code>mqtt://192.168.1.10:1883</code>, and restart to publish events and Home Assistant entities.
        </p>
      )}
      {url && (
        <p role="status" aria-label="Broker state">
          Broker <code>{String(url)}</code>:{' '}
          {health ? (
            <>
              <span class={`badge ${health.broker === 'connected' ? 'online' : 'offline'}`}>
                {BROKER_WORDS[health.broker] ?? health.broker}
              </span>
              {health.problem ? ` ${health.problem}` : ''}
            </>
          ) : (
            'state unknown'
          )}
        </p>
      )}
      <ConfigTable
        config={config}
        rows={[
          { key: 'mqtt.url' },
          { key: 'mqtt.username' },
          { key: 'mqtt.password', secret: true },
          { key: 'mqtt.baseTopic' },
          { key: 'mqtt.discovery', note: 'Home Assistant discovery' },
          { key: 'mqtt.discoveryPrefix' },
          { key: 'mqtt.retainStates' },
        ]}
      />
    </section>
  );
}

// --- webhooks ------------------------------------------------------------------------------------

function WebhooksSection() {
  const [webhooks, setWebhooks] = useState<Webhook[]>();
  const [error, setError] = useState<string>();
  const reload = useCallback(async () => {
    try {
      setWebhooks(await api<Webhook[]>('GET', '/api/v1/webhooks'));
      setError(undefined);
    } catch (failure) {
      setError(errorText(failure));
    }
  }, []);
  useEffect(() => {
    reload();
  }, [reload]);

  return (
    <section class="card" aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhooks</h2>
      <p class="hint">
        Events are POSTed, signed, to each webhook, in order, retried until delivered. They are set in the
        config file under <code>webhooks.subscriptions</code> (an id, then <code>url</code>,{' '}
        <code>secret</code>, <code>events</code>); see the configuration reference.
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {webhooks && webhooks.length === 0 && <p>No webhooks configured.</p>}
      {webhooks && webhooks.length > 0 && (
        <ul class="settings-webhooks">
          {webhooks.map((webhook) => (
            <li key={webhook.id}>
              <WebhookCard webhook={webhook} />
            </li>
          ))}
        </ul>
      )}
      {webhooks && webhooks.length > 0 && (
        <button type="button" class="secondary small" onClick={reload}>
          Refresh delivery state
        </button>
      )}
    </section>
  );
}

function filterWords(events: Webhook['events']): string {
  const parts = [
    events.kinds ? `kinds ${events.kinds.join(', ')}` : '',
    events.deviceIds ? `devices ${events.deviceIds.join(', ')}` : '',
    events.channelIds ? `cameras ${events.channelIds.join(', ')}` : '',
    events.states ? `states ${events.states.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length ? `Only ${parts.join('; ')}.` : 'Every event.';
}

function WebhookCard({ webhook }: { webhook: Webhook }) {
  const { delivery } = webhook;
  const healthy = delivery.retrying === null;
  return (
    <article aria-label={`Webhook ${webhook.id}`} class="settings-webhook">
      <header class="row">
        <h3>{webhook.id}</h3>
        <span class={`badge ${healthy ? 'online' : 'warn'}`}>{healthy ? 'delivering' : 'retrying'}</span>
      </header>
      <p>
        <code class="settings-url">{webhook.url}</code>
      </p>
      <p>{filterWords(webhook.events)}</p>
      <dl class="settings-facts">
        <dt>Waiting to be sent</dt>
        <dd>
          {delivery.queued === 0
            ? 'nothing'
            : `${delivery.queued} ${delivery.queued === 1 ? 'event' : 'events'}`}
        </dd>
        <dt>Last delivered</dt>
        <dd>
          {delivery.lastSuccessAt ? formatTime(delivery.lastSuccessAt) : 'not since hikbridge started'}
          {delivery.delivered ? ` (${delivery.delivered} since start)` : ''}
        </dd>
        <dt>Last failure</dt>
        <dd>
          {delivery.lastFailure
            ? `${delivery.lastFailureAt ? `${formatTime(delivery.lastFailureAt)}: ` : ''}${delivery.lastFailure}`
            : 'none'}
        </dd>
        {delivery.retrying && (
          <>
            <dt>Retrying</dt>
            <dd>
              attempt {delivery.retrying.attempts} failed; next try at{' '}
              {formatTime(delivery.retrying.nextAttemptAt)}. Later events wait for this one.
            </dd>
          </>
        )}
      </dl>
    </article>
  );
}

// --- retention -----------------------------------------------------------------------------------

function RetentionSection({ config }: { config: Config | undefined }) {
  const subscriptions = Object.keys(
    (pick(config, 'webhooks.subscriptions') as Record<string, unknown>) ?? {},
  );
  return (
    <section class="card" aria-labelledby="retention-title">
      <h2 id="retention-title">How long things are kept</h2>
      <ConfigTable
        config={config}
        rows={[
          { key: 'events.retentionDays', note: 'days events and their pictures are kept' },
          { key: 'events.maxRows', note: 'most events kept; the oldest go first' },
          { key: 'webhooks.maxQueuedPerSubscription', note: 'undelivered events kept per webhook' },
          ...subscriptions.map((id) => ({
            key: `webhooks.subscriptions.${id}.maxAgeHours`,
            note: `hours an undelivered event waits for webhook ${id}`,
            fileOnly: true,
          })),
        ]}
      />
    </section>
  );
}

// --- config keys ---------------------------------------------------------------------------------

interface ConfigRow {
  key: string;
  note?: string;
  secret?: boolean;
  /** Inside a map (e.g. a webhook's): only the config file can set it. */
  fileOnly?: boolean;
}

/** Key, current value and where to change it, for settings the UI cannot change. */
function ConfigTable({ config, rows }: { config: Config | undefined; rows: ConfigRow[] }) {
  return (
    <table class="settings-config">
      <caption class="visually-hidden">Set in the config file</caption>
      <thead>
        <tr>
          <th scope="col">Setting</th>
          <th scope="col">Value</th>
          <th scope="col">Change with</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key}>
            <th scope="row">
              <code>{row.key}</code>
              {row.note && <span class="hint"> {row.note}</span>}
            </th>
            <td>{config ? valueWords(pick(config, row.key), row.secret) : '…'}</td>
            <td>
              config file
              {row.fileOnly ? (
                ' only'
              ) : (
                <>
                  {' '}
                  or <code>{envName(row.key)}</code>
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function pick(config: Config | undefined, key: string): unknown {
  let node: unknown = config;
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function valueWords(value: unknown, secret = false): string {
  if (value === undefined || value === null) return 'not set';
  if (secret) return 'set (hidden)';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The environment variable of a config key: `auth.login.maxAttempts` → `HIKBRIDGE_AUTH_LOGIN_MAX_ATTEMPTS`. */
function envName(key: string): string {
  const snake = (part: string) =>
    part
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
      .replace(/[^A-Za-z0-9]+/g, '_')
      .toUpperCase();
  return `HIKBRIDGE_${key.split('.').map(snake).join('_')}`;
}

const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
const dateAndClock = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Math.abs(Date.now() - date.getTime()) < 12 * 3600_000
    ? clock.format(date)
    : dateAndClock.format(date);
}
