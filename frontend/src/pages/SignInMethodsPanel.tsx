import { useCallback, useState } from 'react';
import { usersDeleteMyOauthAccount, usersListMyOauthAccounts } from '../client';
import { failureOf } from '../api/results';
import { useQuery } from '../api/useQuery';
import { ErrorMessage, Notice } from '../components/Messages';
import { authorizeUrl, useProviders } from '../components/SocialLogin';

/**
 * The providers connected to this account: disconnect one (refused if it is
 * your last way to sign in), or connect another. Connecting needs a sign-in
 * within the last 10 minutes; the API says so otherwise.
 */
export function SignInMethodsPanel() {
  const providers = useProviders();
  const list = useCallback(() => usersListMyOauthAccounts({ query: { limit: 100 } }), []);
  const { data, failure, setFailure, reload } = useQuery(list);
  const [notice, setNotice] = useState<string | null>(null);
  const accounts = data?.items ?? [];
  if (providers.length === 0 && accounts.length === 0) return null;
  const nameOf = (slug: string) => providers.find((p) => p.slug === slug)?.display_name ?? slug;

  async function disconnect(id: string) {
    const { error, response } = await usersDeleteMyOauthAccount({ path: { account_id: id } });
    if (!response?.ok) {
      setFailure(failureOf(error, response));
      return;
    }
    setNotice('Disconnected.');
    await reload();
  }

  return (
    <section className="panel" aria-label="Sign-in methods">
      <h2>Sign-in methods</h2>
      <ErrorMessage message={failure?.message ?? null} />
      <Notice message={notice} />
      <ul>
        {accounts.map((account) => (
          <li key={account.id}>
            {nameOf(account.provider)} {account.email && <span>({account.email})</span>}{' '}
            <button type="button" onClick={() => disconnect(account.id)}>
              Disconnect
            </button>
          </li>
        ))}
      </ul>
      {providers.map((provider) => (
        <a key={provider.slug} className="button" href={authorizeUrl(provider.slug, '/profile', 'connect')}>
          Connect {provider.display_name}
        </a>
      ))}
    </section>
  );
}
