import { useState, type FormEvent, type ReactNode } from 'react';
import {
  authRequestVerifyToken,
  mfaConfirmTotp,
  mfaDisableTotp,
  mfaRegenerateRecoveryCodes,
  mfaSetupTotp,
  usersChangeMyPassword,
  usersDeleteMe,
  usersUpdateMe,
  type MeRead,
  type TotpSetupRead,
} from '../client';
import { bareClient } from '../api/clients';
import { describeError } from '../api/errors';
import { useAuth } from '../auth/AuthProvider';
import { EmailField, PasswordField, TextField } from '../components/Fields';
import { ErrorMessage, Notice } from '../components/Messages';
import { SignInMethodsPanel } from './SignInMethodsPanel';

type Outcome = { error: string | null; notice: string | null };
type Submit = () => Promise<Outcome>;

export function ProfilePage() {
  const { user } = useAuth();
  if (!user) return null;
  return (
    <section>
      <h1>Profile</h1>
      <EmailStatus user={user} />
      <NameForm user={user} />
      <EmailForm user={user} />
      <PasswordForm user={user} />
      <TwoFactorPanel user={user} />
      <SignInMethodsPanel />
      <DeleteAccountForm />
    </section>
  );
}

/** One form of the page: its own submit, error and confirmation. */
function Panel({ title, submit, button, children }: { title: string; submit: Submit; button: string; children: ReactNode }) {
  const [outcome, setOutcome] = useState<Outcome>({ error: null, notice: null });
  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    setOutcome(await submit());
  }
  return (
    <form className="panel" aria-label={title} onSubmit={handleSubmit}>
      <h2>{title}</h2>
      {children}
      <ErrorMessage message={outcome.error} />
      <Notice message={outcome.notice} />
      <button type="submit">{button}</button>
    </form>
  );
}

const failed = (error: unknown, response?: Response): Outcome => ({ error: describeError(error, response), notice: null });
const done = (notice: string): Outcome => ({ error: null, notice });

function EmailStatus({ user }: { user: MeRead }) {
  const [notice, setNotice] = useState<string | null>(null);
  async function resend() {
    await authRequestVerifyToken({ client: bareClient, body: { email: user.email } });
    setNotice(`We sent a new verification link to ${user.email}.`);
  }
  return (
    <div className="panel">
      <p>
        Signed in as <strong>{user.email}</strong>:{' '}
        <span data-testid="verification-status">{user.is_verified ? 'verified' : 'not verified'}</span>
      </p>
      {!user.is_verified && (
        <button type="button" onClick={resend}>
          Send the verification email again
        </button>
      )}
      <Notice message={notice} />
    </div>
  );
}

function NameForm({ user }: { user: MeRead }) {
  const { reloadUser } = useAuth();
  const [fullName, setFullName] = useState(user.full_name ?? '');
  async function submit(): Promise<Outcome> {
    const { data, error, response } = await usersUpdateMe({ body: { full_name: fullName.trim() || null } });
    if (data === undefined) return failed(error, response);
    await reloadUser();
    return done('Your name is saved.');
  }
  return (
    <Panel title="Name" submit={submit} button="Save name">
      <TextField label="Full name" autoComplete="name" value={fullName} onChange={setFullName} />
    </Panel>
  );
}

function EmailForm({ user }: { user: MeRead }) {
  const { reloadUser } = useAuth();
  const [email, setEmail] = useState(user.email);
  const [current, setCurrent] = useState('');
  const [code, setCode] = useState('');
  async function submit(): Promise<Outcome> {
    // A new email needs the current password (and with MFA on, a code); it also
    // signs out every other session.
    const mfa = user.mfa_enabled ? { mfa_code: code.trim() } : {};
    const { data, error, response } = await usersUpdateMe({ body: { email, current_password: current, ...mfa } });
    if (data === undefined) return failed(error, response);
    setCurrent('');
    await reloadUser();
    return done(`Your email is now ${data.email}: open the link we sent there to verify it.`);
  }
  return (
    <Panel title="Email" submit={submit} button="Change email">
      <EmailField label="New email" value={email} onChange={setEmail} />
      <PasswordField label="Current password" value={current} onChange={setCurrent} />
      {user.mfa_enabled && <CodeField value={code} onChange={setCode} />}
    </Panel>
  );
}

function PasswordForm({ user }: { user: MeRead }) {
  const { sessionEnded } = useAuth();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [code, setCode] = useState('');
  async function submit(): Promise<Outcome> {
    const mfa = user.mfa_enabled ? { mfa_code: code.trim() } : {};
    const { error, response } = await usersChangeMyPassword({
      body: { current_password: current, new_password: next, ...mfa },
    });
    if (!response?.ok) return failed(error, response);
    // A new password ends every session, this one too: sign in again.
    sessionEnded('Your password is changed: sign in with the new one.');
    return done('Password changed.');
  }
  return (
    <Panel title="Password" submit={submit} button="Change password">
      <PasswordField label="Current password" value={current} onChange={setCurrent} />
      <PasswordField label="New password" isNew value={next} onChange={setNext} />
      {user.mfa_enabled && <CodeField value={code} onChange={setCode} />}
    </Panel>
  );
}

