/**
 * The device form (adding a device and changing one), the doctor's findings in words, and the
 * stream fixes with their preview. Adding goes: fill in → check (the doctor runs against the
 * settings, nothing saved) → findings, the certificate to trust and an NVR's channels → save →
 * the fixes the device needs. Changing sends only what changed; a blank password keeps the saved one.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Device, errorText, type Health } from '../api.ts';
import { href } from '../router.ts';

// --- shapes of the API answers used here (the OpenAPI document has them all) ---------------------

/** `GET /api/v1/devices/{id}`: a device with its saved settings (never the password). */
export interface DeviceDetail extends Device {
  tlsFingerprint: string | null;
  insecureTls: boolean;
  httpPortOverride: number | null;
  snapshotUrlOverride: string | null;
  channelOverride: number[] | null;
  defaultStream: number | null;
  macAddress: string | null;
  alarmInputs: number;
  health: (Health & { lastErrorCode: string | null; nextAttemptAt: string | null }) | null;
}

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  id: string;
  status: CheckStatus;
  detail: string;
  fix: string | null;
}

export interface DoctorReport {
  device: { model: string | null; kind: string | null; host: string };
  checks: DoctorCheck[];
  /** `POST /api/v1/doctor` only: the certificate an HTTPS device showed. */
  certificate?: { fingerprint: string; pinned: boolean };
  /** `POST /api/v1/doctor` only: every channel the device lists. */
  channels?: { id: number; name: string; source: string }[];
}

interface StreamFix {
  id: string;
  finding: string;
  channel: number | null;
  setting: string;
  resource: string;
  element: string;
  current: string | null;
  proposed: string;
  why: string;
}

interface FixesPreview {
  fixes: StreamFix[];
  undo: { available: boolean; appliedAt: string | null; fixes: string[] };
}

/** Health changes on its own (a device goes offline): the list asks again this often. */
export const HEALTH_REFRESH_MS = 5000;

/** Calls `load` now and every `everyMs` while the screen is shown (not while the tab is hidden). */
export function usePolling(load: () => Promise<void>, everyMs: number, deps: unknown[]): void {
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let first = true;
    const round = async () => {
      if (first || !document.hidden) await load().catch(() => undefined);
      first = false;
      if (!stopped) timer = setTimeout(round, everyMs);
    };
    void round();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, deps);
}

// --- words ------------------------------------------------------------------------------------

const KIND_NAMES: Record<string, string> = {
  camera: 'Camera',
  nvr: 'NVR (recorder)',
  dvr: 'DVR (recorder)',
  doorbell: 'Doorbell',
  'access-controller': 'Door access controller',
};

export function kindName(kind: string | null | undefined): string {
  return kind ? (KIND_NAMES[kind] ?? kind) : 'Unknown kind';
}

const HEALTH_WORDS: Record<string, string> = {
  online: 'Online',
  connecting: 'Connecting',
  offline: 'Offline',
  'auth-failed': 'Login refused',
  disabled: 'Disabled',
};

export function healthWords(device: Pick<Device, 'enabled' | 'health'>): string {
  if (!device.enabled) return 'Disabled';
  const state = device.health?.state ?? 'connecting';
  return HEALTH_WORDS[state] ?? state;
}

/** The health badge and, when something went wrong, what, in the gateway's words. */
export function HealthText({ device }: { device: Pick<Device, 'enabled' | 'health'> }) {
  const state = device.enabled ? (device.health?.state ?? 'connecting') : 'disabled';
  const lastError = device.health?.lastError;
  return (
    <span class="health">
      <span class={`badge ${state}`}>{healthWords(device)}</span>
      {lastError && state !== 'online' && <span class="health-error"> {lastError}</span>}
    </span>
  );
}

const CHECK_TITLES: Record<string, string> = {
  reachability: 'Reachable',
  'https-certificate': 'HTTPS certificate',
  'auth-method': 'Login method',
  credentials: 'User name and password',
  activation: 'Activated',
  'lockout-policy': 'Lock after failed logins',
  integration: 'ISAPI access',
  'permission-events': 'Permission: events',
  'permission-snapshot': 'Permission: snapshots',
  'permission-live-view': 'Permission: live view',
  'permission-playback': 'Permission: playback',
  'permission-two-way-audio': 'Permission: two-way audio',
  'permission-door-control': 'Permission: door control',
  'motion-detection': 'Motion detection',
  'motion-notify-center': 'Motion sent to hikbridge',
  'stream-codec': 'Video codec',
  'two-way-audio-codec': 'Two-way audio codec',
  'nvr-channels': 'Recorder channels',
  'snapshot-path': 'Snapshots',
  'device-clock': 'Device clock',
  'doorbell-sip': 'Doorbell SIP',
  storage: 'Storage',
  'stream-tuning': 'Stream tuning',
};

