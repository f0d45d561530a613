/**
 * The one place the UI talks HTTP. Reads send the session cookie; mutations
 * also send the CSRF token from login in `x-csrf-token`. Errors come back as
 * `ApiError` with the server's `{error: {code, message}}`.
 */

const CSRF_KEY = 'confwatch.csrf';
const LOGIN_PATH = '/api/auth/login';

export class ApiError extends Error {
  constructor(
    /** HTTP status (0 when the request never got an answer). */
    readonly status: number,
    /** The server's CW_ERR_* code, or a local one. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const sessionLostListeners = new Set<() => void>();

/**
 * Calls `listener` when the server stops accepting the session (expired,
 * logged out elsewhere, or no CSRF token in this tab): the app then shows
 * the login page, and logging in issues a fresh session and token.
 */
export function onSessionLost(listener: () => void): () => void {
  sessionLostListeners.add(listener);
  return () => sessionLostListeners.delete(listener);
}

/** Remembers the CSRF token for this tab (survives reloads, not new tabs). */
export function rememberCsrf(token: string | null): void {
  if (token === null) sessionStorage.removeItem(CSRF_KEY);
  else sessionStorage.setItem(CSRF_KEY, token);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = sessionStorage.getItem(CSRF_KEY) ?? '';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, 'CW_ERR_NETWORK', `the server did not answer (${(error as Error).message})`);
  }
  if (response.status === 204) return undefined as T;
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (payload as { error?: { code?: string; message?: string } } | null)?.error;
    const sessionLost = (response.status === 401 && path !== LOGIN_PATH) || error?.code === 'CW_ERR_CSRF';
    if (sessionLost) for (const listener of sessionLostListeners) listener();
    throw new ApiError(response.status, error?.code ?? 'CW_ERR_HTTP', error?.message ?? `${method} ${path} answered ${response.status}`);
  }
  return payload as T;
}

/** GET returning parsed JSON. */
export const apiGet = <T>(path: string): Promise<T> => request<T>('GET', path);

/** GET returning the body as text (a file's content, redacted by the server as needed). */
export async function apiText(path: string): Promise<string> {
  const response = await fetch(path, { credentials: 'same-origin' });
  if (!response.ok) throw new ApiError(response.status, 'CW_ERR_HTTP', `GET ${path} answered ${response.status}`);
  return response.text();
}

/** POST with a JSON body (and the CSRF header). */
export const apiPost = <T>(path: string, body: unknown = {}): Promise<T> => request<T>('POST', path, body);

/** DELETE (with the CSRF header); resolves on 204. */
export const apiDelete = (path: string): Promise<void> => request<void>('DELETE', path);

/** Builds `path?key=value…`, skipping undefined values. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
