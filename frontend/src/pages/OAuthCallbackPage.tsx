import { Link, Navigate, useSearchParams } from 'react-router';
import { describeError } from '../api/errors';
import { useAuth } from '../auth/AuthProvider';
import { ErrorMessage } from '../components/Messages';

/**
 * Where social login lands (`OAUTH_CALLBACK_PATH`). On success the API has set
 * the refresh cookie: this full page load restores the session from it, as
 * after any reload, and the page goes on to `next`. With `mfa_required` the
 * challenge cookie is set instead: the login page's code step finishes the
 * sign-in. On failure it says why.
 */
export function OAuthCallbackPage() {
  const { status } = useAuth();
  const [params] = useSearchParams();
  const error = params.get('error');
  const next = safeNext(params.get('next'));

  if (error) {
    return (
      <section className="narrow">
        <h1>Sign-in did not complete</h1>
        <ErrorMessage message={describeError({ detail: error })} />
        <p>
          <Link to="/login">Back to sign in</Link>
        </p>
      </section>
    );
  }
  if (params.get('mfa_required') === 'true') {
    // The provider vouched for the user; the login page asks for the code.
    return <Navigate to={`/login?${new URLSearchParams({ step: 'code', next })}`} replace />;
  }
  if (status === 'restoring') return <p>Signing you in…</p>;
  if (status === 'signed-in') return <Navigate to={next} replace />;
  return (
    <section className="narrow">
      <h1>Sign-in did not complete</h1>
      <ErrorMessage message="No session was started: sign in again." />
      <p>
        <Link to="/login">Back to sign in</Link>
      </p>
    </section>
  );
}

/** Only paths of this app (the API already refuses others). */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\') ? next : '/items';
}
