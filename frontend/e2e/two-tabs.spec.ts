import { expect, test, type Page, type Request } from '@playwright/test';
import { registerAccount, signIn } from './support/accounts';
import { SHORT_LIVED } from './support/stack';

// Against the server whose access tokens last a few seconds and which revokes
// a session as soon as a rotated refresh cookie is presented again (no grace).

const isRefresh = (request: Request) => request.method() === 'POST' && request.url().endsWith('/api/v1/auth/refresh');

async function addItem(page: Page, title: string) {
  const form = page.getByRole('form', { name: 'New item' });
  await form.getByLabel('Title').fill(title);
  await form.getByRole('button', { name: 'Add item' }).click();
}

test('two tabs whose access tokens expired act at once: both keep working, no session is revoked', async ({ context, request }) => {
  const email = await registerAccount(request, 'two-tabs', SHORT_LIVED);
  // Refreshes sent once signed in (the login page's own attempt, without a cookie, is a 401).
  let signedIn = false;
  const refreshes: Request[] = [];
  context.on('request', (sent) => {
    if (signedIn && isRefresh(sent)) refreshes.push(sent);
  });

  const first = await context.newPage();
  await signIn(first, email, undefined, SHORT_LIVED);
  signedIn = true;
  const second = await context.newPage();
  await second.goto(`${SHORT_LIVED.spaUrl}/items`); // restores the session from the shared cookie
  await expect(second.getByTestId('signed-in-as')).toHaveText(email);

  // Outlive every access token either tab holds (a wait, not a speed limit).
  await first.waitForTimeout((SHORT_LIVED.accessTokenSeconds + 1.5) * 1000);
  const refreshesBefore = refreshes.length;

  await Promise.all([addItem(first, 'From the first tab'), addItem(second, 'From the second tab')]);
  await expect(first.getByRole('listitem', { name: 'From the first tab' })).toBeVisible();
  await expect(second.getByRole('listitem', { name: 'From the second tab' })).toBeVisible();
  // Both tabs see both items after reloading their lists (through yet another refresh).
  await first.waitForTimeout((SHORT_LIVED.accessTokenSeconds + 1.5) * 1000);
  await Promise.all([first.reload(), second.reload()]);
  for (const page of [first, second]) {
    await expect(page.getByTestId('signed-in-as')).toHaveText(email);
    await expect(page.getByRole('list', { name: 'Items' }).getByRole('listitem')).toHaveCount(2);
  }

  expect(refreshes.length).toBeGreaterThan(refreshesBefore); // the tokens did expire
  const statuses = await Promise.all(refreshes.map(async (sent) => (await sent.response())?.status()));
  expect(statuses.filter((status) => status !== 200)).toEqual([]);

  // Still one session, alive: a reuse would have revoked it.
  await first.getByRole('link', { name: 'Sessions' }).click();
  await expect(first.getByRole('table', { name: 'Sessions' }).getByRole('row')).toHaveCount(2); // header + one
  await expect(first.getByText('This device')).toBeVisible();
});
