/** Tokens, sessions, CSRF, login rate limiting and the audit log, through the HTTP API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, openApiFixture } from './app-fixture.js';

let fx: ApiFixture;

beforeAll(async () => {
  fx = await openApiFixture();
});
afterAll(() => fx.close());

const login = (user: string, password: string, remoteAddress = '10.0.0.1', cookie?: string) =>
  fx.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress, payload: { user, password }, headers: cookie ? { cookie } : {} });

const cookieOf = (setCookie: string | string[] | undefined): string => String([setCookie].flat()[0]).split(';')[0] as string;

describe('API tokens', () => {
  it('accepts a valid token and records its last use', async () => {
    const { token, record } = await fx.auth.createToken('viewer', { label: 'ci' });
    expect(token).toMatch(/^cw_[0-9a-f]{8}_/);
    expect(record.lastUsedAt).toBeNull();
    const res = await fx.app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect(res.json()).toMatchObject({ user: 'viewer', role: 'viewer', scopes: ['config:view'], via: 'token' });
    const listed = (await fx.auth.listTokens('viewer')).find((t) => t.id === record.id);
    expect(listed?.lastUsedAt).not.toBeNull();
  });

  it('answers 401 for expired, revoked and malformed tokens', async () => {
    const expired = await fx.auth.createToken('admin', { expiresAt: '2020-01-01T00:00:00Z' });
    const revoked = await fx.auth.createToken('admin');
    const revoke = await fx.app.inject({ method: 'DELETE', url: `/api/tokens/${revoked.record.id}`, headers: fx.as('admin') });
    expect(revoke.statusCode).toBe(204);
    for (const token of [expired.token, revoked.token, 'cw_nothing', `${fx.tokens.admin}x`]) {
      const res = await fx.app.inject({ url: '/api/devices', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode, token).toBe(401);
      expect(res.json().error.code).toBe('CW_ERR_AUTH_REQUIRED');
    }
  });

  it('creates a token over the API and shows it only once', async () => {
    const created = await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: fx.as('admin'), payload: { user: 'operator', label: 'deploy' } });
    expect(created.statusCode).toBe(201);
    const { token, record } = created.json();
    expect(token).toMatch(/^cw_/);
    const listing = await fx.app.inject({ url: '/api/tokens?user=operator', headers: fx.as('admin') });
    expect(listing.body).not.toContain(token);
    expect(listing.body).not.toContain('hash');
    expect(listing.json().tokens.map((t: { id: string }) => t.id)).toContain(record.id);
  });
});

describe('browser sessions', () => {
  it('logs in with an httpOnly SameSite=Strict cookie and a CSRF token that mutations need', async () => {
    const res = await login('admin', 'admin-password');
    expect(res.statusCode).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const { csrf, role } = res.json();
    expect(role).toBe('admin');
    const cookie = cookieOf(res.headers['set-cookie']);

    expect((await fx.app.inject({ url: '/api/devices', headers: { cookie } })).statusCode).toBe(200);
    const payload = { name: 'carol', role: 'viewer' };
    const noCsrf = await fx.app.inject({ method: 'POST', url: '/api/users', headers: { cookie }, payload });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error.code).toBe('CW_ERR_CSRF');
    const wrongCsrf = await fx.app.inject({ method: 'POST', url: '/api/users', headers: { cookie, 'x-csrf-token': `${csrf}x` }, payload });
    expect(wrongCsrf.json().error.code).toBe('CW_ERR_CSRF');
    const ok = await fx.app.inject({ method: 'POST', url: '/api/users', headers: { cookie, 'x-csrf-token': csrf }, payload });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ name: 'carol', role: 'viewer', hasPassword: false });
  });

  it('rotates the session on login and ends it on logout', async () => {
    const first = cookieOf((await login('operator', 'operator-password')).headers['set-cookie']);
    const second = await login('operator', 'operator-password', '10.0.0.1', first);
    const secondCookie = cookieOf(second.headers['set-cookie']);
    expect(secondCookie).not.toBe(first);
    expect((await fx.app.inject({ url: '/api/auth/me', headers: { cookie: first } })).statusCode).toBe(401);
    const out = await fx.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: secondCookie, 'x-csrf-token': second.json().csrf } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/Max-Age=0/);
    expect((await fx.app.inject({ url: '/api/auth/me', headers: { cookie: secondCookie } })).statusCode).toBe(401);
  });

  it('refuses wrong passwords with 401 and limits brute force with 429, audited', async () => {
    for (let i = 0; i < 5; i++) expect((await login('approver', 'wrong-password', '10.9.9.9')).statusCode).toBe(401);
    const limited = await login('approver', 'approver-password', '10.9.9.9');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('CW_ERR_AUTH_RATE_LIMITED');
    // Another client address is not blocked by this one's failures.
    expect((await login('approver', 'approver-password', '10.9.9.10')).statusCode).toBe(200);
    const entries = (await fx.store.listAudit({ limit: 50 })).filter((e) => e.action === 'auth.login' && e.clientAddress === '10.9.9.9');
    expect(entries.map((e) => e.result)).toContain('denied');
    expect(entries.some((e) => (e.details as { reason?: string } | null)?.reason === 'rate-limited')).toBe(true);
  });
});

describe('audit log', () => {
  it('records every mutation with actor, action, target, address and result, readable by admins only', async () => {
    await fx.app.inject({ method: 'DELETE', url: '/api/users/nobody', headers: fx.as('admin'), remoteAddress: '10.1.2.3' });
    await fx.app.inject({ method: 'DELETE', url: '/api/users/viewer', headers: fx.as('viewer'), remoteAddress: '10.1.2.4' });
    const res = await fx.app.inject({ url: '/api/audit?limit=20', headers: fx.as('admin') });
    expect(res.statusCode).toBe(200);
    const entries = res.json().entries;
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: 'admin', action: 'user.remove', target: 'name=nobody', clientAddress: '10.1.2.3', result: 'error' }),
        expect.objectContaining({ actor: 'viewer', action: 'user.remove', target: 'name=viewer', clientAddress: '10.1.2.4', result: 'denied' }),
      ]),
    );
    expect((await fx.app.inject({ url: '/api/audit', headers: fx.as('approver') })).statusCode).toBe(403);
  });

  it('offers no way to change or delete audit entries', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
      const res = await fx.app.inject({ method, url: '/api/audit', headers: fx.as('admin') });
      expect(res.statusCode, method).toBe(404);
    }
  });
});

describe('bootstrapAdmin', () => {
  it('returns no token while an admin exists', async () => {
    expect(await fx.auth.bootstrapAdmin()).toBeUndefined();
  });
});
