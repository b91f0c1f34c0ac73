// Who is signed in: GET /me with the session cookie; POST /session signs in, DELETE signs out.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError } from './api.ts';
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
      setMe(await api<Me>('/me'));
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 404)) setMe(null);
      else setMe(null);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

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
