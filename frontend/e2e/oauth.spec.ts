import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { uniqueEmail } from './support/accounts';
import { MAIN, OIDC, oidcUrl } from './support/stack';
import { totp } from './support/totp';

/** A person at the OpenID provider, with the claims it will vouch for. */
async function providerUser(request: APIRequestContext, claims: Record<string, unknown>): Promise<string> {
  const sub = `sub-${randomUUID()}`;
  const response = await request.put(`${oidcUrl()}/users/${sub}`, { data: claims });
  expect(response.status(), await response.text()).toBe(204);
  return sub;
}

/** At the provider's own page: sign in as `sub`. */
async function consentAs(page: Page, sub: string) {
  await expect(page.getByRole('heading', { name: 'Authorize Client' })).toBeVisible();
  await page.getByLabel('Subject').fill(sub);
  await page.getByRole('button', { name: 'Authorize', exact: true }).click();
}

test('social login: provider, callback, session cookie, reload, last sign-in method', async ({ page, request }) => {
  const email = uniqueEmail('sso');
  const sub = await providerUser(request, { email, email_verified: true, name: 'Sam So' });

  await page.goto(`${MAIN.spaUrl}/login?next=/sessions`);
  await page.getByRole('link', { name: `Continue with ${OIDC.displayName}` }).click();
  await consentAs(page, sub);

  // Back on the SPA's callback page, which restores the session and goes on.
  await expect(page.getByRole('heading', { name: 'Sessions' })).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);
  expect(page.url()).not.toContain('token');
  await page.reload();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);

  // No password: the only identity cannot be disconnected.
  await page.getByRole('link', { name: 'Profile' }).click();
  await expect(page.getByTestId('verification-status')).toHaveText('verified');
  const methods = page.getByRole('region', { name: 'Sign-in methods' });
  await expect(methods.getByRole('listitem')).toContainText(OIDC.displayName);
  await methods.getByRole('button', { name: 'Disconnect' }).click();
  await expect(methods.getByRole('alert')).toContainText('last way to sign in');
});

test('social login refuses to take over an account of the same unverified email', async ({ page, request }) => {
  const email = uniqueEmail('squat');
  const registered = await request.post(`${MAIN.apiUrl}/api/v1/auth/register`, {
    data: { email, password: 'correct-horse-battery-42' },
  });
  expect(registered.status()).toBe(201);
  const sub = await providerUser(request, { email, email_verified: true });

  await page.goto(`${MAIN.spaUrl}/login`);
  await page.getByRole('link', { name: `Continue with ${OIDC.displayName}` }).click();
  await consentAs(page, sub);

  await expect(page.getByRole('heading', { name: 'Sign-in did not complete' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('An account already uses this email');
});

test('social login asks for the second factor of an account that has one', async ({ page, request }) => {
  const email = uniqueEmail('sso-mfa');
  const sub = await providerUser(request, { email, email_verified: true });
  const signInWithProvider = async () => {
    await page.goto(`${MAIN.spaUrl}/login`);
    await page.getByRole('link', { name: `Continue with ${OIDC.displayName}` }).click();
    await consentAs(page, sub);
  };
  await signInWithProvider();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);

  // Turn MFA on in the profile, then sign out.
  await page.getByRole('link', { name: 'Profile' }).click();
  const panel = page.getByRole('form', { name: 'Two-factor authentication' });
  await panel.getByRole('button', { name: 'Set up' }).click();
  const secret = (await panel.getByTestId('totp-secret').textContent()) ?? '';
  await panel.getByLabel('Authenticator code').fill(totp(secret));
  await panel.getByRole('button', { name: 'Turn on' }).click();
  await expect(panel.getByTestId('mfa-status')).toHaveText('on');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('status')).toHaveText('You are signed out.');

  // The provider alone is not enough: the code step follows.
  await signInWithProvider();
  await expect(page.getByLabel('Code')).toBeVisible();
  await page.getByLabel('Code').fill(totp(secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: 'Items' })).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);
});
