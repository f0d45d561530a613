import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, tempHome } from '../helpers/cli.js';
import { commandExists, describeWith } from '../helpers/components.js';

/** restore, drift, rollback and apply through the built binary, on a local device with real nginx -t. */
describeWith('nginx', commandExists('nginx'), 'confwatch restore, drift, rollback, apply', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'srv', 'nginx');
  const app = join(root, 'conf.d', 'app.conf');
  const api = join(root, 'conf.d', 'api.conf');
  const env = () => t.env;
  const versions = async (path: string) => (await runCli(['history', '--device', 'web', path, '--json'], { env: env() })).json();

  beforeAll(async () => {
    mkdirSync(join(root, 'conf.d'), { recursive: true });
    writeFileSync(join(root, 'nginx.conf'), `error_log stderr;\nevents {}\nhttp {\n  access_log off;\n  include ${root}/conf.d/*.conf;\n}\n`);
    writeFileSync(app, 'server { listen 127.0.0.1:18181; }\n');
    writeFileSync(api, 'server { listen 127.0.0.1:18182; }\n');
    expect((await runCli(['init'], { env: env() })).code).toBe(0);
    expect((await runCli(['device', 'add', 'web', '--local', '--watch', `${root}/**/*.conf`, '--type', 'nginx'], { env: env() })).code).toBe(0);
    expect((await runCli(['scan', 'web'], { env: env() })).code).toBe(0);
  });
  afterAll(() => t.remove());

  it('restores an earlier version after a dry run, and refuses an unseen change without --force', async () => {
    writeFileSync(app, 'server { listen 127.0.0.1:18183; }\n');
    await runCli(['scan', 'web'], { env: env() });
    const [, initial] = await versions(app);

    const dry = await runCli(['restore', initial.id, '--dry-run', '--json'], { env: env() });
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.stringify(dry.json())).toContain('-server { listen 127.0.0.1:18183; }');
    expect(readFileSync(app, 'utf8')).toContain('18183');

    writeFileSync(app, 'server { listen 127.0.0.1:18184; }\n'); // a hand edit confwatch has not captured
    const refused = await runCli(['restore', initial.id], { env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/changed|--force/);
    expect(readFileSync(app, 'utf8')).toContain('18184');

    const forced = await runCli(['restore', initial.id, '--force', '--json'], { env: env() });
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(app, 'utf8')).toBe('server { listen 127.0.0.1:18181; }\n');
    const [latest] = await versions(app);
    expect(latest.source).toBe('restore');
  });

  it('refuses content that nginx -t rejects and writes nothing', async () => {
    const changes = join(t.home, '..', 'broken.yaml');
    writeFileSync(changes, `changes:\n  - device: web\n    path: ${app}\n    content: "server { listen 127.0.0.1:18185;\\n"\n`);
    const before = readFileSync(app);
    const result = await runCli(['apply', changes, '--json'], { env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr + result.stdout).toMatch(/unexpected end of file|invalid/);
    expect(readFileSync(app)).toEqual(before);
  });

  it('applies a two-file batch atomically and refuses one whose expectHash is stale', async () => {
    const stale = join(t.home, '..', 'stale.yaml');
    writeFileSync(
      stale,
      `changes:\n  - device: web\n    path: ${app}\n    content: "server { listen 127.0.0.1:18191; }\\n"\n  - device: web\n    path: ${api}\n    content: "server { listen 127.0.0.1:18192; }\\n"\n    expectHash: ${'0'.repeat(64)}\n`,
    );
    const refused = await runCli(['apply', stale, '--json'], { env: env() });
    expect(refused.code).toBe(1);
    expect(readFileSync(app, 'utf8')).toContain('18181');
    expect(readFileSync(api, 'utf8')).toContain('18182');

    const good = join(t.home, '..', 'good.yaml');
    writeFileSync(
      good,
      `changes:\n  - device: web\n    path: ${app}\n    content: "server { listen 127.0.0.1:18191; }\\n"\n  - device: web\n    path: ${api}\n    content: "server { listen 127.0.0.1:18192; }\\n"\n`,
    );
    const applied = await runCli(['apply', good, '--json'], { env: env() });
    expect(applied.code, applied.stderr).toBe(0);
    expect(readFileSync(app, 'utf8')).toContain('18191');
    expect(readFileSync(api, 'utf8')).toContain('18192');
  });

  it('reports drift and resolves it by restoring the baseline', async () => {
    writeFileSync(api, 'server { listen 127.0.0.1:18199; }\n');
    const drift = await runCli(['drift', '--device', 'web', '--json'], { env: env() });
    expect(drift.code, drift.stderr).toBe(0);
    expect(drift.json().findings).toEqual([expect.objectContaining({ device: 'web', path: api, status: 'drifted' })]);

    const resolved = await runCli(['drift', 'resolve', '--device', 'web', api, '--restore', '--json'], { env: env() });
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(readFileSync(api, 'utf8')).toContain('18192');
    expect((await runCli(['drift', '--device', 'web', '--json'], { env: env() })).json().findings).toEqual([]);
  });

  it('plans a rollback to a time and applies it', async () => {
    const [beforeBatch] = (await versions(app)).filter((v: { source: string }) => v.source !== 'batch');
    const plan = await runCli(['rollback', 'plan', '--device', 'web', '--to', beforeBatch.storedAt, '--json'], { env: env() });
    expect(plan.code, plan.stderr).toBe(0);
    const { id, steps } = plan.json();
    expect(steps.map((s: { path: string }) => s.path).sort()).toEqual([api, app].sort());
    const applied = await runCli(['rollback', 'apply', id, '--json'], { env: env() });
    expect(applied.code, applied.stderr).toBe(0);
    expect(readFileSync(app, 'utf8')).toBe('server { listen 127.0.0.1:18181; }\n');
    expect(readFileSync(api, 'utf8')).toBe('server { listen 127.0.0.1:18182; }\n');
  });
});
