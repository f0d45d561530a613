/**
 * A device's storage quota from the command line (the built binary):
 * `device add --quota`, `device set --quota` (and back to the default),
 * bad values and unknown devices, and the quota reaching capture: past it,
 * a scan keeps new versions as hashes only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempHome } from '../helpers/cli.js';

describe('device storage quota from the CLI', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'quota-tree');
  const cli = async (...args: string[]) => {
    const result = await runCli(args, { env: t.env });
    expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(0);
    return result;
  };

  beforeAll(async () => {
    mkdirSync(root, { recursive: true });
    await cli('init');
  }, 120_000);
  afterAll(() => t.remove());

  it('sets the quota at add and later, refuses bad values, and capture keeps hashes only past it', async () => {
    const added = (await cli('device', 'add', 'box', '--local', '--watch', `${root}/**`, '--quota', '1K', '--json')).json();
    expect(added).toMatchObject({ name: 'box', storageQuotaBytes: 1024 });
    expect((await cli('device', 'set', 'box', '--quota', 'default', '--json')).json()).toMatchObject({ storageQuotaBytes: null });
    expect((await cli('device', 'show', 'box')).stdout).toContain('storage quota: 2147483648 bytes (default)');
    expect((await cli('device', 'set', 'box', '--quota', '40', '--json')).json()).toMatchObject({ storageQuotaBytes: 40 });

    for (const [args, pattern] of [
      [['device', 'set', 'box', '--quota', 'lots'], /--quota must be a number of bytes/],
      [['device', 'set', 'box', '--quota', '0'], /--quota must be a positive number of bytes/],
      [['device', 'set', 'box'], /give a setting to change/],
      [['device', 'set', 'nosuch', '--quota', '10'], /unknown device "nosuch"/],
      [['device', 'add', 'other', '--local', '--watch', `${root}/**`, '--quota', '-5'], /--quota must be a number of bytes/],
    ] as const) {
      const result = await runCli([...args, '--json'], { env: t.env });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(pattern);
    }

    writeFileSync(join(root, 'a.conf'), 'a'.repeat(30));
    await cli('scan', 'box');
    writeFileSync(join(root, 'b.conf'), 'b'.repeat(30));
    await cli('scan', 'box');
    const history = async (name: string) => (await cli('history', '--device', 'box', join(root, name), '--json')).json();
    const [a] = await history('a.conf');
    const [b] = await history('b.conf');
    expect((await runCli(['show', a.id, '--raw'], { env: t.env })).stdout).toBe('a'.repeat(30));
    // over the 40 bytes: stored as a hash, so there are no bytes to show
    expect((await cli('show', b.id, '--json')).json()).toMatchObject({ hasContent: false, contentHash: b.contentHash, content: null });
    const raw = await runCli(['show', b.id, '--raw'], { env: t.env });
    expect(raw.stderr).toContain('hash only');
  }, 240_000);
});
