/**
 * The parse, impact and deps commands, run in-process through commander
 * with a fresh home (`confwatch init` state made by the store itself).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDependencyGraph } from '../../src/analysis/dependency-graph.js';
import { registerAnalysisCommands } from '../../src/cli/commands/analysis.command.js';
import { CliContext, createOutput } from '../../src/cli/context.js';
import { readEnvironment } from '../../src/config/environment.js';
import { isConfwatchError } from '../../src/errors.js';
import { DependencyEdgeStore } from '../../src/store/dependency-edges.js';
import { createMasterKeyFile } from '../../src/store/keyring.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { parsedFixture } from './deps-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-analysis-cli-'));
const home = join(dir, 'home');

beforeAll(() => createMasterKeyFile(home));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary command output
async function run(args: string[]): Promise<{ code: number; stdout: string; json: () => Record<string, any> }> {
  let stdout = '';
  let code = 0;
  type Stream = Parameters<typeof createOutput>[1];
  const sink = {
    write: (s: string) => {
      stdout += s;
      return true;
    },
  } as unknown as Stream;
  const quiet = { write: () => true } as unknown as Stream;
  const ctx = new CliContext(readEnvironment({ CONFWATCH_HOME: home }));
  const program = new Command('confwatch').exitOverride();
  registerAnalysisCommands(program, { ctx, output: (o) => createOutput(o.json === true, sink, quiet as Parameters<typeof createOutput>[2]) }, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    code = isConfwatchError(e) ? e.exitCode : 2;
  } finally {
    await ctx.close();
  }
  return { code, stdout, json: () => JSON.parse(stdout) };
}

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('confwatch parse', () => {
  it('prints crossplane’s single-file payload for nginx and exits 0', async () => {
    const r = await run(['parse', '--type', 'nginx', file('ok.conf', 'events {}\n'), '--json']);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({ status: 'ok', errors: [], parsed: [{ directive: 'events', line: 1, args: [], block: [] }] });
  });

  it('exits 1 when the file does not parse', async () => {
    const r = await run(['parse', '--type', 'nginx', file('bad.conf', 'events {\n'), '--json']);
    expect(r.code).toBe(1);
    expect(r.json().status).toBe('failed');
    const y = await run(['parse', '--type', 'compose', file('compose.yaml', 'services:\n  web:\n    image: nginx:1.27\n'), '--json']);
    expect(y.code).toBe(0);
    expect(y.json()).toMatchObject({ status: 'ok', errors: [] });
  });
});

describe('confwatch impact (file vs file)', () => {
  const oldCompose = file('old-compose.yaml', 'services:\n  web:\n    image: nginx:1.26\n');
  const newCompose = file('new-compose.yaml', 'services:\n  web:\n    image: nginx:1.26\n    privileged: true\n');

  it('reports the risk, reasons and exact commands', async () => {
    const r = await run(['impact', '--type', 'compose', '--old', oldCompose, '--new', newCompose, '--json']);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({
      riskLevel: 'CRITICAL',
      reasons: [{ rule: 'privileged' }],
      affectedServices: ['web'],
      requiresRestart: true,
      recommendedActions: [`docker compose -f ${newCompose} up -d web`],
    });
  });

  it('exits 1 with --fail-on at or below the risk, 0 above it, and 1 when a file is unreadable', async () => {
    expect((await run(['impact', '--type', 'compose', '--old', oldCompose, '--new', newCompose, '--fail-on', 'high'])).code).toBe(1);
    expect((await run(['impact', '--type', 'compose', '--old', oldCompose, '--new', oldCompose, '--fail-on', 'low', '--json'])).json()).toMatchObject({
      riskLevel: 'LOW',
    });
    expect((await run(['impact', '--type', 'compose', '--old', join(dir, 'missing.yaml'), '--new', newCompose])).code).toBe(1);
    expect((await run(['impact', '--type', 'compose', '--new', newCompose, '--fail-on', 'extreme'])).code).toBe(2);
  });
});

describe('confwatch impact SNAPSHOT and deps', () => {
  it('exits 2 for an unknown snapshot or device', async () => {
    expect((await run(['impact', 'snap-unknown', '--json'])).code).toBe(2);
    expect((await run(['deps', '--device', 'nope', '--json'])).code).toBe(2);
  });

  it('prints transitive upstream/downstream, and adds/removes manual edges', async () => {
    const ctx = new CliContext(readEnvironment({ CONFWATCH_HOME: home }));
    const { store } = await ctx.services();
    await store.addDevice(
      { name: 'nas', transport: 'local', host: 'localhost', port: 22, user: 'root', identityFile: null, hostKey: null, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [] },
      [],
    );
    await new DependencyEdgeStore(store as KyselyStore).replaceDerived('nas', buildDependencyGraph(parsedFixture()));
    await ctx.close();

    const r = await run(['deps', '--device', 'nas', '--service', 'db', '--json']);
    expect(r.code).toBe(0);
    expect(r.json().service).toBe('db');
    expect(r.json().downstream.sort()).toEqual(['api.example.com', 'api_backend', 'app-web', 'app.example.com', 'web', 'worker']);
    expect(r.json().upstream).toEqual(['/opt/stacks/app/compose.yaml', '/opt/stacks/app/db.conf']);

    expect((await run(['deps', 'add', '--device', 'nas', 'backup.service', 'db', '--json'])).code).toBe(0);
    expect((await run(['deps', '--device', 'nas', '--service', 'db', '--json'])).json().downstream).toContain('backup.service');
    expect((await run(['deps', 'remove', '--device', 'nas', 'backup.service', 'db'])).code).toBe(0);
    expect((await run(['deps', 'remove', '--device', 'nas', 'backup.service', 'db'])).code).toBe(2);
    const whole = (await run(['deps', '--device', 'nas', '--json'])).json();
    expect(whole.nodes.length).toBeGreaterThan(10);
    expect(whole.edges.some((e: { source: string }) => e.source === 'manual')).toBe(false);
  });
});
