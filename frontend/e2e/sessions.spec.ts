import { expect, test, type Browser, type Page } from '@playwright/test';
import { registerAccount, signIn } from './support/accounts';

async function signedInPage(browser: Browser, email: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, email);
  return page;
}

/** Whether a reload restores the session (the other browser notices on its next call). */
async function isSignedIn(page: Page): Promise<boolean> {
  await page.reload();
  const outcome = page.getByTestId('signed-in-as').or(page.getByRole('heading', { name: 'Sign in' }));
  await expect(outcome).toBeVisible();
  return await page.getByTestId('signed-in-as').isVisible();
}

async function expectSignedOut(page: Page) {
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
}

async function expectStillSignedIn(page: Page, email: string) {
  await page.reload();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);
}

test('the sessions page signs out other browsers: one, all others, everywhere', async ({ browser, request }) => {
  const email = await registerAccount(request, 'sessions');
  const laptop = await signedInPage(browser, email);
  const phone = await signedInPage(browser, email);
  const tablet = await signedInPage(browser, email);

  await laptop.getByRole('link', { name: 'Sessions' }).click();
  const rows = laptop.getByRole('table', { name: 'Sessions' }).locator('tbody tr');
  await expect(rows).toHaveCount(3);
  await expect(rows.filter({ hasText: 'This device' })).toHaveCount(1);
  const others = rows.filter({ has: laptop.getByRole('button', { name: 'Sign out' }) });
  await expect(others).toHaveCount(2);

  // Sign out one: exactly one of the two other browsers is signed out.
  await others.first().getByRole('button', { name: 'Sign out' }).click();
  await expect(laptop.getByRole('status')).toHaveText('That session is signed out.');
  await expect(rows).toHaveCount(2);
  const stillIn = await Promise.all([phone, tablet].map((page) => isSignedIn(page)));
  expect(stillIn.sort()).toEqual([false, true]);
  const remaining = stillIn[0] ? phone : tablet;

  await laptop.getByRole('button', { name: 'Sign out all other sessions' }).click();
  await expect(rows).toHaveCount(1);
  expect(await isSignedIn(remaining)).toBe(false);
  await expectStillSignedIn(laptop, email);

  // Everywhere: the others and this one.
  const desktop = await signedInPage(browser, email);
  await laptop.reload();
  await expect(rows).toHaveCount(2);
  await laptop.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(laptop.getByRole('status')).toHaveText('You are signed out everywhere.');
  await expectSignedOut(desktop);
  await expectSignedOut(laptop);
});
