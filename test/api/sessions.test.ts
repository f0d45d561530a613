/**
 * Sessions and login: session ids are stored only as hashes; the login
 * limiter holds under concurrent attempts and per account; an event stream
 * ends when its token is revoked or expires, or its session ends (a real
 * HTTP client on a real socket).
 */
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, openApiFixture } from './app-fixture.js';

const login = (fx: ApiFixture, user: string, password: string, remoteAddress = '127.0.0.1') =>
  fx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { user, password }, remoteAddress });

describe('sessions and the login limiter', () => {
  let fx: ApiFixture;
  beforeEach(async () => {
    fx = await openApiFixture();
  });
  afterEach(() => fx.close());

  it('stores a hash of the session id, never the id the cookie carries', async () => {
    const response = await login(fx, 'viewer', 'viewer-password');
    expect(response.statusCode).toBe(200);
    const id = decodeURIComponent(/cw_session=([^;]+)/.exec(String(response.headers['set-cookie']))?.[1] ?? '');
    expect(id.length).toBeGreaterThan(20);
    const rows = await fx.store.db.selectFrom('sessions').select('id').execute();
    expect(rows.map((r) => r.id)).toEqual([createHash('sha256').update(id).digest('hex')]);
    const me = await fx.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: `cw_session=${encodeURIComponent(id)}` } });
    expect(me.statusCode).toBe(200);
    // the stored form is not a credential
    const replay = await fx.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: `cw_session=${rows[0]!.id}` } });
    expect(replay.statusCode).toBe(401);
  });

  it('evaluates at most the limit of concurrent wrong logins from one client', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => login(fx, 'viewer', 'wrong password')));
    const codes = responses.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 401).length).toBeLessThanOrEqual(5);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(15);
    expect((await login(fx, 'viewer', 'viewer-password')).statusCode).toBe(429);
  });

  it('limits an account attacked from many addresses, concurrently too', async () => {
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => login(fx, 'operator', 'wrong password', `198.51.100.${i + 1}`)));
    const codes = responses.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 401).length).toBeLessThanOrEqual(10);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(20);
    // even the right password from a fresh address waits for the window
    expect((await login(fx, 'operator', 'operator-password', '203.0.113.50')).statusCode).toBe(429);
    // other accounts are not affected
    expect((await login(fx, 'viewer', 'viewer-password', '198.51.100.1')).statusCode).toBe(200);
  });
});

describe('event streams end with their credential', () => {
  let fx: ApiFixture;
  let port: number;
  beforeAll(async () => {
    fx = await openApiFixture({ events: { heartbeatMs: 50, authRecheckMs: 100 } });
    await fx.app.listen({ host: '127.0.0.1', port: 0 });
    port = (fx.app.server.address() as AddressInfo).port;
  });
  afterAll(() => fx.close());

  /** Opens /api/events; resolves once connected with a promise of the stream's end (ms after opening). */
  function open(headers: Record<string, string>): Promise<{ ended: Promise<number>; close(): void }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/events', headers }, (response) => {
        expect(response.statusCode).toBe(200);
        const ended = new Promise<number>((done) => {
          response.on('end', () => done(Date.now() - started));
          response.on('close', () => done(Date.now() - started));
        });
        response.setEncoding('utf8');
        response.once('data', () => resolve({ ended, close: () => req.destroy() }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'still open'> =>
    Promise.race([promise, new Promise<'still open'>((r) => setTimeout(() => r('still open'), ms))]);

  it('a revoked token', async () => {
    const { token, record } = await fx.auth.createToken('viewer', { label: 'sse' });
    const stream = await open({ authorization: `Bearer ${token}` });
    expect(await within(stream.ended, 400)).toBe('still open');
    await fx.auth.revokeToken(record.id);
    expect(await within(stream.ended, 3000)).not.toBe('still open');
  });

  it('an expiring token, at its expiry', async () => {
    const { token } = await fx.auth.createToken('viewer', { expiresAt: new Date(Date.now() + 1500).toISOString() });
    const stream = await open({ authorization: `Bearer ${token}` });
    const ended = await within(stream.ended, 5000);
    expect(ended).not.toBe('still open');
    expect(ended as number).toBeGreaterThanOrEqual(1000);
  });

  it('a session that logs out, and a disabled user', async () => {
    const response = await login(fx, 'operator', 'operator-password');
    const cookie = String(response.headers['set-cookie']).split(';')[0] as string;
    const stream = await open({ cookie });
    expect(await within(stream.ended, 400)).toBe('still open');
    const { csrf } = response.json() as { csrf: string };
    expect((await fx.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, 'x-csrf-token': csrf } })).statusCode).toBe(204);
    expect(await within(stream.ended, 3000)).not.toBe('still open');

    const { token } = await fx.auth.createToken('approver');
    const second = await open({ authorization: `Bearer ${token}` });
    await fx.auth.updateUser('approver', { disabled: true });
    expect(await within(second.ended, 3000)).not.toBe('still open');
  });
});