/** A code from the authenticator app, or a recovery code. */
function CodeField({ value, onChange, label = 'Authenticator code' }: { value: string; onChange: (v: string) => void; label?: string }) {
  return <TextField label={label} autoComplete="one-time-code" value={value} onChange={onChange} maxLength={64} />;
}

function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <div className="panel">
      <p>Your recovery codes. Keep them somewhere safe: each signs you in once without the app, and they are shown only now.</p>
      <ul data-testid="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * Two-factor authentication: set up an authenticator app (scan the QR code,
 * confirm with a code), then regenerate recovery codes or turn it off.
 */
function TwoFactorPanel({ user }: { user: MeRead }) {
  const [codes, setCodes] = useState<string[] | null>(null);
  return (
    <>
      {user.mfa_enabled ? <ManageTwoFactor user={user} onCodes={setCodes} /> : <EnrolTwoFactor onCodes={setCodes} />}
      {codes && <RecoveryCodes codes={codes} />}
    </>
  );
}

function EnrolTwoFactor({ onCodes }: { onCodes: (codes: string[]) => void }) {
  const { reloadUser } = useAuth();
  const [setup, setSetup] = useState<TotpSetupRead | null>(null);
  const [code, setCode] = useState('');
  async function submit(): Promise<Outcome> {
    if (setup === null) {
      const { data, error, response } = await mfaSetupTotp();
      if (data === undefined) return failed(error, response);
      setSetup(data);
      return done('Scan the QR code with your authenticator app, then enter the code it shows.');
    }
    const { data, error, response } = await mfaConfirmTotp({ body: { code: code.trim() } });
    if (data === undefined) return failed(error, response);
    onCodes(data.recovery_codes);
    await reloadUser();
    return done('Two-factor authentication is on.');
  }
  return (
    <Panel title="Two-factor authentication" submit={submit} button={setup === null ? 'Set up' : 'Turn on'}>
      <p data-testid="mfa-status">off</p>
      {setup && (
        <>
          <img alt="QR code for your authenticator app" src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(setup.qr_svg)}`} />
          <p>
            Or type this key: <code data-testid="totp-secret">{setup.secret}</code>
          </p>
          <CodeField value={code} onChange={setCode} />
        </>
      )}
    </Panel>
  );
}

function ManageTwoFactor({ user, onCodes }: { user: MeRead; onCodes: (codes: string[]) => void }) {
  const { reloadUser } = useAuth();
  const [regenerateCode, setRegenerateCode] = useState('');
  const [password, setPassword] = useState('');
  const [disableCode, setDisableCode] = useState('');
  async function regenerate(): Promise<Outcome> {
    const { data, error, response } = await mfaRegenerateRecoveryCodes({ body: { code: regenerateCode.trim() } });
    if (data === undefined) return failed(error, response);
    onCodes(data.recovery_codes);
    await reloadUser();
    return done('New recovery codes: the old ones no longer work.');
  }
  async function disable(): Promise<Outcome> {
    const { error, response } = await mfaDisableTotp({
      body: { current_password: password, code: disableCode.trim() },
    });
    if (!response?.ok) return failed(error, response);
    await reloadUser();
    return done('Two-factor authentication is off.');
  }
  return (
    <>
      <Panel title="Two-factor authentication" submit={regenerate} button="New recovery codes">
        <p>
          <span data-testid="mfa-status">on</span>: {user.recovery_codes_left} recovery codes left.
        </p>
        <CodeField value={regenerateCode} onChange={setRegenerateCode} />
      </Panel>
      <Panel title="Turn off two-factor authentication" submit={disable} button="Turn off">
        <PasswordField label="Password" value={password} onChange={setPassword} />
        <CodeField value={disableCode} onChange={setDisableCode} />
      </Panel>
    </>
  );
}

function DeleteAccountForm() {
  const { sessionEnded } = useAuth();
  const [password, setPassword] = useState('');
  const [understood, setUnderstood] = useState(false);
  async function submit(): Promise<Outcome> {
    if (!understood) return { error: 'Tick the box to confirm.', notice: null };
    const { error, response } = await usersDeleteMe({ body: { current_password: password } });
    if (!response?.ok) return failed(error, response);
    sessionEnded('Your account and its items are deleted.');
    return done('Account deleted.');
  }
  return (
    <Panel title="Delete account" submit={submit} button="Delete my account">
      <PasswordField label="Password" value={password} onChange={setPassword} />
      <label className="inline">
        <input type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />I understand that
        this deletes my account and all my items.
      </label>
    </Panel>
  );
}
