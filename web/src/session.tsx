// Who is signed in: GET /session with the session cookie ({ user: null } when nobody is); POST /session signs in, DELETE signs out.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, UNAUTHORIZED } from './api.ts';
import type { Me } from './types.ts';

interface Session {
  /** undefined while loading, null when signed out. */
  me: Me | null | undefined;
  signIn(username: string, password: string): Promise<Me>;
  signOut(): Promise<void>;
  refresh(): Promise<void>;
}

const SessionContext = createContext<Session | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);

  const refresh = useCallback(async () => {
    try {
      setMe((await api<{ user: Me | null }>('/session')).user);
    } catch {
      // 401: nobody is signed in; any other failure also shows the signed-out UI (the API decides anyway).
      setMe(null);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(() => {
    const ended = () => setMe((m) => (m ? null : m));
    window.addEventListener(UNAUTHORIZED, ended);
    return () => window.removeEventListener(UNAUTHORIZED, ended);
  }, []);

  const signIn = useCallback(async (username: string, password: string) => {
    const who = await api<Me>('/session', { method: 'POST', body: { username, password } });
    setMe(who);
    return who;
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api('/session', { method: 'DELETE' });
    } finally {
      setMe(null);
    }
  }, []);

  const value = useMemo(() => ({ me, signIn, signOut, refresh }), [me, signIn, signOut, refresh]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
