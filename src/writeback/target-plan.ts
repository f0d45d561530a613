/**
 * Where a write-back may write, and as whom. An unprivileged user on a
 * host controls every directory they can write: they can plant a link at a
 * name confwatch is about to create, swap the target for a link, or swap a
 * whole directory for a link to `/etc`. Before anything is written, one
 * round trip per host reports, for each target, whether it is a symbolic
 * link (and where it leads) and the lstat of every ancestor directory;
 * `decideWriter` then says, without I/O:
 *
 * - every ancestor must be a real directory (never a link);
 * - a directory only root (or the login user) can change is safe;
 * - a directory a single non-root user can change (its owner, plus its
 *   group) makes the write run AS that user (setpriv), so whatever they
 *   swap, the write cannot reach further than they could themselves;
 * - anything else (writable by every user, by a group but no single owner,
 *   by two different users, no setpriv, a file owned by someone else) is
 *   refused with a one-line reason naming the directory.
 *
 * The commit re-checks each ancestor's fingerprint (type, mode, owner,
 * device and inode), so a directory swapped between prepare and commit is
 * refused too.
 */
import { ConfwatchError } from '../errors.js';
import { raw, type ShellScript, sh } from '../transport/quote.js';
import { displayPath, type RemotePath, remoteDirname, remotePathFromBytes } from '../transport/remote-path.js';
import { fileTypeOfMode } from '../transport/shell-file-ops.js';
import type { Transport } from '../transport/transport.js';

/** The group a write runs with when the directory's group is root's (never hand root's group to a user). */
export const NOGROUP = 65534;

/** A non-root user a write runs as. */
export interface Writer {
  readonly uid: number;
  readonly gid: number;
}

/** One ancestor directory as lstat saw it: `<raw mode hex> <uid> <gid> <dev>:<ino>`, or null when missing. */
export interface Ancestor {
  readonly path: RemotePath;
  readonly mark: string | null;
}

/** The login on the host: its uid, and whether it can switch users with setpriv. */
export interface Session {
  readonly uid: number;
  readonly setpriv: boolean;
}

export interface TargetFacts {
  readonly path: RemotePath;
  /** Where a symbolic link at `path` leads (fully resolved); null when `path` is not a link; '' when it cannot be resolved. */
  readonly linkTarget: RemotePath | null;
  /** The ancestors of `path`, `/` first, parent last. */
  readonly ancestors: readonly Ancestor[];
}

/** What decideWriter allows. */
export type WriterDecision =
  | { readonly ok: true; readonly writer: Writer | null }
  | { readonly ok: false; readonly reason: string };

/** `/a/b/c` → [`/`, `/a`, `/a/b`]. */
export function ancestorsOf(path: RemotePath): RemotePath[] {
  const out: RemotePath[] = [];
  for (let dir = remoteDirname(path); ; dir = remoteDirname(dir)) {
    out.unshift(dir);
    if (dir === '/') return out;
  }
}

const MARK_FORMAT = "'%f %u %g %d:%i'";

/** Shell code printing the lstat mark of `path` (or `M`), NUL-terminated. */
const markOf = (path: RemotePath): ShellScript =>
  sh`s=$(stat -c ${raw(MARK_FORMAT)} -- ${path} 2>/dev/null) || s=M; printf '%s\\0' "$s"
`;

/** Shell code that is true when `path`'s lstat mark is still `mark` (a missing ancestor must still not be a link). */
export const markStill = (ancestor: Ancestor): ShellScript =>
  ancestor.mark === null
    ? sh`[ ! -L ${ancestor.path} ]`
    : sh`[ "$(stat -c ${raw(MARK_FORMAT)} -- ${ancestor.path} 2>/dev/null)" = ${Buffer.from(ancestor.mark, 'latin1')} ]`;

/** The session, then per path a link record, then the marks of every distinct ancestor; all in one round trip. */
export async function gatherFacts(
  transport: Pick<Transport, 'run'>,
  paths: readonly RemotePath[],
  sudo: boolean,
): Promise<{ session: Session; facts: TargetFacts[] }> {
  const dirs = [...new Set(paths.flatMap(ancestorsOf))];
  const links = paths.map(
    (p) => sh`if [ -L ${p} ]; then w=$(readlink -f -- ${p} && printf x) && printf 'L%s\\0' "\${w%?x}" || printf 'D\\0'; else printf 'R\\0'; fi
`,
  );
  const script = sh`printf '%s\\0' "$(id -u)"
if command -v setpriv >/dev/null 2>&1; then printf 'y\\0'; else printf 'n\\0'; fi
${links}${dirs.map(markOf)}`;
  const result = await transport.run(script, { ...(sudo ? { sudo: true } : {}) });
  const records = splitNul(result.stdout);
  if (result.code !== 0 || records.length !== 2 + paths.length + dirs.length) {
    throw new ConfwatchError('CW_ERR_REMOTE_COMMAND', `checking the directories of ${paths.length} files failed (exit ${result.code}): ${result.stderr.toString('utf8').trim().slice(0, 300)}`);
  }
  const session: Session = { uid: Number(records[0]!.toString('latin1')), setpriv: records[1]!.toString('latin1') === 'y' };
  const marks = new Map<RemotePath, string | null>();
  dirs.forEach((dir, i) => {
    const mark = records[2 + paths.length + i]!.toString('latin1');
    marks.set(dir, mark === 'M' ? null : mark);
  });
  const facts = paths.map((path, i): TargetFacts => {
    const link = records[2 + i]!;
    const kind = String.fromCharCode(link[0] ?? 0);
    return {
      path,
      linkTarget: kind === 'L' ? remotePathFromBytes(link.subarray(1)) : kind === 'D' ? '' : null,
      ancestors: ancestorsOf(path).map((dir) => ({ path: dir, mark: marks.get(dir) ?? null })),
    };
  });
  return { session, facts };
}

