import { createClient } from '../client/client';
import { API_URL } from './config';

// The refresh cookie is set and sent only with credentials included; the API's
// CORS_ORIGINS must list this app's origin.
export const CLIENT_OPTIONS = { baseUrl: API_URL, credentials: 'include' } as const;

/** For the calls that manage the session itself: login, refresh, logout. */
export const bareClient = createClient(CLIENT_OPTIONS);
