import { useCallback, useState } from 'react';
import { usersListUsers, usersUpdateUser, type UserRead } from '../client';
import { failureOf } from '../api/results';
import { useQuery } from '../api/useQuery';
import { useAuth } from '../auth/AuthProvider';
import { Pager, SearchForm } from '../components/ListControls';
import { ErrorMessage } from '../components/Messages';
import { NotAllowed } from '../components/NotAllowed';

const PAGE_SIZE = 20;
type ActiveFilter = 'all' | 'active' | 'inactive';

/** `users:read`: every account, filtered, with its roles; `users:manage`: deactivate or reactivate one. */
export function AdminUsersPage() {
  const { user: me } = useAuth();
  const [search, setSearch] = useState('');
  const [active, setActive] = useState<ActiveFilter>('all');
  const [page, setPage] = useState(1);
  const listUsers = useCallback(
    () =>
      usersListUsers({
        query: {
          q: search || undefined,
          is_active: active === 'all' ? undefined : active === 'active',
          sort: 'email',
          limit: PAGE_SIZE,
          offset: (page - 1) * PAGE_SIZE,
        },
      }),
    [search, active, page],
  );
  const { data: listing, failure, setFailure, reload: load } = useQuery(listUsers);

  async function setActiveState(target: UserRead, isActive: boolean) {
    const { error, response } = await usersUpdateUser({ path: { user_id: target.id }, body: { is_active: isActive } });
    if (!response?.ok) {
      setFailure(failureOf(error, response));
      return;
    }
    await load();
  }

  if (failure?.notAllowed) return <NotAllowed />;

  return (
    <section>
      <h1>Users</h1>
      <div className="toolbar">
        <SearchForm
          onSearch={(text) => {
            setPage(1);
            setSearch(text);
          }}
        />
        <label>
          Status
          <select
            value={active}
            onChange={(e) => {
              setPage(1);
              setActive(e.target.value as ActiveFilter);
            }}
          >
            <option value="all">All</option>
            <option value="active">Active</option>
            <option value="inactive">Deactivated</option>
          </select>
        </label>
      </div>
      <ErrorMessage message={failure?.message ?? null} />
      {listing && (
        <>
          <table aria-label="Users">
            <thead>
              <tr>
                <th>Email</th>
                <th>Name</th>
                <th>Status</th>
                <th>Roles</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {listing.items.map((user) => (
                <tr key={user.id}>
                  <td>{user.email}</td>
                  <td>{user.full_name ?? ''}</td>
                  <td>
                    {user.is_active ? 'active' : 'deactivated'}
                    {user.is_verified ? ', verified' : ''}
                    {user.is_superuser ? ', superuser' : ''}
                  </td>
                  <td>{user.roles?.join(', ') ?? ''}</td>
                  <td>
                    {user.id !== me?.id &&
                      (user.is_active ? (
                        <button type="button" onClick={() => setActiveState(user, false)}>
                          Deactivate
                        </button>
                      ) : (
                        <button type="button" onClick={() => setActiveState(user, true)}>
                          Activate
                        </button>
                      ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={page} pageSize={PAGE_SIZE} total={listing.total} noun={['user', 'users']} onPage={setPage} />
        </>
      )}
    </section>
  );
}
