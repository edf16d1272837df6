import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { authLogin, mfaVerifySecondFactor, usersReadMe, type MeRead } from '../client';
import { bareClient } from '../api/clients';
import { describeError } from '../api/errors';
import { CSRF_HEADERS, endSessionLocally, logOut, onSignedOut, restoreSession, startSession } from '../api/session';

/**
 * What a sign-in attempt led to. `second-factor`: the password was right and
 * the account has two-factor authentication; `verifySecondFactor` finishes it
 * (the API holds the pending sign-in in an HttpOnly cookie for 5 minutes).
 */
export type SignInOutcome =
  | { kind: 'signed-in' }
  | { kind: 'second-factor' }
  | { kind: 'refused'; message: string };

type Status = 'restoring' | 'signed-in' | 'signed-out';

type AuthState = {
  status: Status;
  user: MeRead | null;
  /** Why the user was signed out, for the login page to say. */
  farewell: string | null;
  signIn: (email: string, password: string) => Promise<SignInOutcome>;
  /** A code from the authenticator app, or a recovery code. */
  verifySecondFactor: (code: string) => Promise<SignInOutcome>;
  /** End this session; the protected page the user was on sends them to the login page. */
  signOut: (farewell: string) => Promise<void>;
  /** Read the profile again (after a change). */
  reloadUser: () => Promise<void>;
  /** The server already ended the session (password changed, account deleted). */
  sessionEnded: (farewell: string) => void;
};

const SESSION_OVER = 'Your session has ended: sign in again.';

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>('restoring');
  const [user, setUser] = useState<MeRead | null>(null);
  const [farewell, setFarewell] = useState<string | null>(null);

  const signedOut = useCallback((reason: string | null) => {
    setUser(null);
    setFarewell(reason);
    setStatus('signed-out');
  }, []);

  const loadUser = useCallback(async (): Promise<boolean> => {
    const { data } = await usersReadMe();
    if (data === undefined) return false;
    setUser(data);
    setStatus('signed-in');
    return true;
  }, []);

  // Refused by the API (the session was ended elsewhere), or signed out in another tab.
  useEffect(() => onSignedOut(() => signedOut(SESSION_OVER)), [signedOut]);

  useEffect(() => {
    // A reload forgot the access token: the refresh cookie brings one back.
    let cancelled = false;
    void (async () => {
      const restored = (await restoreSession()) && (await loadUser());
      if (!cancelled && !restored) signedOut(null);
    })();
    return () => {
      cancelled = true;
    };
  }, [loadUser, signedOut]);

  const signedIn = useCallback(
    async (accessToken: string): Promise<SignInOutcome> => {
      startSession(accessToken);
      setFarewell(null);
      if (!(await loadUser())) return { kind: 'refused', message: 'Signed in, but the profile could not be read.' };
      return { kind: 'signed-in' };
    },
    [loadUser],
  );

  const signIn = useCallback(
    async (email: string, password: string): Promise<SignInOutcome> => {
      const { data, error, response } = await authLogin({
        client: bareClient,
        body: { username: email, password },
      });
      if (data === undefined) return { kind: 'refused', message: describeError(error, response) };
      if ('mfa_required' in data) return { kind: 'second-factor' };
      return signedIn(data.access_token);
    },
    [signedIn],
  );

  const verifySecondFactor = useCallback(
    async (code: string): Promise<SignInOutcome> => {
      const { data, error, response } = await mfaVerifySecondFactor({
        client: bareClient,
        body: { code },
        headers: CSRF_HEADERS,
      });
      if (data === undefined) return { kind: 'refused', message: describeError(error, response) };
      return signedIn(data.access_token);
    },
    [signedIn],
  );

  const signOut = useCallback(
    async (reason: string) => {
      await logOut();
      signedOut(reason);
    },
    [signedOut],
  );

  const reloadUser = useCallback(async () => {
    await loadUser();
  }, [loadUser]);

  const sessionEnded = useCallback(
    (reason: string) => {
      endSessionLocally();
      signedOut(reason);
    },
    [signedOut],
  );

  const value = useMemo(
    () => ({ status, user, farewell, signIn, verifySecondFactor, signOut, reloadUser, sessionEnded }),
    [status, user, farewell, signIn, verifySecondFactor, signOut, reloadUser, sessionEnded],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (state === null) throw new Error('useAuth() outside <AuthProvider>');
  return state;
}
