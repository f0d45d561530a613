/**
 * Who is logged in. On start the app asks `GET /api/auth/me`; a 401 shows
 * the login page. Login keeps the CSRF token for this tab; logout forgets it.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { ApiError, apiGet, apiPost, onSessionLost, rememberCsrf } from '../api/client.js';
import type { LoginResponse, WhoAmI } from '../api/types.js';

export interface Session {
  /** The logged-in caller; null when nobody is. */
  readonly me: WhoAmI | null;
  /** True when the caller holds `scope`. */
  can(scope: WhoAmI['scopes'][number]): boolean;
  /** Logs in; rejects with ApiError (401 wrong credentials, 429 slowed down). */
  login(user: string, password: string): Promise<void>;
  logout(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

export function SessionProvider({ children }: { children: (state: 'checking' | 'anonymous' | 'ready') => ReactNode }) {
  const [me, setMe] = useState<WhoAmI | null>(null);
  const [checking, setChecking] = useState(true);

  useEffect(
    () =>
      onSessionLost(() => {
        rememberCsrf(null);
        setMe(null);
      }),
    [],
  );

  useEffect(() => {
    apiGet<WhoAmI>('/api/auth/me')
      .then(setMe, (error: unknown) => {
        if (!(error instanceof ApiError) || error.status !== 401) console.error(error);
        setMe(null);
      })
      .finally(() => setChecking(false));
  }, []);

  const login = useCallback(async (user: string, password: string) => {
    const result = await apiPost<LoginResponse>('/api/auth/login', { user, password });
    rememberCsrf(result.csrf);
    setMe({ user: result.user, role: result.role, scopes: result.scopes, via: result.via });
  }, []);

  const logout = useCallback(async () => {
    await apiPost('/api/auth/logout').catch(() => undefined); // the session may already be gone
    rememberCsrf(null);
    setMe(null);
  }, []);

  const session: Session = { me, can: (scope) => me?.scopes.includes(scope) === true, login, logout };
  return <SessionContext.Provider value={session}>{children(checking ? 'checking' : me ? 'ready' : 'anonymous')}</SessionContext.Provider>;
}
