/**
 * `serve --trust-proxy --public-url https://…` behind a reverse proxy: the
 * session cookie is Secure and the audit log has the client address the
 * proxy forwarded. Without the flags X-Forwarded-For is ignored (anyone
 * could send it) and the cookie is not Secure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/store/records.js';
import { runCli, startServe, tempHome } from '../helpers/cli.js';
import { freePort } from '../helpers/sshd.js';

describe('serve behind a proxy', () => {
  const t = tempHome();
  beforeAll(async () => {
    expect((await runCli(['init'], { env: t.env })).code).toBe(0);
    const added = await runCli(['user', 'add', 'alice', '--role', 'viewer', '--password-stdin'], { env: t.env, stdin: 'a long passphrase\n' });
    expect(added.code, added.stderr).toBe(0);
  }, 300_000);
  afterAll(() => t.remove());

  async function loginThrough(args: string[], forwardedFor: string): Promise<{ cookie: string; address: string | null }> {
    const server = await startServe(['--port', String(await freePort()), ...args], t.env);
    try {
      const response = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
        body: JSON.stringify({ user: 'alice', password: 'a long passphrase' }),
      });
      expect(response.status).toBe(200);
      const cookie = response.headers.get('set-cookie') ?? '';
      await server.stop();
      const entries = (await runCli(['audit', '--json'], { env: t.env })).json() as AuditRecord[];
      return { cookie, address: entries.find((e) => e.action === 'auth.login')?.clientAddress ?? null };
    } finally {
      await server.stop();
    }
  }

  it('without the flags: X-Forwarded-For ignored, cookie not Secure', async () => {
    const { cookie, address } = await loginThrough([], '203.0.113.9');
    expect(cookie).toMatch(/cw_session=/);
    expect(cookie).not.toMatch(/Secure/);
    expect(address).toBe('127.0.0.1');
  }, 300_000);

  it('with --trust-proxy and an https --public-url: the forwarded address, a Secure cookie', async () => {
    // a client-supplied entry before the proxy's own is not believed
    const { cookie, address } = await loginThrough(['--trust-proxy', '--public-url', 'https://confwatch.example.com'], '198.51.100.66, 203.0.113.7');
    expect(cookie).toMatch(/; Secure/);
    expect(address).toBe('203.0.113.7');
  }, 300_000);

  it('refuses a public URL that is not http(s)', async () => {
    const result = await runCli(['serve', '--public-url', 'ftp://x', '--port', String(await freePort())], { env: t.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--public-url/);
  });
});
