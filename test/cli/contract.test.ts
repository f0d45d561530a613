/**
 * SPEC §6 pinned from outside: command names, flags, exit codes and the
 * JSON fields scripts read, against the built binary and a local device.
 * Adding fields or flags keeps these green; renaming or removing breaks them.
 * Shapes other suites already pin (init basics, device check, scan counts,
 * history keys, restore/apply behaviour with nginx) are not repeated here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliContext, createOutput } from '../../src/cli/context.js';
import { createProgram } from '../../src/cli/main.js';
import { BIN, type CliResult, runCli, tempHome } from '../helpers/cli.js';
import { commandExists, missingOutsideCi } from '../helpers/components.js';

const HASH = /^[0-9a-f]{64}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const CHANGE_TYPES = ['initial', 'created', 'modified', 'deleted', 'moved', 'metadata'];
const SOURCES = ['realtime', 'poll', 'rescan', 'restore', 'rollback', 'batch', 'import', 'change-request'];
const SYNC_STATUSES = ['synced', 'drifted', 'missing', 'unreadable', 'error', 'unknown'];
const VALIDATION_STATUSES = ['pending', 'valid', 'invalid', 'unavailable', 'skipped'];

/** An error as the contract prints it: nothing on stdout, one `confwatch: …` line on stderr. */
function expectError(r: CliResult, code: 1 | 2): void {
  expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(code);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^confwatch: \S.*\n$/);
}

/** A failed outcome that still has a result: JSON on stdout, exit 1, and one line on stderr saying why. */
function expectFailedResult(r: CliResult): void {
  expect(r.code, r.stderr).toBe(1);
  expect(() => r.json()).not.toThrow();
  expect(r.stderr).toMatch(/^confwatch: \S.*\n$/);
}

describe('command tree (SPEC §6 names and flags)', () => {
  const program = createProgram({ ctx: new CliContext(), output: (o) => createOutput(o.json === true) }, () => {});
  const find = (path: string): Command => {
    let cmd: Command | undefined = program;
    for (const name of path.split(' ')) cmd = cmd?.commands.find((c) => c.name() === name);
    if (!cmd) throw new Error(`no command "${path}"`);
    return cmd;
  };
  const flags = (cmd: Command) => cmd.options.map((o) => o.long);
  const leaves = (cmd: Command, prefix: string[] = []): [string, Command][] =>
    cmd.commands.flatMap((c) => {
      const path = [...prefix, c.name()];
      const sub = c.commands.filter((s) => s.name() !== 'help');
      return [...(c.options.length || !sub.length ? [[path.join(' '), c] as [string, Command]] : []), ...leaves(c, path)];
    });

  const contract: Record<string, string[]> = {
    init: [],
    'device add': ['--host', '--port', '--user', '--identity', '--local', '--mode', '--poll-interval', '--profile', '--watch', '--exclude', '--type', '--sudo', '--jump', '--trust-host-key', '--host-key'],
    'device list': [],
    'device show': [],
    'device remove': [],
    'device import': [],
    'device check': [],
    scan: [],
    watch: [],
    serve: ['--host', '--port'],
    files: ['--device'],
    history: ['--device'],
    show: ['--raw'],
    diff: [],
    parse: ['--type', '--include'],
    impact: ['--type', '--old', '--new'],
    deps: ['--device', '--service'],
    reanalyze: ['--device', '--type', '--all'],
    validate: ['--device', '--content'],
    restore: ['--dry-run', '--force', '--no-validate', '--reload'],
    drift: ['--device'],
    'drift resolve': ['--device', '--restore', '--accept'],
    'rollback plan': ['--device', '--to', '--change-set'],
    'rollback apply': [],
    apply: ['--dry-run'],
    'keys rotate': [],
    'user add': ['--role', '--password-stdin'],
    'token create': ['--user', '--label'],
    audit: [],
    // SPEC §11.1
    'alert channel add': ['--min-risk'],
    'alert channel list': [],
    'alert channel remove': [],
    'alert rule add': ['--channel', '--min-risk', '--device', '--tag', '--path', '--event', '--quiet', '--digest'],
    'alert test': [],
    'alert log': ['--limit'],
    // SPEC §11.2
    'change propose': ['--title', '--as'],
    'change list': ['--status'],
    'change show': [],
    'change approve': ['--comment', '--as'],
    'change reject': ['--comment', '--as'],
    'change apply': ['--as', '--break-glass', '--reason'],
    'change cancel': ['--as'],
    'change edit': ['--title', '--as'],
    'change rebase': ['--as'],
    // SPEC §11.2 templates
    'template add': ['--type', '--schema'],
    'template list': [],
    'template show': [],
    'template remove': [],
    'template render': ['--var', '--vars'],
    'template apply': ['--device', '--path', '--var'],
    // SPEC §11.4
    export: ['--device', '--history', '--passphrase-stdin', '--out', '--git'],
    import: ['--passphrase-stdin', '--dry-run', '--propose', '--apply', '--history-only'],
  };

  it.each(Object.entries(contract))('%s takes its flags and --json', (path, expected) => {
    expect(flags(find(path))).toEqual(expect.arrayContaining([...expected, '--json']));
  });

  it('every command that runs takes --json', () => {
    const withoutJson = leaves(program)
      .filter(([, cmd]) => !flags(cmd).includes('--json'))
      .map(([path]) => path);
    expect(withoutJson).toEqual([]);
  });
});

