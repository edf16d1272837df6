import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { authResetPassword } from '../client';
import { bareClient } from '../api/clients';
import { describeError } from '../api/errors';
import { useAuth } from '../auth/AuthProvider';
import { PasswordField } from '../components/Fields';
import { ErrorMessage, Notice } from '../components/Messages';

/**
 * The page the reset email links to. Loading it consumes nothing; the token is
 * sent with the new password when the user submits the form.
 */
export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get('token');
  const { status, sessionEnded } = useAuth();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    if (!token) return;
    const { error, response } = await authResetPassword({ client: bareClient, body: { token, password } });
    if (!response?.ok) {
      setError(describeError(error, response));
      return;
    }
    // A reset ends every session of the account, this browser's included.
    if (status === 'signed-in') sessionEnded('Your password was reset: sign in with the new one.');
    setDone(true);
  }

  if (done) {
    return (
      <section className="narrow">
        <h1>Password changed</h1>
        <Notice message="Your new password is set. Every session of your account was signed out." />
        <Link to="/login">Sign in with the new password</Link>
      </section>
    );
  }

  return (
    <section className="narrow">
      <h1>Choose a new password</h1>
      {token ? (
        <form onSubmit={handleSubmit}>
          <PasswordField label="New password" isNew value={password} onChange={setPassword} />
          <ErrorMessage message={error} />
          <button type="submit">Set new password</button>
        </form>
      ) : (
        <ErrorMessage message="This link has no token: open the link from the email again." />
      )}
    </section>
  );
}
