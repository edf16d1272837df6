import { expect, test } from '@playwright/test';
import { PASSWORD, registerAccount, signIn } from './support/accounts';
import { linkFromEmail } from './support/mail';
import { MAIN } from './support/stack';

test('forgot password, open the reset link: the new password works, the old one does not', async ({ page, request }) => {
  const email = await registerAccount(request, 'reset');
  const newPassword = 'a-brand-new-passphrase-7';

  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the reset link' }).click();
  await expect(page.getByRole('status')).toContainText('we sent it a link');

  const link = await linkFromEmail(email, '/reset-password');
  expect(link.startsWith(`${MAIN.spaUrl}/reset-password?token=`)).toBe(true);
  await page.goto(link);
  // Loading the page consumed nothing: the old password still works.
  const stillOld = await request.post(`${MAIN.apiUrl}/api/v1/auth/login`, { form: { username: email, password: PASSWORD } });
  expect(stillOld.status()).toBe(200);

  await page.getByLabel('New password').fill(newPassword);
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.getByRole('status')).toContainText('Your new password is set.');

  await page.getByRole('link', { name: 'Sign in with the new password' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password, or the account is deactivated.');

  await signIn(page, email, newPassword);

  // The link works once.
  await page.goto(link);
  await page.getByLabel('New password').fill('yet-another-passphrase-9');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.getByRole('alert')).toHaveText('This reset link is invalid or has expired.');
});
