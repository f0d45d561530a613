/**
 * Users, API tokens and browser sessions, shared by the CLI and the API.
 * Passwords are argon2id hashes, tokens sha256 hashes; the clear token is
 * returned once by `createToken` and never again.
 */
import type { Kysely } from 'kysely';
import { AuditRecorder } from '../auth/audit-recorder.js';
import { type ApiTokenRecord, AuthRepository, type UserRecord } from '../auth/auth.repository.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import type { Principal } from '../auth/principal.js';
import { FailureRateLimiter } from '../auth/rate-limiter.js';
import { type Role, isRole, scopesOf } from '../auth/scopes.js';
import { apiTokenPrefix, generateApiToken, randomSecret } from '../auth/secrets.js';
import { sha256Hex } from '../hash.js';
import { assertValidName } from '../config/names.js';
import { ConfwatchError } from '../errors.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import type { Database } from '../store/tables.js';

/** A user as shown to callers: never the password hash. */
export type PublicUser = Omit<UserRecord, 'passwordHash'> & { readonly hasPassword: boolean };

export interface AuthServiceOptions {
  /** Browser session lifetime in ms. Default 12 hours. */
  readonly sessionTtlMs?: number;
  /** Login failures limiter (per client address + user). Default: 5 per minute. */
  readonly loginLimiter?: FailureRateLimiter;
  /** Login failures limiter per user name, from any address. Default: 10 per minute. */
  readonly accountLimiter?: FailureRateLimiter;
  /** Clock, for tests. Default: now. */
  readonly now?: () => Date;
}

export interface LoginResult {
  readonly sessionId: string;
  readonly csrf: string;
  readonly expiresAt: string;
  readonly principal: Principal;
}

const ADMIN_USER = 'admin';
const BAD_LOGIN = 'wrong user name or password';

export class AuthService {
  readonly #repo: AuthRepository;
  readonly #audit: AuditRecorder;
  readonly #sessionTtlMs: number;
  readonly #limiter: FailureRateLimiter;
  readonly #accountLimiter: FailureRateLimiter;
  readonly #now: () => Date;
  #decoy: Promise<string> | undefined;

  constructor(repository: AuthRepository, audit: AuditRecorder, options: AuthServiceOptions = {}) {
    this.#repo = repository;
    this.#audit = audit;
    this.#sessionTtlMs = options.sessionTtlMs ?? 12 * 3600_000;
    this.#limiter = options.loginLimiter ?? new FailureRateLimiter();
    this.#accountLimiter = options.accountLimiter ?? new FailureRateLimiter({ maxFailures: 10 });
    this.#now = options.now ?? (() => new Date());
  }

