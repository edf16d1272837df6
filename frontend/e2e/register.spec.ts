import { expect, test } from '@playwright/test';
import { apiToken, PASSWORD, uniqueEmail } from './support/accounts';
import { linkFromEmail } from './support/mail';
import { MAIN } from './support/stack';

async function isVerified(request: import('@playwright/test').APIRequestContext, email: string): Promise<boolean> {
  const token = await apiToken(request, email);
  const me = await request.get(`${MAIN.apiUrl}/api/v1/users/me`, { headers: { Authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);
  return ((await me.json()) as { is_verified: boolean }).is_verified;
}

test('register, then open the verification link from the email: verified', async ({ page, request }) => {
  const email = uniqueEmail('register');
  await page.goto('/register');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Name (optional)').fill('Ada Lovelace');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('status')).toContainText(`We sent a verification link to ${email}`);

  const link = await linkFromEmail(email, '/verify-email');
  expect(link.startsWith(`${MAIN.spaUrl}/verify-email?token=`)).toBe(true);

  // A link scanner only loads the page: that must not verify anything.
  await page.goto(link);
  await expect(page.getByRole('button', { name: 'Confirm my email' })).toBeVisible();
  expect(await isVerified(request, email)).toBe(false);

  await page.getByRole('button', { name: 'Confirm my email' }).click();
  await expect(page.getByRole('status')).toHaveText(`Your email address ${email} is verified.`);
  expect(await isVerified(request, email)).toBe(true);

  // The token was used: the same link now answers that the address is verified.
  await page.goto(link);
  await page.getByRole('button', { name: 'Confirm my email' }).click();
  await expect(page.getByRole('alert')).toHaveText('This email address is already verified.');
});

test('registering a taken email says so', async ({ page, request }) => {
  const email = uniqueEmail('taken');
  const response = await request.post(`${MAIN.apiUrl}/api/v1/auth/register`, { data: { email, password: PASSWORD } });
  expect(response.status()).toBe(201);
  await page.goto('/register');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toHaveText('An account with this email already exists.');
});
