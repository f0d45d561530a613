/**
 * What every route declares in its `config`: the scope it requires (or
 * `public`) and, for mutations, the audit action name. Declared on
 * Fastify's types so a typo is a compile error.
 */
import type { Principal } from '../../auth/principal.js';
import type { AuditTargetPair } from '../../auth/audit-target.js';
import type { RouteScope } from '../../auth/scopes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scope the caller needs; `public` for routes open to anyone. Required on every route. */
    scope?: RouteScope;
    /** Audit action of a mutation (e.g. `device.add`); default `<METHOD> <url>`. */
    action?: string;
  }
  interface FastifyRequest {
    /** The authenticated caller; null on public routes and before authentication. */
    principal: Principal | null;
    /** What a mutation acted on beyond its path parameters (noteAuditTarget); null until noted. */
    auditTarget: AuditTargetPair[] | null;
    /** The audited action when it differs from the route's (a dry run is `<action>.preview`); null until noted. */
    auditAction: string | null;
  }
}

export type { AuditTargetPair };

/** Methods that change state: audited, and CSRF-checked for cookie sessions. */
export const isMutation = (method: string): boolean => !['GET', 'HEAD', 'OPTIONS'].includes(method);

/**
 * Deny by default, at startup: throws for a route that declares no scope
 * (HEAD routes Fastify derives from GET ones inherit their config).
 */
export function assertDeclaredScope(route: { method: string | string[]; url: string; config?: { scope?: RouteScope } }): void {
  if (route.config?.scope === undefined && route.method !== 'HEAD') throw new Error(`route ${String(route.method)} ${route.url} declares no scope`);
}
