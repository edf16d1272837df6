import { NavLink, Outlet } from 'react-router';
import { useAuth } from '../auth/AuthProvider';

export function Layout() {
  const { user, signOut } = useAuth();

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
            {user.is_superuser && <NavLink to="/admin/users">Users</NavLink>}
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
