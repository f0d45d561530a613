/**
 * Scopes and roles (SPEC §7). Every API route declares one scope; a role is
 * a fixed bundle of scopes. `public` marks the few routes that need no
 * credentials (login, health, the OpenAPI document).
 */

export const SCOPES = [
  'config:view',
  'config:edit',
  'config:restore',
  'config:approve',
  'devices:manage',
  'users:manage',
  'secrets:view',
  'alerts:manage',
] as const;

export type Scope = (typeof SCOPES)[number];

/** What a route declares: a scope, or `public` for routes open to anyone. */
export type RouteScope = Scope | 'public';

export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;

export type Role = (typeof ROLES)[number];

const VIEWER: readonly Scope[] = ['config:view'];
const OPERATOR: readonly Scope[] = [...VIEWER, 'config:edit', 'config:restore'];
const APPROVER: readonly Scope[] = [...OPERATOR, 'config:approve'];

const ROLE_SCOPES: Readonly<Record<Role, ReadonlySet<Scope>>> = {
  viewer: new Set(VIEWER),
  operator: new Set(OPERATOR),
  approver: new Set(APPROVER),
  admin: new Set(SCOPES),
};

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/** The scopes a role grants. */
export const scopesOf = (role: Role): ReadonlySet<Scope> => ROLE_SCOPES[role];

/** True when the role grants the scope. */
export const roleHasScope = (role: Role, scope: Scope): boolean => ROLE_SCOPES[role].has(scope);