describe('usage errors (exit 2, one line on stderr)', () => {
  const t = tempHome();
  afterAll(() => t.remove());

  it('rejects unknown commands, unknown options, missing arguments and a missing subcommand', async () => {
    for (const args of [['scna'], ['scan', 'x', '--bogus', '--json'], ['history', '--json'], ['drift', 'resolve', '--device', 'd', '--json'], ['device'], []]) {
      const r = await runCli(args, { env: t.env });
      expectError(r, 2);
      expect(r.stderr).toMatch(/--help`\)\n$/);
    }
  });

  it('exits 0 for --help and --version', async () => {
    expect((await runCli(['--help'], { env: t.env })).code).toBe(0);
    expect((await runCli(['device', 'add', '--help'], { env: t.env })).code).toBe(0);
    const version = await runCli(['--version'], { env: t.env });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('JSON shapes and exit codes on a local device', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'etc');
  const compose = join(root, 'compose.yaml');
  const sshdConfig = join(root, 'sshd_config');
  const env = () => t.env;
  const cli = (...args: string[]) => runCli(args, { env: env() });
  let latest: { id: string };
  let initial: { id: string };

  beforeAll(async () => {
    mkdirSync(root, { recursive: true });
    writeFileSync(compose, 'services:\n  web:\n    image: nginx:1.25\n    depends_on: [db]\n  db:\n    image: postgres:16\n');
    writeFileSync(sshdConfig, 'Port 22\nPermitRootLogin no\n');
    const init = await cli('init', '--json');
    expect(init.code, init.stderr).toBe(0);
    expect(init.json().adminToken).toMatch(/^cw_\S+$/);
    // The token is shown once: a second init has none to show.
    expect(Object.keys((await cli('init', '--json')).json())).not.toContain('adminToken');
    const add = await cli('device', 'add', 'box', '--local', '--mode', 'polling', '--watch', `${root}/*`, '--json');
    expect(add.code, add.stderr).toBe(0);
    expect((await cli('scan', 'box')).code).toBe(0);
    writeFileSync(compose, 'services:\n  web:\n    image: nginx:1.26\n    depends_on: [db]\n  db:\n    image: postgres:16\n');
    expect((await cli('scan', 'box')).code).toBe(0);
    [latest, initial] = (await cli('history', '--device', 'box', compose, '--json')).json();
  });
  afterAll(() => t.remove());

  it('device add/show: the SPEC §4 device fields', async () => {
    const show = await cli('device', 'show', 'box', '--json');
    expect(show.code, show.stderr).toBe(0);
    const d = show.json();
    expect(d).toMatchObject({ name: 'box', transport: 'local', mode: 'polling', sudo: false, jump: null, hostKey: null, tags: [] });
    for (const key of ['host', 'port', 'user', 'identityFile', 'profiles']) expect(d).toHaveProperty(key);
    expect(d.profiles[0]).toMatchObject({ name: expect.any(String), paths: [`${root}/*`], exclude: [], pollIntervalSec: expect.any(Number), maxFileBytes: 1048576 });
  });

  it('files: tracked files with their sync and validation status', async () => {
    const files = (await cli('files', '--json')).json();
    expect(files).toHaveLength(2);
    for (const f of files) {
      expect(f).toMatchObject({ device: 'box', path: expect.any(String), latestSnapshotId: expect.any(String), baselineSnapshotId: expect.any(String) });
      expect(SYNC_STATUSES).toContain(f.syncStatus);
      expect(VALIDATION_STATUSES).toContain(f.validationStatus);
      expect(f).toHaveProperty('lastError');
      expect(f.lastCheckedAt).toMatch(ISO);
    }
  });

  it('history and show: snapshot fields with their types', async () => {
    const history = (await cli('history', '--device', 'box', compose, '--json')).json();
    for (const v of history) {
      expect(v.id).toEqual(expect.any(String));
      expect(v.contentHash).toMatch(HASH);
      expect(CHANGE_TYPES).toContain(v.changeType);
      expect(SOURCES).toContain(v.source);
      expect(v.detectedAt).toMatch(ISO);
    }
    expect(history.map((v: { detectedAt: string }) => v.detectedAt)).toEqual([...history.map((v: { detectedAt: string }) => v.detectedAt)].sort().reverse());
    const paged = await cli('history', '--device', 'box', compose, '--limit', '1', '--json');
    expect(paged.json()).toHaveLength(1);
    const mangled = await cli('history', '--device', 'box', compose, '--cursor', 'not-a-cursor', '--json');
    expect(mangled.code).toBe(2);
    expect(mangled.stdout).toBe('');
    expect(mangled.stderr.trim().split('\n')).toEqual([expect.stringContaining('invalid cursor')]);

    const show = await cli('show', latest.id, '--json');
    expect(show.code, show.stderr).toBe(0);
    const s = show.json();
    expect(Object.keys(s)).toEqual(
      expect.arrayContaining(['id', 'device', 'path', 'configType', 'contentHash', 'size', 'mode', 'uid', 'gid', 'changeType', 'source', 'previousId', 'changeSetId', 'actor', 'detectedAt', 'parsed', 'parseErrors', 'validation', 'impact']),
    );
    expect(s).toMatchObject({ id: latest.id, device: 'box', path: compose, configType: 'compose', changeType: 'modified', previousId: initial.id });
  });

  it('diff: unified text, and --json with it', async () => {
    const diff = await cli('diff', latest.id, '--json');
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.json()).toMatchObject({ from: { id: initial.id }, to: { id: latest.id }, unified: expect.stringContaining('+    image: nginx:1.26') });
    expect((await cli('diff', initial.id, latest.id)).stdout).toContain('-    image: nginx:1.25');
  });

  it('parse: crossplane payloads, exit 1 when the file does not parse', async () => {
    const conf = join(root, '..', 'nginx.conf');
    writeFileSync(conf, 'events {}\nhttp { server { listen 80; } }\n');
    const single = await cli('parse', '--type', 'nginx', conf, '--json');
    expect(single.code, single.stderr).toBe(0);
    expect(single.json()).toMatchObject({ status: 'ok', errors: [], parsed: expect.any(Array) });
    const multi = await cli('parse', '--type', 'nginx', conf, '--include', '--json');
    expect(multi.json()).toMatchObject({ status: 'ok', errors: [], config: [{ file: conf, status: 'ok', parsed: expect.any(Array) }] });

    const broken = join(root, '..', 'broken.conf');
    writeFileSync(broken, 'http {\n');
    const failed = await cli('parse', '--type', 'nginx', broken, '--json');
    expectFailedResult(failed);
    expect(failed.json().status).toBe('failed');

    expectError(await cli('parse', '--type', 'apache', conf, '--json'), 2);
  });

  it('impact: between two local files and stored for a snapshot; --fail-on exits 1', async () => {
    const old = join(root, '..', 'old.yaml');
    writeFileSync(old, 'services:\n  web:\n    image: nginx:1.25\n');
    const fresh = join(root, '..', 'new.yaml');
    writeFileSync(fresh, 'services:\n  web:\n    image: nginx:1.25\n    privileged: true\n');
    const fields = ['riskLevel', 'reasons', 'affectedServices', 'downstreamServices', 'requiresRestart', 'requiresReload', 'recommendedActions'];
    const local = await cli('impact', '--type', 'compose', '--old', old, '--new', fresh, '--json');
    expect(local.code, local.stderr).toBe(0);
    expect(Object.keys(local.json())).toEqual(expect.arrayContaining(fields));
    expect(local.json()).toMatchObject({ riskLevel: 'CRITICAL', affectedServices: ['web'] });

    const stored = await cli('impact', latest.id, '--json');
    expect(stored.code, stored.stderr).toBe(0);
    expect(Object.keys(stored.json())).toEqual(expect.arrayContaining(['snapshotId', ...fields]));

    expectFailedResult(await cli('impact', '--type', 'compose', '--old', old, '--new', fresh, '--fail-on', 'HIGH', '--json'));
    expectError(await cli('impact', '--type', 'compose', '--old', old, '--new', join(root, 'absent.yaml'), '--json'), 1);
  });

  it('deps: the whole graph, one service (exact keys), and manual edges', async () => {
    const graph = await cli('deps', '--device', 'box', '--json');
    expect(graph.code, graph.stderr).toBe(0);
    expect(graph.json()).toMatchObject({ nodes: expect.any(Array), edges: expect.any(Array) });

    const web = await cli('deps', '--device', 'box', '--service', 'web', '--json');
    expect(web.code, web.stderr).toBe(0);
    expect(Object.keys(web.json()).sort()).toEqual(['downstream', 'service', 'upstream']);
    expect(web.json()).toMatchObject({ service: 'web', upstream: expect.arrayContaining(['db']), downstream: [] });

    const add = await cli('deps', 'add', '--device', 'box', 'cache', 'db', '--json');
    expect(add.code, add.stderr).toBe(0);
    expect(add.json()).toMatchObject({ kind: 'depends_on', source: 'manual' });
    const removed = await cli('deps', '--device', 'box', 'remove', 'cache', 'db', '--json');
    expect(removed.json()).toEqual({ removed: 1 });

    expectError(await cli('deps', '--device', 'box', '--service', 'nope', '--json'), 2);
  });

  it.skipIf(missingOutsideCi(commandExists('sshd')))('validate: status, tool and output; exit 1 when invalid', async () => {
    const valid = await cli('validate', '--device', 'box', sshdConfig, '--json');
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.json()).toMatchObject({ status: 'valid', tool: expect.stringContaining('sshd'), output: expect.any(String) });

    const candidate = join(root, '..', 'candidate');
    writeFileSync(candidate, 'NoSuchKeyword yes\n');
    const invalid = await cli('validate', '--device', 'box', sshdConfig, '--content', candidate, '--json');
    expectFailedResult(invalid);
    expect(invalid.json()).toMatchObject({ status: 'invalid', tool: expect.stringContaining('sshd'), output: expect.stringContaining('NoSuchKeyword') });
  });

  it('restore and apply --dry-run: the batch result, nothing written', async () => {
    const dry = await cli('restore', initial.id, '--dry-run', '--no-validate', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json()).toMatchObject({ status: 'dry-run', files: [{ device: 'box', path: compose, action: 'write', diff: expect.any(String) }] });

    const changes = join(root, '..', 'changes.yaml');
    writeFileSync(changes, `validate: false\nchanges:\n  - device: box\n    path: ${sshdConfig}\n    content: "Port 2222\\n"\n`);
    const apply = await cli('apply', changes, '--dry-run', '--json');
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.json()).toMatchObject({ status: 'dry-run', files: [{ device: 'box', path: sshdConfig }] });

    expectError(await cli('apply', join(root, 'absent.yaml'), '--json'), 1);
  });

  it('drift, drift resolve and rollback plan: their shapes and usage errors', async () => {
    const drift = await cli('drift', '--json');
    expect(drift.code, drift.stderr).toBe(0);
    expect(drift.json()).toMatchObject({ checked: 2, findings: expect.any(Array) });
    expect(drift.json().checkedAt).toMatch(ISO);

    const accept = await cli('drift', 'resolve', '--device', 'box', compose, '--accept', '--json');
    expect(accept.code, accept.stderr).toBe(0);
    expect(accept.json()).toMatchObject({ device: 'box', path: compose, resolution: 'accept', snapshotId: latest.id });
    expectError(await cli('drift', 'resolve', '--device', 'box', compose, '--json'), 2);
    expectError(await cli('drift', 'resolve', '--device', 'box', compose, '--accept', '--restore', '--json'), 2);

    const plan = await cli('rollback', 'plan', '--device', 'box', '--to', '2000-01-01T00:00:00Z', '--json');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.json()).toMatchObject({ id: expect.any(String), steps: expect.any(Array) });
    expect(plan.json().steps.map((s: { path: string }) => s.path).sort()).toEqual([compose, sshdConfig].sort());
    expectError(await cli('rollback', 'plan', '--device', 'box', '--json'), 2);
    expectError(await cli('rollback', 'plan', '--device', 'box', '--to', 'yesterday', '--json'), 2);
  });

  it('user, token and audit: shapes, and 2 for unknown names and roles', async () => {
    const user = await cli('user', 'add', 'alice', '--role', 'operator', '--json');
    expect(user.code, user.stderr).toBe(0);
    expect(user.json()).toMatchObject({ name: 'alice', role: 'operator' });
    expectError(await cli('user', 'add', 'bob', '--role', 'root', '--json'), 2);
    expectError(await cli('user', 'add', 'alice', '--role', 'viewer', '--json'), 1);

    const token = await cli('token', 'create', '--user', 'alice', '--label', 'ci', '--json');
    expect(token.code, token.stderr).toBe(0);
    expect(token.json().token).toMatch(/^cw_\S+$/);
    expectError(await cli('token', 'create', '--user', 'nobody', '--json'), 2);

    const audit = await cli('audit', '--json');
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.json()[0]).toMatchObject({ actor: expect.any(String), action: 'token.create', result: 'ok' });
    expect(audit.json()[0].at).toMatch(ISO);
  });

  it('exits 2 with one stderr line for unknown devices, snapshots and plans, also under --json', async () => {
    for (const args of [
      ['scan', 'nope', '--json'],
      ['files', '--device', 'nope', '--json'],
      ['device', 'remove', 'nope', '--json'],
      ['restore', '01ZZZZZZZZZZZZZZZZZZZZZZZZ', '--json'],
      ['impact', '01ZZZZZZZZZZZZZZZZZZZZZZZZ', '--json'],
      ['diff', '01ZZZZZZZZZZZZZZZZZZZZZZZZ', '--json'],
      ['rollback', 'apply', '01ZZZZZZZZZZZZZZZZZZZZZZZZ', '--json'],
      ['validate', '--device', 'nope', sshdConfig, '--json'],
      ['user', 'remove', 'nobody', '--json'],
    ]) {
      expectError(await cli(...args), 2);
    }
  });

  it('watch --json: NDJSON events, config.changed with exactly its SPEC §5 fields', async () => {
    writeFileSync(sshdConfig, 'Port 2200\n');
    const events = await watchUntil(['watch', 'box', '--json'], env(), (e) => e.type === 'config.changed');
    for (const e of events) {
      expect(e).toMatchObject({ type: expect.any(String), id: expect.any(Number), device: 'box' });
      expect(e.at).toMatch(ISO);
    }
    const changed = events.find((e) => e.type === 'config.changed');
    expect(Object.keys(changed ?? {}).sort()).toEqual(
      ['at', 'changeSetId', 'changeType', 'contentHash', 'detectedAt', 'device', 'id', 'path', 'snapshotId', 'source', 'storedAt', 'type'].sort(),
    );
    expect(changed).toMatchObject({ path: sshdConfig, changeType: 'modified', source: 'rescan' });
  });
});

/** Runs `watch` until an event matches, then stops it with SIGTERM; every stdout line must be one JSON event. */
async function watchUntil(args: string[], env: Record<string, string>, done: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>[]> {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CONFWATCH_LOG_FORMAT: 'json', ...env } });
  const events: Record<string, unknown>[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching event; stderr:\n${stderr}`)), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const event = JSON.parse(buffer.slice(0, i)) as Record<string, unknown>;
        buffer = buffer.slice(i + 1);
        events.push(event);
        if (done(event)) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
  }).finally(() => child.kill('SIGTERM'));
  expect(await exited, stderr).toBe(0);
  return events;
}
