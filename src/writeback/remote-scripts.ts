/**
 * The remote halves of a batch, as scripts for a transport's persistent
 * shell: upload the new content into a private directory beside its target,
 * commit a device's renames in one quick step (after re-checking every live
 * hash and every ancestor directory), remove leftovers.
 *
 * The private directory (`.confwatch-<random>`, mode 0700) is made with
 * `mkdir`, which fails on any existing name, a planted link included, and
 * never follows one; its name carries 128 random bits. Mode and owner are
 * set on the file inside it, where nobody else can swap it, before the
 * rename. Every step on a file runs as the writer target-plan.ts chose.
 */
import { randomBytes } from 'node:crypto';
import { ConfwatchError } from '../errors.js';
import { raw, type ShellScript, sh } from '../transport/quote.js';
import { displayPath, type RemotePath, remoteDirname, remoteJoin } from '../transport/remote-path.js';
import type { Transport } from '../transport/transport.js';
import { type Ancestor, asWriter, markStill, type Writer } from './target-plan.js';

/** Exit status of a commit script whose live-hash re-check failed (nothing renamed). */
const EXIT_CONFLICT = 10;
/** Exit status of a commit script whose rename failed part-way. */
const EXIT_RENAME = 11;
/** Exit status of a commit script that found a directory or target swapped since prepare (nothing renamed). */
const EXIT_UNSAFE = 12;
/** Exit status of an upload whose private directory could not be made (the name exists). */
const EXIT_TEMP_EXISTS = 21;

/** 128 random bits, hex: the part of a temp directory's name nobody can guess. */
export const randomTempToken = (): string => randomBytes(16).toString('hex');

/** `.confwatch-<token>` in the target's directory (same filesystem, so the rename is atomic). */
export const tempDirFor = (writePath: RemotePath, token: string): RemotePath => remoteJoin(remoteDirname(writePath), `.confwatch-${token}`);

/** The file holding the new content inside a temp directory. */
export const tempFileIn = (tempDir: RemotePath): RemotePath => remoteJoin(tempDir, 'new');

/**
 * Prints the sha256 of the file at `path` (links followed, as the commit
 * re-checks a watched link's target), or `-` when it does not exist; read
 * as the writer, so a link swapped in makes root read nothing for them.
 */
const hashOf = (path: RemotePath, writer: Writer | null): ShellScript =>
  sh`$( ${asWriter(writer, sh`if [ -e ${path} ] || [ -L ${path} ]; then sha256sum < ${path} | cut -d' ' -f1; else echo -; fi`)} )`;

export interface UploadRequest {
  readonly tempDir: RemotePath;
  readonly content: Buffer;
  /** Permission bits, special bits included (the caller decides which are allowed). */
  readonly mode: number;
  /** Owner to give the file; only applied when writing as the login user (a user writer owns what it writes). */
  readonly uid: number | null;
  readonly gid: number | null;
  readonly writer: Writer | null;
  /** Ancestors that did not exist at prepare, `/` side first: made by the writer. */
  readonly missing: readonly RemotePath[];
}

/** Makes the private directory, writes, sets owner then mode (chown clears setuid/setgid), fsyncs, and checks the hash. */
export async function uploadTemp(transport: Pick<Transport, 'run'>, request: UploadRequest, expectedHash: string, sudo: boolean): Promise<void> {
  const file = tempFileIn(request.tempDir);
  const owner = request.writer !== null || (request.uid === null && request.gid === null) ? sh`` : sh`chown ${raw(`${request.uid ?? ''}:${request.gid ?? ''}`)} -- ${file} || exit 1
`;
  const mkdirs = request.missing.map((dir) => sh`[ -d ${dir} ] && [ ! -L ${dir} ] || mkdir -m 755 -- ${dir} || exit 1
`);
  const script = sh`umask 077
${mkdirs}mkdir -m 700 -- ${request.tempDir} || exit ${EXIT_TEMP_EXISTS}
cat > ${file} || exit 1
${owner}chmod ${raw(request.mode.toString(8))} -- ${file} || exit 1
sync -- ${file} 2>/dev/null || sync
sha256sum < ${file} | cut -d' ' -f1`;
  const result = await transport.run(asWriter(request.writer, script), { stdin: request.content, ...(sudo ? { sudo: true } : {}) });
  const hash = result.stdout.toString('latin1').trim();
  if (result.code === EXIT_TEMP_EXISTS) {
    throw new ConfwatchError('CW_ERR_WRITEBACK_REFUSED', `${displayPath(request.tempDir)} already exists (something was put at the temp name); nothing was written there`, {
      details: { refused: [{ path: request.tempDir, reason: 'the temp name exists' }] },
    });
  }
  if (result.code !== 0 || hash !== expectedHash) {
    throw new ConfwatchError(
      'CW_ERR_WRITEBACK_FAILED',
      `uploading ${displayPath(file)} failed (exit ${result.code}${result.code === 0 ? `, hash ${hash.slice(0, 12)} ≠ ${expectedHash.slice(0, 12)}` : ''}): ${result.stderr.toString('utf8').trim().slice(0, 300)}`,
    );
  }
}

