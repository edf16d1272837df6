import { expect, test } from '@playwright/test';
import { MAIN } from './support/stack';

// The SPA's origin (http://localhost:5173) is the API's (http://localhost:8000)
// CORS origin by default; http://127.0.0.1:5173 is the same SPA on another origin.
const OTHER_ORIGIN = MAIN.spaUrl.replace('localhost', '127.0.0.1');

test('the SPA origin passes a preflight and reads the answer', async ({ page, request }) => {
  const preflight = await request.fetch(`${MAIN.apiUrl}/api/v1/auth/refresh`, {
    method: 'OPTIONS',
    headers: { Origin: MAIN.spaUrl, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-requested-with' },
  });
  expect(preflight.status()).toBe(200);
  expect(preflight.headers()).toMatchObject({
    'access-control-allow-origin': MAIN.spaUrl,
    'access-control-allow-credentials': 'true',
  });

  await page.goto('/login');
  const result = await page.evaluate(async (api) => {
    // X-Requested-With is not a CORS-safelisted header: the browser preflights.
    const response = await fetch(`${api}/api/v1/auth/refresh`, {
      method: 'POST',
      credentials: 'include',
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
    });
    return { status: response.status, body: await response.json() };
  }, MAIN.apiUrl);
  expect(result).toEqual({ status: 401, body: { detail: 'REFRESH_TOKEN_MISSING' } });
});

test('another origin gets no CORS headers, and its page cannot read the API', async ({ page, request }) => {
  const simple = await request.get(`${MAIN.apiUrl}/health/live`, { headers: { Origin: OTHER_ORIGIN } });
  expect(simple.status()).toBe(200);
  expect(simple.headers()['access-control-allow-origin']).toBeUndefined();

  const preflight = await request.fetch(`${MAIN.apiUrl}/api/v1/auth/refresh`, {
    method: 'OPTIONS',
    headers: { Origin: OTHER_ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-requested-with' },
  });
  expect(preflight.headers()['access-control-allow-origin']).toBeUndefined();
  expect(preflight.status()).toBe(400);

  const allowed = await request.get(`${MAIN.apiUrl}/health/live`, { headers: { Origin: MAIN.spaUrl } });
  expect(allowed.headers()['access-control-allow-origin']).toBe(MAIN.spaUrl);
  expect(allowed.headers()['access-control-allow-credentials']).toBe('true');

  await page.goto(`${OTHER_ORIGIN}/login`);
  const outcome = await page.evaluate(async (api) => {
    try {
      await fetch(`${api}/health/live`, { credentials: 'include' });
      return 'read';
    } catch (error) {
      return (error as Error).name;
    }
  }, MAIN.apiUrl);
  expect(outcome).toBe('TypeError');
});
