/**
 * Reads another tool's git history of configs (etckeeper's /etc, an
 * oxidized repository) as commits with their author, date, subject and
 * the files each one added, changed or deleted, oldest first; file bytes
 * come from one `git cat-file --batch` process.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { ConfwatchError } from '../errors.js';

const run = promisify(execFile);

export interface GitHistoryChange {
  /** Path inside the repository. */
  readonly path: string;
  readonly status: 'A' | 'M' | 'D' | 'T';
  /** Blob id of the new bytes (absent for a delete). */
  readonly blob: string | null;
  /** File mode in the commit (100644, 100755, 120000 for a link). */
  readonly mode: string;
}

export interface GitHistoryCommit {
  readonly sha: string;
  readonly author: string;
  readonly email: string;
  /** Author date, ISO-8601. */
  readonly date: string;
  readonly subject: string;
  readonly changes: readonly GitHistoryChange[];
}

/** Every non-merge commit reachable from HEAD, oldest first. */
export async function readGitHistory(dir: string): Promise<GitHistoryCommit[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('git', ['-C', dir, '-c', 'core.quotepath=off', 'log', '--reverse', '-z', '--no-renames', '--raw', '--no-abbrev', '--format=%x1e%H%x1f%an%x1f%ae%x1f%aI%x1f%s', 'HEAD'], {
      maxBuffer: 512 * 1024 * 1024,
      encoding: 'utf8',
    }));
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new ConfwatchError('CW_ERR_GIT', 'the git binary was not found; install git to read a git history', { cause: error });
    throw new ConfwatchError('CW_ERR_INPUT', `${dir} is not a git repository with commits (${(e.stderr ?? e.message).trim().split('\n')[0]})`, { cause: error });
  }
  const commits: GitHistoryCommit[] = [];
  for (const record of stdout.split('\x1e')) {
    if (!record) continue;
    const headerEnd = record.indexOf('\0');
    const [sha, author, email, date, subject] = (headerEnd < 0 ? record : record.slice(0, headerEnd)).split('\x1f');
    const tokens = headerEnd < 0 ? [] : record.slice(headerEnd + 1).replace(/^\n/, '').split('\0');
    const changes: GitHistoryChange[] = [];
    for (let i = 0; i + 1 < tokens.length; i += 2) {
      const meta = tokens[i]!.replace(/^\n/, '');
      const m = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) ([AMDT])/.exec(meta);
      if (!m) continue;
      const deleted = m[5] === 'D';
      changes.push({ path: tokens[i + 1]!, status: m[5] as GitHistoryChange['status'], blob: deleted ? null : m[4]!, mode: deleted ? m[1]! : m[2]! });
    }
    commits.push({ sha: sha ?? '', author: author ?? '', email: email ?? '', date: date ?? '', subject: subject ?? '', changes });
  }
  return commits;
}

/** Reads blobs through one `git cat-file --batch`; `close()` ends it. */
export class GitBlobReader {
  readonly #child;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: (() => void) | null = null;
  #ended = false;

  constructor(dir: string) {
    this.#child = spawn('git', ['-C', dir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.#child.stdout.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#waiting?.();
    });
    this.#child.on('close', () => {
      this.#ended = true;
      this.#waiting?.();
    });
    this.#child.on('error', () => {
      this.#ended = true;
      this.#waiting?.();
    });
  }

  async #need(bytes: number | 'line'): Promise<void> {
    for (;;) {
      if (bytes === 'line' ? this.#buffer.includes(0x0a) : this.#buffer.length >= bytes) return;
      if (this.#ended) throw new ConfwatchError('CW_ERR_GIT', 'git cat-file ended early');
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
      });
      this.#waiting = null;
    }
  }

  /** The bytes of a blob. */
  async read(blob: string): Promise<Buffer> {
    this.#child.stdin.write(`${blob}\n`);
    await this.#need('line');
    const end = this.#buffer.indexOf(0x0a);
    const header = this.#buffer.subarray(0, end).toString('utf8');
    this.#buffer = this.#buffer.subarray(end + 1);
    const m = /^[0-9a-f]+ blob (\d+)$/.exec(header);
    if (!m) throw new ConfwatchError('CW_ERR_GIT', `git cat-file: ${header}`);
    const size = Number(m[1]);
    await this.#need(size + 1);
    const bytes = Buffer.from(this.#buffer.subarray(0, size));
    this.#buffer = this.#buffer.subarray(size + 1);
    return bytes;
  }

  async close(): Promise<void> {
    if (this.#ended) return;
    this.#child.stdin.end();
    await once(this.#child, 'close').catch(() => undefined);
  }
}
