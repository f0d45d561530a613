import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, tempHome } from '../helpers/cli.js';
import { commandExists, describeWith } from '../helpers/components.js';

/**
 * Write-back of nginx fragments no main config includes, through the built
 * binary, on a local device with the real nginx: validation cannot run in
 * context, so restore goes ahead with a warning — or is refused when the
 * profile requires validation.
 */
describeWith('nginx', commandExists('nginx'), 'write-back when validation cannot run in context', () => {
  const t = tempHome();
  const loose = join(t.home, '..', 'srv', 'frags');
  const strict = join(t.home, '..', 'srv', 'strict');
  const env = () => t.env;
  const cli = (...args: string[]) => runCli(args, { env: env() });
  const versions = async (device: string, path: string) => (await cli('history', '--device', device, path, '--json')).json();

  beforeAll(async () => {
    for (const dir of [loose, strict]) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'app.conf'), 'location /app { return 200; }\n');
    }
    expect((await cli('init')).code).toBe(0);
    expect((await cli('device', 'add', 'frags', '--local', '--watch', `${loose}/*.conf`, '--type', 'nginx')).code).toBe(0);
    const add = await cli('device', 'add', 'strict', '--local', '--watch', `${strict}/*.conf`, '--type', 'nginx', '--require-validation');
    expect(add.code, add.stderr).toBe(0);
    for (const device of ['frags', 'strict']) expect((await cli('scan', device)).code).toBe(0);
    for (const dir of [loose, strict]) writeFileSync(join(dir, 'app.conf'), 'location /app { return 204; }\n');
    for (const device of ['frags', 'strict']) expect((await cli('scan', device)).code).toBe(0);
  });
  afterAll(() => t.remove());

  it('restores a fragment no nginx.conf includes, with the warning', async () => {
    const path = join(loose, 'app.conf');
    const [, initial] = await versions('frags', path);
    const restored = await cli('restore', initial.id, '--json');
    expect(restored.code, restored.stderr).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('location /app { return 200; }\n');
    const [file] = restored.json().files;
    expect(file.validation.status).toBe('unavailable');
    expect(file.warning).toMatch(/no nginx\.conf on this device includes it/);
    expect(restored.stderr).toMatch(/warning: .*app\.conf: validation could not run in context: no nginx\.conf on this device includes it/);
  });

  it('refuses it with that reason when the profile requires validation, and --no-validate lets it through', async () => {
    const path = join(strict, 'app.conf');
    const [, initial] = await versions('strict', path);
    const refused = await cli('restore', initial.id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/validation could not run .* and its profile requires it; nothing was written: no nginx\.conf on this device includes it/);
    expect(readFileSync(path, 'utf8')).toBe('location /app { return 204; }\n');

    const plan = await cli('rollback', 'plan', '--device', 'strict', '--to', initial.detectedAt, '--json');
    expect(plan.code, plan.stderr).toBe(0);
    const refusedPlan = await cli('rollback', 'apply', plan.json().id);
    expect(refusedPlan.code).toBe(1);
    expect(refusedPlan.stderr).toMatch(/no nginx\.conf on this device includes it/);
    const plan2 = await cli('rollback', 'plan', '--device', 'strict', '--to', initial.detectedAt, '--json');
    const applied = await cli('rollback', 'apply', plan2.json().id, '--no-validate', '--json');
    expect(applied.code, applied.stderr).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('location /app { return 200; }\n');
  });

  it('drift resolve --restore takes --no-validate', async () => {
    const path = join(strict, 'app.conf');
    expect((await cli('drift', 'resolve', '--device', 'strict', path, '--accept')).code).toBe(0);
    writeFileSync(path, 'location /app { return 418; }\n');
    expect((await cli('scan', 'strict')).code).toBe(0);
    const refused = await cli('drift', 'resolve', '--device', 'strict', path, '--restore');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no nginx\.conf on this device includes it/);
    const resolved = await cli('drift', 'resolve', '--device', 'strict', path, '--restore', '--no-validate', '--json');
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('location /app { return 200; }\n');
  });
});

describeWith('nginx', true, 'device add: container path mappings and profile roots', () => {
  const t = tempHome();
  const cli = (...args: string[]) => runCli(args, { env: t.env });
  beforeAll(async () => {
    expect((await cli('init')).code).toBe(0);
  });
  afterAll(() => t.remove());

  it('stores --map and the swag mapping, shown by device show --json', async () => {
    const add = await cli('device', 'add', 'proxy', '--local', '--profile', 'swag:/srv/swag', '--map', '/data=/srv/data', '--map', '/data=/srv/data');
    expect(add.code, add.stderr).toBe(0);
    const show = (await cli('device', 'show', 'proxy', '--json')).json();
    expect(show.pathMappings).toEqual([{ container: '/data', host: '/srv/data' }]);
    expect(show.profiles[0].pathMappings).toEqual([{ container: '/config', host: '/srv/swag' }]);
    expect(show.profiles[0].paths).toContain('/srv/swag/nginx/ssl.conf');
  });

  it('refuses a relative profile root or mapping with a one-line usage error (exit 2)', async () => {
    const root = await cli('device', 'add', 'bad', '--local', '--profile', 'compose:-delete');
    expect(root.code).toBe(2);
    expect(root.stderr.trim().split('\n')).toHaveLength(1);
    expect(root.stderr).toMatch(/profile root "-delete" of compose must be an absolute path/);
    const map = await cli('device', 'add', 'bad', '--local', '--profile', 'nginx', '--map', 'config=/srv');
    expect(map.code).toBe(2);
    expect(map.stderr).toMatch(/--map "config=\/srv" must be CONTAINER_PATH=HOST_PATH/);
    expect((await cli('device', 'list', '--json')).json().map((d: { name: string }) => d.name)).toEqual(['proxy']);
  });
});
