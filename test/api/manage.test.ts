/** Device and user management through the API, audited. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, openApiFixture } from './app-fixture.js';

let fx: ApiFixture;

beforeAll(async () => {
  fx = await openApiFixture();
});
afterAll(() => fx.close());

describe('devices', () => {
  it('adds, shows and removes a device as admin, audited', async () => {
    const payload = { name: 'box1', local: true, watch: ['/etc/app/*.conf'], passphrase: 'never-returned' };
    const added = await fx.app.inject({ method: 'POST', url: '/api/devices', headers: fx.as('admin'), payload });
    expect(added.statusCode).toBe(201);
    expect(added.json().device).toMatchObject({ name: 'box1', transport: 'local' });
    expect(added.body).not.toContain('never-returned');
    expect((await fx.app.inject({ method: 'POST', url: '/api/devices', headers: fx.as('admin'), payload })).statusCode).toBe(409);

    const shown = await fx.app.inject({ url: '/api/devices/box1', headers: fx.as('viewer') });
    expect(shown.json().profiles[0].paths).toEqual(['/etc/app/*.conf']);

    expect((await fx.app.inject({ method: 'DELETE', url: '/api/devices/box1', headers: fx.as('operator') })).statusCode).toBe(403);
    expect((await fx.app.inject({ method: 'DELETE', url: '/api/devices/box1', headers: fx.as('admin') })).statusCode).toBe(204);
    expect((await fx.app.inject({ url: '/api/devices/box1', headers: fx.as('admin') })).statusCode).toBe(404);

    const actions = (await fx.store.listAudit({ limit: 10 })).map((e) => `${e.actor} ${e.action} ${e.target} ${e.result}`);
    expect(actions).toEqual(
      expect.arrayContaining(['admin device.add device=box1 ok', 'admin device.add device=box1 error', 'operator device.remove device=box1 denied', 'admin device.remove device=box1 ok']),
    );
  });

  it('rejects unknown body fields', async () => {
    const res = await fx.app.inject({ method: 'POST', url: '/api/devices', headers: fx.as('admin'), payload: { name: 'box2', local: true, shell: 'rm -rf /' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('CW_ERR_USAGE');
  });
});

describe('users', () => {
  it('changes a role and disables a user, whose tokens then stop working', async () => {
    await fx.auth.addUser('frank', 'viewer', 'frank-password');
    const { token } = await fx.auth.createToken('frank');
    const promoted = await fx.app.inject({ method: 'PATCH', url: '/api/users/frank', headers: fx.as('admin'), payload: { role: 'operator' } });
    expect(promoted.json()).toMatchObject({ name: 'frank', role: 'operator', disabled: false });
    expect((await fx.app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } })).json().role).toBe('operator');
    await fx.app.inject({ method: 'PATCH', url: '/api/users/frank', headers: fx.as('admin'), payload: { disabled: true } });
    expect((await fx.app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
    const users = (await fx.app.inject({ url: '/api/users', headers: fx.as('admin') })).json().users;
    expect(JSON.stringify(users)).not.toMatch(/argon2|passwordHash/);
  });
});
