import { useState } from 'preact/hooks';
import { errorText } from '../api.ts';

export function LoginScreen({
  onSignIn,
}: {
  onSignIn: (username: string, password: string) => Promise<void>;
}) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      await onSignIn(String(form.get('username') ?? ''), String(form.get('password') ?? ''));
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">
          <img src="/assets/icon.svg" alt="" width="32" height="32" /> hikbridge
        </h1>
        <label>
          Username
          <input name="username" autocomplete="username" required value="admin" />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint">
          The admin password was printed once when hikbridge first started (or set with{' '}
          <code>HIKBRIDGE_AUTH_ADMIN_PASSWORD</code>).
        </p>
      </form>
    </main>
  );
}
