/** Accounts for the tests: each test makes its own, through the API or the pages. */
import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { MAIN, type Stack } from './stack';

export const PASSWORD = 'correct-horse-battery-42';

export function uniqueEmail(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.com`;
}

/** Register through the API (the register page has a test of its own). */
export async function registerAccount(request: APIRequestContext, label: string, stack: Stack = MAIN): Promise<string> {
  const email = uniqueEmail(label);
  const response = await request.post(`${stack.apiUrl}/api/v1/auth/register`, { data: { email, password: PASSWORD } });
  expect(response.status(), await response.text()).toBe(201);
  return email;
}

/** An access token for API-side checks (a session of its own, separate from the browser's). */
export async function apiToken(request: APIRequestContext, email: string, password = PASSWORD, stack: Stack = MAIN): Promise<string> {
  const response = await request.post(`${stack.apiUrl}/api/v1/auth/login`, { form: { username: email, password } });
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Sign in through the login page and land on the items page. */
export async function signIn(page: Page, email: string, password = PASSWORD, stack: Stack = MAIN): Promise<void> {
  await page.goto(`${stack.spaUrl}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Items' })).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email);
}
