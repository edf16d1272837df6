/**
 * The access token and its refresh: the one place that knows about tokens.
 *
 * - The access token lives in this module's memory only (never localStorage):
 *   a reload forgets it, and `restoreSession()` gets a new one from the
 *   HttpOnly refresh cookie, which scripts cannot read.
 * - A request answered 401 triggers ONE refresh: requests failing at the same
 *   time share the same promise, then each is retried once.
 * - Tabs share the cookie, and a refresh rotates it: two tabs presenting the
 *   same old cookie would look like a stolen token (the API revokes the
 *   session outside its short grace window). So a refresh runs under a Web
 *   Lock held by one tab at a time, and the tab that refreshed hands the new
 *   access token to the others over a BroadcastChannel; a tab that waited for
 *   the lock and meanwhile received a token uses it instead of refreshing.
 */
import { authLogout, authRefreshAccessToken } from '../client';
import { bareClient } from './clients';

export const CSRF_HEADERS = { 'X-Requested-With': 'XMLHttpRequest' } as const;
const LOCK_NAME = 'gatehouse-refresh';
const CHANNEL_NAME = 'gatehouse-session';

type Message = { kind: 'token'; token: string } | { kind: 'signed-out' };
type SignedOutListener = () => void;

let accessToken: string | null = null;
let pendingRefresh: Promise<boolean> | null = null;
const signedOutListeners = new Set<SignedOutListener>();
const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(CHANNEL_NAME);

channel?.addEventListener('message', (event: MessageEvent<Message>) => {
  const message = event.data;
  if (message.kind === 'token') {
    // Only a tab that has a session (or is getting one) joins: a signed-out
    // tab stays signed out until its user signs in.
    if (accessToken !== null || pendingRefresh !== null) accessToken = message.token;
  } else if (accessToken !== null) {
    accessToken = null;
    notifySignedOut();
  }
});

export function getAccessToken(): string | undefined {
  return accessToken ?? undefined;
}

/** After a login: this tab's token. The other tabs keep theirs (same cookie jar). */
export function startSession(token: string): void {
  accessToken = token;
}

/** The session is gone (ended elsewhere, password changed, account deleted). */
export function endSessionLocally(): void {
  const hadSession = accessToken !== null;
  accessToken = null;
  channel?.postMessage({ kind: 'signed-out' } satisfies Message);
  if (hadSession) notifySignedOut();
}

export function onSignedOut(listener: SignedOutListener): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

function notifySignedOut(): void {
  for (const listener of signedOutListeners) listener();
}

/** On page load: a new access token from the refresh cookie, if it is still good. */
export function restoreSession(): Promise<boolean> {
  return refreshAfter(null);
}

/**
 * Get a fresh access token because `staleToken` was refused (null: there was
 * none). Resolves false when the session is over.
 */
export function refreshAfter(staleToken: string | null): Promise<boolean> {
  if (accessToken !== null && accessToken !== staleToken) return Promise.resolve(true);
  pendingRefresh ??= withRefreshLock(() => refreshUnlessHanded(staleToken)).finally(() => {
    pendingRefresh = null;
  });
  return pendingRefresh;
}

async function withRefreshLock(refresh: () => Promise<boolean>): Promise<boolean> {
  // Held until `refresh` settles; the other tabs' refreshes wait in line.
  if (typeof navigator !== 'undefined' && navigator.locks) {
    return await navigator.locks.request(LOCK_NAME, refresh);
  }
  return await refresh();
}

async function refreshUnlessHanded(staleToken: string | null): Promise<boolean> {
  // While this tab waited for the lock, the tab holding it may have sent one.
  if (accessToken !== null && accessToken !== staleToken) return true;
  const { data, response } = await authRefreshAccessToken({ client: bareClient, headers: CSRF_HEADERS });
  if (data === undefined) {
    // 401: the cookie is missing, expired or revoked, the session is over. Any
    // other failure (the API unreachable, a 5xx) leaves the session be.
    if (response?.status === 401) {
      const hadSession = accessToken !== null;
      accessToken = null;
      if (hadSession) notifySignedOut();
    }
    return false;
  }
  accessToken = data.access_token;
  channel?.postMessage({ kind: 'token', token: data.access_token } satisfies Message);
  return true;
}

/**
 * End this session on the server (with the access token, and the cookie for an
 * SPA that lost its token), then everywhere in this browser.
 */
export async function logOut(): Promise<void> {
  const headers: Record<string, string> = { ...CSRF_HEADERS };
  if (accessToken !== null) headers.Authorization = `Bearer ${accessToken}`;
  try {
    await authLogout({ client: bareClient, headers });
  } finally {
    endSessionLocally();
  }
}

/**
 * The generated client's `fetch`: sends the request, and on a 401 refreshes
 * (once, shared) and retries it once with the new token. Other statuses,
 * 403 included, go back to the caller untouched.
 */
export async function fetchWithRefresh(request: Request): Promise<Response> {
  const sentToken = accessToken;
  const retry = request.clone(); // a body can be read only once
  const response = await fetch(request);
  if (response.status !== 401) return response;
  if (!(await refreshAfter(sentToken))) return response;
  retry.headers.set('Authorization', `Bearer ${accessToken}`);
  const retried = await fetch(retry);
  if (retried.status === 401) endSessionLocally();
  return retried;
}