const STATUS_WORDS: Record<CheckStatus, string> = {
  pass: 'Passed',
  warn: 'Warning',
  fail: 'Failed',
  skip: 'Skipped',
};

const SETTING_WORDS: Record<string, string> = {
  videoCodec: 'Video codec',
  streamEnabled: 'Stream switched on',
  keyFrameInterval: 'Key-frame interval',
  maxBitrate: 'Peak bit rate',
  twoWayAudioCodec: 'Two-way audio codec',
  motionDetection: 'Motion detection',
  motionSensitivity: 'Motion sensitivity',
};

// --- the doctor's findings --------------------------------------------------------------------

/** Problems first with what to do; what passed or was skipped folded away. */
export function DoctorFindings({ report, nested = false }: { report: DoctorReport; nested?: boolean }) {
  const Heading = nested ? 'h3' : 'h2';
  const problems = report.checks.filter((check) => check.status === 'fail' || check.status === 'warn');
  const passed = report.checks.filter((check) => check.status === 'pass');
  const skipped = report.checks.filter((check) => check.status === 'skip');
  const failed = problems.filter((check) => check.status === 'fail').length;
  const summary =
    failed > 0
      ? `${failed} check${failed === 1 ? '' : 's'} failed, ${problems.length - failed} warning${problems.length - failed === 1 ? '' : 's'}, ${passed.length} passed.`
      : problems.length > 0
        ? `No check failed; ${problems.length} warning${problems.length === 1 ? '' : 's'}, ${passed.length} passed.`
        : `All ${passed.length} checks passed.`;
  return (
    <section class="findings" aria-labelledby="findings-title">
      <Heading id="findings-title">What the doctor found</Heading>
      <p role="status">{summary}</p>
      {problems.length > 0 && (
        <ul class="checks">
          {problems.map((check) => (
            <CheckItem key={check.id} check={check} />
          ))}
        </ul>
      )}
      {passed.length > 0 && (
        <details>
          <summary>{passed.length} passed</summary>
          <ul class="checks">
            {passed.map((check) => (
              <CheckItem key={check.id} check={check} />
            ))}
          </ul>
        </details>
      )}
      {skipped.length > 0 && (
        <details>
          <summary>{skipped.length} skipped</summary>
          <ul class="checks">
            {skipped.map((check) => (
              <CheckItem key={check.id} check={check} />
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

function CheckItem({ check }: { check: DoctorCheck }) {
  return (
    <li class={`check check-${check.status}`} data-check={check.id}>
      <span class={`badge ${check.status}`}>{STATUS_WORDS[check.status]}</span>{' '}
      <strong>{CHECK_TITLES[check.id] ?? check.id}</strong>: {check.detail}
      {check.fix && <p class="fix">What to do: {check.fix}</p>}
    </li>
  );
}

/** The saved device's doctor, run when asked (`POST /api/v1/devices/{id}/doctor`). */
export function DeviceDoctor({ deviceId }: { deviceId: string }) {
  const [report, setReport] = useState<DoctorReport>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  async function run() {
    setBusy(true);
    setError(undefined);
    try {
      setReport(await api<DoctorReport>('POST', `/api/v1/devices/${encodeURIComponent(deviceId)}/doctor`));
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="doctor">
      <button type="button" class="secondary" onClick={run} disabled={busy}>
        {busy ? 'Checking… (up to 20 s)' : report ? 'Run the doctor again' : 'Run the doctor'}
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {report && <DoctorFindings report={report} nested />}
    </div>
  );
}

// --- stream fixes -----------------------------------------------------------------------------

/**
 * The fixes a device needs (`GET .../fixes`: current and proposed value per setting): the user
 * picks, applies (`POST .../fixes`) and can take them back (`POST .../fixes/undo`).
 */
export function StreamFixes({ deviceId }: { deviceId: string }) {
  const base = `/api/v1/devices/${encodeURIComponent(deviceId)}/fixes`;
  const [preview, setPreview] = useState<FixesPreview>();
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();

  async function load() {
    const next = await api<FixesPreview>('GET', base);
    setPreview(next);
    setChosen(new Set(next.fixes.map((fix) => fix.id)));
  }

  useEffect(() => {
    setBusy('Reading the device’s stream settings…');
    load()
      .catch((failure: unknown) => setError(errorText(failure)))
      .finally(() => setBusy(undefined));
  }, [deviceId]);

  async function act(words: string, action: () => Promise<string>) {
    setBusy(words);
    setError(undefined);
    setDone(undefined);
    try {
      const result = await action();
      await load();
      setDone(result);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(undefined);
    }
  }

  const apply = () =>
    act('Changing the settings on the device…', async () => {
      const answer = await api<{ applied: StreamFix[] }>('POST', base, { ids: [...chosen] });
      return `Changed ${answer.applied.length} setting${answer.applied.length === 1 ? '' : 's'} on the device; each was read back.`;
    });
  const undo = () =>
    act('Putting the settings back…', async () => {
      const answer = await api<{ restored: string[] }>('POST', `${base}/undo`);
      return `Put back ${answer.restored.length} setting${answer.restored.length === 1 ? '' : 's'} as they were.`;
    });

  const toggle = (id: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(id);
    else next.delete(id);
    setChosen(next);
  };

  return (
    <section class="fixes" aria-labelledby={`fixes-title-${deviceId}`}>
      <h2 id={`fixes-title-${deviceId}`}>Stream fixes</h2>
      {busy && <p role="status">{busy}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {done && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
      {preview && preview.fixes.length === 0 && !busy && (
        <p>This device needs no stream, audio or motion fixes.</p>
      )}
      {preview && preview.fixes.length > 0 && (
        <>
          <p>
            These settings on the device keep some things from working. Pick the ones to change; each is read
            back after it is written, and you can put them back.
          </p>
          <ul class="fix-list">
            {preview.fixes.map((fix) => (
              <li key={fix.id} class="card">
                <label class="inline">
                  <input
                    type="checkbox"
                    data-fix={fix.id}
                    checked={chosen.has(fix.id)}
                    onChange={(event) => toggle(fix.id, event.currentTarget.checked)}
                  />
                  <span>
                    {SETTING_WORDS[fix.setting] ?? fix.setting}
                    {fix.channel !== null && `, channel ${fix.channel}`}
                    {streamOf(fix) && ` (${streamOf(fix)})`}
                  </span>
                </label>
                <p class="change">
                  Now <strong>{fix.current ?? 'not set'}</strong> → proposed <strong>{fix.proposed}</strong>
                </p>
                <p class="hint">{fix.why}</p>
              </li>
            ))}
          </ul>
          <div class="actions">
            <button type="button" onClick={apply} disabled={chosen.size === 0 || busy !== undefined}>
              Apply {chosen.size} chosen fix{chosen.size === 1 ? '' : 'es'}
            </button>
          </div>
        </>
      )}
      {preview?.undo.available && (
        <div class="actions">
          <button type="button" class="secondary" onClick={undo} disabled={busy !== undefined}>
            Undo the applied fixes
          </button>
        </div>
      )}
    </section>
  );
}

/** "main stream" / "sub stream" from a streaming resource like `/ISAPI/Streaming/channels/101`. */
function streamOf(fix: StreamFix): string | undefined {
  const match = /Streaming\/channels\/(\d+)$/.exec(fix.resource);
  if (!match) return undefined;
  const streamNo = Number(match[1]) % 100;
  return ['main stream', 'sub stream', 'third stream'][streamNo - 1];
}

// --- the form ---------------------------------------------------------------------------------

interface Values {
  name: string;
  host: string;
  port: string;
  https: boolean;
  tlsFingerprint: string;
  insecureTls: boolean;
  username: string;
  password: string;
  defaultStream: string;
  snapshotUrlOverride: string;
  enabled: boolean;
}

/** Settings whose change makes an earlier check meaningless. */
const CONNECTION: (keyof Values)[] = [
  'host',
  'port',
  'https',
  'tlsFingerprint',
  'insecureTls',
  'username',
  'password',
];

function initialValues(device?: DeviceDetail): Values {
  return {
    name: device?.name ?? '',
    host: device?.host ?? '',
    port: device ? String(device.port) : '',
    https: device?.https ?? false,
    tlsFingerprint: device?.tlsFingerprint ?? '',
    insecureTls: device?.insecureTls ?? false,
    username: device?.username ?? 'admin',
    password: '',
    defaultStream: device?.defaultStream ? String(device.defaultStream) : '',
    snapshotUrlOverride: device?.snapshotUrlOverride ?? '',
    enabled: device?.enabled ?? true,
  };
}

/** What `POST /api/v1/devices` and `POST /api/v1/doctor` take, from the form. */
function newDeviceBody(values: Values, channels: number[] | null): Record<string, unknown> {
  const body: Record<string, unknown> = {
    host: values.host.trim(),
    https: values.https,
    username: values.username.trim() || 'admin',
    password: values.password,
    insecureTls: values.insecureTls,
    enabled: values.enabled,
  };
  if (values.name.trim()) body.name = values.name.trim();
  if (values.port.trim()) body.port = portNumber(values.port);
  if (values.tlsFingerprint.trim()) body.tlsFingerprint = values.tlsFingerprint.trim();
  if (values.defaultStream) body.defaultStream = Number(values.defaultStream);
  if (values.snapshotUrlOverride.trim()) body.snapshotUrlOverride = values.snapshotUrlOverride.trim();
  if (channels) body.channelOverride = channels;
  return body;
}

/** A typed port as a number; anything else goes as typed, for the API to explain. */
function portNumber(text: string): number | string {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : text.trim();
}

/** What `PATCH /api/v1/devices/{id}` takes: only what changed; a blank password is left out. */
function changedBody(values: Values, device: DeviceDetail): Record<string, unknown> {
  const before = initialValues(device);
  const body: Record<string, unknown> = {};
  if (values.name.trim() !== before.name) body.name = values.name.trim();
  if (values.host.trim() !== before.host) body.host = values.host.trim();
  if (values.port.trim() !== before.port) body.port = portNumber(values.port);
  if (values.https !== before.https) body.https = values.https;
  if (values.username.trim() !== before.username) body.username = values.username.trim() || 'admin';
  if (values.password) body.password = values.password;
  if (values.tlsFingerprint.trim() !== before.tlsFingerprint)
    body.tlsFingerprint = values.tlsFingerprint.trim() || null;
  if (values.insecureTls !== before.insecureTls) body.insecureTls = values.insecureTls;
  if (values.defaultStream !== before.defaultStream)
    body.defaultStream = values.defaultStream ? Number(values.defaultStream) : null;
  if (values.snapshotUrlOverride.trim() !== before.snapshotUrlOverride)
    body.snapshotUrlOverride = values.snapshotUrlOverride.trim() || null;
  if (values.enabled !== before.enabled) body.enabled = values.enabled;
  return body;
}

export interface DeviceFormProps {
  /** Given: the form changes this device (PATCH); otherwise it adds one. */
  device?: DeviceDetail;
  onSaved: (device: DeviceDetail) => void;
  onCancel?: () => void;
}

export function DeviceForm({ device, onSaved, onCancel }: DeviceFormProps) {
  const adding = device === undefined;
  const [values, setValues] = useState<Values>(() => initialValues(device));
  const [report, setReport] = useState<DoctorReport>();
  const [channels, setChannels] = useState<number[] | null>(null);
  const [busy, setBusy] = useState<'checking' | 'saving'>();
  const [error, setError] = useState<string>();

  function set<K extends keyof Values>(key: K, value: Values[K], keepReport = false) {
    setValues((current) => ({ ...current, [key]: value }));
    // The findings were about the old connection settings: check again before saving.
    if (!keepReport && CONNECTION.includes(key)) setReport(undefined);
  }

  async function check() {
    setBusy('checking');
    setError(undefined);
    setReport(undefined);
    try {
      const found = await api<DoctorReport>('POST', '/api/v1/doctor', newDeviceBody(values, null));
      setReport(found);
      setChannels(null);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(undefined);
    }
  }

  async function save() {
    setBusy('saving');
    setError(undefined);
    try {
      if (adding) {
        if (channels?.length === 0) {
          setError('Pick at least one channel to add.');
          return;
        }
        onSaved(await api<DeviceDetail>('POST', '/api/v1/devices', newDeviceBody(values, channels)));
        return;
      }
      const body = changedBody(values, device);
      if (Object.keys(body).length === 0) {
        setError('Nothing has changed.');
        return;
      }
      onSaved(await api<DeviceDetail>('PATCH', `/api/v1/devices/${encodeURIComponent(device.id)}`, body));
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(undefined);
    }
  }

  function submit(event: Event) {
    event.preventDefault();
    if (adding && !report) void check();
    else void save();
  }

  const id = (name: string) => `device-${name}`;
  return (
    <form class={`device-form${report ? ' has-report' : ''}`} onSubmit={submit} noValidate>
      <div class="form-fields">
        <fieldset>
          <legend>Address</legend>
          <label>
            Host (IP address or name)
            <input
              value={values.host}
              onInput={(e) => set('host', e.currentTarget.value)}
              placeholder="192.168.1.64"
              autocomplete="off"
              inputMode="url"
            />
          </label>
          <div class="field">
            <label>
              Port
              <input
                value={values.port}
                onInput={(e) => set('port', e.currentTarget.value)}
                inputMode="numeric"
                placeholder={values.https ? '443' : '80'}
                aria-describedby={id('port-hint')}
              />
            </label>
            <span class="hint" id={id('port-hint')}>
              The device’s web port; empty means {values.https ? '443' : '80'}.
            </span>
          </div>
          <label class="inline">
            <input
              type="checkbox"
              checked={values.https}
              onChange={(e) => set('https', e.currentTarget.checked)}
            />
            Use HTTPS
          </label>
          {values.https && (
            <>
              <div class="field">
                <label>
                  Certificate fingerprint (SHA-256)
                  <input
                    value={values.tlsFingerprint}
                    onInput={(e) => set('tlsFingerprint', e.currentTarget.value)}
                    autocomplete="off"
                    spellcheck={false}
                    aria-describedby={id('fingerprint-hint')}
                  />
                </label>
                <span class="hint" id={id('fingerprint-hint')}>
                  Leave empty to see the certificate the device presents when you check it; hikbridge then
                  accepts only that certificate.
                </span>
              </div>
              <label class="inline">
                <input
                  type="checkbox"
                  checked={values.insecureTls}
                  onChange={(e) => set('insecureTls', e.currentTarget.checked)}
                />
                Accept any certificate (not recommended)
              </label>
            </>
          )}
        </fieldset>

        <fieldset>
          <legend>Login</legend>
          <label>
            Username
            <input
              value={values.username}
              onInput={(e) => set('username', e.currentTarget.value)}
              autocomplete="off"
            />
          </label>
          <div class="field">
            <label>
              Password
              <input
                type="password"
                value={values.password}
                onInput={(e) => set('password', e.currentTarget.value)}
                autocomplete="new-password"
                aria-describedby={adding ? undefined : id('password-hint')}
              />
            </label>
            {!adding && (
              <span class="hint" id={id('password-hint')}>
                Leave empty to keep the saved password.
              </span>
            )}
          </div>
        </fieldset>

        <fieldset>
          <legend>Options</legend>
          <label>
            Name
            <input
              value={values.name}
              onInput={(e) => set('name', e.currentTarget.value)}
              placeholder={adding ? 'The device’s own name' : undefined}
            />
          </label>
          <label>
            Default stream
            <select
              value={values.defaultStream}
              onChange={(e) => set('defaultStream', e.currentTarget.value)}
            >
              <option value="">Automatic (the first one browsers can play)</option>
              <option value="1">Main stream</option>
              <option value="2">Sub stream</option>
              <option value="3">Third stream</option>
            </select>
          </label>
          <div class="field">
            <label>
              Snapshot URL (optional)
              <input
                value={values.snapshotUrlOverride}
                onInput={(e) => set('snapshotUrlOverride', e.currentTarget.value)}
                inputMode="url"
                autocomplete="off"
                aria-describedby={id('snapshot-hint')}
              />
            </label>
            <span class="hint" id={id('snapshot-hint')}>
              Only when the device’s own snapshots do not work; <code>{'{channel}'}</code> and{' '}
              <code>{'{stream}'}</code> are filled in.
            </span>
          </div>
          <label class="inline">
            <input
              type="checkbox"
              checked={values.enabled}
              onChange={(e) => set('enabled', e.currentTarget.checked)}
            />
            Enabled (connect to it, show its cameras and events)
          </label>
        </fieldset>
      </div>

      <div class="form-results">
        {report && (
          <>
            <DoctorFindings report={report} />
            {report.certificate && (
              <CertificateOffer
                certificate={report.certificate}
                accepted={values.tlsFingerprint.trim().toUpperCase() === report.certificate.fingerprint}
                onAccept={(fingerprint) => set('tlsFingerprint', fingerprint, true)}
              />
            )}
            {report.channels && isRecorder(report) && (
              <ChannelPicker listed={report.channels} chosen={channels} onChange={setChannels} />
            )}
          </>
        )}

        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {busy === 'checking' && <p role="status">Checking the device… (up to 20 s)</p>}
        <div class="actions">
          {adding && (
            <button
              type={report ? 'button' : 'submit'}
              class={report ? 'secondary' : ''}
              onClick={report ? check : undefined}
              disabled={busy !== undefined}
            >
              {report ? 'Check again' : 'Check the device'}
            </button>
          )}
          {(!adding || report) && (
            <button type="submit" disabled={busy !== undefined}>
              {busy === 'saving' ? 'Saving…' : adding ? 'Save the device' : 'Save changes'}
            </button>
          )}
          {onCancel && (
            <button type="button" class="secondary" onClick={onCancel} disabled={busy !== undefined}>
              Cancel
            </button>
          )}
        </div>
        {adding && !report && (
          <p class="hint">
            The doctor checks the device with these settings first; nothing is saved until you save.
          </p>
        )}
      </div>
    </form>
  );
}

function isRecorder(report: DoctorReport): boolean {
  return report.device.kind === 'nvr' || report.device.kind === 'dvr';
}

function CertificateOffer({
  certificate,
  accepted,
  onAccept,
}: {
  certificate: { fingerprint: string; pinned: boolean };
  accepted: boolean;
  onAccept: (fingerprint: string) => void;
}) {
  if (certificate.pinned) {
    return (
      <p class="ok">The device presents the certificate you gave (SHA-256 {certificate.fingerprint}).</p>
    );
  }
  return (
    <section class="card certificate" aria-labelledby="certificate-title">
      <h2 id="certificate-title">The device’s certificate</h2>
      <p>
        The device presents this certificate (SHA-256 fingerprint):
        <code class="fingerprint">{certificate.fingerprint}</code>
      </p>
      <p class="hint">
        Compare it with the one on the device’s web page (Configuration › Network › Advanced Settings ›
        HTTPS). Trusted, hikbridge accepts exactly this certificate and refuses any other.
      </p>
      {accepted ? (
        <p class="ok" role="status">
          Trusted: it will be saved with the device.
        </p>
      ) : (
        <button type="button" class="secondary" onClick={() => onAccept(certificate.fingerprint)}>
          Trust this certificate
        </button>
      )}
    </section>
  );
}

/** A recorder's channels: all by default (`null`), or the ones ticked. */
function ChannelPicker({
  listed,
  chosen,
  onChange,
}: {
  listed: { id: number; name: string }[];
  chosen: number[] | null;
  onChange: (chosen: number[] | null) => void;
}) {
  if (listed.length === 0) {
    return <p>The recorder lists no camera channels yet; add cameras to it, then refresh the device here.</p>;
  }
  const isChosen = (id: number) => chosen === null || chosen.includes(id);
  const toggle = (id: number, on: boolean) => {
    const current = chosen ?? listed.map((channel) => channel.id);
    const next = on ? [...current, id] : current.filter((n) => n !== id);
    onChange(next.length === listed.length ? null : next.sort((a, b) => a - b));
  };
  return (
    <fieldset class="channel-picker">
      <legend>Channels to add</legend>
      {listed.map((channel) => (
        <label class="inline" key={channel.id}>
          <input
            type="checkbox"
            checked={isChosen(channel.id)}
            onChange={(e) => toggle(channel.id, e.currentTarget.checked)}
          />
          {channel.id}. {channel.name}
        </label>
      ))}
      {chosen !== null && chosen.length === 0 && (
        <p class="error" role="alert">
          Pick at least one channel.
        </p>
      )}
    </fieldset>
  );
}

/** After adding: where to go next, and the fixes the device needs. */
export function AddedDevice({ device, onAnother }: { device: DeviceDetail; onAnother: () => void }) {
  return (
    <section class="stack" aria-labelledby="added-title">
      <h1 id="added-title">“{device.name}” is added</h1>
      <p>
        {kindName(device.kind)}
        {device.model ? ` ${device.model}` : ''} at {device.host}. <HealthText device={device} />
      </p>
      <div class="actions">
        <a class="button" href={href('devices', device.id)}>
          Open the device page
        </a>
        <button type="button" class="secondary" onClick={onAnother}>
          Add another device
        </button>
      </div>
      {device.kind === 'doorbell' && (
        <p>
          To take its calls, choose how it rings (SIP) on <a href={href('devices', device.id)}>its page</a>.
        </p>
      )}
      <StreamFixes deviceId={device.id} />
    </section>
  );
}
