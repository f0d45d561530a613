/**
 * Deny by default: every registered route declares a scope, and every
 * non-public route answers 401 without credentials and 403 to a token
 * lacking its scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyPluginAsync } from 'fastify';
import { SCOPES, type Role, type Scope, roleHasScope } from '../../src/auth/scopes.js';
import { type ApiFixture, openApiFixture, productFeatures } from './app-fixture.js';

interface SeenRoute {
  method: string;
  url: string;
  scope: string | undefined;
}

const seen: SeenRoute[] = [];
let fx: ApiFixture;

beforeAll(async () => {
  fx = await openApiFixture(
    {
      onRoute: (route) => {
        for (const method of [route.method].flat()) if (method !== 'HEAD') seen.push({ method, url: route.url, scope: route.scope });
      },
    },
    productFeatures,
  );
});
afterAll(() => fx.close());

/** A concrete URL for a route pattern: every parameter gets a well-formed value. */
const concrete = (url: string): string =>
  url.replace(':device', 'web1').replace(':name', 'someone').replace(':id', url.startsWith('/api/tokens') ? '0123abcd' : '01HZZZZZZZZZZZZZZZZZZZZZZZ');

/** The least-privileged role lacking the scope, if any role lacks it. */
const roleWithout = (scope: Scope): Role | undefined => (['viewer', 'operator', 'approver', 'admin'] as const).find((r) => !roleHasScope(r, scope));

describe('route scopes', () => {
  it('registers routes, each with a declared scope', () => {
    expect(seen.length).toBeGreaterThan(20);
    const undeclared = seen.filter((r) => r.scope === undefined).map((r) => `${r.method} ${r.url}`);
    expect(undeclared).toEqual([]);
    for (const route of seen) expect([...SCOPES, 'public']).toContain(route.scope);
  });

  it('includes the feature routes (write-back, validation, dependency graph, compliance) with their scopes', () => {
    const scopes = Object.fromEntries(seen.map((r) => [`${r.method} ${r.url}`, r.scope]));
    expect(scopes).toMatchObject({
      'POST /api/snapshots/:id/restore': 'config:restore',
      'GET /api/drift': 'config:view',
      'POST /api/drift/resolve': 'config:restore',
      'POST /api/rollback-plans': 'config:restore',
      'GET /api/rollback-plans/:id': 'config:view',
      'POST /api/rollback-plans/:id/apply': 'config:restore',
      'POST /api/batches': 'config:edit',
      'POST /api/validate': 'config:edit',
      'GET /api/devices/:device/deps': 'config:view',
      'GET /api/compliance': 'config:view',
      'POST /api/compliance/run': 'config:edit',
      'GET /api/compliance/rules': 'config:view',
      'GET /api/compliance/waivers': 'config:view',
      'GET /api/compliance/trend': 'config:view',
      'POST /api/compliance/waivers': 'config:approve',
      'POST /api/change-requests': 'config:edit',
      'GET /api/change-requests': 'config:view',
      'GET /api/change-requests/:id': 'config:view',
      'PUT /api/change-requests/:id': 'config:edit',
      'POST /api/change-requests/:id/approve': 'config:approve',
      'POST /api/change-requests/:id/reject': 'config:approve',
      'POST /api/change-requests/:id/apply': 'config:edit',
      'POST /api/change-requests/:id/rebase': 'config:edit',
      'POST /api/change-requests/:id/cancel': 'config:edit',
      'PUT /api/change-policy': 'users:manage',
      'GET /api/export': 'secrets:view',
    });
  });

  it('marks only login, health and the OpenAPI routes public', () => {
    expect(seen.filter((r) => r.scope === 'public').map((r) => `${r.method} ${r.url}`).sort()).toEqual([
      'GET /api/docs',
      'GET /api/health',
      'GET /api/openapi.json',
      'POST /api/auth/login',
    ]);
  });

  it('refuses to build an app with a feature route that declares no scope', async () => {
    const unscoped: FastifyPluginAsync = async (api) => {
      api.get('/api/unscoped', async () => 'x');
    };
    await expect(openApiFixture({}, [unscoped])).rejects.toThrow(/GET \/api\/unscoped declares no scope/);
  });

  it('guards feature routes like its own', async () => {
    const feature: FastifyPluginAsync = async (api) => {
      api.post('/api/feature', { config: { scope: 'config:restore' } }, async () => ({ done: true }));
    };
    const withFeature = await openApiFixture({}, [feature]);
    try {
      expect((await withFeature.app.inject({ method: 'POST', url: '/api/feature' })).statusCode).toBe(401);
      expect((await withFeature.app.inject({ method: 'POST', url: '/api/feature', headers: withFeature.as('viewer') })).statusCode).toBe(403);
      expect((await withFeature.app.inject({ method: 'POST', url: '/api/feature', headers: withFeature.as('operator') })).json()).toEqual({ done: true });
    } finally {
      await withFeature.close();
    }
  });

  it('answers 401 without credentials on every non-public route', async () => {
    for (const route of seen.filter((r) => r.scope !== 'public')) {
      const res = await fx.app.inject({ method: route.method as 'GET', url: concrete(route.url) });
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(401);
      expect(res.json().error.code).toBe('CW_ERR_AUTH_REQUIRED');
    }
  });

  it('answers 403 to a token lacking the scope on every route whose scope some role lacks', async () => {
    let checked = 0;
    for (const route of seen.filter((r) => r.scope !== 'public')) {
      const role = roleWithout(route.scope as Scope);
      if (!role) continue; // config:view: every role has it
      const res = await fx.app.inject({ method: route.method as 'GET', url: concrete(route.url), headers: fx.as(role) });
      expect(res.statusCode, `${route.method} ${route.url} as ${role}`).toBe(403);
      expect(res.json().error.code).toBe('CW_ERR_AUTH_FORBIDDEN');
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('lists every route with its scope in the OpenAPI document and the docs page', async () => {
    const doc = (await fx.app.inject({ url: '/api/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.paths['/api/devices/{device}/files/history'].get['x-scope']).toBe('config:view');
    expect(doc.paths['/api/users'].post['x-scope']).toBe('users:manage');
    const page = await fx.app.inject({ url: '/api/docs' });
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('/api/diff');
    expect(page.body).not.toMatch(/<script|https?:\/\/(?!localhost)/);
  });
});
