import { NavLink, Outlet } from 'react-router';
import { useAuth } from '../auth/AuthProvider';

export function Layout() {
  const { user, signOut } = useAuth();
  // What the API lets this account do (it checks again on every request).
  const may = (permission: string) => user?.permissions?.includes(permission) ?? false;

  async function handleSignOut() {
    await signOut('You are signed out.');
  }

  return (
    <>
      <header className="top">
        <strong className="brand">Gatehouse</strong>
        {user && (
          <nav aria-label="Main">
            <NavLink to="/items">Items</NavLink>
            <NavLink to="/profile">Profile</NavLink>
            <NavLink to="/sessions">Sessions</NavLink>
            {may('users:read') && <NavLink to="/admin/users">Users</NavLink>}
            {may('roles:read') && <NavLink to="/admin/roles">Roles</NavLink>}
            <span className="who" data-testid="signed-in-as">
              {user.email}
            </span>
            <button type="button" onClick={handleSignOut}>
              Sign out
            </button>
          </nav>
        )}
      </header>
      <main>
        <Outlet />
      </main>
    </>
  );
}
