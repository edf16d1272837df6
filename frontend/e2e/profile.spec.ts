import { expect, test } from '@playwright/test';
import { PASSWORD, registerAccount, signIn, uniqueEmail } from './support/accounts';
import { linkFromEmail } from './support/mail';
import { MAIN } from './support/stack';

test('profile: change the name and the email, then the password, then delete the account', async ({ page, request }) => {
  const email = await registerAccount(request, 'profile');
  await signIn(page, email);
  await page.getByRole('link', { name: 'Profile' }).click();
  await expect(page.getByTestId('verification-status')).toHaveText('not verified');

  const name = page.getByRole('form', { name: 'Name' });
  await name.getByLabel('Full name').fill('Grace Hopper');
  await name.getByRole('button', { name: 'Save name' }).click();
  await expect(name.getByRole('status')).toHaveText('Your name is saved.');

  const newEmail = uniqueEmail('profile-moved');
  const emailForm = page.getByRole('form', { name: 'Email' });
  await emailForm.getByLabel('New email').fill(newEmail);
  await emailForm.getByLabel('Current password').fill('not-my-password-1');
  await emailForm.getByRole('button', { name: 'Change email' }).click();
  await expect(emailForm.getByRole('alert')).toHaveText('The current password is wrong.');
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);
  await emailForm.getByLabel('Current password').fill(PASSWORD);
  await emailForm.getByRole('button', { name: 'Change email' }).click();
  await expect(emailForm.getByRole('status')).toContainText(`Your email is now ${newEmail}`);
  await expect(page.getByTestId('signed-in-as')).toHaveText(newEmail);
  // The new address gets a verification link that works.
  await page.goto(await linkFromEmail(newEmail, '/verify-email'));
  await page.getByRole('button', { name: 'Confirm my email' }).click();
  await expect(page.getByRole('status')).toHaveText(`Your email address ${newEmail} is verified.`);
  await page.goto('/profile');
  await expect(page.getByTestId('verification-status')).toHaveText('verified');

  const password = page.getByRole('form', { name: 'Password' });
  await password.getByLabel('Current password').fill('not-my-password-1');
  await password.getByLabel('New password').fill('a-new-profile-passphrase-3');
  await password.getByRole('button', { name: 'Change password' }).click();
  await expect(password.getByRole('alert')).toHaveText('The current password is wrong.');
  await password.getByLabel('Current password').fill(PASSWORD);
  await password.getByRole('button', { name: 'Change password' }).click();
  // Every session ends with a new password, this one too.
  await expect(page.getByRole('status')).toHaveText('Your password is changed: sign in with the new one.');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  await signIn(page, newEmail, 'a-new-profile-passphrase-3');
  await page.getByRole('link', { name: 'Profile' }).click();
  await expect(page.getByRole('form', { name: 'Name' }).getByLabel('Full name')).toHaveValue('Grace Hopper');
  const deletion = page.getByRole('form', { name: 'Delete account' });
  await deletion.getByLabel('Password').fill('a-new-profile-passphrase-3');
  await deletion.getByRole('button', { name: 'Delete my account' }).click();
  await expect(deletion.getByRole('alert')).toHaveText('Tick the box to confirm.');
  await deletion.getByRole('checkbox').check();
  await deletion.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page.getByRole('status')).toHaveText('Your account and its items are deleted.');

  const login = await request.post(`${MAIN.apiUrl}/api/v1/auth/login`, {
    form: { username: newEmail, password: 'a-new-profile-passphrase-3' },
  });
  expect(login.status()).toBe(400);
});
