/**
 * File operations as shell scripts run through a transport's `run`: used
 * for `sudo` and, over SSH, for names SFTP cannot carry (not UTF-8). Only
 * POSIX tools with busybox-compatible flags are used (`head -c`, `stat -c`,
 * `mktemp`, `mv`, `chmod`, `chown`).
 */
import { displayPath, type RemotePath, remoteDirname } from './remote-path.js';
import { raw, type ShellScript, sh } from './quote.js';
import { fileNotFound, filePermission, fileTooLarge, remoteCommandFailed } from './file-errors.js';
import type { ExecOptions, ExecResult, FileStat } from './transport.js';

export type RunScript = (script: ShellScript, options?: ExecOptions) => Promise<ExecResult>;

const EXIT_NOT_FOUND = 3;
const EXIT_PERMISSION = 4;

/** Reads at most maxBytes bytes; rejects with CW_ERR_FILE_TOO_LARGE when the file is longer. */
export async function shellReadFile(run: RunScript, path: RemotePath, maxBytes: number, sudo: boolean): Promise<Buffer> {
  const result = await run(
    sh`f=${path}
[ -e "$f" ] || [ -L "$f" ] || exit ${EXIT_NOT_FOUND}
[ -r "$f" ] || exit ${EXIT_PERMISSION}
head -c ${maxBytes + 1} < "$f"`,
    { sudo },
  );
  if (result.code === EXIT_NOT_FOUND) throw fileNotFound(path);
  if (result.code === EXIT_PERMISSION) throw filePermission(path);
  if (result.code !== 0) throw remoteCommandFailed(`reading ${displayPath(path)}`, result.stderr, result.code);
  if (result.stdout.length > maxBytes) throw fileTooLarge(path, maxBytes);
  return result.stdout;
}

/**
 * `stat -c` fields: raw mode (hex), size, uid, gid, inode, mtime seconds,
 * then the human mtime whose fraction gives sub-second precision on both
 * GNU and busybox.
 */
export const STAT_FORMAT = '%f %s %u %g %i %Y %y';

/** lstat through the shell; null when the path does not exist. */
export async function shellStat(run: RunScript, path: RemotePath, sudo: boolean): Promise<FileStat | null> {
  const result = await run(sh`f=${path}
[ -e "$f" ] || [ -L "$f" ] || exit ${EXIT_NOT_FOUND}
stat -c ${raw(`'${STAT_FORMAT}'`)} -- "$f"`, { sudo });
  if (result.code === EXIT_NOT_FOUND) return null;
  if (result.code !== 0) throw remoteCommandFailed(`stat of ${displayPath(path)}`, result.stderr, result.code);
  return parseStatLine(path, result.stdout.toString('latin1'));
}

/** Parses one line of STAT_FORMAT output. */
export function parseStatLine(path: RemotePath, line: string): FileStat {
  const m = /^([0-9a-f]+) (\d+) (\d+) (\d+) (\d+) (\d+) (.*)$/.exec(line.trim());
  if (!m) throw new Error(`unexpected stat output: ${JSON.stringify(line.slice(0, 120))}`);
  const rawMode = Number.parseInt(m[1]!, 16);
  const fraction = /:\d\d\.(\d{1,9})/.exec(m[7]!)?.[1] ?? '0';
  return {
    path,
    type: fileTypeOfMode(rawMode),
    size: Number(m[2]),
    mode: rawMode & 0o7777,
    uid: Number(m[3]),
    gid: Number(m[4]),
    ino: Number(m[5]),
    mtimeMs: Number(m[6]) * 1000 + Math.floor(Number(`0.${fraction}`) * 1000),
  };
}

/** The file type encoded in st_mode's S_IFMT bits. */
export function fileTypeOfMode(mode: number): FileStat['type'] {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'directory';
    case 0o120000:
      return 'symlink';
    default:
      return 'other';
  }
}

/** What a replacement file gets: explicit options, else the replaced file's, else 0644 and the writer's owner. */
export interface WriteTarget {
  readonly mode: number;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
}

export function resolveWriteTarget(existing: FileStat | null, options: { mode?: number; uid?: number; gid?: number }): WriteTarget {
  return {
    mode: options.mode ?? existing?.mode ?? 0o644,
    uid: options.uid ?? existing?.uid,
    gid: options.gid ?? existing?.gid,
  };
}

/**
 * Private temp directory in the target's directory (`mktemp -d`: exclusive,
 * 0700, never a planted link), the file written, owned and chmod-ed inside
 * it where nobody else can swap it, fsync (where `sync FILE` exists),
 * rename over the target. It does not guard against someone who can write
 * the target's directory itself: write-back checks that first and writes as
 * that user (writeback/target-plan.ts).
 */
export async function shellWriteFileAtomic(
  run: RunScript,
  path: RemotePath,
  data: Buffer,
  target: WriteTarget,
  options: { mkdirs: boolean; sudo: boolean },
): Promise<void> {
  const dir = remoteDirname(path);
  const owner =
    target.uid === undefined && target.gid === undefined
      ? sh``
      : sh`chown ${raw(`${target.uid ?? ''}:${target.gid ?? ''}`)} -- "$t" || fail`;
  const result = await run(
    sh`d=${dir}
${options.mkdirs ? sh`mkdir -p -- "$d" || exit 1` : sh``}
td=$(mktemp -d "$d/.cw-write.XXXXXXXX") || exit 1
t="$td/new"
fail() { rm -rf -- "$td"; exit 1; }
cat > "$t" || fail
${owner}
chmod ${raw(target.mode.toString(8))} -- "$t" || fail
sync -- "$t" 2>/dev/null || sync
mv -f -- "$t" ${path} || fail
rmdir -- "$td"`,
    { stdin: data, sudo: options.sudo },
  );
  if (result.code !== 0) throw remoteCommandFailed(`writing ${displayPath(path)}`, result.stderr, result.code);
}
