import { client } from '../client/client.gen';
import { CLIENT_OPTIONS } from './clients';
import { fetchWithRefresh, getAccessToken } from './session';

/**
 * Every generated function (`itemsListItems()`, `usersReadMe()` ...) uses this
 * client: it sends the access token and refreshes it on a 401.
 */
export function configureApi(): void {
  client.setConfig({ ...CLIENT_OPTIONS, auth: getAccessToken, fetch: fetchWithRefresh as typeof fetch });
}
