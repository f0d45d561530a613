/**
 * The history as a git repository, written through the real `git
 * fast-import`. Layout: `<device>/<absolute path>`, with each device's
 * modes and owners in `<device>/.confwatch-metadata` (one
 * `mode uid gid path` line per file, as etckeeper keeps them beside the
 * files). One commit per change set (or per version outside any), in id
 * order, authored by the actor (or `confwatch <source>@<device>`) at the
 * detection time. The tip commit's `Confwatch-Last-Version` trailer
 * records the last version exported, so a re-run appends only newer ones.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { redactBytes } from '../auth/redact.js';
import { ConfwatchError } from '../errors.js';
import type { ChangeSetRecord, SnapshotRecord } from '../store/records.js';

const run = promisify(execFile);
export const MIRROR_BRANCH = 'refs/heads/main';
const METADATA_FILE = '.confwatch-metadata';
const LAST_TRAILER = 'Confwatch-Last-Version';

export interface GitMirrorSource {
  /** Versions after `afterId` (all when null), in id order, a page at a time. */
  versions(afterId: string | null): AsyncIterable<readonly SnapshotRecord[]>;
  readContent(snapshot: SnapshotRecord): Promise<Buffer>;
  changeSets(ids: readonly string[]): Promise<ChangeSetRecord[]>;
  /** The risk level of a stored impact, or null. */
  riskOf(snapshot: SnapshotRecord): string | null;
}

export interface GitMirrorOptions {
  /** Replace secret-looking values with «redacted». Default true. */
  readonly redact?: boolean;
  readonly signal?: AbortSignal;
}

export interface GitMirrorResult {
  readonly dir: string;
  readonly commits: number;
  readonly versions: number;
  /** The last version now in the mirror (null: still empty). */
  readonly lastVersion: string | null;
  readonly redacted: boolean;
}

async function git(dir: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('git', ['-C', dir, ...args], { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new ConfwatchError('CW_ERR_GIT', 'the git binary was not found; install git to write a mirror', { cause: error });
    throw new ConfwatchError('CW_ERR_GIT', `git ${args[0]} failed: ${(e.stderr ?? e.message).trim().split('\n')[0]}`, { cause: error });
  }
}

/** Makes `dir` a bare repository unless it is one already. */
async function ensureRepository(dir: string): Promise<void> {
  const exists = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (exists) {
    const inside = await git(dir, ['rev-parse', '--is-bare-repository']).catch(() => null);
    if (inside?.trim() === 'true') return;
    if (inside !== null) throw new ConfwatchError('CW_ERR_USAGE', `${dir} is a git work tree; give a new directory or a bare repository made by an earlier export --git`);
  }
  await mkdir(dir, { recursive: true });
  await git(dir, ['init', '--quiet', '--bare', '--initial-branch=main']);
}

async function tipOf(dir: string): Promise<{ commit: string; lastVersion: string | null } | null> {
  const commit = (await git(dir, ['rev-parse', '--verify', '--quiet', `${MIRROR_BRANCH}^{commit}`]).catch(() => '')).trim();
  if (!commit) return null;
  const trailer = (await git(dir, ['log', '-1', `--format=%(trailers:key=${LAST_TRAILER},valueonly)`, commit])).trim();
  return { commit, lastVersion: trailer || null };
}

/** Reads a device's metadata file from the tip, to carry it forward: its lines by quoted path. */
async function metadataAt(dir: string, device: string): Promise<Map<string, string>> {
  const text = await git(dir, ['show', `${MIRROR_BRANCH}:${device}/${METADATA_FILE}`]).catch(() => '');
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\S+ \S+ \S+ (".+")$/.exec(line);
    if (m) out.set(m[1]!, `${line}\n`);
  }
  return out;
}

/** The path inside the mirror: a `.git` component would be refused by git, so it gets a suffix. */
const mirrorPath = (device: string, path: string): string =>
  `${device}/${path
    .replace(/^\/+/, '')
    .split('/')
    .map((part) => (part.toLowerCase() === '.git' ? `${part}~` : part))
    .join('/')}`;

/** C-style quoting as fast-import reads it. */
function quotePath(path: string): string {
  let out = '"';
  for (const byte of Buffer.from(path, 'utf8')) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte < 0x20 || byte === 0x7f) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(byte);
  }
  // bytes ≥ 0x80 went in one char each: turn them back into the UTF-8 they were
  return `${Buffer.from(out, 'latin1').toString('utf8')}"`;
}

const identity = (text: string): string => text.replace(/[<>\n\r]/g, '').trim() || 'unknown';

function authorOf(version: SnapshotRecord): string {
  const name = version.actor ? identity(version.actor) : `confwatch ${version.source}@${version.device}`;
  const email = `${identity(version.actor ?? version.source).replace(/\s+/g, '.')}@${identity(version.device)}`;
  return `${name} <${email}>`;
}

