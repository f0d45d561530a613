/** Login form: user and password, with the server's reason on failure (wrong credentials, slowed down). */
import { type FormEvent, useState } from 'react';
import type { ApiError } from '../api/client.js';
import { useSession } from '../lib/session.js';

export function LoginPage() {
  const session = useSession();
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await session.login(user, password);
    } catch (reason) {
      const failure = reason as ApiError;
      setError(failure.status === 401 ? 'Wrong user name or password.' : failure.message);
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="panel login-form" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">confwatch</h1>
        <label>
          User
          <input name="user" autoComplete="username" required value={user} onChange={(e) => setUser(e.target.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
