/**
 * The impact stored for edits to a SWAG tree watched with `--profile
 * swag:ROOT` over the local transport, read back with `impact SNAPSHOT`
 * from the built CLI. The tree's includes name container paths
 * (`/config/nginx/…`) that resolve nowhere on this host: both versions of a
 * file carry the same unresolved include, and only what differs counts.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempHome } from '../helpers/cli.js';

const SWAG_FIXTURE = fileURLToPath(new URL('../fixtures/impact/swag/', import.meta.url));

describe('stored impact on a SWAG tree (profile swag:ROOT, local device)', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'swag');
  const sonarr = join(root, 'nginx', 'proxy-confs', 'sonarr.subdomain.conf');
  const cli = (...args: string[]) => runCli(args, { env: t.env, timeoutMs: 60_000 });
  const edit = (from: string, to: string, count: number) => {
    const text = readFileSync(sonarr, 'utf8');
    expect(text.split(from).length - 1, `"${from}" in sonarr.subdomain.conf`).toBe(count);
    writeFileSync(sonarr, text.split(from).join(to));
  };
  /** Scans, then reads the impact stored for the file's newest version. */
  const storedImpact = async () => {
    const scan = await cli('scan', 'swag', '--json');
    expect(scan.code, scan.stderr).toBe(0);
    expect(scan.json()).toMatchObject({ stored: 1 });
    const [latest] = (await cli('history', '--device', 'swag', sonarr, '--json')).json();
    const impact = await cli('impact', latest.id, '--json');
    expect(impact.code, impact.stderr).toBe(0);
    return impact.json();
  };

  beforeAll(async () => {
    mkdirSync(root, { recursive: true });
    cpSync(SWAG_FIXTURE, root, { recursive: true });
    // The starting point: sonarr behind Authelia, as a user would have set it up.
    edit('#include /config/nginx/authelia-server.conf;', 'include /config/nginx/authelia-server.conf;', 1);
    edit('#include /config/nginx/authelia-location.conf;', 'include /config/nginx/authelia-location.conf;', 1);
    expect((await cli('init')).code).toBe(0);
    const add = await cli('device', 'add', 'swag', '--local', '--profile', `swag:${root}`);
    expect(add.code, add.stderr).toBe(0);
    const first = await cli('scan', 'swag', '--json');
    expect(first.code, first.stderr).toBe(0);
  }, 120_000);
  afterAll(() => t.remove());

  it('a comment is LOW with nothing to run', async () => {
    edit('# make sure that your sonarr container is named sonarr', '# sonarr runs in the media stack', 1);
    expect(await storedImpact()).toMatchObject({ riskLevel: 'LOW', requiresReload: false, requiresRestart: false, recommendedActions: [] });
  });

  it('changing $upstream_port is MEDIUM and names the app', async () => {
    edit('set $upstream_port 8989;', 'set $upstream_port 8990;', 2);
    const impact = await storedImpact();
    expect(impact).toMatchObject({ riskLevel: 'MEDIUM', requiresReload: true, affectedServices: ['sonarr.*'] });
    expect(impact.reasons.map((r: { detail: string }) => r.detail).join('\n')).toMatch(/sonarr.*8989.*8990/);
  });

  it('commenting out the auth include is CRITICAL and lists the exposed host', async () => {
    edit('        include /config/nginx/authelia-location.conf;', '        #include /config/nginx/authelia-location.conf;', 1);
    const impact = await storedImpact();
    expect(impact.riskLevel).toBe('CRITICAL');
    const removed = impact.reasons.find((r: { rule: string }) => r.rule === 'auth-removed');
    expect(removed?.detail).toContain('sonarr.*');
    expect(removed?.detail).toContain('authelia-location.conf');
  });
});

describe('impact --type nginx --old --new with the same missing include on both sides', () => {
  const t = tempHome();
  const dir = join(t.home, '..', 'standalone');

  afterAll(() => t.remove());

  it('judges what differs, not the include that resolves nowhere', async () => {
    mkdirSync(dir, { recursive: true });
    const conf = (port: number) =>
      `server {\n    listen 443 ssl;\n    server_name app.example.com;\n    include /nowhere/snippets/ssl.conf;\n    location / {\n        proxy_pass http://app:${port};\n    }\n}\n`;
    writeFileSync(join(dir, 'a.conf'), conf(8080));
    writeFileSync(join(dir, 'b.conf'), `# moved\n${conf(8080)}`);
    writeFileSync(join(dir, 'c.conf'), conf(9090));
    const impact = (next: string) => runCli(['impact', '--type', 'nginx', '--old', join(dir, 'a.conf'), '--new', join(dir, next), '--json'], { env: t.env });

    const comment = await impact('b.conf');
    expect(comment.code, comment.stderr).toBe(0);
    expect(comment.json()).toMatchObject({ riskLevel: 'LOW', requiresReload: false, recommendedActions: [], changes: [{ kind: 'whitespace_or_comments.only' }] });

    const port = (await impact('c.conf')).json();
    expect(port).toMatchObject({ riskLevel: 'MEDIUM', reasons: [{ rule: 'proxy-pass-changed' }] });
    expect(JSON.stringify(port)).not.toContain('no longer parses');
  });
});
