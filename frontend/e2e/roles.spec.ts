import { expect, test } from '@playwright/test';
import { apiToken, registerAccount, signIn } from './support/accounts';
import { MAIN, SUPERUSER } from './support/stack';

test('a superuser creates a role, grants it, and its holder gets the page at once', async ({ page, browser, request }) => {
  const email = await registerAccount(request, 'role-holder');
  const slug = `support-${Date.now().toString(36)}`;
  // The holder signs in first: the grant must reach the session they already have.
  const holder = await browser.newPage();
  await signIn(holder, email);
  await expect(holder.getByRole('link', { name: 'Users' })).toHaveCount(0);

  await signIn(page, SUPERUSER.email, SUPERUSER.password);
  await page.getByRole('link', { name: 'Roles' }).click();
  await expect(page.getByRole('table', { name: 'Roles' })).toContainText('admin');
  const form = page.getByRole('form', { name: 'New role' });
  await form.getByLabel('Slug').fill(slug);
  await form.getByLabel('Name').fill('Support');
  await form.getByLabel('users:read').check();
  await form.getByRole('button', { name: 'Create role' }).click();
  await expect(page.getByRole('status')).toHaveText(`Created ${slug}.`);
  const row = page.getByRole('table', { name: 'Roles' }).locator('tr', { hasText: slug });
  await expect(row).toContainText('users:read');

  const grant = page.getByRole('form', { name: 'Grant a role' });
  await grant.getByLabel('Account email').fill(email);
  await grant.getByLabel('Role').selectOption(slug);
  await grant.getByRole('button', { name: 'Grant' }).click();
  await expect(page.getByRole('status')).toHaveText(`Granted ${slug} to ${email}.`);

  // A grant applies to the holder's next request: the user list is open to them now.
  const token = await apiToken(request, email);
  const users = await request.get(`${MAIN.apiUrl}/api/v1/users`, { headers: { Authorization: `Bearer ${token}` } });
  expect(users.status()).toBe(200);
  await holder.reload();
  await expect(holder.getByRole('link', { name: 'Users' })).toBeVisible();
  await holder.close();

  await row.getByRole('button', { name: `Delete ${slug}` }).click();
  await expect(page.getByRole('status')).toHaveText(`Deleted ${slug}.`);
  await expect(page.getByRole('table', { name: 'Roles' })).not.toContainText(slug);
  const after = await request.get(`${MAIN.apiUrl}/api/v1/users`, { headers: { Authorization: `Bearer ${token}` } });
  expect(after.status()).toBe(403);
});
