import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { useAuth } from '../auth/AuthProvider';
import { EmailField, PasswordField } from '../components/Fields';
import { ErrorMessage, Notice } from '../components/Messages';
import { ProviderButtons } from '../components/SocialLogin';

/**
 * Sign in. The page is a sequence of steps: today the password step only.
 * A second factor adds a step after it (`SignInOutcome` gains its kind).
 * Social login's provider buttons (from `/auth/providers`) are above the form.
 */
export function LoginPage() {
  const { status, farewell, signIn } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));

  if (status === 'signed-in') return <Navigate to={next} replace />;

  async function signInWithPassword(email: string, password: string): Promise<string | null> {
    const outcome = await signIn(email, password);
    if (outcome.kind === 'refused') return outcome.message;
    navigate(next, { replace: true });
    return null;
  }

  return (
    <section className="narrow">
      <h1>Sign in</h1>
      <Notice message={farewell} />
      <ProviderButtons next={next} />
      <PasswordStep onSubmit={signInWithPassword} />
      <p>
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
      <p>
        No account yet? <Link to="/register">Create one</Link>
      </p>
    </section>
  );
}

function PasswordStep({ onSubmit }: { onSubmit: (email: string, password: string) => Promise<string | null> }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(await onSubmit(email, password));
    setBusy(false);
  }

  return (
    <form onSubmit={handleSubmit}>
      <EmailField autoComplete="username" value={email} onChange={setEmail} />
      <PasswordField label="Password" value={password} onChange={setPassword} />
      <ErrorMessage message={error} />
      <button type="submit" disabled={busy}>
        Sign in
      </button>
    </form>
  );
}

/** Only paths of this app: `?next=https://elsewhere` must not redirect there. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/items';
}
