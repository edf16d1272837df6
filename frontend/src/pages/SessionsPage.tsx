import { useState } from 'react';
import { sessionsListSessions, sessionsRevokeOtherSessions, sessionsRevokeSession } from '../client';
import { failureOf } from '../api/results';
import { useQuery } from '../api/useQuery';
import { useAuth } from '../auth/AuthProvider';
import { ErrorMessage, Notice } from '../components/Messages';
import { NotAllowed } from '../components/NotAllowed';

const when = (iso: string) => new Date(iso).toLocaleString();
const listSessions = () => sessionsListSessions({ query: { limit: 100 } });

/** Where you are signed in: one session per login, this device marked. */
export function SessionsPage() {
  const { signOut } = useAuth();
  const { data, failure, setFailure, reload: load } = useQuery(listSessions);
  const sessions = data?.items ?? null;
  const [notice, setNotice] = useState<string | null>(null);

  async function act(call: () => Promise<{ error?: unknown; response?: Response }>, done: string) {
    const { error, response } = await call();
    if (!response?.ok) {
      setFailure(failureOf(error, response));
      return;
    }
    setNotice(done);
    await load();
  }

  async function signOutEverywhere() {
    const { error, response } = await sessionsRevokeOtherSessions();
    if (!response?.ok) {
      setFailure(failureOf(error, response));
      return;
    }
    await signOut('You are signed out everywhere.');
  }

  if (failure?.notAllowed) return <NotAllowed />;
  const others = sessions?.filter((session) => !session.current).length ?? 0;

  return (
    <section>
      <h1>Sessions</h1>
      <ErrorMessage message={failure?.message ?? null} />
      <Notice message={notice} />
      {sessions && (
        <table className="sessions" aria-label="Sessions">
          <thead>
            <tr>
              <th>Device</th>
              <th>Address</th>
              <th>Signed in</th>
              <th>Last active</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sessions.map((session) => (
              <tr key={session.id} data-current={session.current}>
                <td>{session.user_agent ?? 'Unknown device'}</td>
                <td>{session.ip ?? '—'}</td>
                <td>{when(session.created_at)}</td>
                <td>{when(session.last_used_at)}</td>
                <td>
                  {session.current ? (
                    <strong className="badge">This device</strong>
                  ) : (
                    <button
                      type="button"
                      onClick={() =>
                        act(() => sessionsRevokeSession({ path: { session_id: session.id } }), 'That session is signed out.')
                      }
                    >
                      Sign out
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="actions">
        <button
          type="button"
          disabled={others === 0}
          onClick={() => act(() => sessionsRevokeOtherSessions(), 'Every other session is signed out.')}
        >
          Sign out all other sessions
        </button>
        <button type="button" onClick={signOutEverywhere}>
          Sign out everywhere
        </button>
      </div>
    </section>
  );
}
