/** `confwatch user add`, `token create --json` and `audit --json` against a temp home. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAuthCommands } from '../../src/cli/commands/auth.command.js';
import { CliContext, createOutput } from '../../src/cli/context.js';
import type { CommandEnv } from '../../src/cli/options.js';
import { readEnvironment } from '../../src/config/environment.js';
import { createAuthService } from '../../src/services/auth.service.js';
import { createMasterKeyFile } from '../../src/store/keyring.js';
import { openStore } from '../../src/store/open-store.js';

let home: string;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'cw-cli-auth-'));
  createMasterKeyFile(home);
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Runs one command line; returns what it printed on stdout. */
async function run(...args: string[]): Promise<string> {
  let stdout = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      stdout += String(chunk);
      done();
    },
  });
  const ctx = new CliContext(readEnvironment({ CONFWATCH_HOME: home }));
  const stream = sink as unknown as typeof process.stdout;
  const env: CommandEnv = { ctx, output: (options) => createOutput(options.json === true, stream, stream as unknown as typeof process.stderr) };
  const program = new Command('confwatch').exitOverride();
  registerAuthCommands(program, env);
  try {
    await program.parseAsync(['node', 'confwatch', ...args]);
  } finally {
    await ctx.close();
  }
  return stdout;
}

describe('auth commands', () => {
  it('adds a user, creates a working token shown once, and lists the audit', async () => {
    expect(JSON.parse(await run('user', 'add', 'dana', '--role', 'operator', '--json'))).toMatchObject({ name: 'dana', role: 'operator', hasPassword: false });
    const { token } = JSON.parse(await run('token', 'create', '--user', 'dana', '--label', 'ci', '--json'));
    expect(token).toMatch(/^cw_[0-9a-f]{8}_/);

    const store = await openStore({ home, env: {} });
    try {
      const principal = await createAuthService(store.db, store).authenticateToken(token);
      expect(principal).toMatchObject({ user: 'dana', role: 'operator' });
    } finally {
      await store.close();
    }

    expect(await run('token', 'list', '--json')).not.toContain(token);
    const audit = JSON.parse(await run('audit', '--json'));
    expect(audit.map((e: { action: string }) => e.action)).toEqual(['token.create', 'user.add']);
    expect(audit[0].actor).toMatch(/^cli:/);
  });

  it('refuses an unknown role', async () => {
    await expect(run('user', 'add', 'erin', '--role', 'root')).rejects.toMatchObject({ code: 'CW_ERR_USAGE' });
  });
});
