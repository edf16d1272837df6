import { expect, test } from '@playwright/test';
import { registerAccount, PASSWORD } from './support/accounts';
import { MAIN } from './support/stack';

test('/docs: Authorize with the password flow, then GET /users/me answers 200; every asset is the app’s', async ({ page, request }) => {
  const email = await registerAccount(request, 'docs');
  const elsewhere: string[] = [];
  page.on('request', (sent) => {
    if (!sent.url().startsWith(`${MAIN.apiUrl}/`) && !sent.url().startsWith('data:')) elsewhere.push(sent.url());
  });

  await page.goto(`${MAIN.apiUrl}/docs`, { waitUntil: 'load' });
  // Offline machines cannot reach a CDN: the page must need nothing from elsewhere.
  expect(elsewhere, 'assets requested from outside the app').toEqual([]);
  await page.getByRole('button', { name: 'Authorize' }).first().click();
  const dialog = page.locator('.dialog-ux .modal-ux'); // Swagger UI's modal has no ARIA role
  await dialog.locator('#oauth_username').fill(email);
  await dialog.locator('#oauth_password').fill(PASSWORD);
  // The modal's buttons carry aria-labels of their own ("Apply credentials" ...): match their text.
  await dialog.locator('button', { hasText: 'Authorize' }).click();
  await expect(dialog.locator('button', { hasText: 'Logout' })).toBeVisible();
  await dialog.locator('button', { hasText: 'Close' }).click();

  const operation = page.locator('#operations-users-users_read_me');
  await operation.locator('.opblock-summary').click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  const answered = page.waitForResponse((response) => response.url() === `${MAIN.apiUrl}/api/v1/users/me`);
  await operation.getByRole('button', { name: 'Execute' }).click();
  expect((await answered).status()).toBe(200);
  await expect(operation.locator('.live-responses-table tbody .response-col_status').first()).toHaveText('200');

  expect(elsewhere, 'requests outside the app').toEqual([]);
});
