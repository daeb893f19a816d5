/**
 * A secret scan that suites cannot forget: everything a gateway let out during a suite (log
 * lines, API answers, metrics, settings, MQTT payloads, SSE messages, what MediaMTX's API shows
 * without credentials) is searched for every password and key the suite used, in every form
 * they could leak in: as typed, URL-encoded, and base64 of `user:password` (HTTP Basic).
 *
 * The gateway harness feeds it automatically (passwords in request bodies, the admin password,
 * answers and logs) and runs it when the gateway stops; suites add what only they see.
 */

/** Shorter values would match by chance (test bodies use "x" or "pw" for invalid input). */
const MIN_SECRET_LENGTH = 6;
const USER_NAMES = ['admin', 'viewer'];

interface Leak {
  source: string;
  form: string;
  secretHint: string;
}

export class SecretScan {
  private readonly secrets = new Map<string, Set<string>>();
  private readonly texts: Array<{ source: string; text: string }> = [];
  private readonly readers: Array<{ source: string; read: () => Promise<string> | string }> = [];

  /** A secret to look for; `user` adds the Basic-auth form with that user name. */
  addSecret(value: string | undefined, user?: string): void {
    if (!value || value.length < MIN_SECRET_LENGTH) return;
    const users = this.secrets.get(value) ?? new Set(USER_NAMES);
    if (user) users.add(user);
    this.secrets.set(value, users);
  }

  /** Every `password`, `secret`, `appSecret`/`secretKey` field of a JSON request body. */
  addSecretsFromBody(body: unknown): void {
    if (typeof body === 'string') {
      try {
        this.addSecretsFromBody(JSON.parse(body));
      } catch {
        // Not JSON: nothing to collect.
      }
      return;
    }
    if (typeof body !== 'object' || body === null) return;
    for (const [key, value] of Object.entries(body)) {
      if (typeof value === 'string' && /password|secret/i.test(key)) {
        const user = (body as Record<string, unknown>).username;
        this.addSecret(value, typeof user === 'string' ? user : undefined);
      } else if (typeof value === 'object') this.addSecretsFromBody(value);
    }
  }

  /** Something the gateway let out, captured now. */
  record(source: string, text: string | Buffer): void {
    this.texts.push({ source, text: typeof text === 'string' ? text : text.toString('latin1') });
  }

  /** Something to read when the scan runs (a log buffer, a metrics page). */
  addSource(source: string, read: () => Promise<string> | string): void {
    this.readers.push({ source, read });
  }

  async findLeaks(): Promise<Leak[]> {
    const texts = [...this.texts];
    for (const reader of this.readers) {
      try {
        texts.push({ source: reader.source, text: await reader.read() });
      } catch (error) {
        texts.push({ source: reader.source, text: `(unreadable: ${(error as Error).message})` });
      }
    }
    const leaks: Leak[] = [];
    for (const [secret, users] of this.secrets) {
      const forms = formsOf(secret, users);
      for (const { source, text } of texts) {
        const form = forms.find((each) => text.includes(each.value));
        if (form)
          leaks.push({ source, form: form.name, secretHint: `${secret.slice(0, 2)}…(${secret.length})` });
      }
    }
    return leaks;
  }

  /** Throws with every leak found (source, form, and a hint that does not repeat the secret). */
  async assertClean(): Promise<void> {
    const leaks = await this.findLeaks();
    if (leaks.length === 0) return;
    const lines = leaks.map((leak) => `- ${leak.secretHint} as ${leak.form} in ${leak.source}`);
    throw new Error(`secrets leaked:\n${lines.join('\n')}`);
  }

  get secretCount(): number {
    return this.secrets.size;
  }
}

function formsOf(secret: string, users: Set<string>): Array<{ name: string; value: string }> {
  const forms = [{ name: 'plain text', value: secret }];
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret) forms.push({ name: 'URL-encoded', value: encoded });
  for (const user of users) {
    forms.push({
      name: `base64 of ${user}:password`,
      value: Buffer.from(`${user}:${secret}`).toString('base64'),
    });
  }
  return forms;
}
