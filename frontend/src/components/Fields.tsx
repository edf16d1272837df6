/** Labelled inputs: the label is the accessible name the browser tests use too. */
type FieldProps = { label: string; value: string; onChange: (value: string) => void };

type EmailFieldProps = Omit<FieldProps, 'label'> & { label?: string; autoComplete?: string };

export function EmailField({ label = 'Email', value, onChange, autoComplete = 'email' }: EmailFieldProps) {
  return (
    <label>
      {label}
      <input type="email" autoComplete={autoComplete} required value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

/** `isNew`: a password being chosen (the API's policy starts at 8 characters). */
export function PasswordField({ label, value, onChange, isNew = false }: FieldProps & { isNew?: boolean }) {
  return (
    <label>
      {label}
      <input
        type="password"
        autoComplete={isNew ? 'new-password' : 'current-password'}
        required
        minLength={isNew ? 8 : undefined}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}

export function TextField({ label, value, onChange, ...input }: FieldProps & { autoComplete?: string; required?: boolean; maxLength?: number }) {
  return (
    <label>
      {label}
      <input {...input} value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

export function TextAreaField({ label, value, onChange }: FieldProps) {
  return (
    <label>
      {label}
      <textarea rows={2} value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}
