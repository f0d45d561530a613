/** Who is calling: the authenticated user, their scopes and how they proved it. */
import type { Role, Scope } from './scopes.js';

export interface Principal {
  /** User name; the audit log's actor. */
  readonly user: string;
  readonly role: Role;
  readonly scopes: ReadonlySet<Scope>;
  /** `token` for API tokens (Authorization: Bearer), `session` for the browser cookie. */
  readonly via: 'token' | 'session';
  /** The session's CSRF token, which cookie-authenticated mutations must echo. */
  readonly csrf?: string;
  /** When the credential stops being valid (token expiry, session end); null or absent: no fixed end. */
  readonly expiresAt?: string | null;
}
