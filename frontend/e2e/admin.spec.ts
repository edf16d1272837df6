import { expect, test } from '@playwright/test';
import { PASSWORD, registerAccount, signIn } from './support/accounts';
import { MAIN, SUPERUSER } from './support/stack';

test('an ordinary user on an admin page sees "not allowed" and stays signed in', async ({ page, request }) => {
  const email = await registerAccount(request, 'ordinary');
  await signIn(page, email);
  await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);

  const forbidden = page.waitForResponse((response) => response.url().includes('/api/v1/users?') && response.status() === 403);
  await page.goto('/admin/users');
  await forbidden;
  await expect(page.getByRole('alert')).toContainText('Not allowed');
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);

  await page.getByRole('link', { name: 'Back to your items' }).click();
  await expect(page.getByRole('heading', { name: 'Items' })).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);
});

test('a superuser filters the users and deactivates one, who can no longer sign in', async ({ page, request }) => {
  const email = await registerAccount(request, 'managed');
  await signIn(page, SUPERUSER.email, SUPERUSER.password);
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('searchbox', { name: 'Search' }).fill(email);
  await page.getByRole('button', { name: 'Search' }).click();
  const rows = page.getByRole('table', { name: 'Users' }).locator('tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('active');

  await rows.first().getByRole('button', { name: 'Deactivate' }).click();
  await expect(rows.first()).toContainText('deactivated');
  await page.getByLabel('Status').selectOption({ label: 'Deactivated' });
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(email);

  const login = await request.post(`${MAIN.apiUrl}/api/v1/auth/login`, { form: { username: email, password: PASSWORD } });
  expect(login.status()).toBe(400);
  expect(((await login.json()) as { detail: string }).detail).toBe('LOGIN_BAD_CREDENTIALS');

  await page.getByLabel('Status').selectOption({ label: 'All' });
  await rows.first().getByRole('button', { name: 'Activate' }).click();
  await expect(rows.first()).not.toContainText('deactivated');
});
