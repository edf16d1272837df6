import { expect, test, type Page } from '@playwright/test';
import { apiToken, registerAccount, signIn } from './support/accounts';
import { MAIN } from './support/stack';

const items = (page: Page) => page.getByRole('list', { name: 'Items' }).getByRole('listitem');

async function addItem(page: Page, title: string, description = '') {
  const form = page.getByRole('form', { name: 'New item' });
  await form.getByLabel('Title').fill(title);
  await form.getByLabel('Description').fill(description);
  await form.getByRole('button', { name: 'Add item' }).click();
  await expect(page.getByRole('listitem', { name: title })).toBeVisible();
}

test('sign in, create, edit, search, sort and delete items, reload, sign out', async ({ page, context, request }) => {
  const email = await registerAccount(request, 'items');
  await signIn(page, email);

  // The refresh cookie is the API's, HttpOnly, Secure and Lax; the page cannot read it.
  const cookie = (await context.cookies(`${MAIN.apiUrl}/api/v1/auth/refresh`)).find((c) => c.name === 'gatehouse_refresh');
  expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/api/v1/auth' });
  expect(await page.evaluate(() => document.cookie)).not.toContain('gatehouse_refresh');

  await expect(page.getByText('No items yet.')).toBeVisible();
  await addItem(page, 'Banana', 'yellow');
  await addItem(page, 'Apple', 'red');
  await addItem(page, 'Cherry', 'dark red');
  await expect(items(page)).toHaveCount(3);
  await expect(items(page).first()).toContainText('Cherry'); // newest first

  await page.getByRole('listitem', { name: 'Banana' }).getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('form', { name: 'Edit Banana' });
  await edit.getByLabel('Title').fill('Blueberry');
  await edit.getByLabel('Description').fill('blue');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('listitem', { name: 'Blueberry' })).toContainText('blue');

  await page.getByLabel('Sort by').selectOption({ label: 'Title A–Z' });
  await expect(items(page).locator('.item-title')).toHaveText(['Apple', 'Blueberry', 'Cherry']);

  await page.getByRole('searchbox', { name: 'Search' }).fill('red');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(items(page).locator('.item-title')).toHaveText(['Apple', 'Cherry']);
  await expect(page).toHaveURL(/q=red/);

  await page.getByRole('listitem', { name: 'Apple' }).getByRole('button', { name: 'Delete' }).click();
  await expect(items(page).locator('.item-title')).toHaveText(['Cherry']);

  // A reload forgets the access token; the refresh cookie restores the session.
  await page.reload();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);
  await expect(items(page).locator('.item-title')).toHaveText(['Cherry']);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText('You are signed out.');
  // The session is over: a reload or a protected page leads to the login page.
  await page.goto('/items');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page).toHaveURL(/\/login\?next=%2Fitems/);
});

test('items are paged', async ({ page, request }) => {
  const email = await registerAccount(request, 'paging');
  const token = await apiToken(request, email);
  for (let n = 1; n <= 12; n++) {
    const created = await request.post(`${MAIN.apiUrl}/api/v1/items`, {
      headers: { Authorization: `Bearer ${token}` },
      data: { title: `Item ${String(n).padStart(2, '0')}` },
    });
    expect(created.status()).toBe(201);
  }
  await signIn(page, email);
  await page.getByLabel('Sort by').selectOption({ label: 'Title A–Z' });
  await expect(page.getByText('Page 1 of 2 (12 items)')).toBeVisible();
  await expect(items(page)).toHaveCount(10);
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText('Page 2 of 2 (12 items)')).toBeVisible();
  await expect(items(page).locator('.item-title')).toHaveText(['Item 11', 'Item 12']);
  await expect(page.getByRole('button', { name: 'Next' })).toBeDisabled();
  await page.getByRole('button', { name: 'Previous' }).click();
  await expect(items(page).first()).toContainText('Item 01');
});
