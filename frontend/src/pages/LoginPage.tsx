import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { useAuth, type SignInOutcome } from '../auth/AuthProvider';
import { EmailField, PasswordField, TextField } from '../components/Fields';
import { ErrorMessage, Notice } from '../components/Messages';
import { ProviderButtons } from '../components/SocialLogin';

/**
 * Sign in. The page is a sequence of steps: the password, then (for accounts
 * with two-factor authentication) a code. Social login adds provider buttons
 * (from `/auth/providers`) above the form.
 */
export function LoginPage() {
  const { status, farewell, signIn, verifySecondFactor } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  // `step=code`: social login's provider was right and the code is due.
  const [step, setStep] = useState<'password' | 'code'>(params.get('step') === 'code' ? 'code' : 'password');

  if (status === 'signed-in') return <Navigate to={next} replace />;

  async function finish(outcome: Promise<SignInOutcome>): Promise<string | null> {
    const result = await outcome;
    if (result.kind === 'refused') return result.message;
    if (result.kind === 'second-factor') {
      setStep('code');
      return null;
    }
    navigate(next, { replace: true });
    return null;
  }

  return (
    <section className="narrow">
      <h1>Sign in</h1>
      <Notice message={farewell} />
      <ProviderButtons next={next} />
      {step === 'password' ? (
        <PasswordStep onSubmit={(email, password) => finish(signIn(email, password))} />
      ) : (
        <CodeStep onSubmit={(code) => finish(verifySecondFactor(code))} onRestart={() => setStep('password')} />
      )}
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

function CodeStep({
  onSubmit,
  onRestart,
}: {
  onSubmit: (code: string) => Promise<string | null>;
  onRestart: () => void;
}) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(await onSubmit(code.trim()));
    setBusy(false);
  }

  return (
    <form onSubmit={handleSubmit}>
      <p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
      <TextField label="Code" value={code} onChange={setCode} autoComplete="one-time-code" required maxLength={64} />
      <ErrorMessage message={error} />
      <button type="submit" disabled={busy}>
        Verify
      </button>{' '}
      <button type="button" onClick={onRestart}>
        Start over
      </button>
    </form>
  );
}

/** Only paths of this app: `?next=https://elsewhere` must not redirect there. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/items';
}
