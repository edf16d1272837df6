import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { authRegister } from '../client';
import { bareClient } from '../api/clients';
import { describeError } from '../api/errors';
import { EmailField, PasswordField, TextField } from '../components/Fields';
import { ErrorMessage, Notice } from '../components/Messages';

export function RegisterPage() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [fullName, setFullName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [registered, setRegistered] = useState<string | null>(null);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    const { data, error, response } = await authRegister({
      client: bareClient,
      body: { email, password, full_name: fullName.trim() || null },
    });
    if (data === undefined) {
      setError(describeError(error, response));
      return;
    }
    setError(null);
    setRegistered(data.email);
  }

  if (registered) {
    return (
      <section className="narrow">
        <h1>Check your email</h1>
        <Notice message={`Your account is created. We sent a verification link to ${registered}.`} />
        <Link to="/login">Sign in</Link>
      </section>
    );
  }

  return (
    <section className="narrow">
      <h1>Create an account</h1>
      <form onSubmit={handleSubmit}>
        <EmailField value={email} onChange={setEmail} />
        <TextField label="Name (optional)" autoComplete="name" value={fullName} onChange={setFullName} />
        <PasswordField label="Password" isNew value={password} onChange={setPassword} />
        <ErrorMessage message={error} />
        <button type="submit">Create account</button>
      </form>
      <p>
        Already registered? <Link to="/login">Sign in</Link>
      </p>
    </section>
  );
}
