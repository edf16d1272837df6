import { Link } from 'react-router';

/** A 403: this account may not do that. The session stays as it is. */
export function NotAllowed() {
  return (
    <section className="not-allowed" role="alert">
      <h1>Not allowed</h1>
      <p>Your account does not have access to this page.</p>
      <Link to="/items">Back to your items</Link>
    </section>
  );
}
