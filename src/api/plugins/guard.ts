/**
 * The access guard, as an encapsulated plugin: every route registered
 * inside `guarded(...)` is authenticated and checked against the scope in
 * its route config before its handler runs. Credentials: `Authorization:
 * Bearer cw_…` (API token) or the session cookie; cookie-authenticated
 * mutations must echo the session's CSRF token in `x-csrf-token`. Every
 * mutation, allowed or not, is appended to the audit log.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AuditRecorder } from '../../auth/audit-recorder.js';
import type { Principal } from '../../auth/principal.js';
import { secretsEqual } from '../../auth/secrets.js';
import { ConfwatchError } from '../../errors.js';
import type { AuthService } from '../../services/auth.service.js';
import { readSessionCookie } from './cookies.js';
import { type AuditTargetPair, formatAuditTarget, previewAction } from '../../auth/audit-target.js';
import { isMutation } from './route-config.js';

export interface GuardDeps {
  readonly auth: Pick<AuthService, 'authenticateToken' | 'authenticateSession'>;
  readonly audit: AuditRecorder;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** Authenticates a request from its bearer token or session cookie; null when it carries neither. */
export async function authenticate(request: FastifyRequest, auth: GuardDeps['auth']): Promise<Principal | null> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const token = BEARER.exec(header)?.[1];
    if (!token) throw new ConfwatchError('CW_ERR_AUTH_REQUIRED', 'use "Authorization: Bearer <token>"');
    return auth.authenticateToken(token);
  }
  const session = readSessionCookie(request.headers.cookie);
  return session === undefined ? null : auth.authenticateSession(session);
}

/**
 * Registers `routes` inside a scope where the guard runs on every route.
 * A route without a declared scope is refused (deny by default).
 */
export function guarded(deps: GuardDeps, routes: FastifyPluginAsync): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request) => {
      const scope = request.routeOptions.config.scope;
      if (scope === undefined) throw new ConfwatchError('CW_ERR_AUTH_FORBIDDEN', 'this route declares no scope and is closed');
      const principal = await authenticate(request, deps.auth);
      if (!principal) throw new ConfwatchError('CW_ERR_AUTH_REQUIRED', 'log in or send "Authorization: Bearer <token>"');
      request.principal = principal;
      if (principal.via === 'session' && isMutation(request.method)) {
        const sent = request.headers['x-csrf-token'];
        if (typeof sent !== 'string' || !principal.csrf || !secretsEqual(sent, principal.csrf)) {
          throw new ConfwatchError('CW_ERR_CSRF', 'send the CSRF token from login in the x-csrf-token header');
        }
      }
      if (scope !== 'public' && !principal.scopes.has(scope)) {
        throw new ConfwatchError('CW_ERR_AUTH_FORBIDDEN', `this needs the "${scope}" scope, which role "${principal.role}" does not have`);
      }
    });
    app.addHook('onResponse', async (request, reply) => {
      if (!isMutation(request.method)) return;
      const status = reply.statusCode;
      await deps.audit
        .record({
          actor: request.principal?.user ?? 'anonymous',
          action: request.auditAction ?? request.routeOptions.config.action ?? `${request.method} ${request.routeOptions.url ?? request.url}`,
          target: auditTarget(request),
          clientAddress: request.ip,
          result: status < 400 ? 'ok' : status === 401 || status === 403 ? 'denied' : 'error',
          details: { status },
        })
        .catch(() => undefined); // already logged by the recorder; the response is gone
    });
    await app.register(routes);
  };
}

/**
 * Adds to the audit target of a mutation what it acted on when that is not
 * in its URL: the device and path(s) of its body, the id of what it created
 * (batch, snapshot, plan, token). Names and ids only, never file contents,
 * passwords or tokens. A handler notes what it knows as soon as it knows it,
 * so a mutation that fails half-way is still audited with its target.
 */
export function noteAuditTarget(request: FastifyRequest, ...pairs: AuditTargetPair[]): void {
  request.auditTarget = [...(request.auditTarget ?? []), ...pairs];
}

/** Marks the request a dry run: audited as `<action>.preview`, since it changes nothing. */
export function noteAuditPreview(request: FastifyRequest): void {
  const action = request.routeOptions.config.action;
  if (action !== undefined) request.auditAction = previewAction(action);
}

/**
 * The audited target: the route's path parameters, e.g. `name=web1`, then
 * what the handler noted, e.g. `device=web1 path=/etc/nginx/nginx.conf`.
 * Null when there is neither (a request refused before its body was read).
 */
function auditTarget(request: FastifyRequest): string | null {
  const params = Object.entries((request.params ?? {}) as Record<string, unknown>).map(([k, v]): AuditTargetPair => [k, String(v)]);
  return formatAuditTarget([...params, ...(request.auditTarget ?? [])]);
}