const epoch = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/** Appends every version newer than the mirror's tip as commits; creates the repository first when needed. */
export async function exportGitMirror(dir: string, source: GitMirrorSource, options: GitMirrorOptions = {}): Promise<GitMirrorResult> {
  const redact = options.redact !== false;
  await ensureRepository(dir);
  const tip = await tipOf(dir);
  const child = spawn('git', ['-C', dir, 'fast-import', '--quiet', '--done'], {
    stdio: ['pipe', 'ignore', 'pipe'],
    // fast-import allocates and frees its delta buffers for every blob; with glibc's defaults each one grows and
    // trims the heap with a system call, which took 95 % of a 10,000-version run. Keeping 64 MiB of slack stops that.
    env: { ...process.env, MALLOC_TOP_PAD_: '67108864', MALLOC_TRIM_THRESHOLD_: '268435456' },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  const exited = once(child, 'close') as Promise<[number | null]>;
  const spawned = once(child, 'spawn').then(
    () => true,
    () => false,
  );
  if (!(await spawned)) throw new ConfwatchError('CW_ERR_GIT', 'the git binary was not found; install git to write a mirror');
  // commands are gathered and written in large pieces: one pipe write per small command cost more than git's work
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const chunk = Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    if (!child.stdin.write(chunk)) await Promise.race([once(child.stdin, 'drain'), exited]);
  };
  const write = async (chunk: string | Buffer) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    pending.push(bytes);
    pendingBytes += bytes.length;
    if (pendingBytes >= 256 * 1024) await flush();
  };
  const metadata = new Map<string, Map<string, string>>();
  const metadataOf = async (device: string) => {
    let map = metadata.get(device);
    if (!map) {
      map = tip ? await metadataAt(dir, device) : new Map();
      metadata.set(device, map);
    }
    return map;
  };
  let commits = 0;
  let versions = 0;
  let last = tip?.lastVersion ?? null;
  let first = true;
  try {
    for await (const page of source.versions(tip?.lastVersion ?? null)) {
      options.signal?.throwIfAborted();
      const sets = new Map((await source.changeSets([...new Set(page.map((v) => v.changeSetId).filter((id): id is string => id !== null))])).map((s) => [s.id, s]));
      for (const unit of groupUnits(page)) {
        const head = unit[0]!;
        const newest = unit[unit.length - 1]!;
        const set = head.changeSetId ? sets.get(head.changeSetId) : undefined;
        const title = set?.title || (unit.length === 1 ? `${head.changeType} ${head.path}` : `${unit.length} files changed on ${head.device}`);
        const risks = unit.map((v) => source.riskOf(v)).filter((r): r is string => r !== null);
        const trailers = [`Device: ${head.device}`];
        const risk = highestRisk(risks);
        if (risk) trailers.push(`Risk: ${risk}`);
        trailers.push(`${LAST_TRAILER}: ${newest.id}`);
        const message = Buffer.from(`${title.replace(/\n/g, ' ')}\n\n${trailers.join('\n')}\n`);
        const when = `${epoch(newest.detectedAt)} +0000`;
        await write(`commit ${MIRROR_BRANCH}\nauthor ${authorOf(newest)} ${when}\ncommitter confwatch <confwatch@localhost> ${when}\ndata ${message.length}\n`);
        await write(message);
        if (first && tip) await write(`from ${tip.commit}\n`);
        first = false;
        const touched = new Set<string>();
        for (const version of unit) {
          const path = mirrorPath(version.device, version.path);
          const meta = await metadataOf(version.device);
          touched.add(version.device);
          if (version.changeType === 'deleted') {
            await write(`D ${quotePath(path)}\n`);
            meta.delete(quotePath(path.slice(version.device.length + 1)));
            continue;
          }
          const bytes = await contentFor(version, source, redact);
          const executable = ((version.mode ?? 0o644) & 0o111) !== 0;
          await write(`M ${executable ? '100755' : '100644'} inline ${quotePath(path)}\ndata ${bytes.length}\n`);
          await write(bytes);
          await write('\n');
          const key = quotePath(path.slice(version.device.length + 1));
          meta.set(key, `${(version.mode ?? 0o644).toString(8).padStart(4, '0')} ${version.uid ?? '-'} ${version.gid ?? '-'} ${key}\n`);
          versions++;
        }
        for (const device of touched) {
          const lines = [...(await metadataOf(device)).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, line]) => line);
          const body = Buffer.from(`# mode uid gid path, one line per file (confwatch git mirror)\n${lines.join('')}`);
          await write(`M 100644 inline ${quotePath(`${device}/${METADATA_FILE}`)}\ndata ${body.length}\n`);
          await write(body);
          await write('\n');
        }
        commits++;
        last = newest.id;
      }
    }
    await write('done\n');
    await flush();
    child.stdin.end();
  } catch (error) {
    child.stdin.destroy();
    child.kill();
    await exited;
    throw error;
  }
  const [code] = await exited;
  if (code !== 0) throw new ConfwatchError('CW_ERR_GIT', `git fast-import failed: ${stderr.trim().split('\n')[0] ?? `exit ${code}`}`);
  return { dir, commits, versions, lastVersion: last, redacted: redact };
}

async function contentFor(version: SnapshotRecord, source: GitMirrorSource, redact: boolean): Promise<Buffer> {
  if (!version.hasContent || !version.contentHash) {
    return Buffer.from(`confwatch: content not stored (sha256 ${version.contentHash ?? 'unknown'}, ${version.size ?? '?'} bytes)\n`);
  }
  const bytes = await source.readContent(version);
  if (!redact) return bytes;
  const shown = redactBytes(bytes);
  return shown.kind === 'bytes' ? shown.bytes : Buffer.from(`confwatch: «redacted» (${shown.reason})\n`);
}

const RISK_ORDER = ['none', 'low', 'medium', 'high', 'critical'];
const highestRisk = (risks: readonly string[]): string | null =>
  risks.length ? risks.reduce((a, b) => (RISK_ORDER.indexOf(b) > RISK_ORDER.indexOf(a) ? b : a)) : null;

/** Versions grouped by change set in order of first appearance; a version outside any change set is its own group. */
function groupUnits(page: readonly SnapshotRecord[]): SnapshotRecord[][] {
  const units: SnapshotRecord[][] = [];
  const bySet = new Map<string, SnapshotRecord[]>();
  for (const version of page) {
    if (!version.changeSetId) {
      units.push([version]);
      continue;
    }
    const unit = bySet.get(version.changeSetId);
    if (unit) unit.push(version);
    else {
      const fresh = [version];
      bySet.set(version.changeSetId, fresh);
      units.push(fresh);
    }
  }
  return units;
}
