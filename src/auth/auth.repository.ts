/**
 * Users, API tokens and browser sessions over the Kysely database (tables
 * `users`, `api_tokens`, `sessions`). Only stored forms pass through here:
 * password hashes, token hashes, session ids.
 */
import type { Kysely, Selectable } from 'kysely';
import type { ApiTokensTable, Database, SessionsTable, UsersTable } from '../store/tables.js';
import { isRole, type Role } from './scopes.js';

export interface UserRecord {
  readonly name: string;
  readonly role: Role;
  /** argon2id PHC string; null for token-only users. */
  readonly passwordHash: string | null;
  readonly disabled: boolean;
  readonly createdAt: string;
}

export interface ApiTokenRecord {
  /** The token's visible prefix. */
  readonly id: string;
  readonly user: string;
  readonly label: string | null;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly expiresAt: string | null;
}

export interface SessionRecord {
  /** sha256 hex of the session id the browser holds (the id itself is never stored). */
  readonly id: string;
  readonly user: string;
  readonly csrf: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export class AuthRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insertUser(user: UserRecord): Promise<void> {
    await this.#db
      .insertInto('users')
      .values({ name: user.name, role: user.role, password_hash: user.passwordHash, disabled: user.disabled ? 1 : 0, created_at: user.createdAt })
      .execute();
  }

  async getUser(name: string): Promise<UserRecord | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toUser(row);
  }

  async listUsers(): Promise<UserRecord[]> {
    const rows = await this.#db.selectFrom('users').selectAll().orderBy('name').execute();
    return rows.map(toUser);
  }

  /** True when an enabled admin exists. */
  async hasAdmin(): Promise<boolean> {
    const row = await this.#db.selectFrom('users').select('name').where('role', '=', 'admin').where('disabled', '=', 0).executeTakeFirst();
    return row !== undefined;
  }

  async updateUser(name: string, patch: { role?: Role; passwordHash?: string | null; disabled?: boolean }): Promise<boolean> {
    const result = await this.#db
      .updateTable('users')
      .set({
        ...(patch.role ? { role: patch.role } : {}),
        ...(patch.passwordHash !== undefined ? { password_hash: patch.passwordHash } : {}),
        ...(patch.disabled !== undefined ? { disabled: patch.disabled ? 1 : 0 } : {}),
      })
      .where('name', '=', name)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Deletes the user; their tokens and sessions go with them (foreign keys cascade). */
  async deleteUser(name: string): Promise<boolean> {
    await this.#db.deleteFrom('api_tokens').where('user', '=', name).execute();
    await this.#db.deleteFrom('sessions').where('user', '=', name).execute();
    const result = await this.#db.deleteFrom('users').where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async insertToken(token: ApiTokenRecord, tokenHash: string): Promise<void> {
    await this.#db
      .insertInto('api_tokens')
      .values({
        id: token.id,
        user: token.user,
        label: token.label,
        token_hash: tokenHash,
        created_at: token.createdAt,
        last_used_at: token.lastUsedAt,
        expires_at: token.expiresAt,
      })
      .execute();
  }

  async findTokenByHash(tokenHash: string): Promise<ApiTokenRecord | undefined> {
    const row = await this.#db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && toToken(row);
  }

  async listTokens(user?: string): Promise<ApiTokenRecord[]> {
    let query = this.#db.selectFrom('api_tokens').selectAll().orderBy('created_at');
    if (user !== undefined) query = query.where('user', '=', user);
    return (await query.execute()).map(toToken);
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.#db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  /** Revocation deletes the row: a revoked token can never match again. */
  async deleteToken(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('api_tokens').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async insertSession(session: SessionRecord): Promise<void> {
    await this.#db
      .insertInto('sessions')
      .values({ id: session.id, user: session.user, csrf: session.csrf, created_at: session.createdAt, expires_at: session.expiresAt })
      .execute();
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const row = await this.#db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toSession(row);
  }

  async deleteSession(id: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  /** Removes sessions that expired before `now`. */
  async deleteExpiredSessions(now: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('expires_at', '<', now).execute();
  }
}

function toUser(row: Selectable<UsersTable>): UserRecord {
  // A role unknown to this version grants nothing more than viewing.
  const role: Role = isRole(row.role) ? row.role : 'viewer';
  return { name: row.name, role, passwordHash: row.password_hash, disabled: row.disabled === 1, createdAt: row.created_at };
}

const toToken = (row: Selectable<ApiTokensTable>): ApiTokenRecord => ({
  id: row.id,
  user: row.user,
  label: row.label,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  expiresAt: row.expires_at,
});

const toSession = (row: Selectable<SessionsTable>): SessionRecord => ({
  id: row.id,
  user: row.user,
  csrf: row.csrf,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});
