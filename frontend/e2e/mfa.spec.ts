import { expect, test, type Page } from '@playwright/test';
import { PASSWORD, registerAccount, signIn } from './support/accounts';
import { totp } from './support/totp';

async function passwordStep(page: Page, email: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByLabel('Code')).toBeVisible();
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('status')).toHaveText('You are signed out.');
}

test('two-factor: turn it on in the profile, then sign in with a code and with a recovery code', async ({ page, request }) => {
  const email = await registerAccount(request, 'mfa');
  await signIn(page, email);
  await page.getByRole('link', { name: 'Profile' }).click();
  const panel = page.getByRole('form', { name: 'Two-factor authentication' });
  await expect(panel.getByTestId('mfa-status')).toHaveText('off');
  await panel.getByRole('button', { name: 'Set up' }).click();
  await expect(panel.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const secret = (await panel.getByTestId('totp-secret').textContent()) ?? '';
  await panel.getByLabel('Authenticator code').fill(totp(secret));
  await panel.getByRole('button', { name: 'Turn on' }).click();
  const codes = page.getByTestId('recovery-codes').getByRole('listitem');
  await expect(codes).toHaveCount(10);
  const recoveryCode = ((await codes.first().textContent()) ?? '').trim();
  await expect(panel.getByTestId('mfa-status')).toHaveText('on');
  await signOut(page);

  // The password alone is not enough: a code step follows.
  await passwordStep(page, email);
  await page.getByLabel('Code').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('alert')).toHaveText('That code is wrong or was already used.');
  await page.getByLabel('Code').fill(totp(secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: 'Items' })).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);
  await signOut(page);

  await passwordStep(page, email);
  await page.getByLabel('Code').fill(recoveryCode);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: 'Items' })).toBeVisible();
  await page.getByRole('link', { name: 'Profile' }).click();
  await expect(page.getByText('9 recovery codes left.')).toBeVisible();
});
