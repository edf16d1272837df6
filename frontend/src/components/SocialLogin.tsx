import { useEffect, useState } from 'react';
import { oauthListProviders, type ProviderRead } from '../client';
import { bareClient } from '../api/clients';
import { API_URL } from '../api/config';

/**
 * Where a provider button goes: a top-level navigation to the API (not a
 * fetch), which sends the browser on to the provider. The API brings it back
 * to `OAUTH_CALLBACK_PATH` with `?next=` or `?error=`.
 */
export function authorizeUrl(slug: string, next: string, intent: 'login' | 'connect' = 'login'): string {
  const query = new URLSearchParams({ next });
  if (intent === 'connect') query.set('intent', 'connect');
  return `${API_URL}/api/v1/auth/oauth/${encodeURIComponent(slug)}/authorize?${query}`;
}

/** The enabled providers (`GET /auth/providers`); empty while loading or if none. */
export function useProviders(): ProviderRead[] {
  const [providers, setProviders] = useState<ProviderRead[]>([]);
  useEffect(() => {
    let cancelled = false;
    void oauthListProviders({ client: bareClient }).then(({ data }) => {
      if (!cancelled && data) setProviders(data);
    });
    return () => {
      cancelled = true;
    };
  }, []);
  return providers;
}

/** "Continue with ..." links for the sign-in page. */
export function ProviderButtons({ next }: { next: string }) {
  const providers = useProviders();
  if (providers.length === 0) return null;
  return (
    <div className="providers" aria-label="Sign in with">
      {providers.map((provider) => (
        <a key={provider.slug} className="button" href={authorizeUrl(provider.slug, next)}>
          Continue with {provider.display_name}
        </a>
      ))}
      <p className="or">or with your email and password</p>
    </div>
  );
}
