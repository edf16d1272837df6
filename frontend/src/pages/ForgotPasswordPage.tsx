import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { authForgotPassword } from '../client';
import { bareClient } from '../api/clients';
import { describeError } from '../api/errors';
import { EmailField } from '../components/Fields';
import { ErrorMessage, Notice } from '../components/Messages';

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState(false);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    const { error, response } = await authForgotPassword({ client: bareClient, body: { email } });
    // 202 whether or not the address has an account: nothing is revealed.
    if (response?.ok) {
      setSent(true);
      setError(null);
    } else {
      setError(describeError(error, response));
    }
  }

  return (
    <section className="narrow">
      <h1>Reset your password</h1>
      {sent ? (
        <Notice message={`If ${email} has an account, we sent it a link to set a new password.`} />
      ) : (
        <form onSubmit={handleSubmit}>
          <EmailField value={email} onChange={setEmail} />
          <ErrorMessage message={error} />
          <button type="submit">Send the reset link</button>
        </form>
      )}
      <p>
        <Link to="/login">Back to sign in</Link>
      </p>
    </section>
  );
}
