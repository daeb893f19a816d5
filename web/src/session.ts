/** Who is signed in: read once from /auth/me (the cookie survives reloads), set by the login form. */
import { useEffect, useState } from 'preact/hooks';
import { api, type Me, onSignedOut, setCsrfToken } from './api.ts';

export type SessionState = { kind: 'checking' } | { kind: 'signed-out' } | { kind: 'signed-in'; me: Me };

export function useSession() {
  const [session, setSession] = useState<SessionState>({ kind: 'checking' });

  useEffect(() => {
    api<Me>('GET', '/api/v1/auth/me').then(
      (me) => {
        setCsrfToken(me.csrfToken);
        setSession({ kind: 'signed-in', me });
      },
      () => setSession({ kind: 'signed-out' }),
    );
    return onSignedOut(() => {
      setCsrfToken(undefined);
      setSession({ kind: 'signed-out' });
    });
  }, []);

  return {
    session,
    async signIn(username: string, password: string): Promise<void> {
      const login = await api<{ csrfToken: string }>('POST', '/api/v1/auth/login', { username, password });
      setCsrfToken(login.csrfToken);
      const me = await api<Me>('GET', '/api/v1/auth/me');
      setSession({ kind: 'signed-in', me });
    },
    async signOut(): Promise<void> {
      await api('POST', '/api/v1/auth/logout').catch(() => {});
      setCsrfToken(undefined);
      setSession({ kind: 'signed-out' });
    },
  };
}