function splitNul(out: Buffer): Buffer[] {
  const records: Buffer[] = [];
  let start = 0;
  for (let i = out.indexOf(0); i !== -1; i = out.indexOf(0, start)) {
    records.push(out.subarray(start, i));
    start = i + 1;
  }
  return records;
}

interface ParsedMark {
  readonly type: ReturnType<typeof fileTypeOfMode>;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

function parseMark(mark: string): ParsedMark {
  const [rawMode, uid, gid] = mark.split(' ');
  const m = Number.parseInt(rawMode ?? '', 16);
  return { type: fileTypeOfMode(m), mode: m & 0o7777, uid: Number(uid), gid: Number(gid) };
}

/**
 * As whom the file may be written, given its ancestors and the owner it
 * should end up with (the live file's, else the snapshot's; undefined when
 * not known). Pure: see the module comment for the rules.
 */
export function decideWriter(ancestors: readonly Ancestor[], session: Session, owner: { uid?: number | null; gid?: number | null } = {}): WriterDecision {
  const trusted = (uid: number) => uid === 0 || uid === session.uid;
  const refuse = (reason: string): WriterDecision => ({ ok: false, reason });
  let need: { uid: number; gid: number; dir: RemotePath } | null = null;
  for (const [i, ancestor] of ancestors.entries()) {
    if (ancestor.mark === null) {
      // missing: the writer creates it, and everything below it is missing too
      continue;
    }
    const dir = displayPath(ancestor.path);
    const st = parseMark(ancestor.mark);
    if (st.type === 'symlink') return refuse(`${dir} is a symbolic link`);
    if (st.type !== 'directory') return refuse(`${dir} is not a directory`);
    const next = ancestors[i + 1]?.mark;
    // In a sticky directory others may add names but not move one they do not own; the
    // next directory's owner, who may, is weighed at the next step.
    const shielded = i < ancestors.length - 1 && (st.mode & 0o1000) !== 0 && next != null;
    if ((st.mode & 0o002) !== 0 && !shielded) return refuse(`${dir} is writable by every user`);
    const groupWrites = (st.mode & 0o020) !== 0 && st.gid !== 0 && !shielded;
    if (trusted(st.uid)) {
      if (groupWrites) return refuse(`${dir} is writable by group ${st.gid}, not by one user confwatch could write as`);
      continue;
    }
    if (need && need.uid !== st.uid) return refuse(`${displayPath(need.dir)} and ${dir} are writable by different users (uid ${need.uid} and ${st.uid})`);
    need = { uid: st.uid, gid: st.gid === 0 ? NOGROUP : st.gid, dir: ancestor.path };
  }
  if (!need) return { ok: true, writer: null };
  const dir = displayPath(need.dir);
  if (session.uid !== 0) return refuse(`${dir} is writable by uid ${need.uid}; writing there as that user needs root or --sudo`);
  if (!session.setpriv) return refuse(`${dir} is writable by uid ${need.uid} and the host has no setpriv to write as that user`);
  if (owner.uid != null && owner.uid !== need.uid) {
    return refuse(`${dir} is writable by uid ${need.uid} but the file belongs to uid ${owner.uid}; confwatch writes there only as uid ${need.uid}`);
  }
  const gid = owner.gid != null && owner.gid !== 0 ? owner.gid : need.gid;
  if (owner.gid != null && owner.gid !== gid) {
    return refuse(`${dir} is writable by uid ${need.uid} but the file's group is ${owner.gid}; confwatch will not write it with root's group there`);
  }
  return { ok: true, writer: { uid: need.uid, gid } };
}

/** Runs `script` as the writer (setpriv, groups cleared), or as the session's user when writer is null. */
export function asWriter(writer: Writer | null, script: ShellScript): ShellScript {
  if (!writer) return script;
  return sh`setpriv --reuid=${writer.uid} --regid=${writer.gid} --clear-groups -- sh -c ${script.bytes}`;
}
