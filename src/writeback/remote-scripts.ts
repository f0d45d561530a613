/**
 * The remote halves of a batch, as scripts for a transport's persistent
 * shell: upload a temp file beside its target, commit a device's renames in
 * one quick step (after re-checking every live hash), remove leftovers.
 */
import { ConfwatchError } from '../errors.js';
import { raw, type ShellScript, sh } from '../transport/quote.js';
import { displayPath, type RemotePath, remoteBasename, remoteDirname, remoteJoin } from '../transport/remote-path.js';
import type { Transport } from '../transport/transport.js';

/** Exit status of a commit script whose live-hash re-check failed (nothing renamed). */
const EXIT_CONFLICT = 10;
/** Exit status of a commit script whose rename failed part-way. */
const EXIT_RENAME = 11;

/** `.<name>.confwatch-<batchId>.tmp` in the target's directory (same filesystem, so rename is atomic). */
export function tempPathFor(path: RemotePath, batchId: string): RemotePath {
  return remoteJoin(remoteDirname(path), `.${remoteBasename(path)}.confwatch-${batchId}.tmp`);
}

/** Prints the sha256 of `$1`-style file `f`, or `-` when it does not exist. */
const hashOf = (path: RemotePath): ShellScript =>
  sh`$( if [ -e ${path} ] || [ -L ${path} ]; then sha256sum < ${path} | cut -d' ' -f1; else echo -; fi )`;

export interface UploadRequest {
  readonly tempPath: RemotePath;
  readonly content: Buffer;
  readonly mode: number;
  readonly uid: number | null;
  readonly gid: number | null;
}

/** Writes the temp file (parent dirs recreated), sets mode and owner, fsyncs, and checks its hash. */
export async function uploadTemp(transport: Pick<Transport, 'run'>, request: UploadRequest, expectedHash: string, sudo: boolean): Promise<void> {
  const { tempPath } = request;
  const owner = request.uid === null && request.gid === null ? sh`` : sh`chown ${raw(`${request.uid ?? ''}:${request.gid ?? ''}`)} -- "$t" || exit 1`;
  const result = await transport.run(
    sh`t=${tempPath}
mkdir -p -- ${remoteDirname(tempPath)} || exit 1
cat > "$t" || exit 1
chmod ${raw(request.mode.toString(8))} -- "$t" || exit 1
${owner}
sync -- "$t" 2>/dev/null || sync
sha256sum < "$t" | cut -d' ' -f1`,
    { stdin: request.content, ...(sudo ? { sudo: true } : {}) },
  );
  const hash = result.stdout.toString('latin1').trim();
  if (result.code !== 0 || hash !== expectedHash) {
    throw new ConfwatchError(
      'CW_ERR_WRITEBACK_FAILED',
      `uploading ${displayPath(tempPath)} failed (exit ${result.code}${result.code === 0 ? `, hash ${hash.slice(0, 12)} ≠ ${expectedHash.slice(0, 12)}` : ''}): ${result.stderr.toString('utf8').trim().slice(0, 300)}`,
    );
  }
}

/** One file's part of a commit. */
export interface CommitOp {
  readonly path: RemotePath;
  /** Temp file to rename over the target; null = delete the target. */
  readonly tempPath: RemotePath | null;
  /** The live hash prepare saw (null: absent); the commit refuses if it changed since. */
  readonly expectedLiveHash: string | null;
}

export type CommitOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'conflict' | 'rename'; readonly message: string };

/**
 * Re-checks every live hash, then renames all temp files into place (and
 * removes deleted files) in one script. `limit` stops after that many
 * renames (the crash test hook); default all.
 */
export async function commitDevice(
  transport: Pick<Transport, 'run'>,
  ops: readonly CommitOp[],
  sudo: boolean,
  limit = ops.length,
): Promise<CommitOutcome> {
  const checks = ops.map(
    (op) => sh`[ "${hashOf(op.path)}" = ${op.expectedLiveHash ?? '-'} ] || { printf '%s' ${op.path}; exit ${EXIT_CONFLICT}; }
`,
  );
  const moves = ops.slice(0, limit).map((op) =>
    op.tempPath
      ? sh`mv -f -- ${op.tempPath} ${op.path} || exit ${EXIT_RENAME}
`
      : sh`rm -f -- ${op.path} || exit ${EXIT_RENAME}
`,
  );
  const result = await transport.run(sh`${checks}${moves}`, { ...(sudo ? { sudo: true } : {}) });
  if (result.code === 0) return { ok: true };
  if (result.code === EXIT_CONFLICT) {
    const path = result.stdout.toString('utf8');
    return { ok: false, reason: 'conflict', message: `${path} changed on the host after the batch was prepared` };
  }
  return { ok: false, reason: 'rename', message: `rename failed (exit ${result.code}): ${result.stderr.toString('utf8').trim().slice(0, 300)}` };
}

/** Removes temp files (missing ones are fine). Never throws: used in finally blocks and recovery. */
export async function removeTemps(transport: Pick<Transport, 'run'>, tempPaths: readonly RemotePath[], sudo: boolean): Promise<boolean> {
  if (tempPaths.length === 0) return true;
  try {
    const result = await transport.run(sh`rm -f -- ${tempPaths}`, { ...(sudo ? { sudo: true } : {}) });
    return result.code === 0;
  } catch {
    return false;
  }
}
