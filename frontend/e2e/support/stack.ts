/**
 * Where the servers of the browser tests listen, shared by the global setup
 * (which starts them) and the tests. The default ports are the development
 * defaults on purpose: the SPA on http://localhost:5173 (the API's
 * FRONTEND_URL), the API on http://localhost:8000 (the SPA's VITE_API_URL).
 */
const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

export type Stack = { apiUrl: string; spaUrl: string };

/** The API as `./start.sh` serves it in development, and the SPA built for it. */
export const MAIN: Stack = {
  apiUrl: `http://localhost:${port('E2E_API_PORT', 8000)}`,
  spaUrl: `http://localhost:${port('E2E_SPA_PORT', 5173)}`,
};

/**
 * A second API whose access tokens expire after a few seconds and which allows
 * no grace for a reused refresh token (REFRESH_REUSE_GRACE_SECONDS=0): two tabs
 * that both presented the same refresh cookie would lose their session.
 */
export const SHORT_LIVED: Stack & { accessTokenSeconds: number } = {
  apiUrl: `http://localhost:${port('E2E_SHORT_API_PORT', 8001)}`,
  spaUrl: `http://localhost:${port('E2E_SHORT_SPA_PORT', 5174)}`,
  accessTokenSeconds: 3,
};

/** Created by the global setup with `python -m commands.create_superuser`. */
export const SUPERUSER = { email: 'admin@example.com', password: 'e2e-Superuser-passphrase-1' };

/** The SMTP sink's JSON endpoint, published by the global setup. */
export function mailboxUrl(): string {
  const url = process.env.E2E_MAILBOX_URL;
  if (!url) throw new Error('E2E_MAILBOX_URL is unset: run the tests with `npm run test:e2e`');
  return url;
}

/** The OpenID Connect provider the main API signs in with (social login). */
export const OIDC = { slug: 'sso', displayName: 'Company SSO' };

/** The provider's base URL, published by the global setup. */
export function oidcUrl(): string {
  const url = process.env.E2E_OIDC_URL;
  if (!url) throw new Error('E2E_OIDC_URL is unset: run the tests with `npm run test:e2e`');
  return url;
}
