import { useState, type FormEvent, type ReactNode } from 'react';
import { authRequestVerifyToken, usersChangeMyPassword, usersDeleteMe, usersUpdateMe, type UserRead } from '../client';
import { bareClient } from '../api/clients';
import { describeError } from '../api/errors';
import { useAuth } from '../auth/AuthProvider';
import { EmailField, PasswordField, TextField } from '../components/Fields';
import { ErrorMessage, Notice } from '../components/Messages';

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
      <PasswordForm />
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

function EmailStatus({ user }: { user: UserRead }) {
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

function NameForm({ user }: { user: UserRead }) {
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

function EmailForm({ user }: { user: UserRead }) {
  const { reloadUser } = useAuth();
  const [email, setEmail] = useState(user.email);
  const [current, setCurrent] = useState('');
  async function submit(): Promise<Outcome> {
    // A new email needs the current password; it also signs out every other session.
    const { data, error, response } = await usersUpdateMe({ body: { email, current_password: current } });
    if (data === undefined) return failed(error, response);
    setCurrent('');
    await reloadUser();
    return done(`Your email is now ${data.email}: open the link we sent there to verify it.`);
  }
  return (
    <Panel title="Email" submit={submit} button="Change email">
      <EmailField label="New email" value={email} onChange={setEmail} />
      <PasswordField label="Current password" value={current} onChange={setCurrent} />
    </Panel>
  );
}

function PasswordForm() {
  const { sessionEnded } = useAuth();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  async function submit(): Promise<Outcome> {
    const { error, response } = await usersChangeMyPassword({
      body: { current_password: current, new_password: next },
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
    </Panel>
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
