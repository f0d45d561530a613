/**
 * `confwatch template …` from the built CLI (SPEC §11.2), in a few spawns:
 * add (twice: a second version), list, show, render of a built-in with
 * `--var` (content, valid, errors) and of a stored one with `--vars`,
 * a variable the schema refuses (exit 1, one line naming it), an unknown
 * template (exit 2), remove; apply to a local device, which proposes a
 * change request naming the template.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempHome } from '../helpers/cli.js';

describe('confwatch template', () => {
  const t = tempHome();
  const dir = join(t.home, '..', 'files');
  const cli = (...args: string[]) => runCli(args, { env: t.env });

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'motd.liquid'), 'Welcome to {{ host }}\n');
    writeFileSync(join(dir, 'motd-v2.liquid'), 'Welcome to {{ host }} ({{ role }})\n');
    writeFileSync(join(dir, 'motd.schema.json'), JSON.stringify({ type: 'object', required: ['host'], properties: { host: { type: 'string', pattern: '^[a-z0-9.-]+$' }, role: { type: 'string', default: 'web' } } }));
    writeFileSync(join(dir, 'vars.json'), JSON.stringify({ host: 'box1', role: 'db' }));
    writeFileSync(join(dir, 'motd'), 'old banner\n');
    expect((await cli('init')).code).toBe(0);
    expect((await cli('device', 'add', 'box', '--local', '--watch', `${dir}/motd`)).code).toBe(0);
    expect((await cli('scan', 'box')).code).toBe(0);
  }, 60_000);
  afterAll(() => t.remove());

  it('adds versions, lists, shows and removes', async () => {
    const first = await cli('template', 'add', 'motd', join(dir, 'motd.liquid'), '--type', 'generic', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({ name: 'motd', version: 1, type: 'generic', builtin: false });
    const second = await cli('template', 'add', 'motd', join(dir, 'motd-v2.liquid'), '--type', 'generic', '--schema', join(dir, 'motd.schema.json'), '--description', 'login banner');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/added template motd v2 \(generic\)/);

    const list = (await cli('template', 'list', '--json')).json();
    expect(list.map((x: { name: string; version: number }) => `${x.name}@${x.version}`)).toEqual(['swag-subdomain@1', 'compose-service@1', 'systemd-hardened@1', 'motd@2']);
    const show = await cli('template', 'show', 'motd', '--json');
    expect(show.json()).toMatchObject({ name: 'motd', version: 2, description: 'login banner', body: 'Welcome to {{ host }} ({{ role }})\n', versions: [{ version: 2 }, { version: 1 }] });
  });

  it('renders with --var and --vars; never touching a host', async () => {
    const swag = await cli('template', 'render', 'swag-subdomain', '--var', 'name=grafana', '--var', 'upstream_app=grafana', '--var', 'upstream_port=3000', '--var', 'auth=authelia', '--json');
    expect(swag.code, swag.stderr).toBe(0);
    const out = swag.json();
    expect(out).toMatchObject({ valid: true, errors: [] });
    expect(out.content).toContain('server_name grafana.*;');
    expect(out.content).toContain('set $upstream_port 3000;');
    expect(out.content).toContain('include /config/nginx/authelia-location.conf;');

    const stored = await cli('template', 'render', 'motd', '--vars', join(dir, 'vars.json'), '--var', 'role=cache', '--json');
    expect(stored.json()).toEqual({ content: 'Welcome to box1 (cache)\n', valid: true, errors: [], template: 'motd', version: 2, type: 'generic' });
    const v1 = await cli('template', 'render', 'motd', '--var', 'host=old', '--version', '1');
    expect(v1.stdout).toBe('Welcome to old\n');
  });

  it('applies by proposing a change request with the rendered file', async () => {
    const applied = await cli('template', 'apply', 'motd', '--device', 'box', '--path', join(dir, 'motd'), '--var', 'host=box', '--json');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.json()).toMatchObject({ template: 'motd', version: 2, device: 'box', path: join(dir, 'motd'), changeRequest: { id: expect.any(String), status: expect.any(String), riskLevel: expect.any(String) } });
    const request = await cli('change', 'show', applied.json().changeRequest.id, '--json');
    expect(request.json()).toMatchObject({ origin: { kind: 'template', template: 'motd', version: 2 }, files: [{ device: 'box', diff: expect.stringContaining('+Welcome to box (web)') }] });
  });

  it('fails clearly: a refused variable (exit 1), an unknown template (exit 2)', async () => {
    const bad = await cli('template', 'render', 'motd', '--var', 'host=Not Valid', '--json');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^confwatch: the variables do not fit the template's schema/);
    expect(bad.stderr).toMatch(/variable "host" must match pattern/);

    const unknown = await cli('template', 'render', 'nope', '--json');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown template "nope"/);

    const removed = await cli('template', 'remove', 'motd', '--json');
    expect(removed.json()).toEqual({ removed: 'motd' });
    expect((await cli('template', 'show', 'motd')).code).toBe(2);
  });
});