/** One file's part of a commit. */
export interface CommitOp {
  /** The tracked path: its live hash is re-checked, and a delete removes it. */
  readonly path: RemotePath;
  /** Where the new content goes (the link's target when `path` is a watched link). */
  readonly writePath: RemotePath;
  /** Temp directory holding the new content; null = delete `path`. */
  readonly tempDir: RemotePath | null;
  /** The live hash prepare saw (null: absent); undefined skips the check (undo). */
  readonly expectedLiveHash: string | null | undefined;
  readonly writer: Writer | null;
  /** The ancestors as prepare saw them; any change refuses the commit. */
  readonly ancestors: readonly Ancestor[];
}

export type CommitOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'conflict' | 'unsafe' | 'rename'; readonly message: string };

/**
 * Re-checks every live hash and every ancestor, then renames all temp files
 * into place (and removes deleted files) in one script. `limit` stops after
 * that many renames (the crash fault); default all.
 */
export async function commitDevice(transport: Pick<Transport, 'run'>, ops: readonly CommitOp[], sudo: boolean, limit = ops.length): Promise<CommitOutcome> {
  const checks = ops.map((op) =>
    op.expectedLiveHash === undefined
      ? sh``
      : sh`[ "${hashOf(op.path, op.writer)}" = ${op.expectedLiveHash ?? '-'} ] || { printf '%s' ${op.path}; exit ${EXIT_CONFLICT}; }
`,
  );
  const guards = ops.map((op) => {
    const target = op.tempDir ? op.writePath : op.path;
    const ancestors = op.ancestors.map((a) => sh`${markStill(a)} || { printf '%s' ${a.path}; exit ${EXIT_UNSAFE}; }
`);
    // a directory (or a link to one) at the target would make mv move the file into it
    const notDir = op.tempDir ? sh`[ ! -d ${target} ] || { printf '%s' ${target}; exit ${EXIT_UNSAFE}; }
` : sh``;
    return sh`${ancestors}${notDir}`;
  });
  const moves = ops.slice(0, limit).map((op) =>
    op.tempDir
      ? sh`${asWriter(op.writer, sh`mv -f -- ${tempFileIn(op.tempDir)} ${op.writePath} && { rmdir -- ${op.tempDir} 2>/dev/null; true; }`)} || exit ${EXIT_RENAME}
`
      : sh`${asWriter(op.writer, sh`rm -f -- ${op.path}`)} || exit ${EXIT_RENAME}
`,
  );
  // the directories first: through a swapped one even the hash check reads another file
  const result = await transport.run(sh`${guards}${checks}${moves}`, { ...(sudo ? { sudo: true } : {}) });
  if (result.code === 0) return { ok: true };
  const named = result.stdout.toString('utf8');
  if (result.code === EXIT_CONFLICT) return { ok: false, reason: 'conflict', message: `${named} changed on the host after the batch was prepared` };
  if (result.code === EXIT_UNSAFE) {
    return { ok: false, reason: 'unsafe', message: `${named} was replaced (a link, another directory or owner) after the batch was prepared; refused to write through it` };
  }
  return { ok: false, reason: 'rename', message: `rename failed (exit ${result.code}): ${result.stderr.toString('utf8').trim().slice(0, 300)}` };
}

/** A temp directory to remove, and who made it. */
export interface TempRef {
  readonly tempDir: RemotePath;
  readonly writer: Writer | null;
  /** The ancestors as prepare saw them: when one changed, the name no longer leads to what was made, and is left alone. */
  readonly ancestors?: readonly Ancestor[];
}

/** Removes temp directories (missing ones are fine). Never throws: used in finally blocks and recovery. */
export async function removeTemps(transport: Pick<Transport, 'run'>, temps: readonly TempRef[], sudo: boolean): Promise<boolean> {
  if (temps.length === 0) return true;
  const steps = temps.map((t) => {
    const same = (t.ancestors ?? []).map((a) => sh`${markStill(a)} && `);
    return sh`if ${same}true; then ${asWriter(t.writer, sh`[ -L ${t.tempDir} ] || { rm -f -- ${tempFileIn(t.tempDir)}; rmdir -- ${t.tempDir}; } 2>/dev/null; [ -L ${t.tempDir} ] || [ ! -e ${t.tempDir} ]`)} || ok=1; fi
`;
  });
  try {
    const result = await transport.run(sh`ok=0
${steps}exit $ok`, { ...(sudo ? { sudo: true } : {}) });
    return result.code === 0;
  } catch {
    return false;
  }
}

/** Reads a file as the writer (so a link swapped in cannot make root read it); rejects past maxBytes. */
export async function readAsWriter(transport: Pick<Transport, 'run'>, writer: Writer | null, path: RemotePath, maxBytes: number, sudo: boolean): Promise<Buffer> {
  const result = await transport.run(asWriter(writer, sh`head -c ${maxBytes + 1} < ${path}`), { ...(sudo ? { sudo: true } : {}) });
  if (result.code !== 0) {
    throw new ConfwatchError('CW_ERR_WRITEBACK_FAILED', `reading ${displayPath(path)} for its backup failed (exit ${result.code}): ${result.stderr.toString('utf8').trim().slice(0, 300)}`);
  }
  if (result.stdout.length > maxBytes) {
    throw new ConfwatchError('CW_ERR_WRITEBACK_REFUSED', `${displayPath(path)} is larger than ${maxBytes} bytes, too large to keep a backup of; nothing was written`);
  }
  return result.stdout;
}
