/**
 * `confwatch change` through the built binary: the SPEC §11.2 JSON of a
 * proposal, `--as` and CONFWATCH_USER, self-approval refused with a
 * one-line error (exit 1), approve, apply by the default user (the first
 * admin), and a bad --status as usage (exit 2). The device and users are
 * set up in-process; five spawns in all.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openInitialisedServices, runCli, tempHome } from '../helpers/cli.js';

const compose = (extra: string) => `services:\n  web:\n    image: nginx:1.27\n${extra}`;

describe('confwatch change', () => {
  const t = tempHome();
  let root: string;
  let changesFile: string;

  beforeAll(async () => {
    const services = await openInitialisedServices(t.home);
    try {
      root = join(t.home, '..', 'host');
      mkdirSync(root, { recursive: true });
      writeFileSync(join(root, 'compose.yaml'), compose(''));
      await services.devices.add({ name: 'web', local: true, watch: [`${root}/**`] });
      await services.monitoring.scan('web');
      await services.auth.addUser('alice', 'operator');
      await services.auth.addUser('bob', 'approver');
      await services.settled();
    } finally {
      await services.close();
    }
    changesFile = join(root, '..', 'changes.yaml');
    writeFileSync(
      changesFile,
      `changes:\n  - device: web\n    path: ${join(root, 'compose.yaml')}\n    content: |\n${compose('  cache:\n    image: redis:7\n')
        .split('\n')
        .filter(Boolean)
        .map((l) => `      ${l}`)
        .join('\n')}\n`,
    );
  });
  afterAll(() => t.remove());

  it('proposes, refuses self-approval, approves as another user and applies as the first admin', async () => {
    const proposed = await runCli(['change', 'propose', changesFile, '--title', 'add a cache', '--json'], { env: { ...t.env, CONFWATCH_USER: 'alice' } });
    expect(proposed.code, proposed.stderr).toBe(0);
    const view = proposed.json();
    expect(view).toMatchObject({ status: 'pending', riskLevel: 'MEDIUM', requiredApprovals: 1, approvals: [], author: 'alice', title: 'add a cache' });
    expect(typeof view.id).toBe('string');

    const own = await runCli(['change', 'approve', view.id, '--as', 'alice', '--json'], { env: t.env });
    expect(own.code).toBe(1);
    expect(own.stderr.trim().split('\n')).toHaveLength(1);
    expect(own.stderr).toMatch(/alice proposed change request .* and cannot review it/);

    const approved = await runCli(['change', 'approve', view.id, '--as', 'bob', '--comment', 'ok', '--json'], { env: t.env });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.json()).toMatchObject({ status: 'approved', approvals: [{ user: 'bob', comment: 'ok' }] });

    const applied = await runCli(['change', 'apply', view.id, '--json'], { env: t.env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.json()).toMatchObject({ status: 'applied', outcome: { appliedBy: 'admin' } });
    expect(readFileSync(join(root, 'compose.yaml'), 'utf8')).toBe(compose('  cache:\n    image: redis:7\n'));
  });

  it('answers a bad --status as bad usage', async () => {
    const bad = await runCli(['change', 'list', '--status', 'bogus', '--json'], { env: t.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--status must be one of');
  });
});
