import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { authVerify } from '../client';
import { bareClient } from '../api/clients';
import { describeError } from '../api/errors';
import { useAuth } from '../auth/AuthProvider';
import { ErrorMessage, Notice } from '../components/Messages';

/**
 * The page the verification email links to. Loading it consumes nothing: mail
 * scanners open links. The token is sent only when the user presses the button.
 */
export function VerifyEmailPage() {
  const [params] = useSearchParams();
  const token = params.get('token');
  const { status, reloadUser } = useAuth();
  const [error, setError] = useState<string | null>(null);
  const [verified, setVerified] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function confirm() {
    if (!token) return;
    setBusy(true);
    const { data, error, response } = await authVerify({ client: bareClient, body: { token } });
    setBusy(false);
    if (data === undefined) {
      setError(describeError(error, response));
      return;
    }
    setError(null);
    setVerified(data.email);
    if (status === 'signed-in') await reloadUser();
  }

  return (
    <section className="narrow">
      <h1>Verify your email</h1>
      {!token && <ErrorMessage message="This link has no token: open the link from the email again." />}
      {verified ? (
        <>
          <Notice message={`Your email address ${verified} is verified.`} />
          <Link to={status === 'signed-in' ? '/items' : '/login'}>Continue</Link>
        </>
      ) : (
        token && (
          <>
            <p>Confirm that this email address is yours.</p>
            <ErrorMessage message={error} />
            <button type="button" onClick={confirm} disabled={busy}>
              Confirm my email
            </button>
          </>
        )
      )}
    </section>
  );
}
