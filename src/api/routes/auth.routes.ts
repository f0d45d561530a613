/**
 * Browser sessions: `POST /api/auth/login` (public, rate limited), and,
 * guarded, `POST /api/auth/logout` and `GET /api/auth/me`.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../auth/principal.js';
import type { AuthService } from '../../services/auth.service.js';
import { readSessionCookie, sessionCookie } from '../plugins/cookies.js';
import { noteAuditTarget } from '../plugins/guard.js';
import { errorSchema, guardedErrors } from './common.schema.js';
import { loginBody, loginResponse, whoAmI } from './auth.schema.js';

export interface AuthRouteDeps {
  readonly auth: AuthService;
  /** Mark the cookie `Secure` (behind HTTPS). */
  readonly secureCookies: boolean;
}

const describe = (p: Principal) => ({ user: p.user, role: p.role, scopes: [...p.scopes], via: p.via });

export const loginRoutes =
  ({ auth, secureCookies }: AuthRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post('/api/auth/login', {
      config: { scope: 'public', action: 'auth.login' },
      schema: {
        tags: ['auth'],
        summary: 'Log in; sets the session cookie and returns the CSRF token',
        body: loginBody,
        response: { 200: loginResponse, 400: errorSchema, 401: errorSchema, 429: errorSchema },
      },
      handler: async (request, reply) => {
        const result = await auth.login(request.body.user, request.body.password, request.ip);
        // Rotation: a session id the browser held before login is never reused.
        const previous = readSessionCookie(request.headers.cookie);
        if (previous !== undefined) await auth.logout(previous);
        const maxAge = Math.floor((Date.parse(result.expiresAt) - Date.now()) / 1000);
        reply.header('set-cookie', sessionCookie(result.sessionId, maxAge, secureCookies));
        return { ...describe(result.principal), csrf: result.csrf, expiresAt: result.expiresAt };
      },
    });
  };

export const sessionRoutes =
  ({ auth, secureCookies }: AuthRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post('/api/auth/logout', {
      config: { scope: 'config:view', action: 'auth.logout' },
      schema: { tags: ['auth'], summary: 'End the session', response: { 204: z.null(), ...guardedErrors } },
      handler: async (request, reply) => {
        noteAuditTarget(request, ['user', (request.principal as Principal).user]);
        const session = readSessionCookie(request.headers.cookie);
        if (session !== undefined) await auth.logout(session);
        reply.header('set-cookie', sessionCookie('', 0, secureCookies));
        return reply.code(204).send(null);
      },
    });
    app.get('/api/auth/me', {
      config: { scope: 'config:view' },
      schema: { tags: ['auth'], summary: 'The caller and their scopes', response: { 200: whoAmI, ...guardedErrors } },
      handler: async (request) => describe(request.principal as Principal),
    });
  };
