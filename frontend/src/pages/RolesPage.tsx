import { useCallback, useState, type FormEvent } from 'react';
import {
  rolesCreateRole,
  rolesDeleteRole,
  rolesGrantRole,
  rolesListPermissions,
  rolesListRoles,
  usersListUsers,
  type RoleRead,
} from '../client';
import { failureOf, type Failure } from '../api/results';
import { useQuery } from '../api/useQuery';
import { useAuth } from '../auth/AuthProvider';
import { EmailField, TextField } from '../components/Fields';
import { ErrorMessage, Notice } from '../components/Messages';
import { NotAllowed } from '../components/NotAllowed';

/**
 * `roles:read`: every role and its permissions. `roles:manage`: create and
 * delete roles. `roles:assign`: grant a role to an account by its email. The
 * API enforces all of it; the page only hides what the user cannot do.
 */
export function RolesPage() {
  const { user: me } = useAuth();
  const may = (permission: string) => me?.permissions?.includes(permission) ?? false;
  const listRoles = useCallback(() => rolesListRoles(), []);
  const { data: roles, failure, setFailure, reload } = useQuery(listRoles);
  const [notice, setNotice] = useState<string | null>(null);

  async function deleteRole(role: RoleRead) {
    const { error, response } = await rolesDeleteRole({ path: { slug: role.slug } });
    if (!response?.ok) {
      setFailure(failureOf(error, response));
      return;
    }
    setNotice(`Deleted ${role.slug}.`);
    await reload();
  }

  if (failure?.notAllowed && !roles) return <NotAllowed />;

  return (
    <section>
      <h1>Roles</h1>
      <ErrorMessage message={failure?.message ?? null} />
      <Notice message={notice} />
      {roles && (
        <table aria-label="Roles">
          <thead>
            <tr>
              <th>Slug</th>
              <th>Name</th>
              <th>Permissions</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {roles.map((role) => (
              <tr key={role.id}>
                <td>{role.slug}</td>
                <td>
                  {role.name}
                  {role.is_system ? ' (system)' : ''}
                </td>
                <td>{role.permissions.join(', ') || '(none)'}</td>
                <td>
                  {may('roles:manage') && !role.is_system && (
                    <button type="button" onClick={() => deleteRole(role)}>
                      Delete {role.slug}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {may('roles:manage') && (
        <NewRoleForm
          onCreated={async (role) => {
            setNotice(`Created ${role.slug}.`);
            await reload();
          }}
        />
      )}
      {may('roles:assign') && roles && <GrantForm roles={roles} onGranted={setNotice} />}
    </section>
  );
}

function NewRoleForm({ onCreated }: { onCreated: (role: RoleRead) => Promise<void> }) {
  const listPermissions = useCallback(() => rolesListPermissions(), []);
  const { data: permissions } = useQuery(listPermissions);
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [failure, setFailure] = useState<Failure | null>(null);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    const { data, error, response } = await rolesCreateRole({ body: { slug, name, permissions: chosen } });
    if (!data) {
      setFailure(failureOf(error, response));
      return;
    }
    setFailure(null);
    setSlug('');
    setName('');
    setChosen([]);
    await onCreated(data);
  }

  function toggle(permission: string, on: boolean) {
    setChosen((current) => (on ? [...current, permission] : current.filter((p) => p !== permission)));
  }

  return (
    <form aria-label="New role" onSubmit={handleSubmit}>
      <h2>New role</h2>
      <TextField label="Slug" value={slug} onChange={setSlug} required maxLength={64} />
      <TextField label="Name" value={name} onChange={setName} required maxLength={100} />
      <fieldset>
        <legend>Permissions</legend>
        {permissions?.map((permission) => (
          <label key={permission.name} title={permission.description}>
            <input
              type="checkbox"
              checked={chosen.includes(permission.name)}
              onChange={(e) => toggle(permission.name, e.target.checked)}
            />
            {permission.name}
          </label>
        ))}
      </fieldset>
      <ErrorMessage message={failure?.message ?? null} />
      <button type="submit">Create role</button>
    </form>
  );
}

function GrantForm({ roles, onGranted }: { roles: RoleRead[]; onGranted: (notice: string) => void }) {
  const [email, setEmail] = useState('');
  const [slug, setSlug] = useState(roles[0]?.slug ?? '');
  const [failure, setFailure] = useState<Failure | null>(null);

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    const found = await usersListUsers({ query: { q: email, limit: 10 } });
    const target = found.data?.items.find((user) => user.email.toLowerCase() === email.toLowerCase());
    if (!target) {
      setFailure(found.data ? { notAllowed: false, message: 'No account has this email.' } : failureOf(found.error, found.response));
      return;
    }
    const { error, response } = await rolesGrantRole({ path: { user_id: target.id, slug } });
    if (!response?.ok) {
      setFailure(failureOf(error, response));
      return;
    }
    setFailure(null);
    onGranted(`Granted ${slug} to ${target.email}.`);
  }

  return (
    <form aria-label="Grant a role" onSubmit={handleSubmit}>
      <h2>Grant a role</h2>
      <EmailField label="Account email" value={email} onChange={setEmail} autoComplete="off" />
      <label>
        Role
        <select value={slug} onChange={(e) => setSlug(e.target.value)}>
          {roles.map((role) => (
            <option key={role.id} value={role.slug}>
              {role.slug}
            </option>
          ))}
        </select>
      </label>
      <ErrorMessage message={failure?.message ?? null} />
      <button type="submit">Grant</button>
    </form>
  );
}