  /** Adds a user; rejects CW_ERR_ALREADY_EXISTS, CW_ERR_INVALID_NAME or CW_ERR_USAGE (unknown role). */
  async addUser(name: string, role: string, password?: string): Promise<PublicUser> {
    assertValidName(name, 'user name');
    if (!isRole(role)) throw new ConfwatchError('CW_ERR_USAGE', `unknown role "${role}": use viewer, operator, approver or admin`);
    if (await this.#repo.getUser(name)) throw new ConfwatchError('CW_ERR_ALREADY_EXISTS', `user "${name}" already exists`);
    if (password !== undefined && password.length < 8) throw new ConfwatchError('CW_ERR_USAGE', 'the password must have at least 8 characters');
    const user: UserRecord = {
      name,
      role,
      passwordHash: password === undefined ? null : await hashPassword(password),
      disabled: false,
      createdAt: this.#now().toISOString(),
    };
    await this.#repo.insertUser(user);
    return toPublic(user);
  }

  async listUsers(): Promise<PublicUser[]> {
    return (await this.#repo.listUsers()).map(toPublic);
  }

  async getUser(name: string): Promise<PublicUser> {
    return toPublic(await this.#existingUser(name));
  }

  /** Changes role, password or disabled flag; CW_ERR_NOT_FOUND for an unknown user. */
  async updateUser(name: string, patch: { role?: Role; password?: string; disabled?: boolean }): Promise<PublicUser> {
    await this.#existingUser(name);
    if (patch.password !== undefined && patch.password.length < 8) throw new ConfwatchError('CW_ERR_USAGE', 'the password must have at least 8 characters');
    await this.#repo.updateUser(name, {
      ...(patch.role ? { role: patch.role } : {}),
      ...(patch.password !== undefined ? { passwordHash: await hashPassword(patch.password) } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
    });
    return this.getUser(name);
  }

  async removeUser(name: string): Promise<void> {
    if (!(await this.#repo.deleteUser(name))) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown user "${name}"`);
  }

  /** Creates an API token for the user; the clear `token` is returned here only. */
  async createToken(user: string, options: { label?: string; expiresAt?: string } = {}): Promise<{ token: string; record: ApiTokenRecord }> {
    await this.#existingUser(user);
    if (options.expiresAt !== undefined && Number.isNaN(Date.parse(options.expiresAt))) {
      throw new ConfwatchError('CW_ERR_USAGE', `expiry "${options.expiresAt}" is not an ISO-8601 time`);
    }
    const fresh = generateApiToken();
    const record: ApiTokenRecord = {
      id: fresh.prefix,
      user,
      label: options.label ?? null,
      createdAt: this.#now().toISOString(),
      lastUsedAt: null,
      expiresAt: options.expiresAt === undefined ? null : new Date(options.expiresAt).toISOString(),
    };
    await this.#repo.insertToken(record, fresh.hash);
    return { token: fresh.token, record };
  }

  listTokens(user?: string): Promise<ApiTokenRecord[]> {
    return this.#repo.listTokens(user);
  }

  async revokeToken(id: string): Promise<void> {
    if (!(await this.#repo.deleteToken(id))) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown token "${id}"`);
  }

  /** The principal of a bearer token; CW_ERR_AUTH_REQUIRED when unknown, revoked, expired or its user disabled. */
  async authenticateToken(token: string): Promise<Principal> {
    const record = apiTokenPrefix(token) === undefined ? undefined : await this.#repo.findTokenByHash(sha256Hex(token));
    const now = this.#now();
    if (!record) throw required('the API token is unknown or revoked');
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime()) throw required('the API token has expired');
    const user = await this.#activeUser(record.user);
    await this.#repo.touchToken(record.id, now.toISOString());
    return { user: user.name, role: user.role, scopes: scopesOf(user.role), via: 'token', expiresAt: record.expiresAt };
  }

  /**
   * Checks a password and opens a new session (a fresh id every time, so a
   * planted session id is never promoted). More than the allowed failures
   * per client and user, or per user from anywhere, →
   * CW_ERR_AUTH_RATE_LIMITED, audited. An attempt takes its place in both
   * limits before the password is checked, so concurrent attempts cannot
   * overrun them.
   */
  async login(name: string, password: string, clientAddress: string): Promise<LoginResult> {
    const slots: [FailureRateLimiter, string][] = [
      [this.#limiter, `${clientAddress}\u0000${name}`],
      [this.#accountLimiter, name],
    ];
    const held = slots.filter(([limiter, key]) => limiter.begin(key));
    const end = (outcome: 'failure' | 'success' | 'abandoned') => {
      for (const [limiter, key] of held) limiter.end(key, outcome);
    };
    if (held.length < slots.length) {
      end('abandoned');
      await this.#audit.record({ actor: name, action: 'auth.login', target: name, clientAddress, result: 'denied', details: { reason: 'rate-limited' } });
      throw new ConfwatchError('CW_ERR_AUTH_RATE_LIMITED', 'too many failed logins; wait a minute and try again');
    }
    let user: UserRecord | undefined;
    try {
      user = await this.#repo.getUser(name);
      // Unknown users cost one hash check too, so timing does not reveal which names exist.
      const storedHash = user?.passwordHash ?? (await this.#decoyHash());
      const matches = await verifyPassword(storedHash, password);
      if (!matches || user?.passwordHash == null || user.disabled) user = undefined;
    } catch (error) {
      end('abandoned');
      throw error;
    }
    if (!user) {
      end('failure');
      await this.#audit.record({ actor: name, action: 'auth.login', target: name, clientAddress, result: 'denied', details: null });
      throw required(BAD_LOGIN);
    }
    end('success');
    const now = this.#now();
    await this.#repo.deleteExpiredSessions(now.toISOString());
    const session = {
      id: randomSecret(),
      user: user.name,
      csrf: randomSecret(),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.#sessionTtlMs).toISOString(),
    };
    // Only a hash of the id is stored: a copy of the database cannot be replayed as a cookie.
    await this.#repo.insertSession({ ...session, id: sha256Hex(session.id) });
    await this.#audit.record({ actor: user.name, action: 'auth.login', target: user.name, clientAddress, result: 'ok', details: null });
    return {
      sessionId: session.id,
      csrf: session.csrf,
      expiresAt: session.expiresAt,
      principal: { user: user.name, role: user.role, scopes: scopesOf(user.role), via: 'session', csrf: session.csrf, expiresAt: session.expiresAt },
    };
  }

  /** The principal of a session cookie; CW_ERR_AUTH_REQUIRED when unknown or expired. */
  async authenticateSession(sessionId: string): Promise<Principal> {
    const session = await this.#repo.getSession(sha256Hex(sessionId));
    if (!session || Date.parse(session.expiresAt) <= this.#now().getTime()) throw required('the session has expired; log in again');
    const user = await this.#activeUser(session.user);
    return { user: user.name, role: user.role, scopes: scopesOf(user.role), via: 'session', csrf: session.csrf, expiresAt: session.expiresAt };
  }

  logout(sessionId: string): Promise<void> {
    return this.#repo.deleteSession(sha256Hex(sessionId));
  }

  /**
   * For `confwatch init`: when no enabled admin exists, creates user `admin`
   * (role admin, no password) if missing and returns a new API token for it,
   * shown once. Returns undefined when an admin already exists.
   */
  async bootstrapAdmin(): Promise<string | undefined> {
    if (await this.#repo.hasAdmin()) return undefined;
    const existing = await this.#repo.getUser(ADMIN_USER);
    if (!existing) await this.addUser(ADMIN_USER, 'admin');
    else await this.#repo.updateUser(ADMIN_USER, { role: 'admin', disabled: false });
    const { token } = await this.createToken(ADMIN_USER, { label: 'initial admin token' });
    await this.#audit.record({ actor: 'confwatch', action: 'user.bootstrap-admin', target: ADMIN_USER, clientAddress: null, result: 'ok', details: null });
    return token;
  }

  #decoyHash(): Promise<string> {
    this.#decoy ??= hashPassword(randomSecret());
    return this.#decoy;
  }

  async #existingUser(name: string): Promise<UserRecord> {
    const user = await this.#repo.getUser(name);
    if (!user) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown user "${name}"; see \`confwatch user list\``);
    return user;
  }

  async #activeUser(name: string): Promise<UserRecord> {
    const user = await this.#repo.getUser(name);
    if (!user || user.disabled) throw required(`user "${name}" is disabled or removed`);
    return user;
  }
}

const required = (message: string): ConfwatchError => new ConfwatchError('CW_ERR_AUTH_REQUIRED', message);

function toPublic(user: UserRecord): PublicUser {
  const { passwordHash, ...rest } = user;
  return { ...rest, hasPassword: passwordHash !== null };
}

/**
 * Wires an AuthService over the database's users, tokens and sessions
 * (`KyselyStore.db`); audit entries go through the store's `appendAudit`.
 */
export function createAuthService(db: Kysely<Database>, store: Pick<SnapshotStore, 'appendAudit'>, options: AuthServiceOptions = {}): AuthService {
  return new AuthService(new AuthRepository(db), new AuditRecorder(store), options);
}
