/**
 * Who is signed in: asked once per page load (the session cookie survives reloads) through
 * `/auth/session`, which answers 200 either way so a signed-out page logs no error; set by the
 * login form; cleared when any request finds the session gone.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, onSignedOut, setCsrfToken } from './api.ts';

export interface SignedIn {
  username: string | null;
}

export type SessionState =
  | { kind: 'checking' }
  | { kind: 'signed-out' }
  | { kind: 'signed-in'; me: SignedIn };

interface SessionAnswer {
  signedIn: boolean;
  username: string | null;
  csrfToken: string | null;
}

async function readSession(): Promise<SessionState> {
  const session = await api<SessionAnswer>('GET', '/api/v1/auth/session');
  setCsrfToken(session.csrfToken ?? undefined);
  return session.signedIn
    ? { kind: 'signed-in', me: { username: session.username } }
    : { kind: 'signed-out' };
}

export function useSession() {
  const [session, setSession] = useState<SessionState>({ kind: 'checking' });

  useEffect(() => {
    readSession().then(setSession, () => setSession({ kind: 'signed-out' }));
    return onSignedOut(() => {
      setCsrfToken(undefined);
      setSession({ kind: 'signed-out' });
    });
  }, []);

  return {
    session,
    async signIn(username: string, password: string): Promise<void> {
      await api('POST', '/api/v1/auth/login', { username, password });
      setSession(await readSession());
    },
    async signOut(): Promise<void> {
      await api('POST', '/api/v1/auth/logout').catch(() => {});
      setCsrfToken(undefined);
      setSession({ kind: 'signed-out' });
    },
  };
}
